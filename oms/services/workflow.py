"""The order status machine (DESIGN.md "Order status"): transitions, and moving orders."""

from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from oms import labels
from oms.models import Order, OrderStatus, StatusHistory
from oms.services import allocation, app_settings, audit, auto_advance, line_status
from oms.services.actor import Actor

S = OrderStatus
# Where an order may go next by an operator's or the system's action.
TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    S.pending_review: frozenset({S.new, S.awaiting_payment, S.on_hold, S.cancelled}),
    S.awaiting_payment: frozenset({S.new, S.on_hold, S.cancelled}),
    S.new: frozenset({S.awaiting_allocation, S.ready_to_ship, S.on_hold, S.cancelled}),
    S.awaiting_allocation: frozenset({S.ready_to_ship, S.new, S.on_hold, S.cancelled}),
    S.ready_to_ship: frozenset({S.shipping, S.awaiting_allocation, S.on_hold, S.cancelled}),
    S.shipping: frozenset({S.shipped, S.ready_to_ship, S.on_hold}),
    S.shipped: frozenset({S.awaiting_deferred_payment, S.completed, S.on_hold, S.closed}),
    S.awaiting_deferred_payment: frozenset({S.completed, S.on_hold, S.closed}),
    S.completed: frozenset({S.on_hold, S.closed}),
    S.on_hold: frozenset({S.new, S.awaiting_allocation, S.ready_to_ship, S.shipped,
                          S.cancelled, S.closed}),
    S.cancelled: frozenset(),
    S.closed: frozenset(),
}
# 出荷済み → 出荷待ち (seed 004 出荷一覧) is no ordinary move: only shipment_voids.reopen
# makes it, taking the parcel back first.
REOPEN = (S.shipped, S.ready_to_ship)


class TransitionError(ValueError):
    """The order cannot move to the asked status; the message says why."""


def change_status(session: Session, order: Order, to: OrderStatus, actor: Actor, *,
                  manual: bool, reason: str | None = None, reopen: bool = False) -> None:
    """Move one order. A manual change turns auto-advance off (seed 001). Moving back
    before allocation or cancelling gives its stock back (R12); its lines follow it.
    `reopen`: the parcel was taken back, so a shipped order may return to 出荷待ち."""
    if to not in TRANSITIONS[order.status] and not (reopen and (order.status, to) == REOPEN):
        raise TransitionError(str(_l(
            "An order in %(current)s cannot move to %(target)s.",
            current=labels.ORDER_STATUS[order.status], target=labels.ORDER_STATUS[to])))
    before = order.status
    order.status = to
    if manual and order.auto_advance:
        order.auto_advance = False
    session.add(StatusHistory(order_id=order.id, from_status=before.value, to_status=to.value,
                              user_id=actor.user_id, via=actor.via, reason=reason))
    audit.record(session, actor, "order.status", entity_type="order", entity_id=order.id,
                 field="status", old=before.value, new=to.value)
    if allocation.released_by(to):
        allocation.release(session, [order.id], actor)
    line_status.mark(session, [order.id], actor)


@dataclass
class BatchResult:
    done: list[str] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)
    # ids of the orders in `done`, for the work that follows (telling their malls)
    done_ids: list[int] = field(default_factory=list)


def _locked_orders(session: Session, order_ids) -> list[Order]:
    """Lock the rows so a concurrent bulk job cannot act on them between check and write."""
    return list(session.scalars(
        sa.select(Order).where(Order.id.in_(order_ids), Order.deleted_at.is_(None))
        .order_by(Order.id).with_for_update()))


def confirm_orders(session: Session, order_ids, actor: Actor) -> BatchResult:
    """注文確認 (seed 000 ③): move New orders on to processing; others are refused with
    the reason. With stock allocation off (引当しない), orders skip awaiting allocation;
    then they move on by themselves as far as they can (allocated at once in 自動)."""
    allocates = app_settings.workflow(session).allocates
    target = S.awaiting_allocation if allocates else S.ready_to_ship
    result = BatchResult()
    for order in _locked_orders(session, order_ids):
        if order.status is not S.new:
            result.refused.append((order.order_number, str(_l(
                "Not a new order (now %(status)s).",
                status=labels.ORDER_STATUS[order.status]))))
            continue
        change_status(session, order, target, actor, manual=False)
        result.done.append(order.order_number)
        result.done_ids.append(order.id)
    session.flush()
    auto_advance.advance(session, result.done_ids, actor)
    return result
