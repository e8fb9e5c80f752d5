"""メールタグ (seed 001, M2): the fixed, documented set of values a mail template may insert.

A tag is written `{受注番号}`. Rendering is a plain substitution of values (strings made from
the order here), never a template language: a template can reach nothing but these values.
A template naming any other tag is refused when saved, naming it (「不明なタグ: {foo}」).
"""

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session, selectinload

from oms.models import Carrier, Order, Shipment
from oms.services import bank_accounts, carriers

TAG = re.compile(r"\{([^{}\r\n]{1,40})\}")


@dataclass(frozen=True)
class OrderFacts:
    """What the tags read of one order, loaded once per chunk of orders."""

    order: Order
    shipment: Shipment | None
    carrier: Carrier | None
    tz: ZoneInfo


def _yen(amount: int) -> str:
    return f"{amount:,}円"


def _day(value: date | datetime | None, tz: ZoneInfo) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(tz).date()
    return value.strftime("%Y/%m/%d")


def _address(o: Order) -> str:
    parts = [f"〒{o.ship_postcode}" if o.ship_postcode else "", o.ship_prefecture or "",
             o.ship_address1 or "", o.ship_address2 or ""]
    return " ".join(p for p in parts if p)


def _lines(o: Order) -> str:
    return "\n".join(f"{line.product_name} × {line.quantity} {_yen(line.amount)}"
                     for line in o.lines)


def _tracking_url(f: OrderFacts) -> str:
    if f.shipment is None or not f.shipment.tracking_number:
        return ""
    if f.carrier is None or not f.carrier.tracking_url:
        return ""
    return f.carrier.tracking_url.replace("{number}", carriers.digits(f.shipment.tracking_number))


def _ship_day(f: OrderFacts) -> str:
    if f.shipment is not None and f.shipment.ship_date:
        return _day(f.shipment.ship_date, f.tz)
    return _day(f.shipment.shipped_at if f.shipment else f.order.shipped_at, f.tz)


Value = Callable[[OrderFacts], str]
# name -> (what it inserts, how); the 「挿入できるメールタグ」 list shows them in this order.
TAGS: dict[str, tuple[LazyString, Value]] = {
    "受注番号": (_l("The order number"), lambda f: f.order.order_number),
    "モール注文番号": (_l("The mall's order ID"), lambda f: f.order.mall_order_id or ""),
    "ショップ名": (_l("The shop's name"), lambda f: f.order.shop.name),
    "注文日": (_l("The order date"), lambda f: _day(f.order.ordered_at, f.tz)),
    "注文者名": (_l("The orderer's name"), lambda f: f.order.buyer_name),
    "お届け先名": (_l("The recipient's name"), lambda f: f.order.ship_name),
    "お届け先住所": (_l("The recipient's address"), lambda f: _address(f.order)),
    "商品明細": (_l("One line per item: name × quantity amount"), lambda f: _lines(f.order)),
    "小計": (_l("The subtotal"), lambda f: _yen(f.order.subtotal)),
    "送料": (_l("The shipping fee"), lambda f: _yen(f.order.shipping_fee)),
    "手数料": (_l("The payment fee"), lambda f: _yen(f.order.payment_fee)),
    "合計": (_l("The total"), lambda f: _yen(f.order.total)),
    "支払方法": (_l("The payment method"), lambda f: f.order.payment_method.name),
    "振込先": (_l("The bank account to pay into"),
             lambda f: bank_accounts.describe(f.order.bank_account)
             if f.order.bank_account else ""),
    "配送業者": (_l("The carrier"),
             lambda f: (f.shipment.carrier if f.shipment else None) or f.order.carrier or ""),
    "伝票番号": (_l("The tracking number"),
             lambda f: (f.shipment.tracking_number or "") if f.shipment else ""),
    "追跡URL": (_l("The carrier's tracking page of the parcel"), _tracking_url),
    "出荷日": (_l("The ship date"), _ship_day),
    "お届け予定日": (_l("The scheduled delivery date"),
               lambda f: _day(f.order.scheduled_delivery_date, f.tz)),
    "お届け時間": (_l("The delivery time slot"), lambda f: f.order.delivery_time_slot or ""),
    "お客様へのお知らせ": (_l("The notice to the customer"),
                   lambda f: f.order.reply_to_customer or ""),
}


def unknown_tags(*texts: str) -> list[str]:
    """The tags in `texts` that are not メールタグ, in order of first use."""
    found: dict[str, None] = {}
    for text in texts:
        for name in TAG.findall(text or ""):
            if name not in TAGS:
                found[name] = None
    return list(found)


@dataclass(frozen=True)
class Compiled:
    """A text cut once into literal parts and tag names, filled per order."""

    parts: tuple[str | tuple[str], ...]

    @classmethod
    def of(cls, text: str) -> "Compiled":
        parts: list[str | tuple[str]] = []
        position = 0
        for match in TAG.finditer(text):
            if match.group(1) in TAGS:
                parts.append(text[position:match.start()])
                parts.append((match.group(1),))
                position = match.end()
        parts.append(text[position:])
        return cls(tuple(p for p in parts if p != ""))

    def tags(self) -> set[str]:
        return {p[0] for p in self.parts if isinstance(p, tuple)}

    def render(self, values: dict[str, str]) -> str:
        return "".join(values[p[0]] if isinstance(p, tuple) else p for p in self.parts)


def values(facts: OrderFacts, names: Iterable[str]) -> dict[str, str]:
    """The values of the tags `names` for one order."""
    return {name: TAGS[name][1](facts) for name in names}


def load(session: Session, order_ids: list[int], tz: ZoneInfo) -> dict[int, OrderFacts]:
    """The facts of these orders, in a fixed number of queries."""
    orders = session.scalars(
        sa.select(Order).where(Order.id.in_(order_ids))
        .options(selectinload(Order.lines), selectinload(Order.shop),
                 selectinload(Order.payment_method), selectinload(Order.bank_account),
                 selectinload(Order.shipments))).all()
    by_name = {c.name: c for c in session.scalars(sa.select(Carrier))}
    found = {}
    for order in orders:
        live = [s for s in order.shipments if s.voided_at is None]
        shipment = live[-1] if live else None
        name = (shipment.carrier if shipment else None) or order.carrier
        found[order.id] = OrderFacts(order, shipment, by_name.get(name or ""), tz)
    return found
