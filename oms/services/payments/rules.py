"""Which gateway serves an order's card payment, and which actions its payment status
allows (SCOPE P4 G1, G3–G5, G13, G14). A refusal is a sentence for the operator."""

from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from oms.labels import PAYMENT_STATUS
from oms.models import MallKind, Order, OrderStatus, PaymentKind, PaymentStatus, Shop
from oms.models.payments import Gateway, TransactionKind

P, A = PaymentStatus, TransactionKind
# Actions that call the gateway, and the one that does not (状態のみ変更).
GATEWAY_ACTIONS = (A.authorize, A.reauthorize, A.capture, A.void)
CLOSED_ORDERS = (OrderStatus.cancelled, OrderStatus.closed)
# The shop setting that makes a Rakuten shop's card orders go through 楽天カード決済API.
RAKUTEN_CARD_SETTING = "rakuten_card_api"
# What each gateway action allows from (the payment status before the intent).
FROM = {
    A.authorize: (P.unpaid, P.auth_failed, P.voided),
    A.reauthorize: (P.authorized,),
    A.capture: (P.authorized,),
    A.void: (P.authorized,),
}
# The status shown while the gateway's answer is awaited.
IN_FLIGHT = {A.authorize: P.authorizing, A.reauthorize: P.authorizing,
             A.capture: P.capturing}
# The payment statuses 状態のみ変更 may set (the card's; deferred ones belong to NP / GMO).
MANUAL_STATUSES = (P.unpaid, P.authorized, P.auth_failed, P.captured, P.voided, P.paid,
                   P.refunded)
# The refusals, shared with the bulk operation's SQL guards (bulk/operations/card_payment).
NOT_CARD = _l("The order is not paid by card.")
MALL_PAYS = _l("The mall takes the payment of its orders: the gateway actions are not "
               "available.")
CLOSED = _l("The order is cancelled or closed.")
INCREASED = _l("A re-authorization is needed for the increased amount.")
CARD_CHANGED = _l("The card was changed: re-authorize first.")
NO_TRANSACTION = _l("The gateway's transaction number is missing.")
NOTHING_TO_AUTHORIZE = _l("There is nothing to authorize (the total is ¥0).")
NO_CARD = _l("The order has no saved card to authorize.")


class Refused(ValueError):
    """The action is not possible for this order; the message says why."""


@dataclass(frozen=True)
class Offer:
    """What 決済状況変更 offers for one order."""

    gateway: Gateway | None
    actions: tuple[TransactionKind, ...]
    why_none: str | None = None  # why no gateway action is offered


def gateway_for(order: Order) -> Gateway:
    """The gateway of the order's card payment; Refused for a mall's order (the mall takes
    its payment, G13) unless its Rakuten shop uses 楽天カード決済API, and for other kinds."""
    if order.payment_method.kind is not PaymentKind.card:
        raise Refused(str(NOT_CARD))
    shop = order.shop
    if shop.kind is MallKind.own:
        return Gateway.card
    if uses_rakuten_card(shop):
        return Gateway.rakuten_card
    raise Refused(str(MALL_PAYS))


def uses_rakuten_card(shop: Shop) -> bool:
    """Whether the Rakuten shop's card orders go through 楽天カード決済API (its shop
    settings, 設定 > ショップ)."""
    return shop.kind is MallKind.rakuten and bool((shop.settings or {}).get(RAKUTEN_CARD_SETTING))


def gateway_shops() -> sa.Select:
    """The shops whose card orders the gateway serves, as SQL: the own shop's, and the
    Rakuten shops set for 楽天カード決済API (G13)."""
    return sa.select(Shop.id).where(sa.or_(
        Shop.kind == MallKind.own,
        sa.and_(Shop.kind == MallKind.rakuten, Shop.settings[RAKUTEN_CARD_SETTING].as_boolean())))


def check(order: Order, action: TransactionKind) -> Gateway:
    """The gateway that performs `action` on the order; Refused with the reason when its
    state does not allow it."""
    gateway = gateway_for(order)
    if order.status in CLOSED_ORDERS or order.deleted_at is not None:
        raise Refused(str(CLOSED))
    if order.payment_status not in FROM[action]:
        raise Refused(not_now(order.payment_status))
    if action is A.capture and order.total > order.authorized_amount:
        raise Refused(str(INCREASED))
    if action is A.capture and order.reauth_required:
        raise Refused(str(CARD_CHANGED))
    if action in (A.capture, A.void) and not order.transaction_id:
        raise Refused(str(NO_TRANSACTION))
    if action in (A.authorize, A.reauthorize) and order.total <= 0:
        raise Refused(str(NOTHING_TO_AUTHORIZE))
    return gateway


def offer(order: Order, *, is_admin: bool) -> Offer:
    """The actions the order's state allows, for the 決済状況変更 popup."""
    manual = (A.manual_status,) if is_admin else ()
    try:
        gateway = gateway_for(order)
    except Refused as refused:
        return Offer(None, manual, str(refused))
    allowed = []
    for action in GATEWAY_ACTIONS:
        try:
            check(order, action)
        except Refused:
            if action is A.capture and order.payment_status is P.authorized:
                allowed.append(action)  # offered: submitting it says why not (G3)
            continue
        allowed.append(action)
    return Offer(gateway, (*allowed, *manual))


def not_now(status: PaymentStatus) -> str:
    """Why no gateway action is possible while the payment has this status."""
    return str(_l("Not possible while the payment is “%(status)s”.",
                  status=PAYMENT_STATUS.get(status, status.value)))
