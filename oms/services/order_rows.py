"""What a row of the order list shows, loaded as plain values.

A page of 50 to 200 rows is read with one select of only the shown columns and one for
the tags; building ORM objects (identity map, instance state, lazy-load guards) for them
cost more than the query itself.
"""

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from oms.models import (
    Customer,
    HandlingStatus,
    LinkResult,
    Order,
    OrderStatus,
    PaymentMethod,
    PaymentStatus,
    Shop,
    Tag,
    order_tags,
)
from oms.services import blacklist


@dataclass(slots=True)
class ListRow:
    id: int
    order_number: str
    shop_kind: str
    shop_name: str
    ordered_at: datetime
    buyer_name: str
    buyer_kana: str | None
    ship_prefecture: str | None
    destination_country: str
    total: int
    payment_name: str
    payment_status: PaymentStatus
    status: OrderStatus
    allocation_note: str | None
    handling_name: str | None
    link_result: LinkResult | None
    needs_attention: bool
    shipping_hold: bool
    blacklist: blacklist.Flag | None
    tags: list[tuple[str, str]]


_COLUMNS = (
    Order.id, Order.order_number, Shop.kind, Shop.name, Order.ordered_at, Order.buyer_name,
    Order.buyer_kana, Order.ship_prefecture, Order.destination_country, Order.total,
    PaymentMethod.name, Order.payment_status, Order.status, Order.allocation_note,
    HandlingStatus.name, Order.link_result, Order.needs_attention, Order.shipping_hold,
)


def load(session: Session, ids: list[int]) -> list[ListRow]:
    """The rows of these orders, in the order of `ids` (deleted or unknown ids left out)."""
    if not ids:
        return []
    found = session.execute(
        sa.select(*_COLUMNS, Order.blacklist_entry_id, Customer.blacklist_status)
        .join(Shop, Shop.id == Order.shop_id)
        .join(PaymentMethod, PaymentMethod.id == Order.payment_method_id)
        .outerjoin(HandlingStatus, HandlingStatus.id == Order.handling_status_id)
        .outerjoin(Customer, Customer.id == Order.customer_id)
        .where(Order.id.in_(ids)))
    tags: dict[int, list[tuple[str, str]]] = {}
    for order_id, name, color in session.execute(
            sa.select(order_tags.c.order_id, Tag.name, Tag.color)
            .join(Tag, Tag.id == order_tags.c.tag_id)
            .where(order_tags.c.order_id.in_(ids)).order_by(Tag.id)):
        tags.setdefault(order_id, []).append((name, color))
    rows = {}
    for *shown, entry_id, customer_status in found:
        rows[shown[0]] = ListRow(
            shown[0], shown[1], shown[2].value, *shown[3:],
            blacklist=blacklist.flag_of(entry_id, customer_status), tags=tags.get(shown[0], []))
    return [rows[i] for i in ids if i in rows]
