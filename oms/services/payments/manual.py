"""状態のみ変更 (SCOPE P4 G14, ecforce's 強制): an admin sets the payment status by hand,
with a reason; the gateway is not called. Audited, and a `manual_status` ledger row."""

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from oms.models import Order, PaymentStatus
from oms.models.base import utcnow
from oms.models.payments import PaymentTransaction, TransactionKind, TransactionState
from oms.services import audit, auto_advance
from oms.services.actor import Actor, Person
from oms.services.payments import ledger, rules

MAX_REASON = 500


def change_status(session: Session, order: Order, status: str, reason: str, user: Person,
                  actor: Actor) -> PaymentTransaction:
    """Set the order's payment status without the gateway. Refused unless the user is an
    admin, the status is one a card payment has, and a reason is given. Flushes."""
    if not user.is_admin:
        raise rules.Refused(str(_l("Only an administrator may change the status alone.")))
    reason = (reason or "").strip()
    if not reason:
        raise rules.Refused(str(_l("Enter the reason for the change.")))
    if len(reason) > MAX_REASON:
        raise rules.Refused(str(_l("The reason is too long (at most %(n)d characters).",
                                   n=MAX_REASON)))
    try:
        new = PaymentStatus(status)
    except ValueError:
        new = None
    if new not in rules.MANUAL_STATUSES:
        raise rules.Refused(str(_l("Choose a payment status.")))
    old = order.payment_status
    now = utcnow()
    row = PaymentTransaction(
        order_id=order.id, kind=TransactionKind.manual_status, gateway=None, amount=0,
        state=TransactionState.succeeded,
        idempotency_key=ledger.order_key(session, order.id, TransactionKind.manual_status),
        result_code=new.value, message=reason, user_id=actor.user_id,
        user_name=actor.username, via=actor.via, created_at=now, finished_at=now)
    session.add(row)
    audit.record(session, actor, "payment.manual_status", entity_type="order",
                 entity_id=order.id, field="payment_status", old=old.value, new=new.value,
                 details={"reason": reason})
    order.payment_status = new
    session.flush()
    auto_advance.advance(session, [order.id], actor)
    return row
