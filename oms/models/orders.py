"""Orders, their lines, tags and status history."""

from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, column_property, mapped_column, relationship

from oms.models.base import Base, BigId, enum_column, utcnow
from oms.models.cards import CustomerCard
from oms.models.catalog import Sku
from oms.models.customers import Customer
from oms.models.payments import (
    DeferredResult,
    PaymentMethod,
    PaymentStatus,
    ShipReportState,
)
from oms.models.settings import AttentionReason, HandlingStatus, Shop, Tag
from oms.models.shipping import Shipment
from oms.models.workflow import AllocationState, BankAccount


class OrderStatus(StrEnum):
    """受注進捗区分 (seed 001), grouped into the list tabs of seed 000 by TABS."""

    pending_review = "pending_review"
    awaiting_payment = "awaiting_payment"
    new = "new"
    awaiting_allocation = "awaiting_allocation"
    ready_to_ship = "ready_to_ship"
    shipping = "shipping"
    shipped = "shipped"
    awaiting_deferred_payment = "awaiting_deferred_payment"
    completed = "completed"
    on_hold = "on_hold"
    cancelled = "cancelled"
    closed = "closed"


S = OrderStatus
TABS: dict[str, tuple[OrderStatus, ...]] = {
    "all": tuple(OrderStatus),
    "waiting": (S.pending_review, S.awaiting_payment),
    "new": (S.new,),
    "processing": (S.awaiting_allocation, S.ready_to_ship, S.shipping),
    "done": (S.shipped, S.awaiting_deferred_payment, S.completed),
    "on_hold": (S.on_hold,),
    "cancelled": (S.cancelled,),
    "closed": (S.closed,),
}


def _tab_case() -> str:
    """SQL for the tab of a status, stored as a generated column so every tab is one
    equality on an index (an IN over several statuses cannot walk an ordered index)."""
    whens = " ".join(
        f"WHEN status IN ({', '.join(repr(s.value) for s in statuses)}) THEN '{tab}'"
        for tab, statuses in TABS.items()
        if tab != "all"
    )
    return f"CASE {whens} END"


# The statuses an automatic transition leaves (oms.services.auto_advance.RULES).
AUTO_FROM = (S.pending_review, S.awaiting_payment, S.new, S.awaiting_allocation,
             S.shipped, S.awaiting_deferred_payment)
AUTO_WHERE = ("auto_advance AND deleted_at IS NULL AND status IN ("
              + ", ".join(f"'{s.value}'" for s in AUTO_FROM) + ")")


class FraudCheck(StrEnum):
    ok = "OK"
    ng = "NG"
    hold = "HOLD"
    review = "REVIEW"


class LinkResult(StrEnum):
    ok = "OK"
    fail = "FAIL"


class LineStatus(StrEnum):
    awaiting_payment = "awaiting_payment"
    preparing = "preparing"
    ready_to_ship = "ready_to_ship"
    shipping_held = "shipping_held"
    awaiting_pickup = "awaiting_pickup"
    in_transit = "in_transit"
    delivered = "delivered"
    cancelled = "cancelled"


order_tags = sa.Table(
    "order_tags",
    Base.metadata,
    sa.Column("order_id", BigId, sa.ForeignKey("orders.id", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("tag_id", sa.ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True),
    sa.Index("ix_order_tags_tag_id_order_id", "tag_id", "order_id"),
)


class OrderLink(Base):
    """An order's item-link result, beside the order rather than on it: linking a million
    orders then writes this narrow table instead of rewriting the wide, heavily indexed
    order rows (oms.services.item_links keeps it; no row: not linked yet)."""

    __tablename__ = "order_links"
    __table_args__ = (
        # The list's FAIL filter: a few thousand entries, read without the table.
        sa.Index("ix_order_links_fail", "order_id",
                 postgresql_where=sa.text("result = 'FAIL'"),
                 sqlite_where=sa.text("result = 'FAIL'")),
    )

    order_id: Mapped[int] = mapped_column(
        BigId, sa.ForeignKey("orders.id", ondelete="CASCADE"), primary_key=True)
    result: Mapped[LinkResult] = mapped_column(enum_column(LinkResult, 8))


class OrderAllocation(Base):
    """An order's allocation state (受注引当済 …) and why it is not allocated, beside the
    order like OrderLink: an allocation run over 10,000 orders writes this narrow table
    instead of rewriting the wide, heavily indexed order rows. No row: nothing allocated."""

    __tablename__ = "order_allocations"
    __table_args__ = (sa.Index("ix_order_allocations_state_order_id", "state", "order_id"),)

    order_id: Mapped[int] = mapped_column(
        BigId, sa.ForeignKey("orders.id", ondelete="CASCADE"), primary_key=True)
    state: Mapped[AllocationState] = mapped_column(enum_column(AllocationState, 16))
    note: Mapped[str | None] = mapped_column(sa.String(300))


class Order(Base):
    __tablename__ = "orders"
    __table_args__ = (
        sa.UniqueConstraint("shop_id", "mall_order_id"),
        # Every list sort, over all orders and within one tab (oms.services.order_search).
        sa.Index("ix_orders_ordered_at_id", "ordered_at", "id"),
        sa.Index("ix_orders_updated_at_id", "updated_at", "id"),
        sa.Index("ix_orders_total_id", "total", "id"),
        sa.Index("ix_orders_tab_ordered_at_id", "tab", "ordered_at", "id"),
        sa.Index("ix_orders_tab_updated_at_id", "tab", "updated_at", "id"),
        sa.Index("ix_orders_tab_total_id", "tab", "total", "id"),
        sa.Index("ix_orders_tab_order_number", "tab", "order_number"),
        sa.Index("ix_orders_status_ordered_at_id", "status", "ordered_at", "id"),
        # 出荷一覧 sorts by 出荷予定日.
        sa.Index("ix_orders_status_scheduled_ship_date_id", "status", "scheduled_ship_date", "id"),
        # The other date bases of the search.
        sa.Index("ix_orders_cancelled_at", "cancelled_at"),
        sa.Index("ix_orders_shipped_at", "shipped_at"),
        sa.Index("ix_orders_ship_confirmed_at", "ship_confirmed_at"),
        # 配送業者管理's 「N件の注文で使用中」 per carrier, service and time slot.
        sa.Index("ix_orders_carrier_usage", "carrier", "delivery_method", "delivery_time_slot",
                 postgresql_where=sa.text("deleted_at IS NULL"),
                 sqlite_where=sa.text("deleted_at IS NULL")),
        sa.Index("ix_orders_delivered_at", "delivered_at"),
        sa.Index("ix_orders_shop_id_ordered_at", "shop_id", "ordered_at"),
        # Flags are rare: partial indexes stay tiny.
        sa.Index("ix_orders_needs_attention", "ordered_at",
                 postgresql_where=sa.text("needs_attention"),
                 sqlite_where=sa.text("needs_attention")),
        sa.Index("ix_orders_shipping_hold", "ordered_at",
                 postgresql_where=sa.text("shipping_hold"),
                 sqlite_where=sa.text("shipping_hold")),
        sa.Index("ix_orders_blacklist_entry_id", "blacklist_entry_id",
                 postgresql_where=sa.text("blacklist_entry_id IS NOT NULL"),
                 sqlite_where=sa.text("blacklist_entry_id IS NOT NULL")),
        # The workflow sweep reads only orders that may still move by themselves: an idle
        # sweep over a million orders walks this small index (oms.services.auto_advance).
        sa.Index("ix_orders_auto_advance", "status", "ordered_at", "id",
                 postgresql_where=sa.text(AUTO_WHERE), sqlite_where=sa.text(AUTO_WHERE)),
    )

    # --- identifiers
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    order_number: Mapped[str] = mapped_column(sa.String(10), unique=True)
    shop_id: Mapped[int] = mapped_column(sa.ForeignKey("shops.id"))
    mall_order_id: Mapped[str] = mapped_column(sa.String(64))
    payment_number: Mapped[str | None] = mapped_column(sa.String(64))
    invite_code: Mapped[str | None] = mapped_column(sa.String(32))

    # --- state
    status: Mapped[OrderStatus] = mapped_column(enum_column(OrderStatus))
    tab: Mapped[str] = mapped_column(sa.String(16), sa.Computed(_tab_case(), persisted=True))
    auto_advance: Mapped[bool] = mapped_column(default=True)
    payment_status: Mapped[PaymentStatus] = mapped_column(
        enum_column(PaymentStatus), default=PaymentStatus.unpaid
    )
    handling_status_id: Mapped[int | None] = mapped_column(sa.ForeignKey("handling_statuses.id"))
    needs_attention: Mapped[bool] = mapped_column(default=False)
    attention_reason_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("attention_reasons.id")
    )
    shipping_hold: Mapped[bool] = mapped_column(default=False)
    # 在庫引当 (oms.services.allocation): how far the lines are promised stock and why not
    # (read from OrderAllocation), and 強制引当する (allocate regardless of stock).
    allocation_state: Mapped[AllocationState] = column_property(
        sa.func.coalesce(
            sa.select(OrderAllocation.state).where(OrderAllocation.order_id == id)
            .correlate_except(OrderAllocation).scalar_subquery(),
            AllocationState.none.value, type_=enum_column(AllocationState, 16)))
    allocation_note: Mapped[str | None] = column_property(
        sa.select(OrderAllocation.note).where(OrderAllocation.order_id == id)
        .correlate_except(OrderAllocation).scalar_subquery())
    force_allocation: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    # FAIL when any line failed to link, OK when all linked (read from OrderLink).
    link_result: Mapped[LinkResult | None] = column_property(
        sa.select(OrderLink.result).where(OrderLink.order_id == id)
        .correlate_except(OrderLink).scalar_subquery())
    fraud_check: Mapped[FraudCheck | None] = mapped_column(enum_column(FraudCheck, 8))
    fraud_check_reasons: Mapped[str | None] = mapped_column(sa.String(500))
    # The designated blacklist entry this non-member orderer matched (seed 003); the list
    # shows the flag from this column, without a query per row.
    blacklist_entry_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("blacklist_entries.id"))

    # --- inflow (流入元情報)
    media: Mapped[str | None] = mapped_column(sa.String(64))
    order_route: Mapped[str | None] = mapped_column(sa.String(32))
    apps_route: Mapped[str | None] = mapped_column(sa.String(32))
    client_ip: Mapped[str | None] = mapped_column(sa.String(45))
    device: Mapped[str | None] = mapped_column(sa.String(16))
    advertiser: Mapped[str | None] = mapped_column(sa.String(64))
    ad_url_group: Mapped[str | None] = mapped_column(sa.String(64))
    offer: Mapped[str | None] = mapped_column(sa.String(64))
    purchase_url: Mapped[str | None] = mapped_column(sa.String(500))

    # --- buyer (購入者情報, the billing party)
    customer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("customers.id"), index=True)
    buyer_name: Mapped[str] = mapped_column(sa.String(100))
    buyer_kana: Mapped[str | None] = mapped_column(sa.String(100))
    buyer_postcode: Mapped[str | None] = mapped_column(sa.String(8))
    buyer_prefecture: Mapped[str | None] = mapped_column(sa.String(8))
    buyer_address1: Mapped[str | None] = mapped_column(sa.String(200))
    buyer_address2: Mapped[str | None] = mapped_column(sa.String(200))
    buyer_phone: Mapped[str | None] = mapped_column(sa.String(20))
    buyer_fax: Mapped[str | None] = mapped_column(sa.String(20))
    buyer_email: Mapped[str | None] = mapped_column(sa.String(254))

    # --- recipient
    ship_name: Mapped[str] = mapped_column(sa.String(100))
    ship_kana: Mapped[str | None] = mapped_column(sa.String(100))
    ship_postcode: Mapped[str | None] = mapped_column(sa.String(8))
    ship_prefecture: Mapped[str | None] = mapped_column(sa.String(8))
    ship_address1: Mapped[str | None] = mapped_column(sa.String(200))
    ship_address2: Mapped[str | None] = mapped_column(sa.String(200))
    ship_phone: Mapped[str | None] = mapped_column(sa.String(20))
    destination_country: Mapped[str] = mapped_column(sa.String(2), default="JP")

    # --- amounts, integer yen (seed 002 受注商品情報)
    subtotal: Mapped[int] = mapped_column(default=0)
    discount: Mapped[int] = mapped_column(default=0)
    points_used: Mapped[int] = mapped_column(default=0)
    wrapping: Mapped[str | None] = mapped_column(sa.String(64))
    wrapping_fee: Mapped[int] = mapped_column(default=0)
    shipping_fee: Mapped[int] = mapped_column(default=0)
    payment_fee: Mapped[int] = mapped_column(default=0)
    # Tax is rounded once per order per rate, so it is stored per rate.
    tax_10: Mapped[int] = mapped_column(default=0)
    tax_8: Mapped[int] = mapped_column(default=0)
    adjustment: Mapped[int] = mapped_column(default=0)
    total: Mapped[int] = mapped_column(default=0)
    paid_total: Mapped[int] = mapped_column(default=0)
    points_to_grant: Mapped[int] = mapped_column(default=0)
    points_granted: Mapped[int] = mapped_column(default=0)

    # --- gift
    gift_product: Mapped[str | None] = mapped_column(sa.String(100))
    gift_target_product: Mapped[str | None] = mapped_column(sa.String(200))
    gift_quantity: Mapped[int | None] = mapped_column(sa.SmallInteger)
    gift_noshi: Mapped[str | None] = mapped_column(sa.String(64))
    gift_name_print: Mapped[str | None] = mapped_column(sa.String(64))

    # --- payment
    payment_method_id: Mapped[int] = mapped_column(sa.ForeignKey("payment_methods.id"))
    installments: Mapped[int | None] = mapped_column(sa.SmallInteger)
    customer_card_id: Mapped[int | None] = mapped_column(sa.ForeignKey("customer_cards.id"))
    transaction_id: Mapped[str | None] = mapped_column(sa.String(64))
    # 決済銀行変更 (seed 003): who transferred, to which of our accounts.
    payer_name: Mapped[str | None] = mapped_column(sa.String(100))
    bank_account_id: Mapped[int | None] = mapped_column(sa.ForeignKey("bank_accounts.id"))
    # The card gateway's amounts (paid_total = 支払い合計 follows the capture) and when the
    # authorization lapses.
    authorized_amount: Mapped[int] = mapped_column(default=0, server_default="0")
    captured_amount: Mapped[int] = mapped_column(default=0, server_default="0")
    auth_expires_at: Mapped[datetime | None]
    # Set by a card or amount change: the order cannot reach 新規 until re-authorized.
    reauth_required: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    # 後払い: the provider's transaction id, its credit verdict and reason (NG999 …), and
    # the 出荷報告 of the parcel to it.
    deferred_ref: Mapped[str | None] = mapped_column(sa.String(64))
    deferred_result: Mapped[DeferredResult | None] = mapped_column(
        enum_column(DeferredResult, 8))
    deferred_reason: Mapped[str | None] = mapped_column(sa.String(64))
    ship_report_state: Mapped[ShipReportState] = mapped_column(
        enum_column(ShipReportState, 8), default=ShipReportState.none,
        server_default=ShipReportState.none.value)
    ship_report_error: Mapped[str | None] = mapped_column(sa.String(500))

    # --- shipping
    # The mall's 送付先 of the parcel (Rakuten basketId): the 楽天荷物番号報告CSV keys on it.
    mall_package_id: Mapped[str | None] = mapped_column(sa.String(32))
    carrier: Mapped[str | None] = mapped_column(sa.String(32))
    delivery_method: Mapped[str | None] = mapped_column(sa.String(32))
    delivery_time_slot: Mapped[str | None] = mapped_column(sa.String(16))
    stock_location: Mapped[str | None] = mapped_column(sa.String(32))
    shipping_list_exported_at: Mapped[datetime | None]
    expected_delivery_period: Mapped[str | None] = mapped_column(sa.String(64))
    ship_mail_sent: Mapped[bool] = mapped_column(default=False)

    # --- timeline
    ordered_at: Mapped[datetime]
    reserved_at: Mapped[datetime | None]
    authorized_at: Mapped[datetime | None]
    captured_at: Mapped[datetime | None]
    receipt_issued_at: Mapped[datetime | None]
    paid_at: Mapped[datetime | None]
    scheduled_ship_date: Mapped[date | None]
    shipped_at: Mapped[datetime | None]
    ship_confirmed_at: Mapped[datetime | None]
    scheduled_delivery_date: Mapped[date | None]
    delivered_at: Mapped[datetime | None]
    voided_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    deleted_at: Mapped[datetime | None]

    # --- remarks and texts
    remarks1: Mapped[str | None] = mapped_column(sa.Text)
    remarks2: Mapped[str | None] = mapped_column(sa.Text)
    linkage_number: Mapped[str | None] = mapped_column(sa.String(64))
    # 連携用補足テキスト: free text handed to linked systems (seed 004).
    linkage_text: Mapped[str | None] = mapped_column(sa.Text)
    customer_comment: Mapped[str | None] = mapped_column(sa.Text)
    reply_to_customer: Mapped[str | None] = mapped_column(sa.Text)

    version: Mapped[int] = mapped_column(default=1)
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 (SQLAlchemy reads it once)

    shop: Mapped[Shop] = relationship()
    customer: Mapped[Customer | None] = relationship()
    payment_method: Mapped[PaymentMethod] = relationship()
    customer_card: Mapped[CustomerCard | None] = relationship()
    handling_status: Mapped[HandlingStatus | None] = relationship()
    bank_account: Mapped[BankAccount | None] = relationship()
    attention_reason: Mapped[AttentionReason | None] = relationship()
    tags: Mapped[list[Tag]] = relationship(secondary=order_tags, order_by=Tag.id)
    lines: Mapped[list["OrderLine"]] = relationship(
        back_populates="order", order_by="OrderLine.line_no", cascade="all, delete-orphan"
    )
    shipments: Mapped[list[Shipment]] = relationship(
        back_populates="order", order_by=Shipment.id
    )

    @property
    def tax_total(self) -> int:
        return self.tax_10 + self.tax_8


class OrderLine(Base):
    __tablename__ = "order_lines"
    __table_args__ = (
        sa.Index("ix_order_lines_order_id_line_no", "order_id", "line_no"),
        # Linking rewrites the link columns of every line it changes. They are in no index
        # and pages keep room for the new row version, so PostgreSQL updates them in
        # place (HOT) without touching any index.
        {"postgresql_with": {"fillfactor": 80}},
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("orders.id", ondelete="CASCADE"))
    line_no: Mapped[int] = mapped_column(sa.SmallInteger)
    mall_product_code: Mapped[str] = mapped_column(sa.String(64))
    mall_option: Mapped[str | None] = mapped_column(sa.String(100))
    product_name: Mapped[str] = mapped_column(sa.String(200))
    sku_id: Mapped[int | None] = mapped_column(sa.ForeignKey("skus.id"))
    link_result: Mapped[LinkResult | None] = mapped_column(enum_column(LinkResult, 8))
    link_error: Mapped[str | None] = mapped_column(sa.String(200))
    quantity: Mapped[int] = mapped_column(sa.Integer)
    unit_price: Mapped[int] = mapped_column(sa.Integer)
    tax_rate: Mapped[int] = mapped_column(sa.SmallInteger, default=10)
    status: Mapped[LineStatus] = mapped_column(enum_column(LineStatus))

    order: Mapped[Order] = relationship(back_populates="lines")
    sku: Mapped[Sku | None] = relationship()

    @property
    def amount(self) -> int:
        return self.quantity * self.unit_price


class StatusHistory(Base):
    """One row per status change of an order or one of its lines (seed 003 注文処理履歴)."""

    __tablename__ = "status_history"
    __table_args__ = (sa.Index("ix_status_history_order_id_id", "order_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("orders.id", ondelete="CASCADE"))
    line_id: Mapped[int | None] = mapped_column(BigId)
    from_status: Mapped[str | None] = mapped_column(sa.String(32))
    to_status: Mapped[str] = mapped_column(sa.String(32))
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    # "screen", "job:<notification id>", "import", "auto"
    via: Mapped[str] = mapped_column(sa.String(64))
    # Why an automatic move happened, in the operators' words (「代引き 15分経過」).
    reason: Mapped[str | None] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class OrderStatusCount(Base):
    """Exact per-status order counts for the unfiltered tabs.

    Database triggers (see the migration) append one signed row per status and statement
    whenever orders are inserted, deleted, soft-deleted or change status, inside the same
    transaction; appending never blocks concurrent writers. Reads sum the rows, and
    compact_status_counts() folds them back to one row per status.
    """

    __tablename__ = "order_status_counts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    status: Mapped[str] = mapped_column(sa.String(32))
    n: Mapped[int] = mapped_column(sa.BigInteger)


class SearchPreset(Base):
    """An operator's saved order search (the query string of the list)."""

    __tablename__ = "search_presets"
    __table_args__ = (sa.UniqueConstraint("user_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(sa.String(64))
    query: Mapped[str] = mapped_column(sa.String(2000))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


# Free-text search (oms.services.order_search): prefix and exact matches on identifiers,
# e-mail and phone; trigram indexes for partial name and kana matches on PostgreSQL.
sa.Index("ix_orders_order_number_pattern", Order.order_number,
         postgresql_ops={"order_number": "varchar_pattern_ops"}).ddl_if(dialect="postgresql")
sa.Index("ix_orders_mall_order_id_pattern", Order.mall_order_id,
         postgresql_ops={"mall_order_id": "varchar_pattern_ops"})
sa.Index("ix_orders_email_lower", sa.func.lower(Order.buyer_email).label("email_lower"),
         postgresql_ops={"email_lower": "text_pattern_ops"})
sa.Index("ix_orders_phone_digits", sa.func.replace(Order.buyer_phone, "-", "").label("phone"),
         postgresql_ops={"phone": "text_pattern_ops"})
sa.Index("ix_orders_buyer_name_trgm", sa.text("replace(buyer_name, ' ', '') gin_trgm_ops"),
         _table=Order.__table__, postgresql_using="gin").ddl_if(dialect="postgresql")
sa.Index("ix_orders_buyer_name_prefix",
         sa.text("replace(buyer_name, ' ', '') varchar_pattern_ops"),
         _table=Order.__table__).ddl_if(dialect="postgresql")
sa.Index("ix_orders_buyer_kana_prefix",
         sa.text("replace(buyer_kana, ' ', '') varchar_pattern_ops"),
         _table=Order.__table__).ddl_if(dialect="postgresql")
sa.Index("ix_orders_buyer_kana_trgm", sa.text("replace(buyer_kana, ' ', '') gin_trgm_ops"),
         _table=Order.__table__, postgresql_using="gin").ddl_if(dialect="postgresql")
