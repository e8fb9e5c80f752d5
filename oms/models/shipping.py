"""Parcels sent for an order, the 出荷指示 files and 出荷確定 imports that make them, and
what each mall was told about them."""

from datetime import date, datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from oms.models.base import Base, BigId, enum_column, utcnow


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
    # 配送伝票の種類 as written on the 出荷指示 file, and its 出荷予定日.
    service: Mapped[str | None] = mapped_column(sa.String(32))
    ship_date: Mapped[date | None]
    export_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("shipping_exports.id", ondelete="SET NULL"))
    # Indexed: an import's result page counts its shipments among millions.
    import_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("shipment_imports.id", ondelete="SET NULL"), index=True)
    # Set when 出荷済み → 出荷待ち takes the parcel back; the number stays for history.
    voided_at: Mapped[datetime | None]
    # The mall's id for this parcel (Rakuten shippingDetailId), for later corrections.
    mall_ref: Mapped[str | None] = mapped_column(sa.String(64))

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


class ShippingExport(Base):
    """One 出荷指示 file: the history of what was sent to the label software.

    Its id is the job's notification id; the file is that notification's result_path.
    """

    __tablename__ = "shipping_exports"

    id: Mapped[int] = mapped_column(sa.ForeignKey("notifications.id", ondelete="CASCADE"),
                                    primary_key=True)
    carrier_id: Mapped[int] = mapped_column(sa.ForeignKey("carriers.id"))
    service_id: Mapped[int | None] = mapped_column(sa.ForeignKey("carrier_services.id"))
    format: Mapped[str] = mapped_column(sa.String(16))
    ship_date: Mapped[date]
    encoding: Mapped[str] = mapped_column(sa.String(16), default="cp932")
    reprint: Mapped[bool] = mapped_column(default=False)
    order_count: Mapped[int] = mapped_column(default=0)
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ShipmentImport(Base):
    """A checked 出荷確定 file: applied only when the operator confirms it."""

    __tablename__ = "shipment_imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    file_name: Mapped[str] = mapped_column(sa.String(255))
    format: Mapped[str] = mapped_column(sa.String(16))
    encoding: Mapped[str] = mapped_column(sa.String(16))
    rows: Mapped[list[Any]] = mapped_column(sa.JSON, default=list)
    # [[line number, message], ...]
    errors: Mapped[list[Any]] = mapped_column(sa.JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    applied_at: Mapped[datetime | None]
    notification_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("notifications.id", ondelete="SET NULL"))


class ReportChannel(StrEnum):
    """How a mall learns a tracking number: its API, or a file the operator uploads."""

    api = "api"
    rakuten_csv = "rakuten_csv"
    amazon_tsv = "amazon_tsv"


class ReportState(StrEnum):
    pending = "pending"   # 荷物番号報告中 (要確認 once pending for an hour)
    ok = "ok"             # 報告済
    failed = "failed"     # 報告NG, with the mall's message


class TrackingReport(Base):
    """荷物番号報告: one per shipment and channel, so a number is never reported twice."""

    __tablename__ = "tracking_reports"
    __table_args__ = (
        sa.UniqueConstraint("shipment_id", "channel"),
        sa.Index("ix_tracking_reports_open", "state", "requested_at",
                 postgresql_where=sa.text("state <> 'ok'"),
                 sqlite_where=sa.text("state <> 'ok'")),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    shipment_id: Mapped[int] = mapped_column(
        BigId, sa.ForeignKey("shipments.id", ondelete="CASCADE"))
    order_id: Mapped[int] = mapped_column(
        BigId, sa.ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    shop_id: Mapped[int] = mapped_column(sa.ForeignKey("shops.id"))
    channel: Mapped[ReportChannel] = mapped_column(enum_column(ReportChannel, 16))
    state: Mapped[ReportState] = mapped_column(enum_column(ReportState, 16),
                                               default=ReportState.pending)
    attempts: Mapped[int] = mapped_column(default=0)
    error: Mapped[str | None] = mapped_column(sa.String(500))
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    reported_at: Mapped[datetime | None]
    notification_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("notifications.id", ondelete="SET NULL"))
