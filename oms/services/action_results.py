"""The results of the list's direct actions (注文確認, 配送情報送信, 在庫引当), kept in the
notification log (通知ログ). The action's POST redirects to the record's page, so a reload
shows the result again instead of acting twice (Post/Redirect/Get), and the operator finds
it later among the jobs.

A record is a finished Notification: `total` the orders acted on, `failed` those refused;
`params` holds the search it came from, the order numbers done, the refused ones with the
reason, the id of the job that follows it (telling the malls of a confirm), and for 在庫引当
the allocation state each order reached.
"""

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from oms.models import AllocationState, JobState, Notification, Order
from oms.models.base import utcnow
from oms.services import (
    allocation_job,
    mall_confirm,
    notifications,
    shipping_info,
    tracking_reports,
)
from oms.services.actor import Actor, Person
from oms.services.list_controls import Target

CONFIRM, SHIPPING_INFO, ALLOCATE = "order_confirm", "shipping_info", "order_allocate"
REPORT_AGAIN = "tracking_report_again"
KINDS = frozenset({CONFIRM, SHIPPING_INFO, ALLOCATE, REPORT_AGAIN})


@dataclass(frozen=True)
class ActionResult:
    """A record's result as its page shows it."""

    done: list[str]
    refused: list[tuple[str, str]]
    search: str
    follow_up_id: int | None
    # 在庫引当: the allocation state each order reached, by order number (none if refused)
    states: dict[str, AllocationState]


def record(session: Session, kind: str, user: Person | None, done: list[str],
           refused: list[tuple[str, str]], *, search: str = "",
           follow_up: Notification | None = None, states: dict[str, str] | None = None
           ) -> Notification:
    """Keep an action's result as a finished entry of the notification log."""
    note = notifications.create(session, kind, user, {
        "search": search, "done": done, "refused": [list(r) for r in refused],
        "follow_up": follow_up.id if follow_up else None, "states": states or {}})
    note.total = note.done = len(done) + len(refused)
    note.failed = len(refused)
    note.started_at = utcnow()
    notifications.finish(session, note, JobState.succeeded)
    session.flush()
    return note


def result_of(note: Notification) -> ActionResult | None:
    """The result a record holds; None for a notification of another kind."""
    if note.kind not in KINDS:
        return None
    params = note.params or {}
    return ActionResult(list(params.get("done") or []),
                        [(number, reason) for number, reason in params.get("refused") or []],
                        params.get("search") or "", params.get("follow_up"),
                        {number: AllocationState(state)
                         for number, state in (params.get("states") or {}).items()})


def confirm(session: Session, target: Target, actor: Actor, user: Person | None,
            locale: str) -> Notification:
    """注文確認 of the target's orders, and its record (with the malls' job to follow)."""
    result, mall_job = mall_confirm.confirm_orders(session, target.order_ids or [], actor,
                                                   user, locale)
    return record(session, CONFIRM, user, result.done, result.refused, search=target.search,
                  follow_up=mall_job)


def send_shipping_info(session: Session, target: Target, actor: Actor, user: Person | None
                       ) -> Notification:
    """配送情報送信 for the target's orders, and its record."""
    result = shipping_info.send(session, target.order_ids or [], actor)
    return record(session, SHIPPING_INFO, user, result.done, result.refused,
                  search=target.search)


def allocate(session: Session, target: Target, actor: Actor, user: Person | None
             ) -> Notification:
    """在庫引当 of the target's orders, and its record: each order with the state it
    reached, and why it is not allocated."""
    results = allocation_job.allocate_orders(session, target.order_ids or [], actor)
    return record(session, ALLOCATE, user, [r.order_number for r in results if r.ok],
                  [(r.order_number, r.reason or "") for r in results if not r.ok],
                  search=target.search,
                  states={r.order_number: r.state.value for r in results if r.state})


def report_tracking_again(session: Session, target: Target, actor: Actor, user: Person | None,
                          locale: str) -> Notification:
    """再報告 of the target's orders (荷物番号報告), and its record (with the job to follow)."""
    ids = target.order_ids or []
    job, refused = tracking_reports.report_again(session, ids, actor, locale)
    numbers = dict(session.execute(sa.select(Order.id, Order.order_number)
                                   .where(Order.id.in_(ids))).all())
    return record(session, REPORT_AGAIN, user,
                  [numbers[i] for i in ids if i in numbers and i not in refused],
                  [(numbers[i], why) for i, why in refused.items()], search=target.search,
                  follow_up=job)
