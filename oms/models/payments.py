"""How customers pay."""

from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from oms.models.base import Base, enum_column


class PaymentKind(StrEnum):
    card = "card"
    cod = "cod"
    prepaid_bank = "prepaid_bank"
    prepaid_konbini = "prepaid_konbini"
    deferred_np = "deferred_np"
    deferred_gmo = "deferred_gmo"
    zero_yen = "zero_yen"
    points = "points"


class PaymentStatus(StrEnum):
    """決済状況."""

    unpaid = "unpaid"
    authorized = "authorized"
    auth_failed = "auth_failed"
    captured = "captured"
    paid = "paid"
    deferred_approved = "deferred_approved"
    voided = "voided"
    refunded = "refunded"
    not_required = "not_required"


class PaymentMethod(Base):
    __tablename__ = "payment_methods"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    name: Mapped[str] = mapped_column(sa.String(64))
    kind: Mapped[PaymentKind] = mapped_column(enum_column(PaymentKind, 24))
    fee: Mapped[int] = mapped_column(default=0)
    # A method chosen only by a logged-in customer cannot be set afterwards (seed 002).
    requires_login: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)
