"""出荷済み → 出荷待ち (seed 004 出荷一覧 注文ステータス, SCOPE P2 S9): taking a parcel back.

The parcel is voided, not deleted: its number stays in the order's history. It is refused
once a mall knows the number or the payment was captured, since neither can be taken back
from here (ambiguity A27).
"""

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from oms.models import (
    Order,
    OrderStatus,
    PaymentStatus,
    ReportChannel,
    ReportState,
    Shipment,
    TrackingReport,
)
from oms.models.base import utcnow
from oms.services import workflow
from oms.services.actor import Actor

REPORTED = _l("Already reported to the mall.")
CAPTURED = _l("The payment has been captured.")


def reported() -> sa.ColumnElement[bool]:
    """A live parcel of the order reached a mall: its API report succeeded, or a Rakuten
    CSV / Amazon TSV file was written for it (the file's job is the report's notification)."""
    return sa.exists().where(
        TrackingReport.order_id == Order.id,
        TrackingReport.shipment_id.in_(sa.select(Shipment.id).where(
            Shipment.order_id == Order.id, Shipment.voided_at.is_(None))),
        (TrackingReport.state == ReportState.ok)
        | ((TrackingReport.channel != ReportChannel.api)
           & TrackingReport.notification_id.is_not(None)))


def captured() -> sa.ColumnElement[bool]:
    return Order.payment_status == PaymentStatus.captured


def reopen(session: Session, order: Order, actor: Actor) -> None:
    """Void the order's live parcels and move it back to 出荷待ち by hand: its lines go back
    to 発送準備中 and 自動遷移 turns 手動 (R2). The caller checked `reported` and `captured`."""
    session.execute(
        sa.update(Shipment).where(Shipment.order_id == order.id, Shipment.voided_at.is_(None))
        .values(voided_at=utcnow()).execution_options(synchronize_session=False))
    workflow.change_status(session, order, OrderStatus.ready_to_ship, actor, manual=True,
                           reopen=True, reason=str(_l("Shipment taken back")))
    # They described the voided parcel; the next one sets them again.
    order.shipped_at = None
    order.ship_confirmed_at = None
