"""決済状況一括変更 (seed 002, SCOPE P4): 売上, 取消 or 再オーソリ of the card orders the
gateway serves (the own shop's, and Rakuten shops' set for 楽天カード決済API). An effect
operation: its chunks run on the target runner's calls_out path (bulk/effects.py) under
the keys `bulk:<job>:<order>:<action>`, and each order's outcome is decided by the
gateway's answer. The guards are the payment rules (payments/rules.check) as SQL, so the
confirm step counts them."""

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from wtforms import Form, RadioField, SelectChoice

from oms.labels import PAYMENT_ACTION, PAYMENT_STATUS
from oms.models import Order, PaymentKind, PaymentMethod, PaymentStatus, TargetState
from oms.models.payments import TransactionKind
from oms.services.bulk.operations.base import Operation, Refusal
from oms.services.payments import ledger, rules

A, P = TransactionKind, PaymentStatus
ACTIONS = (A.capture, A.void, A.reauthorize)
# The payment status each action ends in when the gateway says yes.
RESULT = {A.capture: P.captured, A.void: P.voided, A.reauthorize: P.authorized}


class CardPaymentForm(Form):
    action = RadioField(_l("Action"), default=A.capture.value, choices=[
        SelectChoice(action.value, PAYMENT_ACTION[action]) for action in ACTIONS])


class ChangeCardPayment(Operation):
    key = "card_payment"
    label = _l("Card payment status")
    form = CardPaymentForm
    calls_out = True

    def action(self, options) -> TransactionKind:
        return TransactionKind(options["action"])

    def effect_key(self, job_id: int, order_id: int, options) -> str:
        return ledger.bulk_key(job_id, order_id, self.action(options))

    def describe(self, session, options):
        return str(_l("Card payment status → %(action)s",
                      action=PAYMENT_ACTION[self.action(options)]))

    def replaces(self, options):
        # The guards read the order as it is when its chunk runs (amount, state).
        return False

    def refusals(self, options):
        action = self.action(options)
        cards = sa.select(PaymentMethod.id).where(PaymentMethod.kind == PaymentKind.card)
        refused = [
            Refusal(~Order.payment_method_id.in_(cards), str(rules.NOT_CARD)),
            Refusal(~Order.shop_id.in_(rules.gateway_shops()), str(rules.MALL_PAYS)),
            Refusal(Order.status.in_(rules.CLOSED_ORDERS), str(rules.CLOSED)),
        ]
        if action is not A.reauthorize:
            refused.append(Refusal(Order.payment_status == RESULT[action],
                                   str(_l("Already so.")), TargetState.skipped))
        refused += [Refusal(Order.payment_status == status, rules.not_now(status))
                    for status in PAYMENT_STATUS if status not in rules.FROM[action]]
        if action is A.capture:
            refused += [Refusal(Order.total > Order.authorized_amount, str(rules.INCREASED)),
                        Refusal(Order.reauth_required, str(rules.CARD_CHANGED))]
        if action in (A.capture, A.void):
            refused.append(Refusal(Order.transaction_id.is_(None), str(rules.NO_TRANSACTION)))
        else:
            refused += [Refusal(Order.total <= 0, str(rules.NOTHING_TO_AUTHORIZE)),
                        Refusal(Order.customer_card_id.is_(None), str(rules.NO_CARD))]
        return refused

    def plan(self, order, options, context):
        # What the confirm step shows; the change itself is the gateway's answer.
        return {"payment_status": RESULT[self.action(options)].value}


OPERATIONS = [ChangeCardPayment()]
