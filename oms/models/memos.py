"""Operator memos on an order (seed 003 運営者メモ)."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from oms.models.base import Base, BigId, utcnow


class OrderMemo(Base):
    __tablename__ = "order_memos"
    __table_args__ = (sa.Index("ix_order_memos_order_id_id", "order_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    order_id: Mapped[int] = mapped_column(BigId, sa.ForeignKey("orders.id", ondelete="CASCADE"))
    body: Mapped[str] = mapped_column(sa.Text)
    important: Mapped[bool] = mapped_column(default=False)
    pinned: Mapped[bool] = mapped_column(default=False)
    # Written by the system (jobs, imports): shown, never edited or deleted.
    system: Mapped[bool] = mapped_column(default=False)
    # Author, kept as text too, so the memo still names them if the account is removed.
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    author_name: Mapped[str | None] = mapped_column(sa.String(64))
    author_ip: Mapped[str | None] = mapped_column(sa.String(45))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime | None]
