"""決済履歴 (seed 003) and the payment 状態区分 (seed 001): what the order screens show of
the payment ledger and the order's payment state."""

import sqlalchemy as sa
from sqlalchemy.orm import Session

from oms.models import (
    Order,
    PaymentStatus,
    PaymentTransaction,
    ShipReportState,
    TransactionKind,
    TransactionState,
)


def for_order(session: Session, order_id: int) -> list[PaymentTransaction]:
    """Every ledger row of the order, newest first: one range of the (order_id, id) index,
    however many million rows the ledger holds."""
    return list(session.scalars(
        sa.select(PaymentTransaction).where(PaymentTransaction.order_id == order_id)
        .order_by(PaymentTransaction.id.desc())))


def in_doubt(order_id) -> sa.Exists:
    """Whether a gateway's answer about the order `order_id` (a column or a value) was
    lost (不明): the effect is asked again under its key, so it is neither done nor failed
    yet."""
    return sa.exists().where(PaymentTransaction.order_id == order_id,
                             PaymentTransaction.state == TransactionState.unknown)


def refusal(session: Session, order: Order) -> str | None:
    """Why the gateway declined the card, while the payment is 与信NG: the message of the
    order's latest failed authorization (the newest end of the (order_id, id) index)."""
    if order.payment_status is not PaymentStatus.auth_failed:
        return None
    return session.scalar(
        sa.select(PaymentTransaction.message)
        .where(PaymentTransaction.order_id == order.id,
               PaymentTransaction.kind.in_((TransactionKind.authorize,
                                            TransactionKind.reauthorize)),
               PaymentTransaction.state == TransactionState.failed)
        .order_by(PaymentTransaction.id.desc()).limit(1))


# The payment statuses that are a 状態区分 of their own (keys of labels.STATUS_BADGE).
_STATUS_BADGES = {status: status.value for status in (
    PaymentStatus.authorizing, PaymentStatus.authorized, PaymentStatus.auth_failed,
    PaymentStatus.deferred_registered, PaymentStatus.deferred_hold,
    PaymentStatus.deferred_approved, PaymentStatus.capturing, PaymentStatus.captured)}
_SHIP_REPORT_BADGES = {ShipReportState.ok: "ship_reported", ShipReportState.ng: "ship_report_ng"}


def badges(order: Order, *, in_doubt: bool = False) -> list[str]:
    """オーソリ中 / オーソリ済 / 与信NG / 与信待ち / 与信保留 / 与信済 / 売上請求中 / 売上請求済,
    決済結果不明 while a gateway's answer is lost, then 出荷報告済 / 出荷報告NG of a deferred
    payment."""
    found = []
    if order.payment_status in _STATUS_BADGES:
        found.append(_STATUS_BADGES[order.payment_status])
    if in_doubt:
        found.append("payment_unknown")
    if order.ship_report_state in _SHIP_REPORT_BADGES:
        found.append(_SHIP_REPORT_BADGES[order.ship_report_state])
    return found
