"""注文確認 at the malls (seed 000 ③): when an operator confirms orders here, a job tells
each order's mall through its shop's adapter. Every order is a target with an outcome of
its own (SyncTarget), so a job run again skips what is done and one refusal never stops
the others; refusals are kept with the mall's message (MallSyncFailure)."""

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.orm import Session

from oms.access import Actor
from oms.integrations.malls import ADAPTERS, MallAdapter
from oms.models import Notification, Order, Shop, TargetState, User
from oms.services import jobs, mall_polling, marketplace_jobs, workflow


def mall_targets(session: Session, order_ids: Sequence[int]) -> list[int]:
    """The orders whose mall has to hear of the confirm: those with a mall order id in a
    shop whose mall has a confirm step (not our own shop; not Amazon, where new is
    already processing)."""
    if not order_ids:
        return []
    kinds = [kind for kind, adapter in ADAPTERS.items() if adapter.confirms]
    return list(session.scalars(
        sa.select(Order.id).join(Shop, Shop.id == Order.shop_id)
        .where(Order.id.in_(order_ids), Shop.kind.in_(kinds), Order.mall_order_id != "")
        .order_by(Order.id)))


def confirm_orders(session: Session, order_ids: Sequence[int], actor: Actor,
                   user: User | None, locale: str
                   ) -> tuple[workflow.BatchResult, Notification | None]:
    """注文確認 (seed 000 ③): confirm the orders here, then queue the job that tells their
    malls. The job's record goes in with the confirm's commit, so no confirmed order is
    left without its mall being told."""
    result = workflow.confirm_orders(session, order_ids, actor)
    return result, start(session, user, result.done_ids, locale)


def start(session: Session, user: User | None, order_ids: Sequence[int], locale: str
          ) -> Notification | None:
    """Queue the job that confirms these (just confirmed) orders at their malls; None
    when no mall needs telling. Commits, together with what the session holds, so the
    local confirm and the job's record go in at once."""
    targets = mall_targets(session, order_ids)
    if not targets:
        return None
    return jobs.start(session, marketplace_jobs.CONFIRM, user,
                      {"order_ids": targets, "locale": locale})


def freeze_targets(session: Session, note: Notification) -> int:
    """The job's orders, fixed the first time it runs."""
    return marketplace_jobs.freeze(session, note, sa.select(
        sa.literal(note.id), Order.id, sa.literal(TargetState.pending.value),
        sa.null()).where(Order.id.in_(note.params.get("order_ids") or []),
                         Order.deleted_at.is_(None)))


def confirm_shop(session: Session, shop: Shop, adapter: MallAdapter, orders: list[Order], *,
                 notification_id: int | None = None) -> dict[int, str | None]:
    """Confirm one shop's orders at its mall. Returns each order's outcome: None when the
    mall has it confirmed, else the mall's message (also recorded as a failure)."""
    outcomes = {
        order.id: mall_polling.confirm_at_mall(session, shop, adapter, order.mall_order_id,
                                            order_id=order.id,
                                            notification_id=notification_id)
        for order in orders}
    session.flush()
    return outcomes
