from datetime import datetime
from zoneinfo import ZoneInfo

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from oms import labels
from oms.access import Access, access, current_actor
from oms.blueprints.orders import bp
from oms.blueprints.orders.forms import ExportForm, PresetForm, SelectionForm
from oms.extensions import db
from oms.htmx import render_page
from oms.models import (
    TABS,
    HandlingStatus,
    MallKind,
    Order,
    PaymentMethod,
    PaymentStatus,
    Shop,
    Tag,
)
from oms.services import jobs as job_service
from oms.services import mall_confirm, order_search, presets, workflow


def _tz() -> ZoneInfo:
    return ZoneInfo(current_app.config["OMS_TZ"])


def _choices() -> dict[str, list[tuple[object, str]]]:
    """(value, label) options of the search form's selects."""
    session = db.session

    def rows(model, order_by, label="name"):
        found = session.scalars(db.select(model).order_by(order_by))
        return [(r.id, getattr(r, label)) for r in found]

    return {
        "shops": rows(Shop, Shop.id),
        "payment_methods": rows(PaymentMethod, PaymentMethod.id),
        "handling_statuses": rows(HandlingStatus, HandlingStatus.position),
        "tags": rows(Tag, Tag.name),
        "malls": [(m.value, labels.MALL[m]) for m in MallKind],
        "payment_statuses": [(s.value, labels.PAYMENT_STATUS[s]) for s in PaymentStatus],
    }


@bp.route("/")
@access(Access.operator)
def index():
    """The order list: status tabs with counts, search, presets, selection and paging."""
    if preset := request.args.get("preset"):
        query = presets.builtin_query(preset, datetime.now(_tz()).date())
        if query is None:
            abort(404)
        return redirect(url_for("orders.index") + "?" + query)
    parsed = order_search.parse(db.session, request.args)
    search = parsed.search
    counts = order_search.tab_counts(db.session, search, _tz())
    total = counts.status(search.status) if search.status else counts.tab(search.tab)
    result = order_search.fetch_page(db.session, search, total, _tz())
    select = request.args.get("select")
    status = 422 if parsed.errors else 200
    return render_page(
        "orders/index.html", "results", "order-results",
        search=search, errors=parsed.errors, counts=counts, result=result, tabs=TABS,
        row_labels=labels.resolved(status=labels.ORDER_STATUS,
                                   payment_status=labels.PAYMENT_STATUS),
        select=select if select in ("page", "all") else None,
        labels=labels, choices=_choices(), date_bases=order_search.DATE_BASES,
        sorts=order_search.SORTS, per_page_choices=order_search.PER_PAGE_CHOICES,
        builtin_presets=presets.BUILTIN, my_presets=presets.list_for(db.session, current_user),
        export_form=ExportForm(formdata=None), selection_form=SelectionForm(formdata=None),
        preset_form=PresetForm(formdata=None),
    ), status


def _back(search: str):
    return redirect(url_for("orders.index") + ("?" + search if search else ""), 303)


@bp.post("/export")
@access(Access.operator)
def export():
    """Start the order information download for the checked orders, else the whole search."""
    form = ExportForm()
    if not form.validate():
        flash(form.refusal(_("Choose an encoding for the download.")), "error")
        return _back("" if form.search.errors else form.search.data)
    # Nothing checked means the whole search, as the button sits above the whole list.
    ids = (form.checked_ids() or None) if form.scope.data == "selected" else None
    note = job_service.start(
        db.session, "order_export", current_user,
        {"search": form.search.data or "", "order_ids": ids, "encoding": form.encoding.data,
         "locale": str(get_locale())},
    )
    flash(_("The order information download has started."), "info")
    return redirect(url_for("notifications.show", notification_id=note.id), 303)


@bp.post("/confirm")
@access(Access.operator)
def confirm():
    """注文確認: move the chosen New orders on to processing, then tell their malls."""
    form = SelectionForm()
    search = form.search.data or ""
    if not form.validate():
        flash(form.refusal(_("Select orders, or choose every order of the search.")), "error")
        return _back("" if form.search.errors else search)
    if form.scope.data == "search":
        where = order_search.target_conditions(db.session, search, None, _tz())
        ids = list(db.session.scalars(
            db.select(Order.id).where(*where).limit(workflow.MAX_DIRECT_ORDERS + 1)))
        if len(ids) > workflow.MAX_DIRECT_ORDERS:
            flash(_("More than %(n)d orders: use bulk update for a search this large.",
                    n=workflow.MAX_DIRECT_ORDERS), "error")
            return _back(search)
    else:
        ids = form.checked_ids()
    if not ids:
        flash(_("Select orders, or choose every order of the search."), "error")
        return _back(search)
    result, note = mall_confirm.confirm_orders(db.session, ids, current_actor(), current_user,
                                               str(get_locale()))
    return render_template("orders/confirm_result.html", result=result, search=search,
                           note=note, labels=labels)


@bp.post("/presets")
@access(Access.operator)
def save_preset():
    """Save the current search as a personal preset."""
    form = PresetForm()
    query = presets.clean_query(form.query.data or "")
    if form.validate():
        try:
            presets.save(db.session, current_user, form.name.data, query)
            flash(_("The preset was saved."), "info")
        except presets.PresetError as error:
            flash(str(error), "error")
    else:
        flash(_("Give the preset a name of 1 to 64 characters."), "error")
    return _back(query)


def _own_preset(preset_id: int):
    preset = presets.get_own(db.session, current_user, preset_id)
    if preset is None:
        abort(404)
    return preset


@bp.post("/presets/<int:preset_id>/rename")
@access(Access.operator)
def rename_preset(preset_id: int):
    """Rename one of my presets."""
    preset = _own_preset(preset_id)
    try:
        presets.rename(db.session, preset, request.form.get("name", ""))
        flash(_("The preset was renamed."), "info")
    except presets.PresetError as error:
        flash(str(error), "error")
    return _back(preset.query)


@bp.post("/presets/<int:preset_id>/delete")
@access(Access.operator)
def delete_preset(preset_id: int):
    """Delete one of my presets."""
    presets.delete(db.session, _own_preset(preset_id))
    flash(_("The preset was deleted."), "info")
    return redirect(url_for("orders.index"), 303)
