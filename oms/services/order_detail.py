"""What the order detail screen and its status history show, loaded in a few indexed queries."""

from dataclasses import dataclass, fields
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session, joinedload
from sqlalchemy.orm.attributes import set_committed_value

from oms.models import (
    AllocationState,
    BlacklistEntry,
    ConversionNotice,
    CustomFieldValue,
    Inquiry,
    Order,
    OrderLine,
    OrderMemo,
    PaymentKind,
    PaymentStatus,
    RecipientChange,
    Shipment,
    ShippingExport,
    StatusHistory,
    TrackingReport,
    User,
    order_tags,
)
from oms.services import (
    blacklist,
    carriers,
    custom_field_definitions,
    custom_field_values,
    inquiries,
    memos,
    payment_checks,
    payment_history,
    report_progress,
    tracking_reports,
)
from oms.services.report_progress import Progress, ReportRow


@dataclass(frozen=True)
class Present:
    """Which of an order's child rows exist. Most orders have none of most kinds: an
    EXISTS in the order's own query (each on an index of order_id) costs far less than a
    query of its own that finds nothing."""

    tags: bool
    custom_values: bool
    reports: bool
    payment_in_doubt: bool
    memos: bool
    inquiries: bool
    recipient_changes: bool
    notices: bool


def _present() -> list[sa.Label[bool]]:
    """Present's fields as columns of a query of orders."""
    def having(child_order_id) -> sa.Exists:
        return sa.exists().where(child_order_id == Order.id)

    found = {
        "tags": having(order_tags.c.order_id),
        "custom_values": having(CustomFieldValue.order_id),
        "reports": having(TrackingReport.order_id),
        "payment_in_doubt": payment_history.in_doubt(Order.id),
        "memos": having(OrderMemo.order_id),
        "inquiries": having(Inquiry.order_id),
        "recipient_changes": having(RecipientChange.order_id),
        "notices": having(ConversionNotice.order_id),
    }
    return [found[f.name].label(f.name) for f in fields(Present)]


# Built once: SQLAlchemy then keeps the statement's cache key instead of working it out
# for every page.
_LOCATE = (
    sa.select(Order, *_present())
    .where(Order.order_number == sa.bindparam("order_number"), Order.deleted_at.is_(None))
    .options(
        joinedload(Order.shop), joinedload(Order.payment_method),
        joinedload(Order.handling_status), joinedload(Order.attention_reason),
        joinedload(Order.customer), joinedload(Order.customer_card),
        joinedload(Order.bank_account), joinedload(Order.lines),
        # Most orders have one parcel: joined, it costs less than a query of its own.
        joinedload(Order.shipments),
    ))
_PRESENCE = sa.select(*_present()).where(Order.id == sa.bindparam("order_id"))


def located(session: Session, order_number: str) -> tuple[Order, Present] | None:
    """A live (not deleted) order with everything its detail and edit screens show, and
    which of its child rows exist, in one query (a round trip each cost more than the
    joins); its tags in one more, only when it has some."""
    row = session.execute(_LOCATE, {"order_number": order_number}).unique().one_or_none()
    if row is None:
        return None
    order, present = row[0], Present(*row[1:])
    if not present.tags:
        set_committed_value(order, "tags", [])
    return order, present


def find(session: Session, order_number: str) -> Order | None:
    """A live order with everything its screens show (see `located`)."""
    found = located(session, order_number)
    return found[0] if found else None


def presence(session: Session, order: Order) -> Present:
    """Which of the order's child rows exist now."""
    return Present(*session.execute(_PRESENCE, {"order_id": order.id}).one())


def find_bare(session: Session, order_number: str) -> Order | None:
    """A live order alone, for a page that shows little of it (決済履歴)."""
    return session.scalar(sa.select(Order).where(Order.order_number == order_number,
                                                 Order.deleted_at.is_(None)))


@dataclass
class OrderView:
    order: Order
    memos: list[OrderMemo]
    inquiries: list[Inquiry]
    custom: list[custom_field_values.Group]   # answered custom fields only (seed 002)
    has_custom_fields: bool              # any defined: the section shows, maybe empty
    recipient_changes: list[RecipientChange]
    notices: list[ConversionNotice]
    blacklist: BlacklistEntry | None     # the designation a non-member orderer falls under
    badges: list[str]                    # 状態区分, keys of labels.STATUS_BADGE
    offers_confirm: bool                 # 入金確認
    offers_transfer: bool                # 決済銀行変更
    shipments: list["ShipmentRow"]       # the shipping section's parcels
    reports: list[ReportRow]             # 荷物番号報告, per channel
    offers_report_again: bool            # 再報告
    payment_refusal: str | None          # the gateway's reason for 与信NG

    @property
    def recipient_changed_at(self) -> datetime | None:
        return self.recipient_changes[0].changed_at if self.recipient_changes else None


def view(session: Session, order: Order, present: Present | None = None) -> OrderView:
    """What the detail screen shows; `present` as `located` read it with the order (else
    read now): the queries of child rows the order has none of are skipped."""
    present = present or presence(session, order)
    reports = report_progress.for_order(session, order.id) if present.reports else []
    return OrderView(
        order=order,
        memos=memos.for_order(session, order) if present.memos else [],
        inquiries=inquiries.for_order(session, order) if present.inquiries else [],
        custom=custom_field_values.answered(custom_field_values.stored_draft(session, order))
        if present.custom_values else [],
        has_custom_fields=bool(custom_field_definitions.defined(session)),
        recipient_changes=list(session.scalars(
            sa.select(RecipientChange).where(RecipientChange.order_id == order.id)
            .order_by(RecipientChange.id.desc()))) if present.recipient_changes else [],
        notices=list(session.scalars(
            sa.select(ConversionNotice).where(ConversionNotice.order_id == order.id)
            .order_by(ConversionNotice.id.desc()))) if present.notices else [],
        blacklist=blacklist_of(session, order),
        badges=(payment_history.badges(order, in_doubt=present.payment_in_doubt)
                + status_badges(order) + tracking_badges(reports)),
        offers_confirm=payment_checks.offers_confirm(order),
        offers_transfer=payment_checks.offers_transfer(order),
        shipments=shipment_rows(session, order),
        reports=reports,
        offers_report_again=tracking_reports.uses_api(order.shop) and any(
            s.tracking_number and s.voided_at is None for s in order.shipments),
        payment_refusal=payment_history.refusal(session, order),
    )


_PAID_BADGES = {
    PaymentKind.prepaid_bank: "prepaid_paid", PaymentKind.prepaid_konbini: "prepaid_paid",
    PaymentKind.deferred_np: "deferred_paid", PaymentKind.deferred_gmo: "deferred_paid",
}
_ALLOCATION_BADGES = {AllocationState.allocated: "allocated",
                      AllocationState.partial: "partial", AllocationState.forced: "forced"}


def status_badges(order: Order) -> list[str]:
    """状態区分 (seed 001): 前払入金済 / 後払入金済 and the allocation state, as keys of
    labels.STATUS_BADGE."""
    badges = []
    paid = _PAID_BADGES.get(order.payment_method.kind)
    if paid and order.payment_status is PaymentStatus.paid:
        badges.append(paid)
    if order.allocation_state in _ALLOCATION_BADGES:
        badges.append(_ALLOCATION_BADGES[order.allocation_state])
    return badges


_TRACKING_BADGES = {Progress.reporting: "tracking_reporting",
                    Progress.check: "tracking_reporting",
                    Progress.reported: "tracking_reported", Progress.failed: "tracking_failed"}


def tracking_badges(reports: list[ReportRow]) -> list[str]:
    """状態区分 of 荷物番号報告 (seed 001 §5): 荷物番号報告中 / 報告済 / 報告NG."""
    badge = _TRACKING_BADGES.get(report_progress.order_progress(reports))
    return [badge] if badge else []


@dataclass(frozen=True)
class ShipmentRow:
    """A parcel as the shipping section shows it."""

    shipment: Shipment
    link: str | None          # the carrier's tracking page
    instructed_at: datetime | None  # 出荷指示日: when its 出荷指示 file was written


def shipment_rows(session: Session, order: Order) -> list[ShipmentRow]:
    export_ids = {s.export_id for s in order.shipments if s.export_id}
    exported = dict(session.execute(
        sa.select(ShippingExport.id, ShippingExport.created_at)
        .where(ShippingExport.id.in_(export_ids))).all()) if export_ids else {}
    rows = []
    for shipment in sorted(order.shipments, key=lambda s: s.id):
        rows.append(ShipmentRow(
            shipment, carriers.tracking_link(session, shipment.carrier, shipment.tracking_number),
            exported.get(shipment.export_id)))
    return rows


def blacklist_of(session: Session, order: Order) -> BlacklistEntry | None:
    """The entry that flagged this order, or the active one its orderer falls under."""
    if order.blacklist_entry_id is not None:
        return session.get(BlacklistEntry, order.blacklist_entry_id)
    return blacklist.active_entry_for(session, order)


@dataclass(frozen=True)
class HistoryRow:
    at: datetime
    line_id: int | None
    line: OrderLine | None
    from_status: str | None
    to_status: str
    username: str | None
    via: str


def status_history(session: Session, order: Order) -> list[HistoryRow]:
    """注文処理履歴 (seed 003): every status change of the order and its lines, newest
    first, with who made it and through what."""
    rows = session.execute(
        sa.select(StatusHistory, User.username)
        .outerjoin(User, User.id == StatusHistory.user_id)
        .where(StatusHistory.order_id == order.id)
        .order_by(StatusHistory.id.desc())).all()
    lines = {line.id: line for line in order.lines}
    return [HistoryRow(h.created_at, h.line_id, lines.get(h.line_id), h.from_status, h.to_status,
                       username, h.via) for h, username in rows]
