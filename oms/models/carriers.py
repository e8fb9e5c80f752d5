"""配送業者管理: carriers, their services and time slots with every partner's code for them.

Orders keep the carrier's name, the service's name and the slot's label as text, so a
deactivated carrier leaves the orders that use it untouched (seed 002).
"""

from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from oms.models.base import Base, enum_column


class CarrierFormat(StrEnum):
    """The label software a carrier's 出荷指示 file is written for."""

    b2 = "b2"            # Yamato B2クラウド
    ehiden2 = "ehiden2"  # Sagawa e飛伝II (便種対応版)
    yupri = "yupri"      # Japan Post ゆうプリR
    none = "none"        # no label software: no 出荷指示 file


class Carrier(Base):
    __tablename__ = "carriers"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    name: Mapped[str] = mapped_column(sa.String(32), unique=True)
    file_format: Mapped[CarrierFormat] = mapped_column(enum_column(CarrierFormat, 16),
                                                      default=CarrierFormat.none)
    # Partner codes (FORMATS.md 11); Amazon's "Other" needs the name beside it.
    amazon_code: Mapped[str] = mapped_column(sa.String(64), default="Other")
    amazon_name: Mapped[str | None] = mapped_column(sa.String(50))
    rakuten_code: Mapped[str] = mapped_column(sa.String(8), default="1000")
    qoo10_name: Mapped[str | None] = mapped_column(sa.String(64))
    yahoo_code: Mapped[str | None] = mapped_column(sa.String(16))
    np_code: Mapped[str | None] = mapped_column(sa.String(16))
    gmo_code: Mapped[str | None] = mapped_column(sa.String(16))
    # "https://…?number={number}"; the number is inserted as digits.
    tracking_url: Mapped[str | None] = mapped_column(sa.String(255))
    # A full-match regex for its tracking numbers (after stripping hyphens and spaces), and
    # how to say it to an operator ("12桁").
    tracking_pattern: Mapped[str | None] = mapped_column(sa.String(100))
    tracking_hint: Mapped[str | None] = mapped_column(sa.String(32))
    # The largest 代引 amount the carrier collects (yen); None: no COD.
    cod_limit: Mapped[int | None]
    active: Mapped[bool] = mapped_column(default=True)
    position: Mapped[int] = mapped_column(default=0)

    services: Mapped[list["CarrierService"]] = relationship(
        back_populates="carrier", order_by="CarrierService.position",
        cascade="all, delete-orphan")
    time_slots: Mapped[list["CarrierTimeSlot"]] = relationship(
        back_populates="carrier", order_by="CarrierTimeSlot.position",
        cascade="all, delete-orphan")


class CarrierService(Base):
    """配送方法 / 配送伝票の種類: 宅急便, ネコポス, 飛脚宅配便, ゆうパック …"""

    __tablename__ = "carrier_services"
    __table_args__ = (sa.UniqueConstraint("carrier_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    carrier_id: Mapped[int] = mapped_column(sa.ForeignKey("carriers.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(sa.String(32))
    # B2 送り状種類, e飛伝 便種(スピード), ゆうプリ 郵便種別 — as the carrier's format reads it.
    slip_code: Mapped[str] = mapped_column(sa.String(8))
    # The slip for 代引 (B2 2 コレクト, ゆうプリ 2); None: the service does not collect.
    cod_slip_code: Mapped[str | None] = mapped_column(sa.String(8))
    active: Mapped[bool] = mapped_column(default=True)
    position: Mapped[int] = mapped_column(default=0)

    carrier: Mapped[Carrier] = relationship(back_populates="services")


class CarrierTimeSlot(Base):
    """お届け時間帯, with each label software's code for it."""

    __tablename__ = "carrier_time_slots"
    __table_args__ = (sa.UniqueConstraint("carrier_id", "label"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    carrier_id: Mapped[int] = mapped_column(sa.ForeignKey("carriers.id", ondelete="CASCADE"))
    label: Mapped[str] = mapped_column(sa.String(16))
    b2_code: Mapped[str | None] = mapped_column(sa.String(8))
    ehiden_code: Mapped[str | None] = mapped_column(sa.String(8))
    yupri_code: Mapped[str | None] = mapped_column(sa.String(8))
    active: Mapped[bool] = mapped_column(default=True)
    position: Mapped[int] = mapped_column(default=0)

    carrier: Mapped[Carrier] = relationship(back_populates="time_slots")
