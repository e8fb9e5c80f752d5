"""入金チェック (seed 001 §2 前払, §6 後払): which payment kinds an operator marks as paid by
hand, and in which order statuses a payment may be recorded or taken back."""

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from oms import labels
from oms.models import Order, OrderStatus, PaymentKind
from oms.services import auto_advance

S = OrderStatus


@dataclass(frozen=True)
class PaymentCheck:
    kinds: tuple[PaymentKind, ...]
    # Where 入金済 may be recorded; None: in any status (a transfer can arrive any time).
    paid_in: tuple[OrderStatus, ...] | None
    # Where it may go back to 未入金: before the order moved on because it was paid.
    unpaid_in: tuple[OrderStatus, ...]


# R6: 未入金 only while still in 確認待ち or 入金待ち.
PREPAID = PaymentCheck(auto_advance.PREPAID, None,
                       (S.pending_review, S.awaiting_payment))
# R7: the customer pays a deferred invoice after shipment.
DEFERRED = PaymentCheck(auto_advance.DEFERRED,
                        (S.shipped, S.awaiting_deferred_payment),
                        (S.shipped, S.awaiting_deferred_payment))


def status_names(statuses: tuple[OrderStatus, ...]) -> str:
    return str(_l(" or ")).join(str(labels.ORDER_STATUS[s]) for s in statuses)


def unpaid_message(check: PaymentCheck) -> str:
    return str(_l("Only an order in %(statuses)s can go back to unpaid.",
                  statuses=status_names(check.unpaid_in)))


def unpaid_refusal(order: Order) -> str | None:
    """Why this order's payment cannot go back to unpaid now (an undo of 入金済 after the
    order moved on), or None."""
    for check in (PREPAID, DEFERRED):
        if order.payment_method.kind in check.kinds and order.status not in check.unpaid_in:
            return unpaid_message(check)
    return None
