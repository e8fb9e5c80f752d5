"""What a bulk operation reads and writes on an order, by key.

Operations say which keys they change to which values; the engine reads the values before,
writes the new ones through these setters (each with its audit row, into the chunk's
Batch), and keeps both on the outcome row, so undo can put back exactly what it replaced.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import Enum
from functools import cache
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from oms import labels
from oms.formatting import local_time
from oms.models import (
    AttentionReason,
    BlacklistStatus,
    HandlingStatus,
    MailEvent,
    Order,
    OrderStatus,
    PaymentMethod,
    PaymentStatus,
    ShipReportState,
    Tag,
)
from oms.models.base import utcnow
from oms.services import (
    allocation,
    cod_change,
    deferred,
    mail,
    payment_checks,
    shipment_voids,
    workflow,
)
from oms.services.bulk.batch import Batch

Value = str | int | bool | None


class Refused(Exception):
    """This order cannot take the change; the message says why (shown to the operator)."""


@dataclass(frozen=True)
class Field:
    key: str
    label: Any
    get: Callable[[Order], Value]
    set: Callable[[Batch, Order, Value], None]
    # How a value reads on screen; some need the session to look up a name.
    show: Callable[[Session, Value], str] = lambda session, value: _plain(value)


def _plain(value: Value) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return str(_l("Yes") if value else _l("No"))
    return str(value)


def _attribute(key: str, label, show=None, *, load=None, store=None) -> Field:
    """A column of the order. `load` turns the column's value into a Value (kept as JSON
    on the job's items), `store` a Value back into the column's."""
    def get(order: Order) -> Value:
        value = getattr(order, key)
        return load(value) if load and value is not None else value

    def set_(batch: Batch, order: Order, value: Value) -> None:
        batch.audit("order.update", entity_type="order", entity_id=order.id, field=key,
                    old=get(order), new=value)
        batch.set_column(order, key, store(value) if store and value is not None else value)

    return Field(key, label, get, set_, show or (lambda session, value: _plain(value)))


def timestamp(value: datetime) -> str:
    """A time as a Value: ISO 8601 in UTC."""
    return value.astimezone(UTC).isoformat()


def _show_time(session: Session, value: Value) -> str:
    return local_time(datetime.fromisoformat(value)) if isinstance(value, str) else "—"


def _named(model) -> Callable[[Session, Value], str]:
    def show(session: Session, value: Value) -> str:
        row = session.get(model, value) if value is not None else None
        return row.name if row else _plain(value)

    return show


def _set_status(batch: Batch, order: Order, value: Value) -> None:
    try:
        workflow.change_status(batch.session, order, OrderStatus(value), batch.actor,
                               manual=True)
    except workflow.TransitionError as error:
        raise Refused(str(error)) from error
    batch.changed_through_orm(order)


def _reopen(batch: Batch, order: Order, value: Value) -> None:
    shipment_voids.reopen(batch.session, order, batch.actor)
    batch.changed_through_orm(order)


def _show_status(session: Session, value: Value) -> str:
    return str(labels.ORDER_STATUS[OrderStatus(value)]) if value else "—"


def _set_payment_status(batch: Batch, order: Order, value: Value) -> None:
    status = PaymentStatus(value)
    if status is PaymentStatus.unpaid and (reason := payment_checks.unpaid_refusal(order)):
        raise Refused(reason)
    batch.audit("order.update", entity_type="order", entity_id=order.id,
                field="payment_status", old=order.payment_status.value, new=status.value)
    batch.set_column(order, "payment_status", status)


def _show_payment_status(session: Session, value: Value) -> str:
    return str(labels.PAYMENT_STATUS[PaymentStatus(value)]) if value else "—"


def _set_reregister(batch: Batch, order: Order, value: Value) -> None:
    """一括再与信 (seed 004): the registration starts again (再与信待ち), so the order is in
    the next 取引登録 export, flagged as registered before; its 与信NG 要対応 is cleared."""
    for column, new in deferred.reregistration(batch.session, order).items():
        batch.audit("order.update", entity_type="order", entity_id=order.id, field=column,
                    old=_plain_value(getattr(order, column)), new=_plain_value(new))
        batch.set_column(order, column, new)


def _plain_value(value) -> Value:
    return value.value if isinstance(value, Enum) else value


def _set_deleted(batch: Batch, order: Order, value: Value) -> None:
    batch.audit("order.delete" if value else "order.restore", entity_type="order",
                entity_id=order.id, field="deleted", old=order.deleted_at is not None, new=value)
    batch.set_column(order, "deleted_at", utcnow() if value else None)
    if value:
        allocation.release(batch.session, [order.id], batch.actor)


def _switch_to_cod(batch: Batch, order: Order, value: Value) -> None:
    """決済方法 → 代引き: the method, fee, amounts and payment status, each audited, and the
    代引き自動変更メール queued."""
    cod = batch.session.get(PaymentMethod, value)
    for name, (old, new) in cod_change.switch(batch.session, order, cod).items():
        batch.audit("order.update", entity_type="order", entity_id=order.id, field=name,
                    old=old, new=new)
    batch.changed_through_orm(order)
    # 代引き自動変更メール (seed 004), sent after the chunk commits when the event is on.
    mail.queue_system_mail(batch.session, MailEvent.cod_changed, [order.id], batch.actor)


def _get_blacklist(order: Order) -> Value:
    return order.customer.blacklist_status.value if order.customer else None


def _set_blacklist(batch: Batch, order: Order, value: Value) -> None:
    customer = order.customer
    if customer is None:
        raise Refused(str(_l("The order has no customer record (a guest order).")))
    batch.audit("customer.blacklist", entity_type="customer", entity_id=customer.id,
                field="blacklist_status", old=customer.blacklist_status.value, new=value)
    customer.blacklist_status = BlacklistStatus(value)


BLACKLIST_LABELS = {
    BlacklistStatus.blacklisted.value: _l("Blacklisted"),
    BlacklistStatus.candidate.value: _l("Blacklist candidate"),
    BlacklistStatus.clear.value: _l("Not blacklisted"),
}

FIELDS: dict[str, Field] = {f.key: f for f in (
    Field("status", _l("Order status"), lambda order: order.status.value, _set_status,
          _show_status),
    # 出荷済み → 出荷待ち: the status, with the parcel taken back.
    Field("reopen", _l("Order status"), lambda order: order.status.value, _reopen,
          _show_status),
    _attribute("scheduled_ship_date", _l("Scheduled ship date"), load=date.isoformat,
                store=date.fromisoformat),
    _attribute("scheduled_delivery_date", _l("Scheduled delivery date"), load=date.isoformat,
                store=date.fromisoformat),
    _attribute("handling_status_id", _l("Handling status"), _named(HandlingStatus)),
    _attribute("needs_attention", _l("Needs attention")),
    _attribute("attention_reason_id", _l("Attention reason"), _named(AttentionReason)),
    _attribute("shipping_hold", _l("Shipping hold")),
    Field("payment_status", _l("Payment status"), lambda order: order.payment_status.value,
          _set_payment_status, _show_payment_status),
    Field("cod_method", _l("Payment method"), lambda order: order.payment_method_id,
          _switch_to_cod, _named(PaymentMethod)),
    Field("deferred_reregister", _l("Payment status"), lambda order: order.payment_status.value,
          _set_reregister, _show_payment_status),
    # 一括再出荷報告 (seed 004): in the next 配送伝票 export again.
    _attribute("ship_report_state", _l("Shipment report to the deferred payment provider"),
               lambda session, value: str(labels.SHIP_REPORT_STATE[ShipReportState(value)])
               if value else "—", load=lambda state: state.value, store=ShipReportState),
    _attribute("paid_at", _l("Paid at"), _show_time, load=timestamp,
               store=datetime.fromisoformat),
    _attribute("customer_comment", _l("Comment from the customer")),
    _attribute("reply_to_customer", _l("Reply to the customer")),
    _attribute("remarks1", _l("Remarks 1")),
    _attribute("remarks2", _l("Remarks 2")),
    _attribute("linkage_text", _l("Linkage supplementary text")),
    _attribute("carrier", _l("Carrier")),
    _attribute("delivery_method", _l("Delivery method")),
    _attribute("delivery_time_slot", _l("Delivery time slot")),
    _attribute("ship_mail_sent", _l("Shipment-complete mail sent")),
    Field("blacklist_status", _l("Customer blacklist"), _get_blacklist, _set_blacklist,
          lambda session, value: str(BLACKLIST_LABELS.get(value, "—"))),
    Field("deleted", _l("Deleted"), lambda order: order.deleted_at is not None, _set_deleted),
)}

TAG_PREFIX = "tag:"


def tag_key(tag_id: int) -> str:
    return f"{TAG_PREFIX}{tag_id}"


@cache
def _tag_field(tag_id: int) -> Field:
    def get(order: Order) -> Value:
        return any(t.id == tag_id for t in order.tags)

    def set_(batch: Batch, order: Order, value: Value) -> None:
        batch.audit("order.tag_add" if value else "order.tag_remove", entity_type="order",
                    entity_id=order.id, field=tag_key(tag_id), old=get(order), new=value)
        # The link is another table; the batch still bumps the order's version, so
        # concurrent edits of the order see the change (optimistic locking).
        batch.link_tag(order, tag_id, bool(value))

    def show(session: Session, value: Value) -> str:
        tag = session.get(Tag, tag_id)
        name = tag.name if tag else f"#{tag_id}"
        return str(_l("tagged %(tag)s", tag=name) if value else _l("not tagged %(tag)s",
                                                                    tag=name))

    return Field(tag_key(tag_id), _l("Tag"), get, set_, show)


def field(key: str) -> Field:
    if key.startswith(TAG_PREFIX):
        return _tag_field(int(key[len(TAG_PREFIX):]))
    return FIELDS[key]


def describe_change(session: Session, before: dict[str, Value] | None,
                    after: dict[str, Value] | None) -> list[tuple[str, str, str]]:
    """(field label, before, after) as the operator reads them."""
    before = before or {}
    return [(str(field(key).label), field(key).show(session, before.get(key)),
             field(key).show(session, value)) for key, value in (after or {}).items()]
