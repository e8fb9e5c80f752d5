"""配送情報送信 (seed 000 ④): register shipping information for processing orders whose
items are all linked, so that invoice issue and dispatch can follow."""

from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Session, selectinload

from oms.models import TABS, LineStatus, LinkResult, Order, Shipment, ShipmentLine
from oms.services import audit
from oms.services.actor import Actor

# Used when neither the order nor its shop names a carrier.
DEFAULT_CARRIER, DEFAULT_METHOD = "ヤマト運輸", "宅急便"


@dataclass
class SendResult:
    done: list[str] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)


def send(session: Session, order_ids: list[int], actor: Actor) -> SendResult:
    """One Shipment per order (carrier, method, every line not cancelled). Orders that
    are not processing, not linked OK, or already registered are refused with the reason."""
    result = SendResult()
    orders = session.scalars(
        sa.select(Order).where(Order.id.in_(order_ids), Order.deleted_at.is_(None))
        .order_by(Order.id).with_for_update()
        .options(selectinload(Order.lines), selectinload(Order.shipments),
                 selectinload(Order.shop))).all()
    for order in orders:
        reason = _refusal(order)
        if reason:
            result.refused.append((order.order_number, reason))
            continue
        settings = order.shop.settings or {}
        shipment = Shipment(order=order,
                            carrier=order.carrier or settings.get("carrier") or DEFAULT_CARRIER,
                            method=order.delivery_method or settings.get("delivery_method")
                            or DEFAULT_METHOD)
        session.add(shipment)
        session.flush()
        session.add_all(ShipmentLine(shipment_id=shipment.id, order_line_id=line.id,
                                     quantity=line.quantity)
                        for line in order.lines if line.status is not LineStatus.cancelled)
        audit.record(session, actor, "order.shipping_info", entity_type="order",
                     entity_id=order.id, field="shipment", new=f"{shipment.carrier} "
                     f"{shipment.method}")
        result.done.append(order.order_number)
    session.flush()
    return result


def _refusal(order: Order) -> str | None:
    if order.status not in TABS["processing"]:
        return _("Only orders in processing can have shipping information registered.")
    if order.shipping_hold:  # seed 004: a held order is not shipped (check 12)
        return _("Shipping is on hold.")
    if order.link_result is LinkResult.fail:
        failed = [f"{ln.mall_product_code}: {ln.link_error or ''}" for ln in order.lines
                  if ln.link_result is LinkResult.fail]
        return _("Item linking failed (%(lines)s); fix the item links first.",
                 lines="; ".join(failed))
    if order.link_result is not LinkResult.ok:
        return _("The items are not linked yet; run item linking first.")
    if any(s.shipped_at is None for s in order.shipments):
        return _("Shipping information is already registered.")
    return None
