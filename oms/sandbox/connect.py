"""Point the OMS at the sandbox (make run, the demo): one seller account per mall shop,
our SKUs listed as its products (plus a few old product codes that no SKU has, so item
linking has FAIL orders to fix), and new orders and buyer changes over time; and a merchant
at the sandbox card gateway, with saved test cards for the customers who pay by card."""

import random
import secrets

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from oms.integrations.malls import ADAPTERS
from oms.models import (
    TABS,
    CustomerCard,
    LinkResult,
    MallKind,
    Order,
    OrderLine,
    OrderStatus,
    PaymentStatus,
    Shop,
    Sku,
    SkuMapping,
)
from oms.models.base import utcnow
from oms.sandbox.control import Sandbox
from oms.services import malls
from oms.services.actor import SYSTEM, Actor
from oms.services.payments import settings as payment_settings
from oms.services.payments.automatic import gateway_orders

ADOPT_CHUNK = 2000
PAYMENTS = {"cod": "cod", "prepaid_konbini": "konbini", "prepaid_bank": "konbini",
            "points": "points"}

PRODUCTS_PER_SHOP = 60
OLD_CODES = 2  # products listed under a code our SKU master does not know
DEMO_SETTINGS = {"latency_ms": 40, "new_per_minute": 3.0, "changes_per_minute": 1.0,
                 "rate_per_second": 20}
# The demo's merchant at the card gateway: 楽天カード決済API answers a minute later.
DEMO_GATEWAY = {"latency_ms": 40, "async_seconds": 60}
# The demo customers' saved cards (token, last four digits) by customer id modulo
# DEMO_CARD_CYCLE: one in 20 is declined and one held by the fraud screening for review
# (与信NG and 不正注文審査 in the demo); the others are good.
DEMO_CARD_CYCLE = 20
DEMO_CARDS = {0: ("tok_decline", "0002"), 10: ("tok_fraud_review", "0010")}
GOOD_CARD = ("tok_ok", "4242")
CARD_YEARS = 4  # how long the demo's cards stay valid


def token_for(shop: Shop) -> str:
    token = f"sandbox-{shop.code}"
    return f"{token}-secret:{token}-license" if shop.kind.value == "rakuten" else token


def connect_shops(session: Session, sandbox: Sandbox, secret_key: str) -> list[str]:
    """Connect every active mall shop that has no API endpoint yet; returns their codes.
    Shops already pointing elsewhere are left alone. Flushes; the caller commits."""
    skus = list(session.scalars(sa.select(Sku).where(Sku.active).order_by(Sku.id)))
    connected = []
    for shop in session.scalars(sa.select(Shop).where(Shop.active).order_by(Shop.id)):
        if shop.kind.value not in ADAPTERS or shop.api_endpoint:
            continue
        token = token_for(shop)
        sandbox.account(shop.kind.value, token, shop.name, **DEMO_SETTINGS)
        sandbox.products(shop.kind.value, token, _products(shop, skus))
        shop.api_endpoint = sandbox.endpoint(shop.kind.value)
        malls.set_credentials(shop, secret_key, token)
        _adopt_orders(session, sandbox, shop, token)
        _learn_mappings(session, shop)
        connected.append(shop.code)
    session.flush()
    return connected


def connect_gateway(session: Session, sandbox: Sandbox, secret_key: str) -> int | None:
    """When 決済設定 names no card gateway: a merchant of its own at the sandbox's (and its
    楽天カード決済API), saved in the settings with the key encrypted, and a saved test card
    for every customer whose card orders the gateway takes and who has none, which those
    orders without a card then use (so the scheduler's payment steps authorize the ones
    waiting in 確認待ち). Returns how many customers got a card; None when a gateway was
    already set (nothing is changed). Flushes; the caller commits."""
    current = payment_settings.read(session)
    if current.endpoint:
        return None
    api_key = f"sk_demo_{secrets.token_hex(12)}"
    sandbox.gateway(api_key, **DEMO_GATEWAY)
    current.endpoint = sandbox.endpoint("gateway")
    rakuten = not current.rakuten_card_endpoint
    if rakuten:
        current.rakuten_card_endpoint = sandbox.endpoint("rakuten_card")
    payment_settings.save(session, payment_settings.with_keys(
        current, secret_key, api_key=api_key,
        rakuten_card_api_key=api_key if rakuten else None), Actor(None, None, via=SYSTEM))
    given = _give_cards(session)
    _adopt_authorizations(session, sandbox, api_key)
    return given


def _give_cards(session: Session) -> int:
    """Set-based: a demo of a million orders has tens of thousands of card customers."""
    paying = sa.and_(gateway_orders(), Order.customer_id.is_not(None))
    carded = sa.select(CustomerCard.id).where(CustomerCard.customer_id == Order.customer_id,
                                              CustomerCard.gateway_token.is_not(None))
    cycle = Order.customer_id % DEMO_CARD_CYCLE

    def by_cycle(pick: int) -> sa.Case:
        return sa.case(*((cycle == rest, card[pick]) for rest, card in DEMO_CARDS.items()),
                       else_=GOOD_CARD[pick])

    columns = CustomerCard.__table__.c
    cards = sa.select(
        Order.customer_id, sa.literal("VISA"), by_cycle(1),
        sa.literal(12), sa.literal(utcnow().year + CARD_YEARS), sa.true(), by_cycle(0),
        sa.literal(utcnow(), columns.created_at.type),
    ).where(paying, ~carded.exists()).distinct()
    given = session.execute(sa.insert(CustomerCard).from_select(
        ["customer_id", "brand", "last4", "exp_month", "exp_year", "is_default",
         "gateway_token", "created_at"], cards).returning(CustomerCard.id)).all()
    card = carded.with_only_columns(sa.func.min(CustomerCard.id)).scalar_subquery()
    session.execute(sa.update(Order).where(paying, Order.customer_card_id.is_(None),
                                           carded.exists())
                    .values(customer_card_id=card, version=Order.version + 1)
                    .execution_options(synchronize_session=False))
    session.flush()
    return len(given)


def _adopt_authorizations(session: Session, sandbox: Sandbox, api_key: str) -> None:
    """The gateway learns the own shop's standing authorizations (the demo's history), so
    capturing them on 出荷済, voiding or re-authorizing them works as for its own."""
    own = sa.select(Shop.id).where(Shop.kind == MallKind.own)
    last_id = 0
    while rows := session.execute(
            sa.select(Order.id, Order.transaction_id, CustomerCard.gateway_token,
                      Order.authorized_amount, Order.order_number)
            .join(CustomerCard, CustomerCard.id == Order.customer_card_id)
            .where(gateway_orders(), Order.shop_id.in_(own), Order.id > last_id,
                   Order.payment_status == PaymentStatus.authorized,
                   Order.transaction_id.is_not(None), Order.authorized_amount > 0)
            .order_by(Order.id).limit(ADOPT_CHUNK)).all():
        last_id = rows[-1].id
        sandbox.gateway_adopt(api_key, [
            {"id": tx_id, "token": token, "amount": amount, "order_ref": number}
            for _, tx_id, token, amount, number in rows])


def _products(shop: Shop, skus: list[Sku]) -> list[dict]:
    rng = random.Random(shop.code)
    chosen = rng.sample(skus, min(PRODUCTS_PER_SHOP, len(skus))) if skus else []
    products = [{"code": s.code, "option": "", "name": s.name, "price": s.price,
                 "tax_rate": s.tax_rate} for s in chosen]
    for sku in chosen[:OLD_CODES]:
        products.append({"code": f"OLD-{sku.code}", "option": "", "name": f"{sku.name} (旧品番)",
                         "price": sku.price, "tax_rate": sku.tax_rate})
    return products


def _adopt_orders(session: Session, sandbox: Sandbox, shop: Shop, token: str) -> None:
    """The mall learns the orders the OMS already has (the demo's history), so that
    updating them from the mall works like for the orders it places itself."""
    adapter = ADAPTERS[shop.kind.value]
    last_id = 0
    while orders := session.scalars(
            sa.select(Order).where(Order.shop_id == shop.id, Order.id > last_id)
            .order_by(Order.id).limit(ADOPT_CHUNK)
            .options(selectinload(Order.lines), selectinload(Order.payment_method))).all():
        last_id = orders[-1].id
        sandbox.adopt(shop.kind.value, token, [{
            "order_id": o.mall_order_id, "status": mall_status(adapter, o.status),
            "created": o.ordered_at.timestamp(),
            "buyer": {"name": o.buyer_name, "kana": o.buyer_kana, "email": o.buyer_email,
                      "phone": o.buyer_phone, "postcode": o.buyer_postcode,
                      "prefecture": o.buyer_prefecture, "address1": o.buyer_address1},
            "ship": {"name": o.ship_name, "kana": o.ship_kana, "email": None,
                     "phone": o.ship_phone, "postcode": o.ship_postcode,
                     "prefecture": o.ship_prefecture, "address1": o.ship_address1},
            "payment": PAYMENTS.get(o.payment_method.kind.value, "card"),
            "shipping_fee": o.shipping_fee,
            "lines": [{"code": ln.mall_product_code, "option": ln.mall_option or "",
                       "name": ln.product_name, "qty": ln.quantity, "price": ln.unit_price,
                       "tax_rate": ln.tax_rate} for ln in o.lines],
        } for o in orders])


def mall_status(adapter, status: OrderStatus) -> str:
    """The mall status that means our status, or the nearest one of the same tab."""
    reverse: dict[OrderStatus, str] = {}
    for code, ours in adapter.default_map.items():
        reverse.setdefault(ours, code)
    if status in reverse:
        return reverse[status]
    for tab, statuses in TABS.items():
        if tab != "all" and status in statuses:
            for candidate in statuses:
                if candidate in reverse:
                    return reverse[candidate]
    fallback = {OrderStatus.closed: OrderStatus.cancelled}.get(status, OrderStatus.shipped)
    return reverse.get(fallback) or next(iter(adapter.statuses))


def _learn_mappings(session: Session, shop: Shop) -> None:
    """Mappings for the product codes that the demo's history already links to a SKU
    under another code, so linking those orders again gives the same result."""
    lines, orders, skus = OrderLine.__table__, Order.__table__, Sku.__table__
    option = sa.func.coalesce(lines.c.mall_option, "")
    known = sa.select(SkuMapping.product_code).where(SkuMapping.shop_id == shop.id)
    rows = sa.select(orders.c.shop_id, lines.c.mall_product_code, option,
                     sa.func.min(lines.c.sku_id)).select_from(
        lines.join(orders, orders.c.id == lines.c.order_id)
        .join(skus, skus.c.id == lines.c.sku_id)).where(
        orders.c.shop_id == shop.id, lines.c.link_result == LinkResult.ok.value,
        skus.c.code != lines.c.mall_product_code,
        lines.c.mall_product_code.not_in(known)).group_by(
        orders.c.shop_id, lines.c.mall_product_code, option)
    session.execute(sa.insert(SkuMapping).from_select(
        ["shop_id", "product_code", "option", "sku_id"], rows))
