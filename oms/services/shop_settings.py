"""Changing a shop's mall settings (Settings → Shops): the connection, auto-confirm, polling,
the rate limit and the mapping of the mall's statuses to ours; every changed setting gets an
audit row (credentials only as "replaced" or "removed", never their value)."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from sqlalchemy.orm import Session

from oms import crypto
from oms.integrations.malls import ADAPTERS
from oms.models import MallKind, OrderStatus, Shop
from oms.services import audit, malls, shop_shipping
from oms.services.actor import Actor
from oms.services.payments import rules
from oms.services.shop_shipping import ShopShipping


@dataclass
class ShopChange:
    """What an admin asked for. `status_map` maps every mall status code the form showed
    to the value of one of our statuses; `credentials` empty keeps the stored ones."""

    api_endpoint: str | None
    auto_confirm: bool
    active: bool
    poll_minutes: int
    rate_per_second: Decimal | float | None = None
    lookback_days: int | None = None
    credentials: str | None = None
    clear_credentials: bool = False
    status_map: Mapping[str, str] = field(default_factory=dict)
    # None keeps the shipping settings as they are.
    shipping: ShopShipping | None = None


class StatusMapRefused(ValueError):
    """Some mall statuses were not mapped to one of ours; `errors` maps each code to why.
    Nothing was changed."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


def status_overrides(shop: Shop, submitted: Mapping[str, str]) -> dict[str, str]:
    """The mall statuses mapped otherwise than the adapter's default (StatusMapRefused when
    a code is not mapped to one of our statuses)."""
    adapter = ADAPTERS.get(shop.kind.value)
    overrides, errors = {}, {}
    for code in adapter.statuses if adapter else ():
        value = submitted.get(code, "")
        if value not in OrderStatus.__members__:
            errors[code] = _("Choose one of our statuses.")
        elif OrderStatus(value) is not adapter.default_map[code]:
            overrides[code] = value
    if errors:
        raise StatusMapRefused(errors)
    return overrides


def update_shop(session: Session, shop: Shop, change: ShopChange, actor: Actor,
                secret_key: str) -> list[str]:
    """Apply the change; returns the names of the settings that changed, each audited
    (StatusMapRefused or ShippingRefused, changing nothing, when a rule refuses it)."""
    overrides = status_overrides(shop, change.status_map)
    shipping = shop_shipping.checked(change.shipping) if change.shipping else None
    settings = dict(shop.settings or {})
    before = _snapshot(shop, settings)
    shop.api_endpoint = (change.api_endpoint or "").strip() or None
    shop.auto_confirm = change.auto_confirm
    shop.active = change.active
    shop.poll_minutes = change.poll_minutes or 0
    for name, value in (("rate_per_second", change.rate_per_second),
                        ("lookback_days", change.lookback_days)):
        if value is None:
            settings.pop(name, None)
        else:
            settings[name] = float(value) if name == "rate_per_second" else int(value)
    settings["status_map"] = overrides
    if shipping is not None:
        settings["shipping"] = shop_shipping.stored(shipping)
    shop.settings = settings  # a new dict: JSON columns notice reassignment only
    after = _snapshot(shop, settings)
    changed = []
    for name, old in before.items():
        if old != after[name]:
            audit.record(session, actor, "shop.update", entity_type="shop", entity_id=shop.id,
                         field=name, old=_text(old), new=_text(after[name]))
            changed.append(name)
    credentials = _credentials(shop, change, secret_key)
    if credentials:
        audit.record(session, actor, "shop.update", entity_type="shop", entity_id=shop.id,
                     field="credentials", details={"credentials": credentials})
        changed.append("credentials")
    session.flush()
    return changed


def set_rakuten_card(session: Session, shop: Shop, on: bool, actor: Actor) -> bool:
    """Whether the Rakuten shop's card orders go through 楽天カード決済API (SCOPE P4 G13:
    the gateway actions, オーソリ in 確認待ち and 売上 at 出荷済), audited; the API's
    credentials are the installation's (決済設定). Returns whether it changed."""
    if shop.kind is not MallKind.rakuten:
        raise ValueError(f"shop {shop.id} is not a Rakuten shop")
    before = rules.uses_rakuten_card(shop)
    if before == on:
        return False
    settings = dict(shop.settings or {})
    settings[rules.RAKUTEN_CARD_SETTING] = on
    shop.settings = settings  # a new dict: JSON columns notice reassignment only
    audit.record(session, actor, "shop.update", entity_type="shop", entity_id=shop.id,
                 field=rules.RAKUTEN_CARD_SETTING, old=_text(before), new=_text(on))
    session.flush()
    return True


def _snapshot(shop: Shop, settings: dict[str, Any]) -> dict[str, Any]:
    return {"api_endpoint": shop.api_endpoint, "auto_confirm": shop.auto_confirm,
            "active": shop.active, "poll_minutes": shop.poll_minutes,
            "rate_per_second": settings.get("rate_per_second"),
            "lookback_days": settings.get("lookback_days"),
            "status_map": dict(sorted((settings.get("status_map") or {}).items())),
            **{f"shipping.{name}": value for name, value in shop_shipping.stored(
                shop_shipping.for_shop(shop)).items()}}


def _text(value: Any) -> str | None:
    if isinstance(value, dict):
        return ", ".join(f"{code}→{ours}" for code, ours in value.items()) or None
    return None if value is None else str(value)


def _credentials(shop: Shop, change: ShopChange, secret_key: str) -> str | None:
    """Replace or remove the stored credentials; returns what happened, for the audit."""
    if change.clear_credentials:
        if shop.credentials is None:
            return None
        shop.credentials = None
        return "removed"
    if change.credentials:
        try:
            same = malls.credentials(shop, secret_key) == change.credentials
        except crypto.SecretUnreadable:
            same = False
        if same:
            return None
        malls.set_credentials(shop, secret_key, change.credentials)
        return "replaced"
    return None
