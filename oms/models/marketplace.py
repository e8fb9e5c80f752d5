"""What the OMS keeps about the malls: each order's state at its mall, each shop's import
progress, the outcome of every order a refresh job touches, failures with the mall's
message, and stock uploads waiting for the operator's confirmation."""

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from oms.models.base import Base, BigId, utcnow


class MallOrderState(Base):
    """The order as its mall last described it (one row per imported order)."""

    __tablename__ = "mall_order_states"

    order_id: Mapped[int] = mapped_column(
        BigId, sa.ForeignKey("orders.id", ondelete="CASCADE"), primary_key=True)
    mall_status: Mapped[str] = mapped_column(sa.String(64))
    # The mall's own last-update time: an older answer never overwrites a newer one.
    mall_updated_at: Mapped[datetime | None]
    fetched_at: Mapped[datetime] = mapped_column(default=utcnow)


class ShopSync(Base):
    """Import progress of one shop: the mall's update time it has read up to."""

    __tablename__ = "shop_syncs"

    shop_id: Mapped[int] = mapped_column(
        sa.ForeignKey("shops.id", ondelete="CASCADE"), primary_key=True)
    watermark: Mapped[datetime | None]
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    succeeded_at: Mapped[datetime | None]
    inserted: Mapped[int] = mapped_column(default=0)
    updated: Mapped[int] = mapped_column(default=0)
    error: Mapped[str | None] = mapped_column(sa.Text)


class MallSyncFailure(Base):
    """An order the OMS could not import, refresh or report, with the mall's message."""

    __tablename__ = "mall_sync_failures"
    __table_args__ = (sa.Index("ix_mall_sync_failures_shop_id_id", "shop_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    shop_id: Mapped[int] = mapped_column(sa.ForeignKey("shops.id", ondelete="CASCADE"))
    mall_order_id: Mapped[str | None] = mapped_column(sa.String(64))
    order_id: Mapped[int | None] = mapped_column(
        BigId, sa.ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    notification_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("notifications.id", ondelete="CASCADE"), index=True)
    # import, refresh, confirm, ship, cancel
    action: Mapped[str] = mapped_column(sa.String(16))
    message: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class NumberCounter(Base):
    """The next free number of a series (order numbers for imported orders)."""

    __tablename__ = "number_counters"

    name: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    value: Mapped[int] = mapped_column(sa.BigInteger)


class StockUpload(Base):
    """A checked inventory CSV: applied only when the operator confirms it."""

    __tablename__ = "stock_uploads"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    filename: Mapped[str] = mapped_column(sa.String(255))
    # [[sku_id, sku_code, location, quantity], ...] of the good rows
    rows: Mapped[list[Any]] = mapped_column(sa.JSON, default=list)
    # [[line number, message], ...]
    errors: Mapped[list[Any]] = mapped_column(sa.JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    applied_at: Mapped[datetime | None]
