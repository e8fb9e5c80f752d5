"""What 前払入金区分 and 後払入金区分 share (seed 001 §2, §6): mark orders of one group of
payment kinds as paid, with 入金日時, or take the payment back to unpaid."""

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from wtforms import Form, RadioField, SelectChoice

from oms.models import MailEvent, Order, PaymentMethod, PaymentStatus, TargetState
from oms.models.base import utcnow
from oms.services import mail
from oms.services.bulk.fields import field, timestamp
from oms.services.bulk.operations.base import Operation, Refusal
from oms.services.bulk.operations.paid_at import paid_at_field, shown, utc_option
from oms.services.payment_checks import PaymentCheck, status_names, unpaid_message

PAID, UNPAID = "paid", "unpaid"


def payment_form(label, paid_label) -> type[Form]:
    class PaymentForm(Form):
        state = RadioField(label, default=PAID, choices=[
            SelectChoice(PAID, paid_label), SelectChoice(UNPAID, _l("Unpaid"))])
        paid_at = paid_at_field(_l(
            "For a payment received. Leave it empty for now, or to keep the time recorded."))

    return PaymentForm


class RecordPayment(Operation):
    undoable = True

    def __init__(self, key: str, label, paid_label, check: PaymentCheck, other_kind):
        self.key, self.label, self.paid_label = key, label, paid_label
        self.check = check
        self.other_kind = other_kind  # the reason given for orders paid another way
        self.form = payment_form(label, paid_label)

    def options_from(self, form):
        paid = form.state.data == PAID
        return {"state": form.state.data,
                "paid_at": utc_option(form.paid_at.data) if paid else None}

    def describe(self, session, options):
        if options["state"] != PAID:
            state = str(_l("Unpaid"))
        elif options["paid_at"]:
            state = str(_l("%(state)s, paid at %(time)s", state=self.paid_label,
                           time=shown(options["paid_at"])))
        else:
            state = str(self.paid_label)
        return str(_l("%(operation)s → %(state)s", operation=self.label, state=state))

    def refusals(self, options):
        methods = sa.select(PaymentMethod.id).where(PaymentMethod.kind.in_(self.check.kinds))
        refused = [Refusal(~Order.payment_method_id.in_(methods), str(self.other_kind))]
        if options["state"] == PAID:
            refused.append(Refusal(Order.payment_status == PaymentStatus.paid,
                                   str(_l("Already paid.")), TargetState.skipped))
            if self.check.paid_in:
                refused.append(Refusal(~Order.status.in_(self.check.paid_in), str(_l(
                    "Only an order in %(statuses)s can be marked as paid.",
                    statuses=status_names(self.check.paid_in)))))
            refused.append(Refusal(
                Order.payment_status.in_((PaymentStatus.voided, PaymentStatus.refunded)),
                str(_l("The payment was voided or refunded."))))
        else:
            refused += [
                Refusal(Order.payment_status == PaymentStatus.unpaid,
                        str(_l("Already unpaid.")), TargetState.skipped),
                Refusal(~Order.status.in_(self.check.unpaid_in), unpaid_message(self.check)),
                Refusal(Order.payment_status != PaymentStatus.paid,
                        str(_l("The payment is not recorded as paid."))),
            ]
        return refused

    def plan(self, order, options, context):
        # payment_status first: its setter may refuse, before anything else is queued.
        if options["state"] != PAID:
            return {"payment_status": PaymentStatus.unpaid.value, "paid_at": None}
        paid_at = options["paid_at"] or field("paid_at").get(order) or timestamp(utcnow())
        return {"payment_status": PaymentStatus.paid.value, "paid_at": paid_at}

    def applied(self, session, order_ids, options, actor):
        # 入金確認 by the list (seed 001 §2, §6), as by the detail screen: the system mail.
        if options["state"] == PAID:
            mail.queue_system_mail(session, MailEvent.payment_received, order_ids, actor)
