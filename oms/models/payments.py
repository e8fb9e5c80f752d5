"""How customers pay, and the ledger of every payment effect (SCOPE P4)."""

from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from oms.models.base import Base, BigId, enum_column, utcnow


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
    authorizing = "authorizing"  # オーソリ中: asked, the answer not in yet
    authorized = "authorized"  # オーソリ済 (仮売上)
    auth_failed = "auth_failed"  # 与信NG
    capturing = "capturing"  # 売上請求中
    captured = "captured"  # 売上請求済 (実売上)
    paid = "paid"
    deferred_registered = "deferred_registered"  # 与信待ち: registered with NP / GMO
    deferred_hold = "deferred_hold"  # 与信保留
    deferred_approved = "deferred_approved"  # 与信済
    voided = "voided"
    refunded = "refunded"
    not_required = "not_required"


class Gateway(StrEnum):
    """Who moves the money of a payment method."""

    card = "card"  # our card gateway (the own shop)
    rakuten_card = "rakuten_card"  # 楽天カード決済API: answers later (pending, then done)
    np = "np"  # NP後払い
    gmo = "gmo"  # GMO後払い


class CardPlan(StrEnum):
    """How a card payment is split (分割回数 only for installments)."""

    lump = "lump"  # 一括
    installments = "installments"  # 分割
    revolving = "revolving"  # リボ


class DeferredVariant(StrEnum):
    np = "np"  # NP後払い
    np_wiz = "np_wiz"  # NP後払いwiz
    gmo = "gmo"  # GMO後払い


class TransactionKind(StrEnum):
    authorize = "authorize"
    reauthorize = "reauthorize"
    capture = "capture"
    void = "void"
    refund = "refund"
    deferred_register = "deferred_register"
    deferred_result = "deferred_result"
    ship_report = "ship_report"
    ship_report_result = "ship_report_result"
    manual_status = "manual_status"  # 状態のみ変更: no gateway call


class TransactionState(StrEnum):
    pending = "pending"  # the intent is recorded; the call may not have happened yet
    succeeded = "succeeded"
    failed = "failed"  # the gateway said no: no effect
    unknown = "unknown"  # the answer was lost: retried with the same key


class DeferredResult(StrEnum):
    """The deferred-payment provider's credit verdict (NP 00/10/20, GMO OK/保留/NG/審査中)."""

    ok = "ok"
    hold = "hold"
    ng = "ng"
    review = "review"


class ShipReportState(StrEnum):
    """出荷報告 of a deferred-payment order to its provider."""

    none = "none"
    pending = "pending"
    ok = "ok"
    ng = "ng"


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
    gateway: Mapped[Gateway | None] = mapped_column(enum_column(Gateway, 16))
    card_plan: Mapped[CardPlan | None] = mapped_column(enum_column(CardPlan, 16))
    deferred_variant: Mapped[DeferredVariant | None] = mapped_column(
        enum_column(DeferredVariant, 16))


class PaymentTransaction(Base):
    """決済履歴: one row per payment effect asked of a gateway or provider, or per manual
    status change. The idempotency key is unique: the row is the intent, written before
    the call, and a retry after any failure calls again with the same key (RELIABILITY B)."""

    __tablename__ = "payment_transactions"
    __table_args__ = (
        sa.Index("ix_payment_transactions_order_id_id", "order_id", "id"),
        # The recovery scan: only the few rows still in doubt are indexed.
        sa.Index("ix_payment_transactions_open", "state", "created_at",
                 postgresql_where=sa.text("state IN ('pending', 'unknown')"),
                 sqlite_where=sa.text("state IN ('pending', 'unknown')")),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    order_id: Mapped[int] = mapped_column(BigId, sa.ForeignKey("orders.id", ondelete="CASCADE"))
    kind: Mapped[TransactionKind] = mapped_column(enum_column(TransactionKind, 24))
    gateway: Mapped[Gateway | None] = mapped_column(enum_column(Gateway, 16))
    amount: Mapped[int] = mapped_column(default=0)
    state: Mapped[TransactionState] = mapped_column(enum_column(TransactionState, 16),
                                                    default=TransactionState.pending)
    idempotency_key: Mapped[str] = mapped_column(sa.String(128), unique=True)
    # The gateway's transaction id, NP's np_transaction_id, GMO's gmoTransactionId.
    external_ref: Mapped[str | None] = mapped_column(sa.String(64))
    # NP 00/10/20/40, an NG reason such as NG999, GMO OK/NG/審査中/保留, a decline code.
    result_code: Mapped[str | None] = mapped_column(sa.String(32))
    message: Mapped[str | None] = mapped_column(sa.String(500))
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    user_name: Mapped[str | None] = mapped_column(sa.String(64))
    via: Mapped[str | None] = mapped_column(sa.String(32))
    notification_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("notifications.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]


class DeferredFile(StrEnum):
    """The files exchanged with NP / GMO (seed 001 §1, §5)."""

    credit = "credit"  # 取引登録 out, 与信結果 back
    ship = "ship"  # 配送伝票 out, 出荷報告結果 back


class DeferredImport(Base):
    """A checked 与信結果 or 出荷報告結果 file: applied only when the operator confirms it
    (oms.services.deferred_import)."""

    __tablename__ = "deferred_imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    file: Mapped[DeferredFile] = mapped_column(enum_column(DeferredFile, 8))
    gateway: Mapped[Gateway] = mapped_column(enum_column(Gateway, 16))
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    file_name: Mapped[str] = mapped_column(sa.String(255))
    # [[line, order id, order number, result, provider ref, reason], ...]
    rows: Mapped[list[Any]] = mapped_column(sa.JSON, default=list)
    # [[line, message, kind], ...]: kind error, unknown (no such order) or done (imported)
    errors: Mapped[list[Any]] = mapped_column(sa.JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    applied_at: Mapped[datetime | None]
    # The job that applies a large file (oms.services.deferred_import.apply_job).
    notification_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("notifications.id", ondelete="SET NULL"))
