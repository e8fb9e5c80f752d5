"""Bulk updates (seed 004): a selection being set up, the job, and one outcome per target.

A bulk job is a Notification (通知ログ) with more to say: the record's state, operator,
timings, cancel flag and done/failed counts live in `notifications`; `bulk_jobs` shares its
id and adds the operation, its options and what the targets were chosen from.
"""

from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from oms.models.base import Base, BigId, enum_column, utcnow
from oms.models.notifications import Notification


class SelectionSource(StrEnum):
    selected = "selected"  # rows checked on the list
    search = "search"  # every order of a search (select-all)
    csv = "csv"  # order numbers from an uploaded file


class BulkSelection(Base):
    """What the operator chose to act on, kept while the wizard runs (a draft).

    Checked rows and CSV numbers are stored as rows of `bulk_selection_orders`; a search is
    stored as its query string and evaluated again when the targets are frozen.
    """

    __tablename__ = "bulk_selections"
    __table_args__ = (sa.Index("ix_bulk_selections_user_id_id", "user_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(16), default="orders")
    source: Mapped[SelectionSource] = mapped_column(enum_column(SelectionSource, 16))
    search: Mapped[str | None] = mapped_column(sa.String(2000))
    file_name: Mapped[str | None] = mapped_column(sa.String(255))
    count: Mapped[int] = mapped_column(default=0)
    # What reading an uploaded file found (encoding, header, bad lines): its result page
    # shows it again after the upload's redirect (oms.services.bulk.csv_selection).
    report: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    # Set when a job was started from it: pressing 確定 twice starts one job.
    job_id: Mapped[int | None] = mapped_column(sa.ForeignKey("notifications.id",
                                                             ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


bulk_selection_orders = sa.Table(
    "bulk_selection_orders",
    Base.metadata,
    sa.Column("selection_id", sa.ForeignKey("bulk_selections.id", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("order_id", BigId, primary_key=True),
)


class BulkJob(Base):
    __tablename__ = "bulk_jobs"
    __table_args__ = (sa.Index("ix_bulk_jobs_undo_of_id", "undo_of_id"),)

    id: Mapped[int] = mapped_column(sa.ForeignKey("notifications.id", ondelete="CASCADE"),
                                    primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(16), default="orders")
    operation: Mapped[str] = mapped_column(sa.String(32))
    options: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    source: Mapped[SelectionSource] = mapped_column(enum_column(SelectionSource, 16))
    search: Mapped[str | None] = mapped_column(sa.String(2000))
    file_name: Mapped[str | None] = mapped_column(sa.String(255))
    undo_of_id: Mapped[int | None] = mapped_column(sa.ForeignKey("bulk_jobs.id"))
    # Where the operator confirmed from, for the audit rows the job writes.
    ip: Mapped[str | None] = mapped_column(sa.String(45))
    locale: Mapped[str] = mapped_column(sa.String(8), default="ja")

    notification: Mapped[Notification] = relationship(lazy="joined", innerjoin=True)
    undo_of: Mapped["BulkJob | None"] = relationship(remote_side=[id])

    @property
    def skipped(self) -> int:
        return self.notification.skipped

    @property
    def succeeded(self) -> int:
        note = self.notification
        return note.done - note.failed - note.skipped
