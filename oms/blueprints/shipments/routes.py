"""出荷一覧 (配送管理, seed 004): the orders in 出荷待ち / 出荷中 / 出荷済, and the bulk
update of shipments (配送関連日程, 注文ステータス, 配送方法) started from their selection."""

from zoneinfo import ZoneInfo

from flask import current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from oms import labels
from oms.access import Access, access
from oms.blueprints.shipments import bp
from oms.blueprints.shipments.forms import SelectionForm
from oms.extensions import db
from oms.htmx import render_page
from oms.models import SelectionSource, Shop
from oms.services import carriers, list_controls, shipment_list
from oms.services.bulk import selection

KIND = "shipments"


def _tz() -> ZoneInfo:
    return ZoneInfo(current_app.config["OMS_TZ"])


def _back(search: str, message: str):
    flash(message, "error")
    return redirect(url_for("shipments.index") + (f"?{search}" if search else ""), 303)


@bp.route("/")
@access(Access.operator)
def index():
    """Tabs with counts, search, selection and paging, in 出荷予定日 order."""
    parsed = shipment_list.parse(db.session, request.args)
    search = parsed.search
    counts = shipment_list.tab_counts(db.session, search, _tz())
    result = shipment_list.fetch_page(db.session, search, counts[search.status], _tz())
    select = request.args.get("select")
    shops = db.session.execute(db.select(Shop.id, Shop.name).order_by(Shop.id)).all()
    return render_page(
        "shipments/index.html", "results", "shipment-results",
        search=search, errors=parsed.errors, counts=counts, result=result,
        tabs=shipment_list.TABS, labels=labels, select=select if select in ("page", "all")
        else None, ranges=shipment_list.RANGE_LABELS, shops=shops,
        carriers=[(c.name, c.name) for c in carriers.listed(db.session, active_only=False)],
        per_page_choices=shipment_list.PER_PAGE_CHOICES, form=SelectionForm(formdata=None),
        list_endpoint="shipments.index", list_target="shipment-results",
    ), 422 if parsed.errors else 200


@bp.post("/bulk")
@access(Access.operator)
def bulk():
    """一括更新: keep the selection (checked rows or the whole search) for the wizard."""
    form = SelectionForm()
    search = form.search.data or ""
    if not form.validate():
        return _back("", _("The form could not be read. Reload the list and try again."))
    try:
        checked = list_controls.parse_ids(request.form.getlist("order_id"))
    except list_controls.Refused as refusal:
        return _back(search, str(refusal))
    if form.scope.data == "search":
        chosen = selection.from_search(db.session, current_user, search, _tz(), kind=KIND)
    elif checked:
        chosen = selection.from_ids(db.session, current_user, checked,
                                    SelectionSource.selected, kind=KIND)
    else:
        return _back(search, _("Check the orders to update, or select all results."))
    if chosen.count == 0:
        db.session.rollback()
        return _back(search, _("None of the selected orders exists any more."))
    return redirect(url_for("bulk.operation", selection=chosen.id), 303)
