"""Background jobs: the durable record, queued after the commit that holds it.

A job is recorded (a Notification row) in the same transaction as the change that needs it
and handed to RQ only after that transaction commits, so a rollback queues nothing and a
commit never leaves a change without its job. When Redis cannot take the job, the record
stays queued; `requeue_lost` (run by the scheduler and by every worker's maintenance)
queues it once Redis answers again.
"""

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import redis
import sqlalchemy as sa
from flask import current_app
from rq import Callback, Retry
from rq.job import Job
from sqlalchemy.orm import Session

from oms.models import JobState, Notification
from oms.models.base import utcnow
from oms.queue import get_queue, get_redis
from oms.services import notifications
from oms.services.actor import Person
from oms.transactions import after_commit

JOB_TIMEOUT = 6 * 3600
# RQ runs a failed lane again after these delays (a killed work horse, a database blip).
RETRY_DELAYS = [2, 10, 30]
UNQUEUED = "oms_unqueued_jobs"
# A job over at most this many chosen orders runs on the short queue (oms.queue.get_queue):
# someone waits for it. Bulk updates and jobs over a whole search or more orders are long.
SHORT_JOB_ORDERS = 100


@dataclass(frozen=True)
class Kind:
    """How a kind of job runs. `step` names the oms.services.runner step of a job over
    frozen targets (run in lanes, resumed after a lost worker); without one, the entry
    point does the whole job and a lost worker fails it."""

    entry_point: str
    step: str | None = None


LANE = "jobs.lanes.run"
KINDS = {
    "order_export": Kind("jobs.exports.export_orders"),
    "item_link": Kind("jobs.marketplaces.link_orders"),
    "bulk_orders": Kind(LANE, "oms.services.bulk.step:BulkStep"),
    "mall_refresh": Kind(LANE, "oms.services.mall_refresh:RefreshStep"),
    "mall_confirm": Kind(LANE, "oms.services.mall_confirm:ConfirmStep"),
    "allocation": Kind(LANE, "oms.services.allocation_job:AllocationStep"),
    "tracking_report": Kind(LANE, "oms.services.mall_ship:ReportStep"),
    "mall_file": Kind("jobs.shipping.export_mall_file"),
    "shipping_export": Kind("jobs.shipping.export_instructions",
                            "oms.services.shipping_export_step:ExportStep"),
    "shipment_import": Kind("jobs.shipping.apply_import"),
    "payment": Kind(LANE, "oms.services.payments.step:PaymentStep"),
    "deferred_export": Kind(LANE, "oms.services.deferred_export_step:DeferredExportStep"),
    "deferred_import": Kind("jobs.deferred.apply_import"),
    "conversion": Kind(LANE, "oms.services.conversions:ConversionStep"),
    "mail": Kind(LANE, "oms.services.mail_step:MailStep"),
}


def over_targets(kind: str) -> bool:
    return KINDS[kind].step is not None


def is_long(kind: str, orders: int | None) -> bool:
    """Whether the job goes to the long queue; `orders` is None for a whole search."""
    return kind == "bulk_orders" or orders is None or orders > SHORT_JOB_ORDERS


def chosen_orders(total: int, params: dict[str, Any]) -> int | None:
    """How many orders a job record is over, when they were chosen (None: a search)."""
    if total:
        return total
    ids = params.get("order_ids")
    return None if ids is None else len(ids)


def start(session: Session, kind: str, user: Person | None, params: dict[str, Any], *,
          orders: int | None = None, lanes: int = 1) -> Notification:
    """Record a job over `orders` orders (else those of params["order_ids"], else a whole
    search); it is queued, in `lanes` RQ jobs, when the session's transaction commits."""
    note = notifications.create(session, kind, user, params)
    if orders is None:
        orders = chosen_orders(0, params)
    queue_after_commit(session, note.id, kind, lanes, long=is_long(kind, orders))
    return note


def parallel_lanes(session: Session) -> int:
    """How many lanes a large job over targets gets: SQLite takes one writer at a time, so
    one lane there."""
    if session.get_bind().dialect.name == "sqlite":
        return 1
    return current_app.config["BULK_LANES"]


def queue_after_commit(session: Session, job_id: int, kind: str, lanes: int = 1, *,
                       long: bool) -> None:
    def hand_over() -> None:
        if not enqueue(job_id, kind, lanes, long=long):
            session.info.setdefault(UNQUEUED, []).append(job_id)

    after_commit(session, hand_over)


def unqueued(session: Session) -> list[int]:
    """Jobs the last commit recorded but Redis could not take (they start later)."""
    return session.info.pop(UNQUEUED, [])


def rq_id(job_id: int, lane: int | str = 0) -> str:
    return f"job-{job_id}" if lane == 0 else f"job-{job_id}-{lane}"


def enqueue(job_id: int, kind: str, lanes: int = 1, *, long: bool,
            first_lane: int | str = 0) -> bool:
    """Hand the job to RQ: one RQ job, or `lanes` of them for a job over targets. False
    when Redis cannot take it (the record stays queued for `requeue_lost`)."""
    spec = KINDS[kind]
    names = [first_lane] if lanes == 1 else list(range(lanes))
    extra: dict[str, Any] = (
        {"retry": Retry(max=len(RETRY_DELAYS), interval=RETRY_DELAYS)} if spec.step
        else {"on_failure": Callback("jobs.record_crash")})
    try:
        queue = get_queue(long=long)
        for lane in names:
            queue.enqueue(spec.entry_point, job_id, job_id=rq_id(job_id, lane),
                          job_timeout=JOB_TIMEOUT, result_ttl=600,
                          description=f"{kind} #{job_id}", **extra)
    except (redis.RedisError, OSError, RuntimeError):
        return False
    return True


def requeue_lost(session: Session) -> list[int]:
    """Queue again the queued records that Redis does not hold (recorded while Redis was
    away, or lost with its data). Returns their ids. Only records older than
    LOST_JOB_SECONDS: the request that recorded a newer one may be queueing it now."""
    since = utcnow() - timedelta(seconds=current_app.config["LOST_JOB_SECONDS"])
    waiting = session.execute(
        sa.select(Notification.id, Notification.kind, Notification.total, Notification.params)
        .where(Notification.state == JobState.queued, Notification.cancel_requested.is_(False),
               Notification.created_at <= since)
        .order_by(Notification.id)).all()
    if not waiting:
        return []
    connection = get_redis()
    lost = [row for row in waiting
            if row.kind in KINDS and not Job.exists(rq_id(row.id), connection=connection)]
    return [row.id for row in lost
            if enqueue(row.id, row.kind,
                       long=is_long(row.kind, chosen_orders(row.total, row.params or {})))]
