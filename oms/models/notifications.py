"""The durable record of a background job (the notification log, 通知ログ, lists these)
and, for a job over frozen targets, one row per target with its outcome."""

from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from oms.models.base import Base, BigId, enum_column, utcnow
from oms.models.users import User


class JobState(StrEnum):
    queued = "queued"
    running = "running"
    succeeded = "succeeded"
    failed = "failed"
    cancelled = "cancelled"

    @property
    def finished(self) -> bool:
        return self in {JobState.succeeded, JobState.failed, JobState.cancelled}


class Notification(Base):
    __tablename__ = "notifications"
    __table_args__ = (sa.Index("ix_notifications_user_id_id", "user_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(32))
    state: Mapped[JobState] = mapped_column(enum_column(JobState, 16), default=JobState.queued)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    params: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    total: Mapped[int] = mapped_column(default=0)
    done: Mapped[int] = mapped_column(default=0)
    failed: Mapped[int] = mapped_column(default=0)
    cancel_requested: Mapped[bool] = mapped_column(default=False)
    result_path: Mapped[str | None] = mapped_column(sa.String(255))
    result_name: Mapped[str | None] = mapped_column(sa.String(255))
    error: Mapped[str | None] = mapped_column(sa.Text)
    # What a finished job wants the operator to know besides its counts.
    summary: Mapped[str | None] = mapped_column(sa.Text)
    # Jobs over targets (oms.services.runner): counted per chunk beside done and failed.
    skipped: Mapped[int] = mapped_column(default=0)
    # Refreshed by every committed chunk; a stale one means the job lost its worker.
    heartbeat_at: Mapped[datetime | None]
    recoveries: Mapped[int] = mapped_column(default=0)
    lane_errors: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]

    user: Mapped[User | None] = relationship()

    @property
    def percent(self) -> int:
        if self.state is JobState.succeeded:
            return 100
        return min(100, self.done * 100 // self.total) if self.total else 0


class TargetState(StrEnum):
    pending = "pending"
    calling = "calling"  # its call to the outside world may be under way (two-phase steps)
    ok = "ok"
    failed = "failed"
    skipped = "skipped"


class JobTarget(Base):
    """One target of a job (an order), frozen when the job is confirmed, and its outcome:
    with the values it replaced (for undo) and, for a call to the outside world, the
    idempotency key every retry reuses."""

    __tablename__ = "job_targets"
    __table_args__ = (
        sa.UniqueConstraint("job_id", "order_id"),
        # Claiming pending targets in order, counting and listing outcomes.
        sa.Index("ix_job_targets_job_id_state_id", "job_id", "state", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    job_id: Mapped[int] = mapped_column(sa.ForeignKey("notifications.id", ondelete="CASCADE"))
    order_id: Mapped[int] = mapped_column(BigId, sa.ForeignKey("orders.id", ondelete="CASCADE"))
    # The order's version when the targets were frozen: replacing operations refuse an
    # order changed since (RELIABILITY.md C), so no one's edit is silently overwritten.
    version: Mapped[int | None]
    state: Mapped[TargetState] = mapped_column(enum_column(TargetState, 16),
                                               default=TargetState.pending)
    error: Mapped[str | None] = mapped_column(sa.Text)
    before: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    key: Mapped[str | None] = mapped_column(sa.String(80))
    claimed_at: Mapped[datetime | None]
    applied_at: Mapped[datetime | None]
