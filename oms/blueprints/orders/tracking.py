"""荷物番号報告 on the order list's 出荷済 tab and the order detail (seed 001 §5): the
楽天/Amazon files, and 再報告 of the checked orders or of one order."""

from flask import flash, redirect, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from oms.access import Access, access, current_actor
from oms.blueprints.orders import bp
from oms.blueprints.orders.controls import chosen
from oms.blueprints.orders.detail import back_to_detail, get_order
from oms.blueprints.orders.forms import SelectionForm
from oms.extensions import db
from oms.models import ReportChannel
from oms.services import action_results, mall_files, tracking_reports


def _file(key: str, channel: ReportChannel):
    target = chosen(key, SelectionForm())
    note = mall_files.start(db.session, channel, current_user, target.search,
                            None if target.whole_search else target.order_ids,
                            str(get_locale()))
    flash(_("The file is being written; download it from this page."), "info")
    return redirect(url_for("notifications.show", notification_id=note.id), 303)


@bp.post("/tracking/rakuten-csv")
@access(Access.operator)
def rakuten_file():
    """楽天荷物番号報告CSVエクスポート of the checked orders, else the search."""
    return _file("rakuten-file", ReportChannel.rakuten_csv)


@bp.post("/tracking/amazon-tsv")
@access(Access.operator)
def amazon_file():
    """Amazon出荷確定エクスポート of the checked orders, else the search."""
    return _file("amazon-file", ReportChannel.amazon_tsv)


@bp.post("/tracking/report-again")
@access(Access.operator)
def report_again():
    """再報告 of the checked orders (else the search), with a result page of its own."""
    target = chosen("report-again", SelectionForm())
    note = action_results.report_tracking_again(db.session, target, current_actor(),
                                                current_user, str(get_locale()))
    return redirect(url_for("notifications.show", notification_id=note.id), 303)


@bp.post("/<order_number>/report-tracking")
@access(Access.operator)
def report_order_again(order_number: str):
    """再報告 of one order from its detail page."""
    order = get_order(order_number)
    job, refused = tracking_reports.report_again(db.session, [order.id], current_actor(),
                                                 str(get_locale()))
    if job is None:
        flash(refused.get(order.id) or _("Nothing to report."), "error")
    else:
        flash(_("The tracking number is being reported to the mall again."), "success")
    return back_to_detail(order, "shipping")
