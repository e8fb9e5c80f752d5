"""決済状況変更 on the order detail screen (seed 002): the actions the payment's state
allows, each confirmed on its own page (in the dialog with JS); a gateway action starts
the payment job, 状態のみ変更 (admins) is done at once."""

from flask import abort, flash
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from oms import labels
from oms.access import Access, access, current_actor
from oms.blueprints.orders import bp
from oms.blueprints.orders.detail import back_to_detail, get_order, render_panel
from oms.blueprints.orders.detail_forms import PaymentActionForm, options
from oms.extensions import db
from oms.models import CustomerCard, Order
from oms.models.payments import TransactionKind
from oms.services.payments import manual, rules, step

ACTIONS = {kind.value: kind for kind in (*rules.GATEWAY_ACTIONS, TransactionKind.manual_status)}


@bp.route("/<order_number>/payment")
@access(Access.operator)
def payment_change(order_number: str):
    """決済状況変更: what the order's payment state allows."""
    order = get_order(order_number)
    return render_panel("orders/payment_change.html", order=order,
                        offer=rules.offer(order, is_admin=current_user.is_admin))


@bp.route("/<order_number>/payment/<payment_action>", methods=["GET", "POST"])
@access(Access.operator)
def payment_action(order_number: str, payment_action: str):
    """One action of 決済状況変更, confirmed: the job is started (or the status set)."""
    order = get_order(order_number)
    kind = ACTIONS.get(payment_action)
    if kind is None or kind not in rules.offer(order, is_admin=current_user.is_admin).actions:
        abort(404)
    form = PaymentActionForm()
    _choices(form, order)
    if not form.is_submitted():
        form.card_id.data = order.customer_card_id
        return _page(order, kind, form, 200)
    if not form.validate():
        return _page(order, kind, form, 422)
    try:
        if kind is TransactionKind.manual_status:
            manual.change_status(db.session, order, form.status.data or "",
                                 form.reason.data or "", current_user, current_actor())
            flash(_("The payment status was changed (the gateway was not called)."),
                  "success")
        else:
            job = step.request(db.session, order.id, kind, current_user,
                               locale=str(get_locale()), card_id=form.card_id.data)
            flash(_("The gateway is asked (job #%(id)d); the result shows here and in the "
                    "notification log.", id=job.id), "success")
    except rules.Refused as refused:
        form.form_errors.append(str(refused))
        return _page(order, kind, form, 422)
    return back_to_detail(order, "payment")


def _choices(form: PaymentActionForm, order: Order) -> None:
    cards = db.session.scalars(
        db.select(CustomerCard).where(CustomerCard.customer_id == order.customer_id)
        .order_by(CustomerCard.id)).all() if order.customer_id else []
    form.card_id.choices = options(
        (card.id, f"{card.brand} ****{card.last4} ({card.exp_month:02d}/{card.exp_year})")
        for card in cards)
    form.status.choices = options([("", "—"), *((status.value, labels.PAYMENT_STATUS[status])
                                               for status in rules.MANUAL_STATUSES)])


def _page(order: Order, kind: TransactionKind, form: PaymentActionForm, status: int):
    return render_panel("orders/payment_action.html", status, order=order, kind=kind,
                        form=form)
