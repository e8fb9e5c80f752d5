"""Running a bulk job exactly once per target, on any number of workers.

RQ delivers at least once (RELIABILITY.md A), so effects are deduplicated here: a *lane*
(one RQ job) repeatedly claims a chunk of pending targets (`FOR UPDATE SKIP LOCKED` on
PostgreSQL; SQLite serialises writers), applies it and commits outcome, change and audit
together. A lane that dies loses only its uncommitted chunk, which stays pending; any
number of lanes may run side by side, so a duplicate or a recovery lane is harmless.
Lanes refresh the job's heartbeat; `recover_abandoned` starts a new lane for a job whose
heartbeat went stale while it still had work (worker killed, Redis lost its queue).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from oms.access import Actor
from oms.failures import job_failure
from oms.models import BulkItem, BulkJob, ItemState, JobState, Notification
from oms.models.base import utcnow
from oms.services.bulk import engine, operations

KIND = "bulk_orders"
CHUNK = 500
# Lanes failing in a row outside any single order (a bug, the database gone for good) stop
# the job; a committed chunk starts the count again.
MAX_LANE_ERRORS = 3
UNFINISHED = (JobState.queued, JobState.running)


@dataclass
class LaneResult:
    chunks: int = 0
    targets: int = 0


def run_lane(session: Session, job_id: int, *, chunk_size: int = CHUNK,
             max_chunks: int | None = None) -> LaneResult:
    """Process chunks until no pending target is left, the job is cancelled or finished
    (or `max_chunks` were done: the rest stays pending for any lane)."""
    result = LaneResult()
    serialise = session.get_bind().dialect.name == "sqlite"
    while max_chunks is None or result.chunks < max_chunks:
        job = session.get(BulkJob, job_id, populate_existing=True)
        if job is None or job.notification.state.finished:
            session.rollback()
            return result
        if job.notification.cancel_requested:
            _finish(session, job, JobState.cancelled)
            session.commit()
            return result
        if serialise:
            # SQLite has no row locks: writing first takes the database's write lock, so
            # no other lane can claim the same targets before this chunk commits.
            _beat(session, job_id)
        targets = _claim(session, job_id, chunk_size)
        if not targets:
            _finish_if_complete(session, job)
            session.commit()
            return result
        _mark_running(session, job_id)
        operation = operations.get(job.operation)
        outcomes = engine.apply_chunk(session, job_id, operation, job.options, targets,
                                      actor_of(job))
        _count(session, job_id, outcomes)
        _beat(session, job_id, succeeded=True)
        session.commit()
        result.chunks += 1
        result.targets += len(targets)
    return result


def actor_of(job: BulkJob) -> Actor:
    user = job.notification.user
    return Actor(user.id if user else None, user.username if user else None, job.ip,
                 f"bulk:{job.id}")


def _claim(session: Session, job_id: int, size: int) -> list[engine.Target]:
    rows = session.execute(
        sa.select(BulkItem.id, BulkItem.order_id, BulkItem.version)
        .where(BulkItem.job_id == job_id, BulkItem.state == ItemState.pending)
        .order_by(BulkItem.id)
        .limit(size)
        .with_for_update(skip_locked=True)
    )
    return [engine.Target(*row) for row in rows]


def _beat(session: Session, job_id: int, *, succeeded: bool = False) -> None:
    values = {"heartbeat_at": utcnow()} | ({"lane_errors": 0} if succeeded else {})
    session.execute(sa.update(BulkJob).where(BulkJob.id == job_id).values(values)
                    .execution_options(synchronize_session=False))


def _mark_running(session: Session, job_id: int) -> None:
    now = utcnow()
    session.execute(
        sa.update(Notification)
        .where(Notification.id == job_id, Notification.state == JobState.queued)
        .values(state=JobState.running, started_at=sa.func.coalesce(Notification.started_at,
                                                                      now))
        .execution_options(synchronize_session=False))


def _count(session: Session, job_id: int, outcomes: list[engine.Outcome]) -> None:
    failed = sum(o.state is ItemState.failed for o in outcomes)
    skipped = sum(o.state is ItemState.skipped for o in outcomes)
    # Increments in SQL: lanes on other workers add their chunks to the same rows.
    session.execute(
        sa.update(Notification).where(Notification.id == job_id)
        .values(done=Notification.done + len(outcomes), failed=Notification.failed + failed)
        .execution_options(synchronize_session=False))
    if skipped:
        session.execute(
            sa.update(BulkJob).where(BulkJob.id == job_id)
            .values(skipped=BulkJob.skipped + skipped)
            .execution_options(synchronize_session=False))


def pending_count(session: Session, job_id: int) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(BulkItem).where(
        BulkItem.job_id == job_id, BulkItem.state == ItemState.pending)) or 0


def _finish_if_complete(session: Session, job: BulkJob) -> None:
    """The last lane closes the job. Targets another lane holds are still pending here, so
    that lane closes it after its commit."""
    if pending_count(session, job.id) == 0:
        _finish(session, job, JobState.succeeded)


def _finish(session: Session, job: BulkJob, state: JobState, error: str | None = None
            ) -> None:
    session.refresh(job)
    session.refresh(job.notification)
    note = job.notification
    session.execute(
        sa.update(Notification)
        .where(Notification.id == job.id, Notification.state.in_(UNFINISHED))
        .values(state=state, finished_at=utcnow(), error=error,
                summary=summary(job, note.done, note.failed, job.skipped, state))
        .execution_options(synchronize_session=False))
    session.expire(note)


def summary(job: BulkJob, done: int, failed: int, skipped: int, state: JobState) -> str:
    counts = str(_l("%(ok)s changed, %(failed)s failed, %(skipped)s skipped.",
                    ok=f"{done - failed - skipped:,}", failed=f"{failed:,}",
                    skipped=f"{skipped:,}"))
    if state is JobState.cancelled:
        return str(_l("Stopped after %(done)s of %(total)s orders: %(counts)s",
                      done=f"{done:,}", total=f"{job.notification.total:,}", counts=counts))
    return counts


def record_lane_error(session: Session, job_id: int, error: Exception) -> bool:
    """Count a lane that failed outside any single order; True when the job gave up."""
    session.execute(sa.update(BulkJob).where(BulkJob.id == job_id)
                    .values(lane_errors=BulkJob.lane_errors + 1)
                    .execution_options(synchronize_session=False))
    job = session.get(BulkJob, job_id, populate_existing=True)
    if job is None or job.lane_errors < MAX_LANE_ERRORS:
        return False
    _finish(session, job, JobState.failed, job_failure(error, job.locale))
    return True


# --- starting lanes -----------------------------------------------------------------


def abandoned(session: Session, lease: timedelta, now: datetime | None = None) -> list[int]:
    """Unfinished jobs with no heartbeat for `lease`, claimed for recovery (heartbeat set
    to now, so the next look does not claim them again while the new lane starts)."""
    now = now or utcnow()
    stale = sa.func.coalesce(BulkJob.heartbeat_at, Notification.created_at) < now - lease
    ids = list(session.scalars(
        sa.select(BulkJob.id).join(Notification, Notification.id == BulkJob.id)
        .where(Notification.state.in_(UNFINISHED), stale)
        .order_by(BulkJob.id)))
    if ids:
        session.execute(sa.update(BulkJob).where(BulkJob.id.in_(ids))
                        .values(heartbeat_at=now, recoveries=BulkJob.recoveries + 1)
                        .execution_options(synchronize_session=False))
    return ids
