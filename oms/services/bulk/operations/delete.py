"""削除 (seed 004, admins only): remove orders from every list (soft delete)."""

from flask_babel import lazy_gettext as _l

from oms.models import Order, PaymentStatus
from oms.services.bulk.operations.base import Operation, Refusal

# Deleting cannot give money back yet: the payment must be voided or refunded first.
LIVE_PAYMENT = (PaymentStatus.authorized, PaymentStatus.captured, PaymentStatus.paid,
                PaymentStatus.deferred_approved)


class DeleteOrders(Operation):
    key = "delete"
    label = _l("Delete")
    admin_only = True

    def describe(self, session, options):
        return str(_l("Delete the orders"))

    def refusals(self, options):
        return [Refusal(Order.payment_status.in_(LIVE_PAYMENT), str(_l(
            "The payment is still live: void or refund it before deleting the order.")))]

    def plan(self, order, options, context):
        return {"deleted": True}


OPERATIONS = [DeleteOrders()]
