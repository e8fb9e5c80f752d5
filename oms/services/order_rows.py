"""What a row of the order list shows, loaded as plain values.

A page of 50 to 200 rows is read with one select of only the shown columns, its tags
joined (an order has a few at most); building ORM objects (identity map, instance state,
lazy-load guards) for them cost more than the query itself. The names of its shop,
payment method, handling status and tags come from the process's copy of those small
lists: joining them made planning the statement cost more than running it.
"""

from datetime import UTC, datetime
from enum import Enum
from typing import NamedTuple

import sqlalchemy as sa
from sqlalchemy.orm import Session

from oms.models import (
    BlacklistStatus,
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
from oms.services.list_cache import ListCache


class ListRow(NamedTuple):
    """Everything a row shows: hashable, so that a row's markup can be kept by what it
    shows (see orders/rows.py). A tuple: made, hashed and compared in C, where a frozen
    dataclass's cost 0.1 ms of a page of fifty."""

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
    tags: tuple[tuple[str, str], ...]  # (name, color)


def _stored(column: sa.ColumnElement) -> sa.ColumnElement[str]:
    """An enum column's stored value, made its member by `_rows` with a dict lookup:
    SQLAlchemy's Enum type makes each with two Python calls, some 200 per page."""
    return sa.type_coerce(column, sa.String)


def _aware(column: sa.ColumnElement) -> sa.ColumnElement[datetime]:
    """A UTC timestamp column read without its type's processor (two Python calls per
    row): PostgreSQL sessions run in UTC, so psycopg gives UTC datetimes already. SQLite
    gives naive ones, which `_made` marks UTC."""
    return sa.type_coerce(column, sa.DateTime(timezone=True))


def _members(enum: type[Enum]) -> dict[str | None, Enum | None]:
    """Stored value -> member (None -> None): a dict lookup, where calling the enum with
    the value costs a microsecond."""
    return {None: None, **{member.value: member for member in enum}}


_PAYMENT_STATUS, STATUS, _LINK_RESULT, _BLACKLIST_STATUS = (
    _members(e) for e in (PaymentStatus, OrderStatus, LinkResult, BlacklistStatus))
_SELECT = (
    sa.select(
        Order.id, Order.order_number, Order.shop_id, _aware(Order.ordered_at), Order.buyer_name,
        Order.buyer_kana, Order.ship_prefecture, Order.destination_country, Order.total,
        Order.payment_method_id, _stored(Order.payment_status), _stored(Order.status),
        Order.allocation_note, Order.handling_status_id, _stored(Order.link_result),
        Order.needs_attention, Order.shipping_hold, Order.blacklist_entry_id,
        _stored(Customer.blacklist_status), order_tags.c.tag_id)
    .outerjoin(Customer, Customer.id == Order.customer_id)
    .outerjoin(order_tags, order_tags.c.order_id == Order.id)
)
# The small lists a row names, and the columns it shows of each.
_NAMED = {Shop: (_stored(Shop.kind), Shop.name), PaymentMethod: (PaymentMethod.name,),
          HandlingStatus: (HandlingStatus.name,), Tag: (Tag.name, Tag.color)}
NAMES = ListCache(_NAMED)
Names = tuple[dict[int, tuple], ...]  # per list of _NAMED: id -> the shown columns


def _names(session: Session) -> Names:
    return tuple({row[0]: tuple(row[1:]) for row in session.execute(sa.select(model.id, *shown))}
                 for model, shown in _NAMED.items())


def _rows(session: Session, found: sa.Result) -> dict[int, ListRow]:
    """One ListRow per order of `found` (an order comes once per tag), in its order. The
    names come from the process's copy of the lists, read again when a row names one the
    copy lacks: made after this request read the lists' token (its later statements
    already see it)."""
    found = found.all()
    try:
        return _made(found, NAMES.rows(session, "names", lambda: _names(session)))
    except KeyError:
        return _made(found, _names(session))


def _made(found: list[sa.Row], names: Names) -> dict[int, ListRow]:
    shops, payments, handling, tags = names
    tagged: dict[int, list[tuple[str, str]]] = {}
    for row in found:
        if row[19] is not None:
            tagged.setdefault(row[0], []).append(tags[row[19]])
    rows: dict[int, ListRow] = {}
    for (order_id, number, shop_id, ordered_at, name, kana, prefecture, country, total,
         payment_id, payment_status, status, note, handling_id, link_result, attention,
         hold, entry_id, customer_status, _tag_id) in found:
        if order_id not in rows:
            kind, shop_name = shops[shop_id]
            rows[order_id] = ListRow(
                order_id, number, kind, shop_name,
                ordered_at if ordered_at.tzinfo else ordered_at.replace(tzinfo=UTC),
                name, kana, prefecture,
                country, total, payments[payment_id][0], _PAYMENT_STATUS[payment_status],
                STATUS[status], note, handling[handling_id][0] if handling_id else None,
                _LINK_RESULT[link_result], attention, hold,
                blacklist.flag_of(entry_id, _BLACKLIST_STATUS[customer_status]),
                tuple(tagged.get(order_id, ())))
    return rows


def load(session: Session, ids: list[int]) -> list[ListRow]:
    """The rows of these orders, in the order of `ids` (deleted or unknown ids left out)."""
    if not ids:
        return []
    rows = _rows(session, session.execute(
        _SELECT.where(Order.id.in_(ids)).order_by(order_tags.c.tag_id)))
    return [rows[i] for i in ids if i in rows]


def page_statement(page: sa.Subquery, order_by: list[sa.ColumnElement]) -> sa.Select:
    """The rows of the orders of `page` (a sub-query of their ids, column `id`), sorted by
    `order_by` (over its columns): one statement for the page and its rows."""
    return _SELECT.join(page, page.c.id == Order.id).order_by(*order_by, order_tags.c.tag_id)


def load_page(session: Session, statement: sa.Select, params: dict[str, int]) -> list[ListRow]:
    """The rows a `page_statement` finds with `params`. Run as Core, after a flush: the
    ORM's way of running a statement cost a tenth of the page's SQL time, for columns
    that need none of it."""
    session.flush()
    return list(_rows(session, session.connection().execute(statement, params)).values())
