"""Changing an order from its screens (seed 002 編集画面, seed 003 注文者/受取人の変更).

Every rule of the edit screen lives here, so a form, a bulk job and a test change an order
the same way: nothing is written when any rule refuses, every changed field gets an audit
row, and a save based on an older version of the order is refused (optimistic locking).
"""

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from oms import labels
from oms.models import (
    AddressKind,
    AllocationState,
    AttentionReason,
    AuditEvent,
    CardPlan,
    CustomerAddress,
    CustomerCard,
    DateStamp,
    DeferredVariant,
    HandlingStatus,
    Media,
    Order,
    OrderStatus,
    PaymentKind,
    PaymentMethod,
    PaymentStatus,
    RecipientChange,
    Shipment,
    StockLocation,
    Tag,
    Wrapping,
)
from oms.models.base import utcnow
from oms.services import (
    allocation,
    amounts,
    audit,
    auto_advance,
    carriers,
    masters,
    shipment_confirm,
    workflow,
)
from oms.services.actor import Actor

BUYER_FIELDS = ("buyer_name", "buyer_kana", "buyer_postcode", "buyer_prefecture",
                "buyer_address1", "buyer_address2", "buyer_phone", "buyer_fax", "buyer_email")
RECIPIENT_FIELDS = ("ship_name", "ship_kana", "ship_postcode", "ship_prefecture",
                    "ship_address1", "ship_address2", "ship_phone")
# What 住所情報反映 copies from the buyer: name, kana, postcode, prefecture, address, phone.
_ADDRESS_PARTS = ("name", "kana", "postcode", "prefecture", "address1", "address2", "phone")
EDITABLE = frozenset({
    "media", "needs_attention", "attention_reason_id", "handling_status_id",
    *BUYER_FIELDS, *RECIPIENT_FIELDS, "wrapping",
    "payment_method_id", "customer_card_id", "installments",
    "carrier", "stock_location", "shipping_list_exported_at", "scheduled_ship_date",
    "shipped_at", "scheduled_delivery_date", "delivered_at", "delivery_method",
    "delivery_time_slot", "remarks1", "remarks2", "linkage_number", "auto_advance", "paid_at",
    "reply_to_customer",
})


# Columns that hold a row id: the audit also keeps the names a person reads.
_NAMED = {"attention_reason_id": AttentionReason, "handling_status_id": HandlingStatus,
          "payment_method_id": PaymentMethod}


class Propagate:
    """Where 住所情報反映 may copy the buyer's address besides this order (seed 002)."""

    recipient = "recipient"                    # お届先住所 (受注管理): this order's recipient
    customer_billing = "customer_billing"      # 請求先住所 (顧客管理)
    customer_shipping = "customer_shipping"    # お届先住所 (顧客管理), if it has exactly one
    subscription = "subscription"              # お届先住所 (定期受注管理)


@dataclass
class OrderEdit:
    """What an operator asked to change. `values` holds only the columns of the submitted
    form; tags, the tracking number, the status and 強制引当 are None when the form does
    not carry them (or, for the last two, leaves them as they are)."""

    values: dict[str, Any] = field(default_factory=dict)
    tag_ids: list[int] | None = None
    tracking_number: str | None = None
    status: OrderStatus | None = None
    force_allocation: bool | None = None
    remarks_to_subscription: bool = False
    propagate: frozenset[str] = frozenset()
    # 「NP後払い管理画面で取引がキャンセルされていることを確認しました」 (seed 002).
    np_cancel_confirmed: bool = False


@dataclass(frozen=True)
class FieldChange:
    field: str
    old: str | None
    new: str | None


class EditRefused(ValueError):
    """Rules refused the edit; `errors` maps a form field to its message. Nothing changed."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


class EditConflict(Exception):
    """Someone saved the order after the version the edit was based on. Nothing changed."""


def as_text(value: Any) -> str | None:
    """The one text form of a value, for the audit trail and for comparing edits with it."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    return str(getattr(value, "value", value))


def latest_audit_id(session: Session, order: Order) -> int:
    """The newest audit row of the order: an edit form carries it, so a conflict can show
    exactly what others changed since the form was opened."""
    return session.scalar(
        sa.select(sa.func.coalesce(sa.func.max(AuditEvent.id), 0))
        .where(AuditEvent.entity_type == "order", AuditEvent.entity_id == str(order.id)))


def changes_since(session: Session, order: Order, audit_id: int) -> list[AuditEvent]:
    return list(session.scalars(
        sa.select(AuditEvent)
        .where(AuditEvent.entity_type == "order", AuditEvent.entity_id == str(order.id),
               AuditEvent.id > audit_id)
        .order_by(AuditEvent.id)))


def current_text(order: Order, name: str) -> str | None:
    """The current value of an edited field, in the audit's text form."""
    if name == "tags":
        return _tag_text(order.tags)
    if name == "tracking_number":
        return order.shipments[0].tracking_number if len(order.shipments) == 1 else None
    return as_text(getattr(order, name, None))


def current_label(order: Order, name: str) -> str | None:
    """The current value of an edited field as a person reads it (names, not row ids)."""
    if name in _NAMED:
        related = getattr(order, name.removesuffix("_id"))
        return related.name if related else None
    return current_text(order, name)


@dataclass
class ConflictMerge:
    """What others saved since an edit form was opened, merged with the operator's edit:
    their value is taken wherever the operator left a field as it was (`theirs`); fields
    both changed are `clashes`, with the other's value as a person reads it."""

    events: list[AuditEvent]
    theirs: list[str]
    clashes: dict[str, str | None]


def merge_conflict(session: Session, order: Order, mine: OrderEdit, audit_mark: int
                   ) -> ConflictMerge:
    """Merge a refused edit (EditConflict) with the changes saved since `audit_mark`, the
    newest audit row the form had seen. `mine` holds every field the form sent, changed
    or not; a field it does not carry is not the operator's to merge."""
    events = changes_since(session, order, audit_mark)
    first_old: dict[str, str | None] = {}
    for event in events:
        if event.action == "order.update" and event.field:
            first_old.setdefault(event.field, event.old_value)
    theirs, clashes = [], {}
    for name, old in first_old.items():
        if not _carried(mine, name):
            continue
        if _same_text(_submitted_text(session, mine, name), old):
            theirs.append(name)
        else:
            clashes[name] = current_label(order, name)
    return ConflictMerge(events, theirs, clashes)


def _carried(edit: OrderEdit, name: str) -> bool:
    if name == "tags":
        return edit.tag_ids is not None
    if name == "tracking_number":
        return edit.tracking_number is not None
    return name in edit.values


def _submitted_text(session: Session, edit: OrderEdit, name: str) -> str | None:
    """A field of an edit in the audit's text form, to compare with others' changes."""
    if name == "tags":
        ids = edit.tag_ids or []
        return _tag_text(session.scalars(sa.select(Tag).where(Tag.id.in_(ids)))) if ids else None
    if name == "tracking_number":
        return edit.tracking_number or None
    return as_text(edit.values.get(name))


def _same_text(a: str | None, b: str | None) -> bool:
    """Equal as a form shows them: line ends and surrounding blanks aside."""
    def normal(text: str | None) -> str | None:
        return text.replace("\r\n", "\n").strip() or None if text is not None else None
    return normal(a) == normal(b)


def update_order(session: Session, order: Order, edit: OrderEdit, actor: Actor, *,
                 version: int, today: date) -> list[FieldChange]:
    """Apply an edit, or refuse it whole (EditRefused) or as stale (EditConflict)."""
    if version != order.version:
        raise EditConflict
    if edit.status is order.status:
        edit = replace(edit, status=None)
    unknown = set(edit.values) - EDITABLE
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    values = dict(edit.values)
    errors: dict[str, str] = {}
    method = _check_payment(session, order, edit, values, errors, today)
    _check_carrier(order, method, values, errors)
    _check_delivery(session, order, values, errors)
    shipping_address = _check_propagation(session, order, edit, errors)
    if edit.remarks_to_subscription:
        errors["remarks_scope"] = str(_l("This order has no subscription to copy remarks to."))
    if edit.tracking_number is not None and len(order.shipments) > 1:
        errors["tracking_number"] = str(_l(
            "This order has several shipments: change their tracking numbers one by one."))
    _check_tracking(session, order, edit, values, errors)
    _check_lists(session, order, edit, values, errors)
    _check_workflow(order, edit, errors)
    if errors:
        raise EditRefused(errors)

    _derive(session, order, values, method)
    if edit.status is not None:
        values["auto_advance"] = False  # seed 001: a status set by hand switches to 手動
    if Propagate.recipient in edit.propagate:
        values.update({f"ship_{part}": values.get(f"buyer_{part}", getattr(order, f"buyer_{part}"))
                       for part in _ADDRESS_PARTS})
    changes = _assign(order, values)
    if amounts.INPUTS & {change.field for change in changes}:
        changes += _assign(order, amounts.recomputed(session, order))
    changes += _set_tags(session, order, edit.tag_ids)
    tracking = _tracking_change(order, edit.tracking_number)
    changes += tracking
    for change in changes:
        audit.record(session, actor, "order.update", entity_type="order", entity_id=order.id,
                     field=change.field, old=change.old, new=change.new,
                     details=_labels(session, change))
    _record_recipient_change(session, order, changes, actor)
    try:
        changes += _move(session, order, edit, actor)
        session.flush()
    except StaleDataError as error:
        raise EditConflict from error
    for change in tracking:
        _set_tracking(session, order, change.new, actor)
    # Ids were set, not objects: reload the related rows the order now points at.
    session.expire(order, ["payment_method", "customer_card", "handling_status",
                           "attention_reason"])
    _propagate_to_customer(session, order, edit.propagate, shipping_address, actor)
    if changes:
        # An order switched back to 自動 (or newly paid) moves now, not at the next sweep.
        auto_advance.advance(session, [order.id], actor)
    return changes


def status_choices(order: Order) -> list[OrderStatus]:
    """進捗区分 on the edit screen: the current status and where it may go by hand."""
    return [order.status, *sorted(workflow.TRANSITIONS[order.status],
                                  key=list(OrderStatus).index)]


# Before 出荷中: 強制引当 then still decides whether the goods may go out.
_FORCEABLE = frozenset({OrderStatus.pending_review, OrderStatus.awaiting_payment,
                        OrderStatus.new, OrderStatus.awaiting_allocation,
                        OrderStatus.ready_to_ship, OrderStatus.on_hold})


def offers_forcing(order: Order) -> bool:
    """強制引当する shows while the order is not fully allocated, or is forced, until it
    ships (seed 001)."""
    return order.status in _FORCEABLE and (order.force_allocation or order.allocation_state in (
        AllocationState.none, AllocationState.partial))


def switched_to_manual(changes: list[FieldChange]) -> bool:
    return FieldChange("auto_advance", "true", "false") in changes


def _check_workflow(order: Order, edit: OrderEdit, errors: dict[str, str]) -> None:
    if edit.status is not None and edit.status not in workflow.TRANSITIONS[order.status]:
        errors["status"] = str(_l(
            "An order in %(current)s cannot move to %(target)s. Someone may have moved it "
            "meanwhile: reload the page.",
            current=labels.ORDER_STATUS[order.status], target=labels.ORDER_STATUS[edit.status]))
    if edit.force_allocation is not None and not offers_forcing(order):
        errors["force_allocation"] = str(_l(
            "Force allocation applies only to an order not yet allocated, before it ships."))


def _move(session: Session, order: Order, edit: OrderEdit, actor: Actor) -> list[FieldChange]:
    """The status and 強制引当 changes, through the workflow (history, allocations)."""
    changes = []
    if edit.status is not None:
        before = order.status
        workflow.change_status(session, order, edit.status, actor, manual=True)
        changes.append(FieldChange("status", before.value, edit.status.value))
    if edit.force_allocation is not None and edit.force_allocation != order.force_allocation:
        before_forced = order.force_allocation
        allocation.set_forced(session, order, edit.force_allocation, actor)
        changes.append(FieldChange("force_allocation", as_text(before_forced),
                                   as_text(edit.force_allocation)))
    return changes


def _labels(session: Session, change: FieldChange) -> dict[str, str | None] | None:
    model = _NAMED.get(change.field)
    if model is None:
        return None

    def name(value: str | None) -> str | None:
        row = session.get(model, int(value)) if value else None
        return row.name if row else None

    return {"old_label": name(change.old), "new_label": name(change.new)}


def _check_payment(session: Session, order: Order, edit: OrderEdit, values: dict[str, Any],
                   errors: dict[str, str], today: date) -> PaymentMethod:
    """Payment-method rules of seed 002; returns the method the order will have."""
    method = order.payment_method
    if "payment_method_id" in values and values["payment_method_id"] != order.payment_method_id:
        chosen = session.get(PaymentMethod, values["payment_method_id"])
        if chosen is None or not chosen.active:
            errors["payment_method_id"] = str(_l("Choose an active payment method."))
            return method
        if problem := _method_change_problem(order, chosen, edit):
            errors[problem[0]] = problem[1]
        method = chosen
    if method.kind is PaymentKind.card:
        card_changed = ("customer_card_id" in values
                        and values["customer_card_id"] != order.customer_card_id)
        if method.id != order.payment_method_id or card_changed:
            problem = _card_problem(session, order,
                                    values.get("customer_card_id", order.customer_card_id), today)
            if problem:
                errors["customer_card_id"] = problem
    elif "payment_method_id" in values:
        values["customer_card_id"] = None
    if method.card_plan is not CardPlan.installments:
        if values.get("installments") is not None:
            errors["installments"] = str(_l(
                "Installments apply only to a card payment in installments."))
        elif method.id != order.payment_method_id:
            values["installments"] = None
    return method


# Only these statuses can be left for another method: the money has not moved, or the
# authorization was voided (seed 002: 「取消処理後に支払方法を変更」).
_IN_FLIGHT = frozenset({PaymentStatus.authorizing, PaymentStatus.capturing})
_NP_VARIANTS = frozenset({DeferredVariant.np, DeferredVariant.np_wiz})
_REGISTERED = frozenset({PaymentStatus.deferred_registered, PaymentStatus.deferred_hold,
                         PaymentStatus.deferred_approved})


def _method_change_problem(order: Order, chosen: PaymentMethod, edit: OrderEdit
                           ) -> tuple[str, str] | None:
    """Why the order cannot leave its payment method for `chosen`: (form field, message)."""
    method = order.payment_method
    if method.kind is PaymentKind.card and order.payment_status is PaymentStatus.authorized:
        return "payment_method_id", str(_l(
            "The card payment is authorized: void the authorization before changing the "
            "payment method, then authorize again."))
    if method.kind is PaymentKind.card and order.payment_status is PaymentStatus.captured:
        return "payment_method_id", str(_l(
            "The card payment is already captured: the payment method can no longer be "
            "changed."))
    if order.payment_status in _IN_FLIGHT:
        return "payment_method_id", str(_l(
            "The payment gateway is still processing this order: wait for its answer "
            "before changing the payment method."))
    if chosen.requires_login:
        return "payment_method_id", str(_l(
            "%(method)s needs the customer to sign in while buying; it cannot be chosen "
            "after the order was placed.", method=chosen.name))
    if (needs_np_confirmation(order) and chosen.deferred_variant in _NP_VARIANTS
            and not edit.np_cancel_confirmed):
        return "np_cancel_confirmed", str(_l(
            "To switch between NP deferred payment and NP deferred payment wiz, make sure "
            "on the NP deferred payment admin screen that the transaction was cancelled."))
    return None


def needs_np_confirmation(order: Order) -> bool:
    """An NP後払い (or wiz) order registered with NP: switching to the other NP product
    needs the operator's word that NP cancelled the transaction (seed 002)."""
    return order.payment_method.deferred_variant in _NP_VARIANTS and (
        order.deferred_ref is not None or order.payment_status in _REGISTERED)


def _card_problem(session: Session, order: Order, card_id: int | None, today: date
                  ) -> str | None:
    if order.customer_id is None or not saved_cards(session, order):
        return str(_l("The customer has no saved card. They must register one on their "
                      "My Page before the order can be paid by card."))
    card = session.get(CustomerCard, card_id) if card_id else None
    if card is None or card.customer_id != order.customer_id:
        return str(_l("Choose one of the customer's saved cards."))
    if card.expired(today):
        return str(_l("This card has expired."))
    return None


def saved_cards(session: Session, order: Order) -> list[CustomerCard]:
    if order.customer_id is None:
        return []
    return list(session.scalars(
        sa.select(CustomerCard).where(CustomerCard.customer_id == order.customer_id)
        .order_by(CustomerCard.is_default.desc(), CustomerCard.id)))


def carrier_locked(order: Order) -> bool:
    """Zero-yen payment fixes the carrier until another method is saved (seed 002)."""
    return order.payment_method.kind is PaymentKind.zero_yen


def _check_carrier(order: Order, method: PaymentMethod, values: dict[str, Any],
                   errors: dict[str, str]) -> None:
    if "carrier" not in values or (values["carrier"] or None) == order.carrier:
        return
    if carrier_locked(order) or method.kind is PaymentKind.zero_yen:
        errors["carrier"] = str(_l(
            "With zero-yen payment the carrier cannot be changed. Save another payment "
            "method first."))


def _check_delivery(session: Session, order: Order, values: dict[str, Any],
                    errors: dict[str, str]) -> None:
    """The method and time slot must be the carrier's (配送業者管理). Each is checked when
    it or the carrier changes, so an odd stored value does not block other edits."""
    changed_carrier = "carrier" in values
    method = values.get("delivery_method", order.delivery_method)
    slot = values.get("delivery_time_slot", order.delivery_time_slot)
    carrier = carriers.by_name(session, values.get("carrier", order.carrier))
    for name, message in carriers.delivery_problems(carrier, method, slot).items():
        if changed_carrier or name in values:
            errors.setdefault(name, str(message))


def customer_shipping_address(session: Session, order: Order) -> CustomerAddress | None:
    """The customer's shipping address when there is exactly one: only then may the
    buyer's address be copied to it (seed 002)."""
    if order.customer_id is None:
        return None
    found = list(session.scalars(
        sa.select(CustomerAddress).where(CustomerAddress.customer_id == order.customer_id,
                                         CustomerAddress.kind == AddressKind.shipping)
        .limit(2)))
    return found[0] if len(found) == 1 else None


def propagation_choices(session: Session, order: Order) -> list[str]:
    """The 住所情報反映 targets the screen offers for this order."""
    choices = [Propagate.recipient]
    if order.customer_id is not None:
        choices.append(Propagate.customer_billing)
        if customer_shipping_address(session, order):
            choices.append(Propagate.customer_shipping)
    return choices


def _check_propagation(session: Session, order: Order, edit: OrderEdit,
                       errors: dict[str, str]) -> CustomerAddress | None:
    offered = propagation_choices(session, order)
    if edit.propagate - set(offered):
        errors["propagate"] = str(_l("The address cannot be copied there for this order."))
    return customer_shipping_address(session, order) if (
        Propagate.customer_shipping in edit.propagate) else None


def _derive(session: Session, order: Order, values: dict[str, Any],
            method: PaymentMethod) -> None:
    """Values that follow from others (seeds 001 and 002)."""
    if "wrapping" in values:
        values["wrapping_fee"] = _wrapping_fee(session, order, values["wrapping"])
    if values.get("needs_attention") is False:
        values["attention_reason_id"] = None
    if method.id != order.payment_method_id:
        values["auto_advance"] = False
        values["payment_fee"] = method.fee  # 支払い方法管理's fee: the total follows
        values.update(_left_payment(order))
    if method.kind is PaymentKind.card and order.payment_status in _AUTHORIZED_ONCE and (
            method.id != order.payment_method_id
            or values.get("customer_card_id", order.customer_card_id) != order.customer_card_id):
        # Seed 002: another card (or card method) is authorized again, not refused.
        values["reauth_required"] = True
    status_id = values.get("handling_status_id", order.handling_status_id)
    if status_id and status_id != order.handling_status_id:
        status = session.get(HandlingStatus, status_id)
        stamp = status.stamps if status else DateStamp.none
        for kind, column in ((DateStamp.shipped, "shipped_at"),
                             (DateStamp.delivered, "delivered_at")):
            if stamp is kind and values.get(column, getattr(order, column)) is None:
                values[column] = utcnow()


# An authorization was asked for: a new card must be authorized again (再オーソリ).
_AUTHORIZED_ONCE = frozenset({PaymentStatus.authorized, PaymentStatus.voided,
                              PaymentStatus.auth_failed})


def _left_payment(order: Order) -> dict[str, Any]:
    """What a change of method resets: a voided or refused authorization and a deferred
    registration belong to the old method, so the payment starts again as unpaid."""
    reset: dict[str, Any] = {}
    if order.payment_status in (_AUTHORIZED_ONCE - {PaymentStatus.authorized}) | _REGISTERED:
        reset["payment_status"] = PaymentStatus.unpaid
    if order.deferred_ref or order.deferred_result:
        reset.update(deferred_ref=None, deferred_result=None, deferred_reason=None)
    return reset


# Fields that take a row of a list of 設定 (oms.services.masters), by its key.
_LISTED = {"media": Media, "wrapping": Wrapping, "stock_location": StockLocation,
           "handling_status_id": HandlingStatus, "attention_reason_id": AttentionReason}


def _check_lists(session: Session, order: Order, edit: OrderEdit, values: dict[str, Any],
                 errors: dict[str, str]) -> None:
    """A new value must be an active row of its list; the order's own value may stay
    (a row retired since, a text a mall sent)."""
    for name, model in _LISTED.items():
        value = values.get(name)
        if isinstance(value, str):
            value = value.strip() or None
        if value is not None and value != getattr(order, name) and not masters.is_offered(
                session, model, value):
            errors[name] = str(_l("Choose one of the list (it may have been deactivated "
                                  "meanwhile: reload the page)."))
    new_tags = set(edit.tag_ids or []) - {tag.id for tag in order.tags}
    if new_tags and not new_tags <= {tag.id for tag in masters.offered(session, Tag)}:
        errors["tag_ids"] = str(_l("Choose labels from the list (one may have been "
                                   "deactivated meanwhile: reload the page)."))


def _wrapping_fee(session: Session, order: Order, chosen: str | None) -> int:
    """The fee of the chosen ラッピング, as ラッピング管理 sets it (M8, A22); the order's
    own wrapping keeps its fee (a mall's, the list may not know it)."""
    name = chosen.strip() or None if chosen else None
    if name == order.wrapping:
        return order.wrapping_fee
    return (session.scalar(sa.select(Wrapping.fee).where(Wrapping.name == name)) or 0
            ) if name else 0


def _assign(order: Order, values: dict[str, Any]) -> list[FieldChange]:
    changes = []
    for name, value in values.items():
        if type(value) is str:  # typed text; an enum value (a str too) stays as it is
            value = value.strip() or None
        old = getattr(order, name)
        if as_text(old) != as_text(value):
            setattr(order, name, value)
            changes.append(FieldChange(name, as_text(old), as_text(value)))
    return changes


def _tag_text(tags: Iterable[Tag]) -> str | None:
    return ", ".join(sorted(t.name for t in tags)) or None


def _set_tags(session: Session, order: Order, tag_ids: list[int] | None) -> list[FieldChange]:
    if tag_ids is None:
        return []
    tags = list(session.scalars(sa.select(Tag).where(Tag.id.in_(tag_ids)))) if tag_ids else []
    old, new = _tag_text(order.tags), _tag_text(tags)
    if old == new:
        return []
    order.tags = tags
    return [FieldChange("tags", old, new)]


def _check_tracking(session: Session, order: Order, edit: OrderEdit, values: dict[str, Any],
                    errors: dict[str, str]) -> None:
    """A new number must have its carrier's form (「伝票番号の形式が違います（12桁）」)."""
    number = (edit.tracking_number or "").strip()
    if not number or "tracking_number" in errors:
        return
    carrier = carriers.by_name(session, values.get("carrier", order.carrier))
    if not carriers.number_fits(carrier, shipment_confirm.normal_number(number)):
        errors["tracking_number"] = shipment_confirm.pattern_problem(carrier)


def _tracking_change(order: Order, number: str | None) -> list[FieldChange]:
    if number is None:
        return []
    number = number.strip() or None
    old = order.shipments[0].tracking_number if order.shipments else None
    return [] if old == number else [FieldChange("tracking_number", old, number)]


def _set_tracking(session: Session, order: Order, number: str | None, actor: Actor) -> None:
    """A first number for an order awaiting shipment confirms its parcel (S5: 自動 orders
    go to 出荷済); otherwise the number is written on its shipment as it is."""
    shipment = order.shipments[0] if order.shipments else None
    if number and order.status in shipment_confirm.SHIPPABLE and not (
            shipment and shipment.tracking_number):
        outcome = shipment_confirm.confirm(session, [shipment_confirm.Confirmation(
            order.id, shipment_confirm.normal_number(number), order.carrier)], actor)
        if outcome.refused:
            raise EditRefused({"tracking_number": outcome.refused[0][1]})
        session.expire(order, ["shipments"])
        return
    if shipment is None:
        shipment = Shipment(order_id=order.id, carrier=order.carrier or "")
        session.add(shipment)
        order.shipments.append(shipment)
    shipment.tracking_number = number


def _record_recipient_change(session: Session, order: Order, changes: list[FieldChange],
                             actor: Actor) -> None:
    moved = [c for c in changes if c.field in RECIPIENT_FIELDS]
    if moved:
        session.add(RecipientChange(
            order_id=order.id, user_id=actor.user_id, username=actor.username, ip=actor.ip,
            before={c.field: c.old for c in moved}, after={c.field: c.new for c in moved}))


def _propagate_to_customer(session: Session, order: Order, targets: frozenset[str],
                           shipping: CustomerAddress | None, actor: Actor) -> None:
    addresses = []
    if Propagate.customer_billing in targets:
        billing = session.scalar(
            sa.select(CustomerAddress).where(CustomerAddress.customer_id == order.customer_id,
                                             CustomerAddress.kind == AddressKind.billing)
            .order_by(CustomerAddress.id).limit(1))
        if billing is None:
            billing = CustomerAddress(customer_id=order.customer_id, kind=AddressKind.billing,
                                      name=order.buyer_name)
            session.add(billing)
            session.flush()
        addresses.append(billing)
    if shipping is not None:
        addresses.append(shipping)
    for address in addresses:
        for part in _ADDRESS_PARTS:
            new = getattr(order, f"buyer_{part}")
            old = getattr(address, part)
            if old != new:
                setattr(address, part, new)
                audit.record(session, actor, "customer_address.update",
                             entity_type="customer_address", entity_id=address.id, field=part,
                             old=old, new=new, details={"order_id": order.id})
    session.flush()


def delete_order(session: Session, order: Order, actor: Actor, *, version: int) -> None:
    """削除 (seed 002), admins only: the order leaves every list and counter; the row and
    the audit trail stay, recording who deleted it and when."""
    if version != order.version:
        raise EditConflict
    order.deleted_at = utcnow()
    audit.record(session, actor, "order.delete", entity_type="order", entity_id=order.id,
                 field="deleted_at", new=as_text(order.deleted_at),
                 details={"order_number": order.order_number})
    try:
        session.flush()
    except StaleDataError as error:
        raise EditConflict from error
    allocation.release(session, [order.id], actor)
