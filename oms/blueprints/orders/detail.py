"""The order detail screen (seeds 002, 003): the page or dialog, edit, orderer and recipient
changes with optimistic locking, status history, and deletion by admins."""

from datetime import datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from oms import labels
from oms.access import Access, access, current_actor
from oms.blueprints.common import or_404
from oms.blueprints.orders import bp
from oms.blueprints.orders import detail_forms as forms
from oms.extensions import db
from oms.htmx import render_page, wants_fragment
from oms.models import (
    AttentionReason,
    HandlingStatus,
    LineStatus,
    Media,
    Order,
    OrderStatus,
    StockLocation,
    Tag,
    Wrapping,
)
from oms.services import (
    carriers,
    masters,
    memos,
    order_detail,
    order_edit,
    payment_checks,
    payment_history,
    payment_methods,
)
from oms.services.delivery_choices import carrier_options, part_options
from oms.transactions import read_only


def tz() -> ZoneInfo:
    return ZoneInfo(current_app.config["OMS_TZ"])


def get_order(order_number: str) -> Order:
    return or_404(order_detail.find(db.session, order_number))


def render_detail(order: Order, status: int = 200,
                  present: order_detail.Present | None = None, **forms_):
    """The detail page, or its block for the dialog or for htmx on the page itself (its
    forms swap the whole order, so the header follows what they changed); `present` as
    read with the order, if it was; `forms_` replaces blank forms (to show a refused memo
    with its errors, for instance)."""
    context = {
        "memo_form": forms.MemoForm(formdata=None),
        "blacklist_form": forms.BlacklistForm(formdata=None),
        "transfer_form": _transfer_form(order),
        "payment_errors": {},
        **forms_,
    }
    context["transfer_form"].set_choices(payment_checks.account_choices(db.session, order))
    target = "order-detail" if wants_fragment("order-detail") else "dialog"
    return render_page(
        "orders/detail.html", "detail", target, view=order_detail.view(db.session, order, present),
        order=order, labels=labels, as_dialog=wants_fragment("dialog"),
        as_fragment=wants_fragment(target), may_change_memo=memos.may_change,
        **context), status


def _transfer_form(order: Order) -> forms.TransferForm:
    return forms.TransferForm(formdata=None, data={
        "payer_name": order.payer_name, "bank_account_id": order.bank_account_id})


def back_to_detail(order: Order, anchor: str | None = None):
    """After a POST: the detail page (htmx follows the 303 and swaps it into the dialog)."""
    url = url_for("orders.detail", order_number=order.order_number)
    return redirect(url + (f"#{anchor}" if anchor else ""), 303)


def render_panel(template: str, status: int = 200, **context):
    """A page of the detail screen that opens inside the dialog with JS."""
    return render_page(template, "panel", "dialog", labels=labels,
                       as_dialog=wants_fragment("dialog"), **context), status


@bp.route("/<order_number>")
@access(Access.operator)
@read_only
def detail(order_number: str):
    """One order with every group of seed 002 (a full page; a dialog from the list)."""
    order, present = or_404(order_detail.located(db.session, order_number))
    return render_detail(order, present=present)


@bp.route("/<order_number>/history")
@access(Access.operator)
def history(order_number: str):
    """注文処理履歴: every status change of the order and its lines."""
    order = get_order(order_number)
    return render_panel("orders/history.html", order=order,
                        rows=order_detail.status_history(db.session, order),
                        status_label=_status_label)


@bp.route("/<order_number>/payments")
@access(Access.operator)
def payment_history_panel(order_number: str):
    """決済履歴: every payment effect asked for the order, newest first."""
    order = or_404(order_detail.find_bare(db.session, order_number))
    return render_panel("orders/payment_history.html", order=order,
                        rows=payment_history.for_order(db.session, order.id))


def _status_label(row: order_detail.HistoryRow, value: str | None) -> str:
    """An order or line status by name; values the labels do not know are shown as is."""
    if value is None:
        return "—"
    table, kind = ((labels.LINE_STATUS, LineStatus) if row.line_id
                   else (labels.ORDER_STATUS, OrderStatus))
    try:
        return str(table[kind(value)])
    except (ValueError, KeyError):
        return value


# ------------------------------------------------------------------ editing

def _listed(model, keep, label=lambda row: row.name, value=lambda row: row.id):
    """A list of 設定 as choices: its active rows and the order's own."""
    return forms.options([("", "—"), *((value(row), label(row))
                                       for row in masters.offered(db.session, model, keep))])


def _wrapping_label(row: Wrapping) -> str:
    return _("%(name)s (¥%(fee)s excluding tax, %(rate)d%%)", name=row.name,
             fee=f"{row.fee:,}", rate=row.tax_rate)


def _method_label(method: sa.Row) -> str:
    if not method.fee:
        return method.name
    return _("%(name)s (fee ¥%(fee)s)", name=method.name, fee=f"{method.fee:,}")


def _edit_choices(form: forms.EditForm, order: Order) -> None:
    session = db.session
    form.status.choices = forms.options((s.value, labels.ORDER_STATUS[s])
                                        for s in order_edit.status_choices(order))
    form.attention_reason_id.choices = _listed(AttentionReason, order.attention_reason_id)
    form.handling_status_id.choices = _listed(HandlingStatus, order.handling_status_id)
    form.tag_ids.choices = forms.options(
        (t.id, t.name) for t in masters.offered(session, Tag, [t.id for t in order.tags]))
    by_name = {"value": lambda row: row.name}
    form.media.choices = _listed(Media, order.media, **by_name)
    form.wrapping.choices = _listed(Wrapping, order.wrapping, _wrapping_label, **by_name)
    form.stock_location.choices = _listed(
        StockLocation, order.stock_location, lambda row: f"{row.code} {row.name}"
        if row.name != row.code else row.code, lambda row: row.code)
    form.payment_method_id.choices = forms.options(
        (m.id, _method_label(m))
        for m in payment_methods.offered(session, order.payment_method_id))
    today = datetime.now(tz()).date()
    cards = order_edit.saved_cards(session, order)
    if order.customer_card and order.customer_card not in cards:
        cards.append(order.customer_card)
    form.customer_card_id.choices = forms.options([("", "--"), *(
        (c.id, _card_label(c, today)) for c in cards)])
    counts = sorted({*forms.INSTALLMENTS, *([order.installments] if order.installments else [])})
    form.installments.choices = forms.options([("", "—"), *(
        (n, _("Lump sum") if n == 1 else _("%(n)d payments", n=n)) for n in counts)])
    offered = [carrier for carrier in carriers.for_choices(session) if carrier.active]
    form.carrier.choices = carrier_options(offered, order.carrier, "—")
    _set_delivery_choices(form, order, offered, grouped=True)
    form.carrier.render_kw = {
        "hx-get": url_for("orders.delivery_choices", order_number=order.order_number),
        "hx-target": "#delivery-choices", "hx-swap": "outerHTML",
        "hx-include": "#delivery-choices"}
    _orderer_choices(form, order)
    if len(order.shipments) > 1:
        del form.tracking_number


def _set_delivery_choices(form, order: Order, offered, *, grouped: bool) -> None:
    """配送方法 and お届け時間: every offered carrier's, grouped, or one carrier's."""
    form.delivery_method.choices = part_options(
        offered, "services", "—", grouped=grouped,
        current=(order.carrier, order.delivery_method))
    form.delivery_time_slot.choices = part_options(
        offered, "time_slots", _("Not specified"), grouped=grouped,
        current=(order.carrier, order.delivery_time_slot))
    # A POST shows what was chosen; a GET (filled later) the order's own carrier.
    form.delivery_method.group = form.delivery_time_slot.group = (
        form.carrier.data or order.carrier)


@bp.get("/<order_number>/edit/delivery")
@access(Access.operator)
def delivery_choices(order_number: str):
    """The edit screen's 配送方法 and お届け時間 for the carrier just chosen (htmx); what was
    chosen stays when the new carrier offers it too."""
    order = get_order(order_number)
    form = forms.EditForm(formdata=request.args)
    every = carriers.for_choices(db.session)
    chosen = next((c for c in every if form.carrier.data and c.name == form.carrier.data),
                  None)
    if chosen is None or not (chosen.active or chosen.name == order.carrier):
        _set_delivery_choices(form, order, [c for c in every if c.active], grouped=True)
    else:
        _set_delivery_choices(form, order, [chosen], grouped=False)
    for name in ("delivery_method", "delivery_time_slot"):
        field = form[name]
        if not any(choice.value == field.data for choice in field.choices):
            field.data = ""
    return render_template("orders/_delivery_choices.html", form=form, clashes={})


def _card_label(card, today) -> str:
    label = _("%(brand)s ending %(last4)s, expires %(month)02d/%(year)d", brand=card.brand,
              last4=card.last4, month=card.exp_month, year=card.exp_year)
    if card.is_default:
        label += " " + _("(default)")
    if card.expired(today):
        label += " " + _("(expired)")
    return label


def _propagate_label(target: str) -> str:
    return {
        order_edit.Propagate.recipient: _("This order's recipient"),
        order_edit.Propagate.customer_billing: _("The customer's billing address"),
        order_edit.Propagate.customer_shipping: _("The customer's shipping address"),
    }.get(target, target)


def _orderer_choices(form, order: Order) -> None:
    form.propagate.choices = forms.options(
        (p, _propagate_label(p)) for p in order_edit.propagation_choices(db.session, order))


# What each edit screen is: its form, how its choices are set, its template.
SCREENS = {
    "edit": (forms.EditForm, _edit_choices, "orders/edit.html"),
    "orderer": (forms.OrdererForm, _orderer_choices, "orders/orderer.html"),
    "recipient": (forms.RecipientForm, lambda form, order: None, "orders/recipient.html"),
    "notice": (forms.NoticeForm, lambda form, order: None, "orders/notice.html"),
}


def _render_screen(screen: str, order: Order, form, status: int = 200, **context):
    template = SCREENS[screen][2]
    context.setdefault("conflict", None)
    context.setdefault("clashes", {})
    return render_panel(template, status, order=order, form=form,
                        carrier_locked=order_edit.carrier_locked(order),
                        offers_forcing=order_edit.offers_forcing(order),
                        needs_np_confirmation=order_edit.needs_np_confirmation(order), **context)


def _save(screen: str, order_number: str, post: bool):
    """GET shows the screen's form filled from the order; POST saves it through the
    rules, answering 422 with messages beside the fields, or 409 on a conflict."""
    form_class, set_choices, _template = SCREENS[screen]
    order = get_order(order_number)
    form = form_class() if post else form_class(formdata=None)
    set_choices(form, order)
    forms.offer_current(form, order)
    if not post:
        forms.fill(form, order, tz(), order_edit.latest_audit_id(db.session, order))
        return _render_screen(screen, order, form)
    if not forms.validate_changes(form, order, tz()):
        return _render_screen(screen, order, form, 422)
    try:
        changes = order_edit.update_order(
            db.session, order, forms.to_edit(form, order, tz()), current_actor(),
            version=form.version_number(), today=datetime.now(tz()).date())
    except order_edit.EditRefused as refused:
        db.session.rollback()
        _add_errors(form, refused.errors)
        return _render_screen(screen, get_order(order_number), form, 422)
    except order_edit.EditConflict:
        db.session.rollback()
        return _conflict(screen, order_number, form)
    if changes:
        flash(_("The order was saved (%(n)d changes).", n=len(changes)), "success")
    else:
        flash(_("Nothing was changed."), "info")
    if order_edit.switched_to_manual(changes):
        flash(_("Status advance was switched to manual: the order no longer moves by "
                "itself."), "info")
    return back_to_detail(order)


def _add_errors(form, errors: dict[str, str]) -> None:
    for name, message in errors.items():
        if name in form:
            form[name].errors = [*form[name].errors, message]
        else:
            form.form_errors.append(message)


def _conflict(screen: str, order_number: str, form):
    """Someone saved in between: nothing was saved. Show their changes, keep the operator's
    own edits, and take the other's value wherever the operator had not touched a field."""
    order = get_order(order_number)
    merge = order_edit.merge_conflict(db.session, order, forms.submitted(form, tz()),
                                      form.mark_number())
    for name in merge.theirs:
        forms.show_value(form, name, order, tz())
    form.version.data = str(order.version)
    form.audit_mark.data = str(order_edit.latest_audit_id(db.session, order))
    clashes = {("tag_ids" if name == "tags" else name): label
               for name, label in merge.clashes.items()}
    return _render_screen(screen, order, form, 409, conflict=merge.events, clashes=clashes)


@bp.route("/<order_number>/edit", methods=["GET", "POST"])
@access(Access.operator)
def edit(order_number: str):
    """編集画面: every editable field of seed 002."""
    return _save("edit", order_number, request.method == "POST")


@bp.route("/<order_number>/orderer", methods=["GET", "POST"])
@access(Access.operator)
def orderer(order_number: str):
    """注文者情報の変更 (seed 003)."""
    return _save("orderer", order_number, request.method == "POST")


@bp.route("/<order_number>/recipient", methods=["GET", "POST"])
@access(Access.operator)
def recipient(order_number: str):
    """受取人情報の変更 (seed 003); each change is kept in the recipient change history."""
    return _save("recipient", order_number, request.method == "POST")


@bp.route("/<order_number>/notice", methods=["GET", "POST"])
@access(Access.operator)
def notice(order_number: str):
    """お客様へのお知らせ (seed 003): the message to the customer, with an audit row."""
    return _save("notice", order_number, request.method == "POST")


def _delete_page(order: Order, form, status: int = 200, **context):
    return render_template("orders/delete.html", order=order, form=form, labels=labels,
                           **context), status


@bp.get("/<order_number>/delete")
@access(Access.admin)
def delete(order_number: str):
    """Delete an order (admins): a confirmation step that names the order."""
    order = get_order(order_number)
    form = forms.DeleteForm(formdata=None)
    forms.fill(form, order, tz(), 0)
    return _delete_page(order, form)


@bp.post("/<order_number>/delete")
@access(Access.admin)
def delete_confirmed(order_number: str):
    """Delete the order once its number was typed; a change meanwhile is a conflict."""
    order = get_order(order_number)
    form = forms.DeleteForm()
    if not form.validate() or form.confirm_number.data != order.order_number:
        if not form.confirm_number.errors:
            form.confirm_number.errors = [_("Type the order number exactly as shown.")]
        return _delete_page(order, form, 422)
    try:
        order_edit.delete_order(db.session, order, current_actor(),
                                version=form.version_number())
    except order_edit.EditConflict:
        db.session.rollback()
        order = get_order(order_number)
        forms.fill(form, order, tz(), 0)
        form.confirm_number.data = ""
        return _delete_page(order, form, 409, conflict=True)
    flash(_("Order %(n)s was deleted.", n=order.order_number), "success")
    return redirect(url_for("orders.index"), 303)
