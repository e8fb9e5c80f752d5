"""Customers, their saved addresses and blacklist state."""

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from oms.models.base import Base, enum_column, utcnow


class BlacklistStatus(StrEnum):
    clear = "clear"
    candidate = "candidate"
    blacklisted = "blacklisted"


class Customer(Base):
    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_number: Mapped[str] = mapped_column(sa.String(16), unique=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    kana: Mapped[str | None] = mapped_column(sa.String(100))
    email: Mapped[str | None] = mapped_column(sa.String(254), index=True)
    phone: Mapped[str | None] = mapped_column(sa.String(20))
    blacklist_status: Mapped[BlacklistStatus] = mapped_column(
        enum_column(BlacklistStatus, 16), default=BlacklistStatus.clear, index=True
    )
    blacklist_reason: Mapped[str | None] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    addresses: Mapped[list["CustomerAddress"]] = relationship(
        back_populates="customer", order_by="CustomerAddress.id"
    )


class AddressKind(StrEnum):
    billing = "billing"
    shipping = "shipping"


class CustomerAddress(Base):
    __tablename__ = "customer_addresses"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(sa.ForeignKey("customers.id"), index=True)
    kind: Mapped[AddressKind] = mapped_column(enum_column(AddressKind, 16))
    name: Mapped[str] = mapped_column(sa.String(100))
    kana: Mapped[str | None] = mapped_column(sa.String(100))
    postcode: Mapped[str | None] = mapped_column(sa.String(8))
    prefecture: Mapped[str | None] = mapped_column(sa.String(8))
    address1: Mapped[str | None] = mapped_column(sa.String(200))
    address2: Mapped[str | None] = mapped_column(sa.String(200))
    phone: Mapped[str | None] = mapped_column(sa.String(20))
    country: Mapped[str] = mapped_column(sa.String(2), default="JP")

    customer: Mapped[Customer] = relationship(back_populates="addresses")
