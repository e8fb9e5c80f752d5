"""The recipient change history of an order (seed 003 受取人情報の修正履歴)."""

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from oms.models.base import Base, BigId, utcnow


class RecipientChange(Base):
    __tablename__ = "recipient_changes"
    __table_args__ = (sa.Index("ix_recipient_changes_order_id_id", "order_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    order_id: Mapped[int] = mapped_column(BigId, sa.ForeignKey("orders.id", ondelete="CASCADE"))
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    username: Mapped[str | None] = mapped_column(sa.String(64))
    ip: Mapped[str | None] = mapped_column(sa.String(45))
    # The recipient fields that changed: {column: value} before and after.
    before: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    after: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
