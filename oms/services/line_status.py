"""Line statuses follow their order (seed 003's per-item statuses, SCOPE P1 R14).

A status change marks the order (`mark`); before the transaction commits, the marked
orders' lines are brought in line with one SELECT and one UPDATE per target status, each
change with a status-history row carrying the line's id (注文処理履歴). Deferring it to the
commit keeps a bulk status job at a fixed number of statements per chunk, and catches every
path that moves an order (screens, bulk, mall follow, the sweep).
"""

from collections import defaultdict
from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.orm import Session

from oms.models import LineStatus, Order, OrderLine, OrderStatus, StatusHistory
from oms.models.base import utcnow
from oms.services.actor import Actor
from oms.services.sql_rows import expire_loaded, insert_rows, one_of

S, L = OrderStatus, LineStatus
# The line status an order's status gives its lines; statuses not listed leave them be.
FOR_ORDER = {
    S.awaiting_payment: L.awaiting_payment,
    S.new: L.preparing,
    S.awaiting_allocation: L.preparing,
    S.ready_to_ship: L.ready_to_ship,
    S.shipping: L.awaiting_pickup,
    S.shipped: L.in_transit,
    S.cancelled: L.cancelled,
}
# 出荷停止 shows on the lines while the goods have not gone out (配送保留).
HOLDABLE = frozenset({S.new, S.awaiting_allocation, S.ready_to_ship})
# A cancelled line stays cancelled (P5 cancels single lines); lines past delivery stay.
SETTLED = (L.cancelled, L.delivered)
MARKED = "oms_lines_to_follow"


def mark(session: Session, order_ids: Iterable[int], actor: Actor) -> None:
    """The orders' lines follow their order before the commit."""
    pending = session.info.setdefault(MARKED, {})
    for order_id in order_ids:
        pending[order_id] = actor


def desired(status: OrderStatus, hold: bool, allocates: bool) -> LineStatus | None:
    if hold and status in HOLDABLE:
        return L.shipping_held
    if status is S.new and not allocates:
        return L.ready_to_ship  # 003: with allocation off a confirmed payment is 発送準備中
    return FOR_ORDER.get(status)


def follow(session: Session, order_ids: list[int], actor: Actor | dict[int, Actor],
           *, allocates: bool = True) -> int:
    """Bring the orders' lines in line now; returns how many lines changed."""
    if not order_ids:
        return 0
    rows = session.execute(
        sa.select(OrderLine.id, OrderLine.order_id, OrderLine.status, Order.status,
                  Order.shipping_hold)
        .join(Order, Order.id == OrderLine.order_id)
        .where(OrderLine.order_id.in_(order_ids), OrderLine.status.not_in(SETTLED))).all()
    changes: dict[LineStatus, list] = defaultdict(list)
    for line_id, order_id, line_status, order_status, hold in rows:
        target = desired(order_status, hold, allocates)
        if target is not None and target is not line_status:
            changes[target].append((line_id, order_id, line_status))
    return _write(session, changes, actor)


def send_out(session: Session, order_ids: list[int], actor: Actor) -> int:
    """配送中: the open lines of orders whose parcel has left (a confirmed shipment),
    also of a 手動 order that stays in 出荷中. Returns how many lines changed."""
    if not order_ids:
        return 0
    rows = session.execute(
        sa.select(OrderLine.id, OrderLine.order_id, OrderLine.status)
        .where(one_of(session, OrderLine.order_id, order_ids),
               OrderLine.status.not_in((*SETTLED, L.in_transit)))).all()
    return _write(session, {L.in_transit: [tuple(row) for row in rows]} if rows else {}, actor)


def _write(session: Session, changes: dict[LineStatus, list],
           actor: Actor | dict[int, Actor]) -> int:
    """One UPDATE per target status, and a history row per line changed."""
    now = utcnow()
    history = []
    for target, lines in changes.items():
        session.execute(sa.update(OrderLine)
                        .where(one_of(session, OrderLine.id, [i for i, _, _ in lines]))
                        .values(status=target).execution_options(synchronize_session=False))
        for line_id, order_id, before in lines:
            who = actor[order_id] if isinstance(actor, dict) else actor
            history.append({"order_id": order_id, "line_id": line_id,
                            "from_status": before.value, "to_status": target.value,
                            "user_id": who.user_id, "via": who.via, "created_at": now})
    if history:
        insert_rows(session, StatusHistory.__table__, history)
        expire_loaded(session, OrderLine,
                      [line_id for lines in changes.values() for line_id, _, _ in lines],
                      ["status"])
    return len(history)


@sa.event.listens_for(Session, "before_commit")
def _follow_marked(session: Session) -> None:
    pending = session.info.pop(MARKED, None)
    if pending:
        from oms.services import app_settings

        allocates = app_settings.workflow(session).allocates
        follow(session, sorted(pending), pending, allocates=allocates)


@sa.event.listens_for(Session, "after_rollback")
def _forget_marked(session: Session) -> None:
    session.info.pop(MARKED, None)
