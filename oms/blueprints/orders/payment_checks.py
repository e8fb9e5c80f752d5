"""入金確認 and 決済銀行変更 on the order detail screen (seed 003)."""

from flask import flash
from flask_babel import gettext as _

from oms.access import Access, access, current_actor
from oms.blueprints.orders import bp
from oms.blueprints.orders.detail import back_to_detail, get_order, render_detail
from oms.blueprints.orders.detail_forms import TransferForm
from oms.extensions import db
from oms.services import payment_checks


@bp.post("/<order_number>/confirm-payment")
@access(Access.operator)
def confirm_payment(order_number: str):
    """入金確認: the order is paid and its 入金前 lines move on."""
    order = get_order(order_number)
    try:
        moved = payment_checks.confirm_payment(db.session, order, current_actor())
    except payment_checks.CheckRefused as refused:
        return render_detail(order, 422, payment_errors=refused.errors)
    flash(_("The payment was confirmed; %(n)d lines moved on.", n=moved), "success")
    return back_to_detail(order, "payment")


@bp.post("/<order_number>/transfer")
@access(Access.operator)
def change_transfer(order_number: str):
    """決済銀行変更: the payer and the account the money went to."""
    order = get_order(order_number)
    form = TransferForm()
    if form.validate():
        try:
            changed = payment_checks.change_transfer(db.session, order, *form.wanted(order),
                                                     current_actor())
        except payment_checks.CheckRefused as refused:
            for name, message in refused.errors.items():
                (form[name].errors if name else form.form_errors).append(message)
        else:
            flash(_("The paying bank was saved.") if changed else _("Nothing was changed."),
                  "success" if changed else "info")
            return back_to_detail(order, "payment")
    return render_detail(order, 422, transfer_form=form)
