"""注文確認 at the malls (seed 000 ③): when an operator confirms orders here, a job tells
each order's mall through its shop's adapter. Every order is a target with an outcome of
its own (JobTarget), so a job run again skips what is done and one refusal never stops
the others; refusals are kept with the mall's message (MallSyncFailure)."""

from collections import Counter
from collections.abc import Sequence

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from oms.integrations.malls import ADAPTERS
from oms.models import Notification, Order, Shop, TargetState
from oms.services import (
    jobs,
    mall_failures,
    mall_polling,
    malls,
    marketplace_jobs,
    runner,
    workflow,
)
from oms.services.actor import Actor, Person
from oms.services.marketplace_jobs import MallStep, ShopWork, outcome


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
                   user: Person | None, locale: str
                   ) -> tuple[workflow.BatchResult, Notification | None]:
    """注文確認 (seed 000 ③): confirm the orders here, then queue the job that tells their
    malls. The job's record goes in with the confirm's commit, so no confirmed order is
    left without its mall being told."""
    result = workflow.confirm_orders(session, order_ids, actor)
    return result, start(session, user, result.done_ids, locale)


def start(session: Session, user: Person | None, order_ids: Sequence[int], locale: str
          ) -> Notification | None:
    """Record the job that confirms these (just confirmed) orders at their malls, with its
    targets; None when no mall needs telling. It is queued when the confirm commits."""
    targets = mall_targets(session, order_ids)
    if not targets:
        return None
    note = jobs.start(session, marketplace_jobs.CONFIRM, user, {"locale": locale},
                      orders=len(targets))
    note.total = marketplace_jobs.freeze(session, note, sa.select(
        sa.literal(note.id), Order.id, sa.literal(TargetState.pending.value), sa.null())
        .where(Order.id.in_(targets)))
    return note


class ConfirmStep(MallStep):
    """Each order confirmed at its mall: the call outside any transaction, a refusal
    recorded with the mall's message."""

    chunk = 50  # each target is a call to a mall: progress and cancel in small steps

    def prepare(self, session: Session, targets: list[runner.Target]) -> list[ShopWork]:
        work = self.by_shop(session, targets)
        for part in work:
            part.statuses = malls.status_map(session.get(Shop, part.shop_id))
        return work

    def call(self, work: list[ShopWork]) -> list[tuple[ShopWork, dict[str, str | None]]]:
        return [(part, {mall_id: part.adapter if isinstance(part.adapter, str)
                        else mall_polling.ask_to_confirm(part.adapter, part.statuses, mall_id)
                        for mall_id in part.targets})
                for part in work]

    def record(self, session: Session, targets: list[runner.Target],
               answers: list[tuple[ShopWork, dict[str, str | None]]]) -> list[runner.Outcome]:
        results = []
        for part, said in answers:
            for mall_id, target in part.targets.items():
                if said[mall_id] is not None:
                    mall_failures.record_failure(session, part.shop_id, mall_id, "confirm",
                                             said[mall_id], order_id=target.order_id,
                                             notification_id=self.job_id)
                results.append(outcome(target, said[mall_id]))
        return results

    def summary(self, done: Counter) -> str:
        return str(_l("%(ok)d orders confirmed at their malls, %(failed)d failed.",
                      ok=done[TargetState.ok], failed=done[TargetState.failed]))
