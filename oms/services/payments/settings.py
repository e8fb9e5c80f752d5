"""決済設定 (`app_settings['payments']`): where the card gateway is, its API key (encrypted
as the shops' mall credentials are), and the automatic steps."""

from dataclasses import asdict, dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from oms import crypto
from oms.integrations.payments import CardGateway
from oms.models import AppSetting
from oms.models.payments import Gateway
from oms.services import app_settings
from oms.services.actor import Actor

KEY = "payments"
MAX_VALID_DAYS = 365
DEFAULT_TIMEOUT = 10.0


@dataclass
class PaymentSettings:
    endpoint: str = ""  # the card gateway's base URL
    api_key: str = ""  # encrypted (crypto.encrypt); empty when none is set
    # 楽天カード決済API, for the Rakuten shops whose settings say "rakuten_card_api".
    rakuten_card_endpoint: str = ""
    rakuten_card_api_key: str = ""  # encrypted
    auto_authorize: bool = True  # オーソリ own-shop card orders entering 確認待ち
    auto_capture_on_shipped: bool = True  # 売上 when an order becomes 出荷済
    auth_valid_days: int = 60  # when the gateway does not say when an authorization lapses
    timeout_seconds: float = DEFAULT_TIMEOUT


def read(session: Session) -> PaymentSettings:
    """The payment settings, defaults for anything not saved."""
    row = session.get(AppSetting, KEY)
    saved = dict(row.value) if row else {}
    known = {k: v for k, v in saved.items() if k in asdict(PaymentSettings())}
    return PaymentSettings(**known)


def save(session: Session, settings: PaymentSettings, actor: Actor) -> bool:
    """Store the settings (one audit row per changed setting; keys are audited encrypted,
    so the trail never holds them). Returns whether anything changed."""
    return app_settings.save_group(session, KEY, asdict(settings), asdict(read(session)), actor)


def with_keys(settings: PaymentSettings, secret_key: str, *, api_key: str | None = None,
              rakuten_card_api_key: str | None = None) -> PaymentSettings:
    """The settings with the keys given in plain text encrypted (None keeps a key,
    an empty string removes it)."""
    if api_key is not None:
        settings.api_key = crypto.encrypt(secret_key, api_key) if api_key else ""
    if rakuten_card_api_key is not None:
        settings.rakuten_card_api_key = (crypto.encrypt(secret_key, rakuten_card_api_key)
                                         if rakuten_card_api_key else "")
    return settings


def masked(secret_key: str, token: str) -> str:
    """What the settings page shows of a stored key."""
    if not token:
        return ""
    try:
        return crypto.mask(crypto.decrypt(secret_key, token))
    except crypto.SecretUnreadable:
        return "?"


class NotConfigured(Exception):
    """The gateway has no endpoint or key: nothing can be asked of it."""


def open_gateway(settings: PaymentSettings, gateway: Gateway, secret_key: str) -> CardGateway:
    """A connection to the card gateway (or 楽天カード決済API) the settings point at."""
    from oms.integrations.payments.card import connect

    if gateway is Gateway.rakuten_card:
        endpoint, token = settings.rakuten_card_endpoint, settings.rakuten_card_api_key
    else:
        endpoint, token = settings.endpoint, settings.api_key
    if not endpoint or not token:
        raise NotConfigured(str(_l("The card gateway is not set up (Settings > Payment "
                                   "settings).")))
    try:
        key = crypto.decrypt(secret_key, token)
    except crypto.SecretUnreadable as error:
        raise NotConfigured(str(_l("The gateway's API key cannot be read: enter it again in "
                                   "the payment settings."))) from error
    return connect(endpoint, key, settings.timeout_seconds)
