"""後払い (NP / GMO) state changes made one order at a time: what 一括再与信 resets."""

from typing import Any

from sqlalchemy.orm import Session

from oms.models import Order, PaymentStatus
from oms.services import attention_reasons

# 要対応 reasons the credit verdicts set: operator data, named in the operators' language.
HOLD_REASON = "与信保留"
NG_REASON = attention_reasons.CREDIT_NG


def reregistration(session: Session, order: Order) -> dict[str, Any]:
    """The columns 一括再与信 changes (seed 004, SCOPE P4 G9): 未入金 again, the verdict
    cleared (the NG reason kept, for the record), and the 与信NG 要対応 cleared."""
    values: dict[str, Any] = {"payment_status": PaymentStatus.unpaid, "deferred_result": None}
    if order.needs_attention and order.attention_reason_id == attention_reasons.named(
            session, NG_REASON).id:
        values |= {"needs_attention": False, "attention_reason_id": None}
    return values
