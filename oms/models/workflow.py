"""What the automatic workflow keeps: app-wide settings, bank accounts for prepaid
transfers, and the stock promised to order lines (在庫引当)."""

from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from oms.models.base import Base, BigId, enum_column, utcnow


class AppSetting(Base):
    """One settings group by key (oms.services.app_settings reads it with defaults)."""

    __tablename__ = "app_settings"

    key: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    value: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class AccountType(StrEnum):
    ordinary = "ordinary"  # 普通
    current = "current"  # 当座


class BankAccount(Base):
    """銀行振込の口座設定: an account customers transfer to (決済銀行)."""

    __tablename__ = "bank_accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    bank_name: Mapped[str] = mapped_column(sa.String(64))
    branch_name: Mapped[str] = mapped_column(sa.String(64))
    account_type: Mapped[AccountType] = mapped_column(enum_column(AccountType, 16))
    account_number: Mapped[str] = mapped_column(sa.String(16))
    holder_kana: Mapped[str] = mapped_column(sa.String(100))
    position: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)


class AllocationState(StrEnum):
    """受注引当済 and its neighbours (状態区分)."""

    none = "none"
    partial = "partial"
    allocated = "allocated"
    forced = "forced"


class StockAllocation(Base):
    """Stock promised to one order line. `stocks.allocated` is the sum of the active rows,
    kept in the same transaction (oms.services.allocation)."""

    __tablename__ = "stock_allocations"
    __table_args__ = (
        sa.Index("ix_stock_allocations_active", "sku_id", "location",
                 postgresql_where=sa.text("released_at IS NULL"),
                 sqlite_where=sa.text("released_at IS NULL")),
        sa.Index("ix_stock_allocations_order_id", "order_id"),
        # One active promise per line; released rows stay as history.
        sa.Index("uq_stock_allocations_active_line", "order_line_id", unique=True,
                 postgresql_where=sa.text("released_at IS NULL"),
                 sqlite_where=sa.text("released_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    order_id: Mapped[int] = mapped_column(BigId, sa.ForeignKey("orders.id", ondelete="CASCADE"))
    order_line_id: Mapped[int] = mapped_column(
        BigId, sa.ForeignKey("order_lines.id", ondelete="CASCADE"))
    sku_id: Mapped[int] = mapped_column(sa.ForeignKey("skus.id"))
    location: Mapped[str] = mapped_column(sa.String(32))
    quantity: Mapped[int] = mapped_column(sa.Integer)
    forced: Mapped[bool] = mapped_column(default=False)
    allocated_at: Mapped[datetime] = mapped_column(default=utcnow)
    released_at: Mapped[datetime | None]
