"""決済方法 → 代引き (seed 004): an order whose credit check failed is switched to cash on
delivery, so it can still ship. 「出荷待ちの注文で、与信NGとなった注文の支払い方法を代引きに
変更…※代引きにのみ変更可能…変更後は、代引き自動変更メールが配信」.

The COD method and its fee come from 支払い方法管理; the tax and total follow (amounts);
the 与信NG attention is cleared; 自動遷移 stays as it is, since this is the designed way
out of 与信NG (SCOPE A26). The 代引き自動変更メール is queued with the change.
"""

from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from oms.models import Order, OrderStatus, PaymentMethod, PaymentStatus
from oms.services import amounts, attention_reasons

S = OrderStatus
CREDIT_NG_REASON = attention_reasons.CREDIT_NG
# From 出荷中 on the parcel is packed or gone: the payment method is what it was.
SHIPPING_OR_LATER = frozenset({S.shipping, S.shipped, S.awaiting_deferred_payment,
                               S.completed, S.closed, S.cancelled})
TOO_LATE = _l("Only orders not yet shipped can be changed.")
NOT_DECLINED = _l("Only orders whose credit check failed can be switched to cash on "
                  "delivery.")
NO_COD = _l("No active cash-on-delivery method: add or reactivate one in Payment methods.")


def switch(session: Session, order: Order, cod: PaymentMethod) -> dict[str, tuple[Any, Any]]:
    """Switch the order to `cod`; returns column -> (old, new) of what changed. The caller
    has checked the targets (SHIPPING_OR_LATER, payment_status auth_failed)."""
    changed: dict[str, tuple[Any, Any]] = {}

    def put(name: str, value: Any) -> None:
        old = getattr(order, name)
        if old != value:
            changed[name] = (old, value)
            setattr(order, name, value)

    changed["payment_method_id"] = (order.payment_method_id, cod.id)
    order.payment_method = cod
    if (order.needs_attention and order.attention_reason
            and order.attention_reason.name == CREDIT_NG_REASON):
        changed["attention_reason_id"] = (order.attention_reason_id, None)
        order.attention_reason = None
        put("needs_attention", False)
    for name, value in (("payment_fee", cod.fee), ("payment_status", PaymentStatus.unpaid),
                        ("customer_card_id", None), ("installments", None),
                        ("reauth_required", False)):
        put(name, value)
    for name, value in amounts.recomputed(session, order).items():
        put(name, value)
    return changed
