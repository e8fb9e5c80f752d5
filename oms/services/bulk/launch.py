"""Starting bulk jobs: freeze the targets, record the job; and undo, cancel."""

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from oms.models import (
    BulkJob,
    BulkSelection,
    JobState,
    JobTarget,
    Notification,
    Order,
    TargetState,
)
from oms.services import jobs, notifications
from oms.services.actor import Person
from oms.services.bulk import operations
from oms.services.bulk.operations.base import Operation, Options
from oms.services.bulk.step import KIND


class BulkError(ValueError):
    """The bulk update cannot start; the message says why."""


def _create(session: Session, user: Person, operation: Operation, options: Options, *,
            source, kind, search=None, file_name=None, undo_of_id=None, ip=None,
            locale="ja") -> BulkJob:
    note = notifications.create(session, KIND, user,
                                {"operation": operation.key, "locale": locale})
    job = BulkJob(id=note.id, kind=kind, operation=operation.key, options=options,
                  source=source, search=search, file_name=file_name, undo_of_id=undo_of_id,
                  ip=ip, locale=locale)
    session.add(job)
    session.flush()
    return job


def freeze_targets(session: Session, job_id: int, where: list[sa.ColumnElement[bool]]) -> int:
    """One INSERT ... SELECT: the targets and their versions at this moment, in id order
    (chunks then lock orders in one order, so concurrent jobs cannot deadlock)."""
    targets = (sa.select(sa.literal(job_id), Order.id, Order.version,
                         sa.literal(TargetState.pending.value))
               .where(*where).order_by(Order.id))
    session.execute(sa.insert(JobTarget).from_select(
        ["job_id", "order_id", "version", "state"], targets))
    return session.scalar(sa.select(sa.func.count()).select_from(JobTarget)
                          .where(JobTarget.job_id == job_id)) or 0


def start(session: Session, selection: BulkSelection, operation: Operation, options: Options,
          where: list[sa.ColumnElement[bool]], user: Person, *, ip: str | None, locale: str
          ) -> tuple[BulkJob, bool]:
    """Record the job and freeze its targets; flushes. (job, created): the selection's
    existing job is returned when 確定 is pressed twice."""
    # Locked: a double click's second request waits here and then finds the first's job.
    session.refresh(selection, with_for_update=True)
    if selection.job_id is not None:
        existing = session.get(BulkJob, selection.job_id)
        if existing is not None:
            return existing, False
    if not operations.allowed(operation, user):
        raise BulkError(str(_l("Only administrators may use this operation.")))
    job = _create(session, user, operation, options, source=selection.source,
                  kind=selection.kind, search=selection.search,
                  file_name=selection.file_name, ip=ip, locale=locale)
    total = freeze_targets(session, job.id, where)
    if total == 0:
        raise BulkError(str(_l("None of the selected orders exists any more.")))
    job.notification.total = total
    selection.job_id = job.id
    session.flush()
    jobs.queue_after_commit(session, job.id, KIND, jobs.parallel_lanes(session), long=True)
    return job, True


def undo_of(session: Session, job: BulkJob) -> BulkJob | None:
    """The undo of this job, unless it failed or was cancelled before doing anything."""
    return session.scalar(
        sa.select(BulkJob).join(Notification, Notification.id == BulkJob.id)
        .where(BulkJob.undo_of_id == job.id,
               ~((Notification.state.in_([JobState.failed, JobState.cancelled]))
                 & (Notification.done == 0)))
        .order_by(BulkJob.id.desc()).limit(1))


def undo_refusal(session: Session, job: BulkJob) -> str | None:
    """Why this job cannot be undone now, or None."""
    operation = operations.get(job.operation)
    if operation is None or not operation.undoable:
        return str(_l("This operation cannot be undone."))
    if not job.notification.state.finished:
        return str(_l("The bulk update is still running."))
    if job.succeeded == 0:
        return str(_l("The bulk update changed no order."))
    if (done := undo_of(session, job)) is not None:
        return str(_l("Already undone by bulk update #%(id)d.", id=done.id))
    return None


def start_undo(session: Session, job: BulkJob, user: Person, *, ip: str | None, locale: str
               ) -> BulkJob:
    """An undo is a bulk job of its own, over the orders the job changed."""
    if reason := undo_refusal(session, job):
        raise BulkError(reason)
    undo = _create(session, user, operations.get("undo"), {"of": job.id}, source=job.source,
                   kind=job.kind, search=job.search, file_name=job.file_name,
                   undo_of_id=job.id, ip=ip, locale=locale)
    changed = sa.select(JobTarget.order_id).where(JobTarget.job_id == job.id,
                                                 JobTarget.state == TargetState.ok)
    undo.notification.total = freeze_targets(session, undo.id, [
        Order.id.in_(changed), Order.deleted_at.is_(None)])
    session.flush()
    jobs.queue_after_commit(session, undo.id, KIND, jobs.parallel_lanes(session), long=True)
    return undo


def cancel(session: Session, job: BulkJob) -> bool:
    """Ask the job to stop after its current chunk (False when it has finished)."""
    return notifications.request_cancel(session, job.notification)

