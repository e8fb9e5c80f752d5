"""Parcels sent for an order."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from oms.models.base import Base, utcnow


class Shipment(Base):
    __tablename__ = "shipments"
    __table_args__ = (
        # Pattern ops: serves exact and prefix search of tracking numbers in any collation.
        sa.Index("ix_shipments_tracking_number", "tracking_number",
                 postgresql_ops={"tracking_number": "varchar_pattern_ops"}),
    )

    id: Mapped[int] = mapped_column(sa.BigInteger().with_variant(sa.Integer, "sqlite"),
                                    primary_key=True)
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("orders.id"), index=True)
    carrier: Mapped[str] = mapped_column(sa.String(32))
    method: Mapped[str | None] = mapped_column(sa.String(32))
    tracking_number: Mapped[str | None] = mapped_column(sa.String(32))
    shipped_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    order: Mapped["Order"] = relationship(back_populates="shipments")  # noqa: F821


class ShipmentLine(Base):
    """Which order lines, and how many of each, a shipment carries."""

    __tablename__ = "shipment_lines"

    id: Mapped[int] = mapped_column(sa.BigInteger().with_variant(sa.Integer, "sqlite"),
                                    primary_key=True)
    shipment_id: Mapped[int] = mapped_column(
        sa.BigInteger().with_variant(sa.Integer, "sqlite"),
        sa.ForeignKey("shipments.id", ondelete="CASCADE"), index=True)
    order_line_id: Mapped[int] = mapped_column(
        sa.BigInteger().with_variant(sa.Integer, "sqlite"), sa.ForeignKey("order_lines.id"))
    quantity: Mapped[int]
