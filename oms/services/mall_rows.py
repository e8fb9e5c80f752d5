"""A mall's order in our terms: its first status, payment status, lines, amounts and the
rows an import writes for it (shared by importing new orders and following known ones)."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from oms.integrations.malls import MallOrder
from oms.models import (
    TABS,
    LineStatus,
    MallOrderState,
    Order,
    OrderLine,
    OrderStatus,
    PaymentKind,
    PaymentMethod,
    PaymentStatus,
    Shop,
)

S = OrderStatus
# The tables an import writes a mall's order to.
ORDERS, LINES, STATES = Order.__table__, OrderLine.__table__, MallOrderState.__table__
PROGRESS = {status: rank for rank, tab in enumerate(("waiting", "new", "processing", "done"))
            for status in TABS[tab]}


def first_status(shop: Shop, mapped: OrderStatus) -> OrderStatus:
    """A shop that confirms automatically (Qoo10, seed 000 ③) skips New."""
    return S.awaiting_allocation if mapped is S.new and shop.auto_confirm else mapped


def line_values(mall_order: MallOrder, status: OrderStatus) -> list[dict]:
    """The order's lines as the mall lists them, for an order in `status`."""
    line_status = (LineStatus.awaiting_payment if PROGRESS.get(status) == 0
                   else LineStatus.cancelled if status is S.cancelled
                   else LineStatus.preparing)
    return [{"line_no": n, "mall_product_code": line.product_code, "mall_option": line.option,
             "product_name": line.name, "quantity": line.quantity,
             "unit_price": line.unit_price, "tax_rate": line.tax_rate, "status": line_status}
            for n, line in enumerate(mall_order.lines, 1)]


def amounts(mall_order: MallOrder) -> dict[str, int]:
    subtotal = sum(line.quantity * line.unit_price for line in mall_order.lines)
    # Tax rounded once per order per rate (DESIGN.md); the mall's total is the truth and
    # any difference (coupons, points, rounding) is kept as an adjustment.
    tax = {rate: sum(ln.quantity * ln.unit_price for ln in mall_order.lines
                     if ln.tax_rate == rate) * rate // 100 for rate in (8, 10)}
    computed = subtotal + tax[8] + tax[10] + mall_order.shipping_fee
    return {"subtotal": subtotal, "tax_8": tax[8], "tax_10": tax[10],
            "shipping_fee": mall_order.shipping_fee, "total": mall_order.total,
            "adjustment": mall_order.total - computed}


def order_row(shop: Shop, mall_order: MallOrder, status: OrderStatus, number: str,
               methods: dict[PaymentKind, int], now: datetime) -> dict:
    buyer, ship = mall_order.buyer, mall_order.ship_to
    return {
        "order_number": number, "shop_id": shop.id, "mall_order_id": mall_order.mall_order_id,
        "status": status.value, "auto_advance": True,
        "payment_status": payment_status(mall_order.payment, status).value,
        "needs_attention": False, "shipping_hold": False,
        "buyer_name": buyer.name, "buyer_kana": buyer.kana, "buyer_email": buyer.email,
        "buyer_phone": buyer.phone, "buyer_postcode": buyer.postcode,
        "buyer_prefecture": buyer.prefecture, "buyer_address1": buyer.address1,
        "ship_name": ship.name, "ship_kana": ship.kana, "ship_phone": ship.phone,
        "ship_postcode": ship.postcode, "ship_prefecture": ship.prefecture,
        "ship_address1": ship.address1, "destination_country": "JP",
        **amounts(mall_order),
        "payment_method_id": methods[mall_order.payment],
        "ordered_at": mall_order.ordered_at, "updated_at": now,
        "cancelled_at": now if status is S.cancelled else None,
        "customer_comment": mall_order.note, "mall_package_id": mall_order.package_id,
        "version": 1,
    }


def payment_status(kind: PaymentKind, status: OrderStatus) -> PaymentStatus:
    if PROGRESS.get(status) == 0 or kind is PaymentKind.cod:
        return PaymentStatus.unpaid
    if kind is PaymentKind.card:
        return PaymentStatus.authorized
    return PaymentStatus.paid


def payment_methods(session: Session) -> dict[PaymentKind, int]:
    """Our payment method for each kind a mall reports, created when none exists yet."""
    found: dict[PaymentKind, int] = {}
    for method_id, kind in session.execute(
            sa.select(PaymentMethod.id, PaymentMethod.kind).order_by(PaymentMethod.id)):
        found.setdefault(kind, method_id)
    for kind in PaymentKind:
        if kind not in found:
            method = PaymentMethod(code=f"mall-{kind.value}", name=kind.value, kind=kind)
            session.add(method)
            session.flush()
            found[kind] = method.id
    return found


def state_values(mall_order: MallOrder) -> dict:
    return {"mall_status": mall_order.status, "mall_updated_at": mall_order.updated_at}
