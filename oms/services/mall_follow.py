"""Known orders follow their mall: its status and, until shipping begins, its lines.

Status rule: the mall leads for 保留 / キャンセル済 / クローズ済 (seed 000 ⑥⑦⑧) and for
payment (waiting -> new or processing); everything after that is our own workflow, so a
mall that lags behind us is not followed. When the mall says something our workflow cannot
reach (cancelled, but we shipped), the order goes on hold with a needs-attention reason
instead of being overwritten.

Lines follow the mall too (quantities, product codes and options, lines added or removed)
until the goods are going out: before 出荷 the lines are replaced, the amounts computed as
on import and the items linked again; from then on a change is a conflict, held the same way.
"""

from collections import defaultdict
from collections.abc import Iterable
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from oms.integrations.malls import MallLine, MallOrder
from oms.models import (
    TABS,
    LineStatus,
    MallOrderState,
    MallSyncFailure,
    Order,
    OrderLine,
    OrderStatus,
    Shop,
)
from oms.models.base import utcnow
from oms.services import attention_reasons, audit, item_links
from oms.services.actor import Actor
from oms.services.mall_failures import record_failure
from oms.services.mall_rows import PROGRESS, S, amounts, first_status, line_values, payment_status
from oms.services.workflow import TRANSITIONS, change_status

if TYPE_CHECKING:
    from oms.services.mall_import import SyncResult


MALL_LED = frozenset({S.on_hold, S.cancelled, S.closed})
# An AttentionReason is operator data, named in the operators' language like the others.
CONFLICT_REASON = "モール状態の不一致"


def update_known(session: Session, shop: Shop, order_id: int, state: MallOrderState | None,
            mall_order: MallOrder, statuses: dict[str, OrderStatus], actor: Actor,
            result: "SyncResult", *, lines_moved: bool = False,
            notification_id: int | None = None) -> None:
    """Apply what changed at the mall. `lines_moved`: the mall lists other lines than we
    have (checked again here, under the order's lock)."""
    if state is not None and not _changed(state, mall_order) and not lines_moved:
        result.unchanged += 1
        return
    order = session.get(Order, order_id, with_for_update={"of": Order}, populate_existing=True)
    if state is None:
        state = MallOrderState(order_id=order_id, mall_status=mall_order.status)
        session.add(state)
        status_changed = True
    else:
        session.refresh(state)
        status_changed = _changed(state, mall_order)
    lines_changed = lines_moved and _our_keys(order.lines) != _mall_keys(mall_order.lines)
    if not (status_changed or lines_changed):  # another worker got there first
        result.unchanged += 1
        return
    if status_changed:
        conflict = follow_mall(session, shop, order, statuses[mall_order.status], actor)
        result.conflicts += conflict
    if lines_changed and order.status is not S.cancelled:  # cancelled lines stay as they are
        result.conflicts += follow_mall_lines(session, shop, order, mall_order, actor,
                                              notification_id=notification_id)
    state.mall_status = mall_order.status
    state.mall_updated_at = mall_order.updated_at or state.mall_updated_at
    state.fetched_at = utcnow()
    result.updated += 1


def may_have_new_lines(state: MallOrderState | None, mall_order: MallOrder) -> bool:
    """A mall that keeps update times moves them with the lines, though maybe within the
    same (whole) second; one without (Rakuten) may have changed any order it lists."""
    return (state is None or mall_order.updated_at is None or state.mall_updated_at is None
            or mall_order.updated_at >= state.mall_updated_at)


# What a line change is: product code, option, quantity, price and tax rate, in order
# (not the product name, which a mall may reword).
def _mall_keys(lines: Iterable[MallLine]) -> list[tuple]:
    return [(ln.product_code, ln.option or None, ln.quantity, ln.unit_price, ln.tax_rate)
            for ln in lines]


def _our_keys(lines: Iterable[OrderLine]) -> list[tuple]:
    return [(ln.mall_product_code, ln.mall_option or None, ln.quantity, ln.unit_price,
             ln.tax_rate) for ln in lines]


def lines_moved(session: Session, mall_orders: dict[int, MallOrder]) -> set[int]:
    """Which of these orders have other lines at the mall than here: one query for all."""
    if not mall_orders:
        return set()
    ours: dict[int, list] = defaultdict(list)
    for line in session.execute(
            sa.select(OrderLine.order_id, OrderLine.mall_product_code, OrderLine.mall_option,
                      OrderLine.quantity, OrderLine.unit_price, OrderLine.tax_rate)
            .join(Order, Order.id == OrderLine.order_id)
            # A cancelled order's lines stay as they were cancelled.
            .where(OrderLine.order_id.in_(list(mall_orders)), Order.status != S.cancelled)
            .order_by(OrderLine.order_id, OrderLine.line_no)):
        ours[line.order_id].append(line)
    return {order_id for order_id, lines in ours.items()
            if _our_keys(lines) != _mall_keys(mall_orders[order_id].lines)}


def follow_mall_lines(session: Session, shop: Shop, order: Order, mall_order: MallOrder,
                      actor: Actor, *, notification_id: int | None = None) -> bool:
    """Take the mall's lines while the goods have not gone out: replace the lines,
    recompute the amounts as on import and link the items again. Later, the change is a
    conflict for an operator (on hold, needs attention, the mall's lines recorded).
    Returns True when it conflicted."""
    if not _lines_settled(order):
        before = _describe_lines(_our_keys(order.lines))
        order.lines = [OrderLine(**values) for values in line_values(mall_order, order.status)]
        for name, value in amounts(mall_order).items():
            setattr(order, name, value)
        audit.record(session, actor, "order.lines", entity_type="order", entity_id=order.id,
                     field="lines", old=before, new=_describe_lines(_mall_keys(mall_order.lines)))
        session.flush()
        item_links.link_order(session, order)
        return False
    at_mall = _describe_lines(_mall_keys(mall_order.lines))
    if _conflict_recorded(session, order.id, at_mall):
        return False  # told once; an operator's decision since then stands
    _hold_for_attention(session, order, actor)
    record_failure(session, shop.id, order.mall_order_id, "lines", _(
        "The mall changed the items after shipping began; they were not applied. "
        "At the mall: %(lines)s", lines=at_mall), order_id=order.id,
        notification_id=notification_id)
    return True


# From 出荷中 on the parcel is packed or gone. A registered shipment counts too: the
# warehouse may be picking its lines (and the shipment refers to them).
SHIPPING_OR_LATER = frozenset({S.shipping, S.shipped, S.awaiting_deferred_payment,
                               S.completed, S.closed})


def _lines_settled(order: Order) -> bool:
    return (order.status in SHIPPING_OR_LATER or order.shipped_at is not None
            or bool(order.shipments))


def _describe_lines(keys: list[tuple]) -> str:
    return "; ".join(f"{code}{f' ({option})' if option else ''} ×{quantity} @{price}"
                     for code, option, quantity, price, _rate in keys)


def _conflict_recorded(session: Session, order_id: int, at_mall: str) -> bool:
    """Whether the last line conflict recorded for the order is about these same lines."""
    last = session.scalar(
        sa.select(MallSyncFailure.message)
        .where(MallSyncFailure.order_id == order_id, MallSyncFailure.action == "lines")
        .order_by(MallSyncFailure.id.desc()).limit(1))
    return last is not None and at_mall in last


def _changed(state: MallOrderState, mall_order: MallOrder) -> bool:
    """Newer than what we have. Some malls keep whole seconds only, so within the same
    second a different status counts as newer too."""
    if mall_order.updated_at is None or state.mall_updated_at is None:
        return mall_order.status != state.mall_status
    if mall_order.updated_at == state.mall_updated_at:
        return mall_order.status != state.mall_status
    return mall_order.updated_at > state.mall_updated_at


def follow_mall(session: Session, shop: Shop, order: Order, target: OrderStatus,
                actor: Actor) -> bool:
    """Move the order as the mall's status says, by the rule in the module docstring.
    Returns True when it conflicted and went on hold for an operator instead."""
    current = order.status
    target = first_status(shop, target) if current in TABS["waiting"] else target
    if target is current:
        return False
    if target in MALL_LED:
        if target in TRANSITIONS[current]:
            _move(session, order, target, actor)
            return False
        _hold_for_attention(session, order, actor)
        return True
    if PROGRESS.get(target, -1) > PROGRESS.get(current, 99):
        path = [target] if target in TRANSITIONS[current] else [S.new, target]
        if all(b in TRANSITIONS[a] for a, b in zip([current, *path], path, strict=False)):
            for step in path:
                _move(session, order, step, actor)
            order.payment_status = payment_status(order.payment_method.kind, order.status)
    return False


def _move(session: Session, order: Order, to: OrderStatus, actor: Actor) -> None:
    change_status(session, order, to, actor, manual=False)
    if to is S.cancelled:
        order.cancelled_at = order.cancelled_at or utcnow()
        for line in order.lines:
            line.status = LineStatus.cancelled


def _hold_for_attention(session: Session, order: Order, actor: Actor) -> None:
    if S.on_hold in TRANSITIONS[order.status]:
        change_status(session, order, S.on_hold, actor, manual=False)
    order.needs_attention = True
    order.attention_reason = attention_reasons.named(session, CONFLICT_REASON)
