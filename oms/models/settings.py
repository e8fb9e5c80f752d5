"""What admins configure: shops (one per mall account) and the lists orders pick from."""

from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from oms.models.base import Base, enum_column


class MallKind(StrEnum):
    amazon = "amazon"
    rakuten = "rakuten"
    qoo10 = "qoo10"
    yahoo = "yahoo"
    own = "own"


class Shop(Base):
    __tablename__ = "shops"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    kind: Mapped[MallKind] = mapped_column(enum_column(MallKind, 16))
    # Qoo10 can confirm orders by itself (seed 000): they then skip the "new" tab.
    auto_confirm: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)
    api_endpoint: Mapped[str | None] = mapped_column(sa.String(255))
    settings: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    # The mall API credentials, Fernet-encrypted (oms.crypto); never shown back in full.
    credentials: Mapped[str | None] = mapped_column(sa.Text)
    # Minutes between scheduled imports from the mall; 0 turns polling off.
    poll_minutes: Mapped[int] = mapped_column(default=5, server_default="5")


class DateStamp(StrEnum):
    """Which timeline date a handling status fills when it is empty (seed 002)."""

    none = "none"
    shipped = "shipped"
    delivered = "delivered"


class HandlingStatus(Base):
    """対応状況: the operator-defined working state of an order."""

    __tablename__ = "handling_statuses"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(64), unique=True)
    position: Mapped[int] = mapped_column(default=0)
    stamps: Mapped[DateStamp] = mapped_column(enum_column(DateStamp, 16), default=DateStamp.none)
    # A row in use is retired, not deleted: no longer offered, still shown where used.
    active: Mapped[bool] = mapped_column(default=True, server_default=sa.true())


class AttentionReason(Base):
    """要対応理由."""

    __tablename__ = "attention_reasons"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(64), unique=True)
    position: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True, server_default=sa.true())


class Tag(Base):
    """受注ラベル / タグ."""

    __tablename__ = "tags"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(64), unique=True)
    color: Mapped[str] = mapped_column(sa.String(16), default="gray")
    active: Mapped[bool] = mapped_column(default=True, server_default=sa.true())


# The lists below are kept by name: orders hold the text (a mall sends it as text), so a
# row's name or code is what an order refers to.

class Media(Base):
    """媒体: where an order came from (広告, 紹介 …)."""

    __tablename__ = "media"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(64), unique=True)
    position: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)


class Wrapping(Base):
    """ラッピング: its fee excludes tax; choosing it sets the order's fee and tax (M8)."""

    __tablename__ = "wrappings"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(64), unique=True)
    fee: Mapped[int] = mapped_column(default=0)
    tax_rate: Mapped[int] = mapped_column(sa.SmallInteger, default=10)
    position: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)


class StockLocation(Base):
    """在庫ロケーション: allocation tries the active ones by priority (lowest first)."""

    __tablename__ = "stock_locations"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    name: Mapped[str] = mapped_column(sa.String(64))
    priority: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)
