"""Customer consultations about an order (seed 003 お問い合わせ対応)."""

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from oms.models.base import Base, BigId, enum_column, utcnow


class InquiryCategory(StrEnum):
    product = "product"
    delivery = "delivery"
    payment = "payment"
    cancel_return = "cancel_return"
    other = "other"


class InquiryResult(StrEnum):
    open = "open"
    in_progress = "in_progress"
    completed = "completed"  # read-only from then on (seed 003)


class Inquiry(Base):
    __tablename__ = "inquiries"
    __table_args__ = (sa.Index("ix_inquiries_order_id_id", "order_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    order_id: Mapped[int] = mapped_column(BigId, sa.ForeignKey("orders.id", ondelete="CASCADE"))
    # Who consulted, as the order named them when the consultation was registered.
    customer_name: Mapped[str] = mapped_column(sa.String(100))
    category: Mapped[InquiryCategory] = mapped_column(enum_column(InquiryCategory, 16))
    content: Mapped[str | None] = mapped_column(sa.Text)
    reply: Mapped[str | None] = mapped_column(sa.Text)
    result: Mapped[InquiryResult] = mapped_column(
        enum_column(InquiryResult, 16), default=InquiryResult.open)
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_by_name: Mapped[str | None] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_name: Mapped[str | None] = mapped_column(sa.String(64))
    updated_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]

    @property
    def locked(self) -> bool:
        return self.result is InquiryResult.completed
