"""A shop's mall connection: its credentials, its status mapping and its adapter."""

from typing import Any

import redis

from oms import crypto
from oms.integrations.malls import ADAPTERS, MallAdapter, connect
from oms.integrations.malls.ratelimit import redis_throttle
from oms.models import OrderStatus, Shop

# Calls per second per mall account unless the shop says otherwise (settings
# "rate_per_second"); the sandbox enforces the same limits when asked to.
DEFAULT_RATES = {"amazon": 10.0, "rakuten": 5.0, "qoo10": 5.0, "yahoo": 5.0}


class NotConnected(Exception):
    """The shop has no mall API to talk to; the message says what is missing."""


def is_connectable(shop: Shop) -> bool:
    return shop.kind.value in ADAPTERS


def set_credentials(shop: Shop, secret_key: str, plain: str) -> None:
    shop.credentials = crypto.encrypt(secret_key, plain) if plain else None


def credentials(shop: Shop, secret_key: str) -> str | None:
    return crypto.decrypt(secret_key, shop.credentials) if shop.credentials else None


def masked_credentials(shop: Shop, secret_key: str) -> str | None:
    try:
        plain = credentials(shop, secret_key)
    except crypto.SecretUnreadable:
        return "?"
    return crypto.mask(plain) if plain else None


def status_map(shop: Shop) -> dict[str, OrderStatus]:
    """The mall's statuses in our terms: the adapter's defaults, overridden per shop."""
    adapter = ADAPTERS[shop.kind.value]
    mapping = dict(adapter.default_map)
    for code, value in (shop.settings or {}).get("status_map", {}).items():
        if code in adapter.statuses and value in OrderStatus.__members__:
            mapping[code] = OrderStatus(value)
    return mapping


def open_adapter(shop: Shop, secret_key: str, connection: redis.Redis | None = None,
                 **http: Any) -> MallAdapter:
    """An adapter for the shop's mall account, rate-limited across workers via Redis."""
    if not is_connectable(shop):
        raise NotConnected(f"{shop.name}: no mall API for {shop.kind.value} shops")
    if not shop.api_endpoint:
        raise NotConnected(f"{shop.name}: no API endpoint is set")
    try:
        plain = credentials(shop, secret_key)
    except crypto.SecretUnreadable as error:
        raise NotConnected(f"{shop.name}: the stored credentials cannot be read; "
                           "enter them again") from error
    if not plain:
        raise NotConnected(f"{shop.name}: no API credentials are set")
    settings = shop.settings or {}
    rate = float(settings.get("rate_per_second") or DEFAULT_RATES[shop.kind.value])
    throttle = (redis_throttle(connection, f"oms:mall-rate:{shop.id}", rate, burst=2)
                if connection is not None else None)
    if settings.get("timeout_seconds"):  # how long a call waits for the mall's answer
        http.setdefault("timeout", float(settings["timeout_seconds"]))
    return connect(shop.kind.value, shop.api_endpoint, plain, settings, throttle=throttle,
                   **http)
