"""The one runner for every job over frozen targets: bulk updates, mall refresh and confirm.

RQ delivers at least once (RELIABILITY.md A), so effects are deduplicated here: a *lane*
(one RQ job) repeatedly claims a chunk of pending targets (`FOR UPDATE SKIP LOCKED` on
PostgreSQL; SQLite serialises writers), applies it and commits outcomes and changes
together: the job commits here, once per chunk, and nowhere else. A lane that dies loses
only its uncommitted chunk, which stays pending; any number of lanes may run side by side,
so a duplicate or a recovery lane is harmless. Lanes refresh the job's heartbeat;
`abandoned` finds a job whose heartbeat went stale while it still had work.

A step that calls the outside world (a mall, a gateway) runs each chunk in three parts:
the intent (targets marked `calling` with their idempotency key) in a short transaction;
the call with no transaction or row lock held; the result in a short transaction. A lane
lost during the call leaves the targets `calling`, as does a step whose answer was lost
(its outcome `calling`); after the lease they are claimed again and called with the same
key, so the outside world sees one effect.
"""

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from rq.utils import import_attribute
from sqlalchemy.orm import Session

from oms.failures import job_failure
from oms.models import JobState, JobTarget, Notification, TargetState
from oms.models.base import utcnow
from oms.services import jobs
from oms.services.sql_rows import update_rows

# Lanes failing in a row outside any single target (a bug, the database gone for good) stop
# the job; a committed chunk starts the count again.
MAX_LANE_ERRORS = 3
UNFINISHED = (JobState.queued, JobState.running)


@dataclass(frozen=True)
class Target:
    id: int
    order_id: int
    version: int | None
    key: str | None = None


@dataclass
class Outcome:
    target_id: int
    state: TargetState
    error: str | None = None
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None


class Step:
    """What one kind of job does with a chunk of its targets. A local step implements
    `apply`; a step that calls the outside world sets `calls_out` and implements
    `prepare`, `call` and `record`."""

    chunk = 500
    calls_out = False

    def __init__(self, session: Session, job: Notification):
        self.job_id = job.id

    def freeze(self, session: Session, job: Notification) -> None:
        """Insert the job's targets, for kinds that freeze them when the job first runs
        (the others froze them when the operator confirmed)."""

    def apply(self, session: Session, targets: list[Target]) -> list[Outcome]:
        raise NotImplementedError

    def key(self, target: Target) -> str:
        """The idempotency key of a target's call, stored on it with the intent (a target
        frozen with its key keeps that one)."""
        return f"job-{self.job_id}-{target.id}"

    def prepare(self, session: Session, targets: list[Target]) -> Any:
        """Read what the calls need, as plain data (no ORM object outlives the commit)."""
        raise NotImplementedError

    def call(self, work: Any) -> Any:
        """Call the outside world; runs with no transaction open."""
        raise NotImplementedError

    def record(self, session: Session, targets: list[Target], answers: Any) -> list[Outcome]:
        raise NotImplementedError

    def finish(self, session: Session, job: Notification) -> None:
        """Run in the transaction that ends a job whose every target is done (a file made
        from the outcomes); a lane lost before that commit runs it again."""

    def summary(self, done: Counter) -> str:
        """The finished job's targets by outcome, in words (a cancelled job's summary
        says first where it stopped)."""
        return count_summary(done)

    def close(self) -> None:
        """Release what the lane held (connections to a mall)."""


def step_for(session: Session, job: Notification) -> Step:
    return import_attribute(jobs.KINDS[job.kind].step.replace(":", "."))(session, job)


def run_lane(session: Session, job_id: int, *, lease: timedelta,
             chunk_size: int | None = None, max_chunks: int | None = None) -> int:
    """Process chunks until no target is left, the job is cancelled or finished (or
    `max_chunks` were done: the rest stays pending for any lane). Returns the chunks."""
    job = session.get(Notification, job_id)
    if job is None or job.state.finished:
        session.rollback()
        return 0
    step = step_for(session, job)
    try:
        _freeze_once(session, job, step)
        chunks = 0
        while max_chunks is None or chunks < max_chunks:
            if not _chunk(session, job_id, step, chunk_size or step.chunk, lease):
                break
            chunks += 1
        return chunks
    finally:
        step.close()


def _freeze_once(session: Session, job: Notification, step: Step) -> None:
    if job.total or session.scalar(sa.select(JobTarget.id).where(JobTarget.job_id == job.id)
                                   .limit(1)) is not None:
        return
    step.freeze(session, job)
    session.flush()
    # Targets may be decided as they are frozen (skipped with the reason): counted as done.
    frozen = counts(session, job.id)
    job.total = sum(frozen.values())
    job.done = job.total - frozen[TargetState.pending]
    job.failed, job.skipped = frozen[TargetState.failed], frozen[TargetState.skipped]
    session.commit()


def _chunk(session: Session, job_id: int, step: Step, size: int, lease: timedelta) -> bool:
    """One chunk, committed. False when the lane should stop."""
    job = session.get(Notification, job_id, populate_existing=True)
    if job is None or job.state.finished:
        session.rollback()
        return False
    if job.cancel_requested:
        _finish(session, job, step, JobState.cancelled)
        session.commit()
        return False
    if session.get_bind().dialect.name == "sqlite":
        # SQLite has no row locks: writing first takes the database's write lock, so no
        # other lane can claim the same targets before this chunk commits.
        _beat(session, job_id)
    targets = _claim(session, job_id, size, lease)
    if not targets:
        if _unfinished_targets(session, job_id) == 0:
            _finish(session, job, step, JobState.succeeded)
        session.commit()
        return False
    _mark_running(session, job_id)
    if step.calls_out:
        outcomes = _call_out(session, job_id, step, targets)
    else:
        outcomes = step.apply(session, targets)
    _record(session, outcomes)
    _count(session, job_id, outcomes)
    _beat(session, job_id, succeeded=True)
    session.commit()
    return True


def _call_out(session: Session, job_id: int, step: Step, targets: list[Target]
              ) -> list[Outcome]:
    now = utcnow()
    keyed = [Target(t.id, t.order_id, t.version, t.key or step.key(t)) for t in targets]
    update_rows(session, JobTarget.__table__, [
        {"id": t.id, "key": t.key, "state": TargetState.calling, "claimed_at": now}
        for t in keyed], match=("id",))
    work = step.prepare(session, keyed)
    _beat(session, job_id)
    session.commit()  # the intent is durable before anything leaves
    answers = step.call(work)
    return step.record(session, keyed, answers)


def _claim(session: Session, job_id: int, size: int, lease: timedelta) -> list[Target]:
    """Pending targets, and targets left `calling` by a lane lost longer than the lease."""
    stale = (JobTarget.state == TargetState.calling) & (JobTarget.claimed_at < utcnow() - lease)
    rows = session.execute(
        sa.select(JobTarget.id, JobTarget.order_id, JobTarget.version, JobTarget.key)
        .where(JobTarget.job_id == job_id,
               (JobTarget.state == TargetState.pending) | stale)
        .order_by(JobTarget.id)
        .limit(size)
        .with_for_update(skip_locked=True))
    return [Target(*row) for row in rows]


def _record(session: Session, outcomes: list[Outcome]) -> None:
    now = utcnow()
    update_rows(session, JobTarget.__table__, [
        {"id": o.target_id, "state": o.state, "error": o.error, "before": o.before,
         "after": o.after, "applied_at": now}
        for o in outcomes], match=("id",))


def _beat(session: Session, job_id: int, *, succeeded: bool = False) -> None:
    values = {"heartbeat_at": utcnow()} | ({"lane_errors": 0} if succeeded else {})
    session.execute(sa.update(Notification).where(Notification.id == job_id).values(values)
                    .execution_options(synchronize_session=False))


def _mark_running(session: Session, job_id: int) -> None:
    session.execute(
        sa.update(Notification)
        .where(Notification.id == job_id, Notification.state == JobState.queued)
        .values(state=JobState.running,
                started_at=sa.func.coalesce(Notification.started_at, utcnow()))
        .execution_options(synchronize_session=False))


def _count(session: Session, job_id: int, outcomes: list[Outcome]) -> None:
    states = Counter(o.state for o in outcomes)
    # Increments in SQL: lanes on other workers add their chunks to the same row. A target
    # left `calling` (its answer lost) is not done: it is called again after the lease.
    session.execute(
        sa.update(Notification).where(Notification.id == job_id)
        .values(done=Notification.done + len(outcomes) - states[TargetState.calling],
                failed=Notification.failed + states[TargetState.failed],
                skipped=Notification.skipped + states[TargetState.skipped])
        .execution_options(synchronize_session=False))


def _unfinished_targets(session: Session, job_id: int) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(JobTarget).where(
        JobTarget.job_id == job_id,
        JobTarget.state.in_([TargetState.pending, TargetState.calling]))) or 0


def counts(session: Session, job_id: int) -> Counter:
    """The job's targets by outcome."""
    return Counter(dict(session.execute(
        sa.select(JobTarget.state, sa.func.count()).where(JobTarget.job_id == job_id)
        .group_by(JobTarget.state)).all()))


def _finish(session: Session, job: Notification, step: Step | None, state: JobState,
            error: str | None = None) -> None:
    session.refresh(job)
    if step is not None and state is JobState.succeeded:
        step.finish(session, job)
    done = counts(session, job.id)
    summary = step.summary(done) if step else count_summary(done)
    if state is JobState.cancelled:
        summary = str(_l("Stopped after %(done)s of %(total)s orders: %(counts)s",
                         done=f"{job.done:,}", total=f"{job.total:,}", counts=summary))
    session.execute(
        sa.update(Notification)
        .where(Notification.id == job.id, Notification.state.in_(UNFINISHED))
        .values(state=state, finished_at=utcnow(), error=error, summary=summary)
        .execution_options(synchronize_session=False))
    session.expire(job)


def count_summary(done: Counter) -> str:
    return str(_l("%(ok)s done, %(failed)s failed, %(skipped)s skipped.",
                  ok=f"{done[TargetState.ok]:,}", failed=f"{done[TargetState.failed]:,}",
                  skipped=f"{done[TargetState.skipped]:,}"))


def record_lane_error(session: Session, job_id: int, error: Exception) -> bool:
    """Count a lane that failed outside any single target; True when the job gave up."""
    session.execute(sa.update(Notification).where(Notification.id == job_id)
                    .values(lane_errors=Notification.lane_errors + 1)
                    .execution_options(synchronize_session=False))
    job = session.get(Notification, job_id, populate_existing=True)
    if job is None or job.lane_errors < MAX_LANE_ERRORS:
        return False
    _finish(session, job, None, JobState.failed,
            job_failure(error, job.params.get("locale", "ja")))
    return True


def abandoned(session: Session, lease: timedelta, now: datetime | None = None
              ) -> list[tuple[int, str, int, int]]:
    """Unfinished jobs over targets with no heartbeat for `lease`, claimed for recovery
    (heartbeat set to now, so the next look does not claim them again while the new lane
    starts): (id, kind, total, recoveries) each."""
    now = now or utcnow()
    kinds = [kind for kind in jobs.KINDS if jobs.over_targets(kind)]
    stale = sa.func.coalesce(Notification.heartbeat_at, Notification.created_at) < now - lease
    rows = session.execute(
        sa.select(Notification.id, Notification.kind, Notification.total,
                  Notification.recoveries + 1)
        .where(Notification.kind.in_(kinds), Notification.state.in_(UNFINISHED), stale)
        .order_by(Notification.id)).all()
    if rows:
        session.execute(sa.update(Notification)
                        .where(Notification.id.in_([row[0] for row in rows]))
                        .values(heartbeat_at=now, recoveries=Notification.recoveries + 1)
                        .execution_options(synchronize_session=False))
    return [tuple(row) for row in rows]
