"""Durable job records (通知ログ): create, progress, finish, cancel, list."""

from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from oms.models import JobState, Notification
from oms.models.base import utcnow
from oms.services.actor import Person


class JobCancelled(Exception):
    """Raised inside a job when its operator asked it to stop."""


def create(session: Session, kind: str, user: Person | None, params: dict[str, Any]
           ) -> Notification:
    note = Notification(kind=kind, user_id=user.id if user else None, params=params)
    session.add(note)
    session.flush()
    return note


def visible_to(user: Person) -> sa.ColumnElement[bool]:
    """Operators see their own jobs, admins everyone's."""
    return sa.true() if user.is_admin else Notification.user_id == user.id


def list_for(session: Session, user: Person, *, limit: int = 100) -> list[Notification]:
    return list(
        session.scalars(
            sa.select(Notification)
            .where(visible_to(user))
            .order_by(Notification.id.desc())
            .limit(limit)
        )
    )


def get_for(session: Session, user: Person, notification_id: int) -> Notification | None:
    return session.scalar(
        sa.select(Notification).where(Notification.id == notification_id, visible_to(user))
    )


def mark_running(session: Session, note: Notification, total: int) -> None:
    note.state = JobState.running
    note.started_at = note.started_at or utcnow()
    note.total = total
    note.done = 0
    note.failed = 0


def finish(session: Session, note: Notification, state: JobState, error: str | None = None
           ) -> None:
    note.state = state
    note.error = error
    note.finished_at = utcnow()


def request_cancel(session: Session, note: Notification) -> bool:
    """Ask a queued or running job to stop after its current chunk."""
    if note.state.finished:
        return False
    note.cancel_requested = True
    if note.state is JobState.queued:
        finish(session, note, JobState.cancelled)
    return True


class Outcome(StrEnum):
    """What a job's badge says: its state, told apart by its targets once it succeeded."""

    queued = "queued"
    running = "running"
    succeeded = "succeeded"  # every target done (skipped ones included)
    partial = "partial"  # ran to its end, but some targets failed
    failed = "failed"  # stopped by an error, or every target failed
    cancelled = "cancelled"


def outcome(note: Notification) -> Outcome:
    """The badge of a job: 成功 / 一部失敗 (n件) / 失敗 / キャンセル済 (or still waiting,
    running). A job that ran to its end with failed targets did not simply succeed."""
    if note.state is not JobState.succeeded:
        return Outcome(note.state.value)
    if not note.failed:
        return Outcome.succeeded
    return Outcome.failed if note.total and note.failed >= note.total else Outcome.partial
