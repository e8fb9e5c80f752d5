"""The durable record of a background job: the notification log (通知ログ) lists these."""

from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from oms.models.base import Base, enum_column, utcnow
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
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]

    user: Mapped[User | None] = relationship()

    @property
    def percent(self) -> int:
        if self.state is JobState.succeeded:
            return 100
        return min(100, self.done * 100 // self.total) if self.total else 0
