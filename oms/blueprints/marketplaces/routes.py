from datetime import datetime

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired

from oms import labels
from oms.access import Access, access, current_actor
from oms.blueprints.common import EmptyForm, get_or_404, or_404
from oms.blueprints.marketplaces import bp
from oms.blueprints.orders.controls import back_to_list, chosen, tz
from oms.blueprints.orders.forms import ExportForm, SelectionForm
from oms.blueprints.orders.rows import row_kit
from oms.csvfiles import UploadError
from oms.extensions import db
from oms.models import LinkResult, Order
from oms.queue import get_redis
from oms.services import (
    action_results,
    inventory,
    item_links,
    mall_polling,
    malls,
    marketplace_jobs,
    notifications,
    order_rows,
)

# A person waits for the answer of a single-order update: fail fast rather than retry long.
INTERACTIVE_HTTP = {"timeout": 8.0, "retries": 1, "backoff": 0.5}
OUTCOMES_SHOWN = 1000


def _started(note, started: str):
    flash(started, "info")
    return redirect(url_for("notifications.show", notification_id=note.id), 303)


@bp.post("/refresh")
@access(Access.operator)
def refresh_all():
    """全注文更新: update every order of the current search from its mall (a job)."""
    target = chosen("refresh-all", SelectionForm())
    note = marketplace_jobs.start_refresh(db.session, current_user, target.search,
                                          str(get_locale()))
    return _started(note, _("Updating all orders of the search from their malls."))


@bp.post("/link")
@access(Access.operator)
def link_all():
    """アイテム紐づけ: link the items of every order of the current search (a job)."""
    target = chosen("link-all", SelectionForm())
    note = marketplace_jobs.start_link(db.session, current_user, target.search,
                                       str(get_locale()))
    return _started(note, _("Linking the items of all orders of the search."))


def _row(order: Order, action: str, message: str, ok: bool):
    """The updated row in place (htmx from the row's own button, which swaps its closest
    row), or the list again with the message (no JS)."""
    headers = request.headers
    if (headers.get("HX-Request") == "true" and headers.get("HX-Boosted") != "true"
            and headers.get("HX-Trigger") == f"{action}-{order.id}"):
        return row_kit().row(order_rows.load(db.session, [order.id])[0], None, message, ok)
    flash(f"{order.order_number}: {message}", "success" if ok else "error")
    return back_to_list(request.form.get("search"))


@bp.post("/orders/<bigid:order_id>/refresh")
@access(Access.operator)
def refresh_order(order_id: int):
    """⑮ 注文更新: update one order from its mall and show the result in its row."""
    order = get_or_404(Order, order_id, deleted_at=None)
    if not EmptyForm().validate():
        abort(400)
    secret, connection = current_app.config["SECRET_KEY"], get_redis()
    problem = mall_polling.refresh_order(
        db.session, order,
        lambda shop: malls.open_adapter(shop, secret, connection, **INTERACTIVE_HTTP))
    db.session.refresh(order)
    return _row(order, "refresh", problem or _("Updated from the mall."), problem is None)


@bp.post("/orders/<bigid:order_id>/link")
@access(Access.operator)
def link_order(order_id: int):
    """⑯ アイテム紐づけ: link the items of one order and show the result in its row."""
    order = get_or_404(Order, order_id, deleted_at=None)
    if not EmptyForm().validate():
        abort(400)
    result = item_links.link_order(db.session, order)
    if result is LinkResult.ok:
        return _row(order, "link", _("All items are linked (OK)."), True)
    errors = "; ".join(f"{ln.mall_product_code}: {ln.link_error}" for ln in order.lines
                       if ln.link_result is LinkResult.fail)
    return _row(order, "link",
                _("Some items could not be linked (FAIL): %(errors)s", errors=errors), False)


@bp.post("/shipping-info")
@access(Access.operator)
def send_shipping_info():
    """配送情報送信: register shipping information for the chosen processing orders; the
    result is a page of its own (Post/Redirect/Get)."""
    target = chosen("send-shipping", SelectionForm())
    note = action_results.send_shipping_info(db.session, target, current_actor(), current_user)
    return redirect(url_for("notifications.show", notification_id=note.id), 303)


@bp.post("/inventory/download")
@access(Access.operator)
def inventory_download():
    """在庫情報ダウンロード: the processing orders' lines with SKU, stock and allocation."""
    form = ExportForm()
    target = chosen("inventory-download", form)
    name = f"inventory-{datetime.now(tz()):%Y%m%d-%H%M}.csv"
    # Built whole: processing orders are a working set (thousands), and a finished body
    # needs no database session while it is sent.
    body = b"".join(inventory.download_rows(db.session, target.conditions(db.session, tz()),
                                            form.encoding.data))
    return Response(body, mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"',
                             "Cache-Control": "private, no-store"})


class UploadForm(FlaskForm):
    file = FileField(validators=[FileRequired()])


@bp.route("/inventory/upload", methods=["GET", "POST"])
@access(Access.operator)
def inventory_upload():
    """在庫情報アップロード: check a stock CSV (nothing changes until it is confirmed)."""
    form = UploadForm()
    error = None
    if form.validate_on_submit():
        upload = form.file.data
        try:
            checked = inventory.check_upload(db.session, current_user, upload.filename or "",
                                             upload.read())
        except UploadError as problem:
            db.session.rollback()
            error = str(problem)
        else:
            return redirect(url_for(".inventory_check", upload_id=checked.id), 303)
    elif request.method == "POST":
        error = _("Choose a CSV file.")
    status = 422 if error else 200
    return render_template("marketplaces/inventory_upload.html", form=form, error=error,
                           columns=", ".join(inventory.required_names())), status


def _upload(upload_id: int):
    return or_404(inventory.get_upload_for(db.session, current_user, upload_id))


@bp.get("/inventory/uploads/<int:upload_id>")
@access(Access.operator)
def inventory_check(upload_id: int):
    """A checked stock CSV: its bad rows by line, and what confirming it will set."""
    return render_template("marketplaces/inventory_check.html", upload=_upload(upload_id),
                           form=EmptyForm(formdata=None))


@bp.post("/inventory/uploads/<int:upload_id>/apply")
@access(Access.operator)
def inventory_apply(upload_id: int):
    """Apply the good rows of a checked stock CSV."""
    upload = _upload(upload_id)
    if not EmptyForm().validate():
        abort(400)
    try:
        count = inventory.apply_upload(db.session, upload, current_actor())
    except UploadError as error:
        flash(str(error), "error")
        return redirect(url_for(".inventory_check", upload_id=upload.id), 303)
    flash(_("Stock was set for %(n)d SKU locations.", n=count), "success")
    return redirect(url_for("orders.index", tab="processing"), 303)


@bp.get("/jobs/<int:notification_id>")
@access(Access.operator)
def refresh_outcomes(notification_id: int):
    """A mall job's outcome per order (全注文更新, 注文確認 at the malls): the failed and
    skipped ones with the mall's message."""
    note = or_404(notifications.get_for(db.session, current_user, notification_id))
    if note.kind not in marketplace_jobs.WITH_OUTCOMES:  # another kind of job: its own page
        return redirect(url_for("notifications.show", notification_id=note.id), 303)
    rows = marketplace_jobs.outcomes(db.session, note, limit=OUTCOMES_SHOWN)
    return render_template("marketplaces/refresh_outcomes.html", note=note, rows=rows,
                           limit=OUTCOMES_SHOWN, labels=labels)
