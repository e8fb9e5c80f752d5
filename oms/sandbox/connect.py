"""Point the OMS's mall shops at the sandbox (make run, the demo): one seller account per
shop, our SKUs listed as its products (plus a few old product codes that no SKU has, so
item linking has FAIL orders to fix), and new orders and buyer changes over time."""

import random

import sqlalchemy as sa
from sqlalchemy.orm import Session

from oms.integrations.malls import ADAPTERS
from oms.models import Shop, Sku
from oms.sandbox.control import Sandbox
from oms.services import malls

PRODUCTS_PER_SHOP = 60
OLD_CODES = 2  # products listed under a code our SKU master does not know
DEMO_SETTINGS = {"latency_ms": 40, "new_per_minute": 3.0, "changes_per_minute": 1.0,
                 "rate_per_second": 20}


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
        connected.append(shop.code)
    session.flush()
    return connected


def _products(shop: Shop, skus: list[Sku]) -> list[dict]:
    rng = random.Random(shop.code)
    chosen = rng.sample(skus, min(PRODUCTS_PER_SHOP, len(skus))) if skus else []
    products = [{"code": s.code, "option": "", "name": s.name, "price": s.price,
                 "tax_rate": s.tax_rate} for s in chosen]
    for sku in chosen[:OLD_CODES]:
        products.append({"code": f"OLD-{sku.code}", "option": "", "name": f"{sku.name} (旧品番)",
                         "price": sku.price, "tax_rate": sku.tax_rate})
    return products
