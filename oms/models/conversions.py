"""Outbound conversion notifications (seed 002 成果通知): the settings, and the log of what
was sent for an order (成果通知ログ)."""

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from oms.models.base import Base, BigId, enum_column


class ConversionEvent(StrEnum):
    order_created = "order_created"
    shipped = "shipped"


class ConversionSetting(Base):
    """成果通知設定: a URL (with tags such as {受注番号}) called on an order event."""

    __tablename__ = "conversion_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    url: Mapped[str] = mapped_column(sa.String(500))
    method: Mapped[str] = mapped_column(sa.String(4), default="GET")
    event: Mapped[ConversionEvent] = mapped_column(enum_column(ConversionEvent, 16))
    active: Mapped[bool] = mapped_column(default=True)


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
