"""Outbound conversion notifications sent for an order (seed 002 成果通知ログ)."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from oms.models.base import Base, BigId


class ConversionNotice(Base):
    __tablename__ = "conversion_notices"
    __table_args__ = (sa.Index("ix_conversion_notices_order_id_id", "order_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    order_id: Mapped[int] = mapped_column(BigId, sa.ForeignKey("orders.id", ondelete="CASCADE"))
    sent_at: Mapped[datetime]
    setting_id: Mapped[str] = mapped_column(sa.String(32))
    setting_name: Mapped[str] = mapped_column(sa.String(100))
    url: Mapped[str] = mapped_column(sa.String(500))
    response_status: Mapped[str | None] = mapped_column(sa.String(32))
    response_message: Mapped[str | None] = mapped_column(sa.Text)
    error_message: Mapped[str | None] = mapped_column(sa.Text)
