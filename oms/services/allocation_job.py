"""在庫引当 from the order list (seed 001 §3 「セカンドナビ下>在庫引当」): the chosen orders
are allocated, then moved on by the automatic transitions (受注引当済 → 出荷待ち). Up to
list_controls.MAX_DIRECT_ORDERS this runs in the request (action_results.allocate); a
larger search is a job of kind `allocation`, whose step is here."""

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from oms import labels
from oms.models import AllocationState, Notification, Order, OrderStatus, TargetState
from oms.services import allocation, auto_advance, jobs, order_search, runner
from oms.services.actor import JOB, Actor, Person
from oms.services.allocation import ALLOCATABLE
from oms.services.marketplace_jobs import freeze

KIND = "allocation"
DONE = (AllocationState.allocated, AllocationState.forced)


@dataclass(frozen=True)
class OrderOutcome:
    """What 在庫引当 did with one order: the state it reached and why it is not allocated,
    or (state None) why it was refused."""

    order_id: int
    order_number: str
    state: AllocationState | None
    reason: str | None

    @property
    def ok(self) -> bool:
        return self.state in DONE


def refusal(status: OrderStatus) -> str:
    return str(_l("Not awaiting allocation (now %(status)s).",
                  status=labels.ORDER_STATUS[status]))


def allocate_orders(session: Session, order_ids: Sequence[int], actor: Actor
                    ) -> list[OrderOutcome]:
    """在庫引当 of the orders, in id order; orders outside ALLOCATABLE are refused with
    their status. The allocated ones move on in the same transaction."""
    if not order_ids:
        return []
    # Locked, so no one moves an order between this check and its allocation.
    rows = session.execute(
        sa.select(Order.id, Order.order_number, Order.status)
        .where(Order.id.in_(order_ids), Order.deleted_at.is_(None))
        .order_by(Order.id).with_for_update()).all()
    chosen = [row.id for row in rows if row.status in ALLOCATABLE]
    states = allocation.allocate(session, chosen, actor) if chosen else {}
    if chosen:
        auto_advance.advance(session, chosen, actor)
    results = []
    for order_id, number, status in rows:
        if order_id not in states:
            results.append(OrderOutcome(order_id, number, None, refusal(status)))
            continue
        state, note = states[order_id].state, states[order_id].note
        reason = None if state in DONE else note or str(labels.ALLOCATION_STATE[state])
        results.append(OrderOutcome(order_id, number, state, reason))
    return results


def start(session: Session, user: Person | None, search: str, ip: str | None, locale: str
          ) -> Notification:
    """在庫引当 over a search too large for a request, as a job; its targets are frozen
    when it first runs."""
    return jobs.start(session, KIND, user, {"search": search, "ip": ip, "locale": locale})


class AllocationStep(runner.Step):
    """Each chunk's orders allocated and moved on, in the chunk's transaction."""

    def __init__(self, session: Session, job: Notification):
        super().__init__(session, job)
        user = job.user
        self.actor = Actor(user.id if user else None, user.username if user else None,
                           job.params.get("ip"), f"{JOB}:{job.id}")

    def freeze(self, session: Session, job: Notification) -> None:
        """The search's orders; those outside ALLOCATABLE are skipped with their status."""
        where = order_search.target_conditions(session, job.params.get("search", ""),
                                               job.params.get("order_ids"),
                                               ZoneInfo(current_app.config["OMS_TZ"]))
        allocatable = Order.status.in_(ALLOCATABLE)
        reason = sa.case({status: refusal(status) for status in OrderStatus
                          if status not in ALLOCATABLE}, value=Order.status)
        freeze(session, job, sa.select(
            sa.literal(job.id), Order.id,
            sa.case((allocatable, TargetState.pending.value), else_=TargetState.skipped.value),
            sa.case((allocatable, sa.null()), else_=reason),
        ).where(*where))

    def apply(self, session: Session, targets: list[runner.Target]) -> list[runner.Outcome]:
        results = {r.order_id: r for r in allocate_orders(
            session, [t.order_id for t in targets], self.actor)}
        gone = str(_l("The order was deleted."))
        outcomes = []
        for target in targets:
            result = results.get(target.order_id)
            if result is None or result.state is None:
                outcomes.append(runner.Outcome(target.id, TargetState.skipped,
                                               result.reason if result else gone))
                continue
            outcomes.append(runner.Outcome(
                target.id, TargetState.ok if result.ok else TargetState.failed, result.reason,
                after={"allocation_state": result.state.value}))
        return outcomes

    def summary(self, done: Counter) -> str:
        return str(_l("%(ok)s orders allocated, %(failed)s not allocated, %(skipped)s "
                      "skipped.", ok=f"{done[TargetState.ok]:,}",
                      failed=f"{done[TargetState.failed]:,}",
                      skipped=f"{done[TargetState.skipped]:,}"))
