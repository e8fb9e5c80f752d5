"""Blacklisting non-member orderers from the order screen (seed 003 ブラックリスト客の指定/解除).

An entry holds the orderer's normalised mobile number, e-mail and landline. Orders placed
from the designation on whose orderer matches get `Order.blacklist_entry_id`, which the
order list shows as a flag; releasing the entry clears it on every order it flagged,
including those placed before the release.

Matching (seed 003): the mobile number OR the e-mail; the landline is compared only when
the entry, or the order, has neither a mobile number nor an e-mail.
"""

from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from oms.access import Actor
from oms.models import BlacklistEntry, Order
from oms.models.base import utcnow
from oms.services import audit
from oms.services.contact_keys import email_key, phone_key


class BlacklistError(ValueError):
    """The designation or release cannot be done; the message says why."""


@dataclass(frozen=True)
class ContactKeys:
    mobile: str | None
    email: str | None
    landline: str | None

    @property
    def empty(self) -> bool:
        return not (self.mobile or self.email or self.landline)


def keys_of(order: Order) -> ContactKeys:
    phone = phone_key(order.buyer_phone)
    return ContactKeys(
        mobile=phone.e164 if phone and phone.mobile else None,
        email=email_key(order.buyer_email),
        landline=phone.e164 if phone and not phone.mobile else None,
    )


def _entry_matches(keys: ContactKeys) -> sa.ColumnElement[bool]:
    """SQL: active entries this orderer matches."""
    options = []
    if keys.mobile:
        options.append(BlacklistEntry.mobile_key == keys.mobile)
    if keys.email:
        options.append(BlacklistEntry.email_key == keys.email)
    if keys.landline:
        if keys.mobile or keys.email:
            options.append(sa.and_(BlacklistEntry.landline_key == keys.landline,
                                   BlacklistEntry.mobile_key.is_(None),
                                   BlacklistEntry.email_key.is_(None)))
        else:
            options.append(BlacklistEntry.landline_key == keys.landline)
    return sa.and_(BlacklistEntry.released_at.is_(None), sa.or_(*options))


def active_entry_for(session: Session, order: Order) -> BlacklistEntry | None:
    """The designation this order's orderer falls under, if any (whenever they ordered)."""
    keys = keys_of(order)
    if order.customer_id is not None or keys.empty:
        return None
    return session.scalar(sa.select(BlacklistEntry).where(_entry_matches(keys))
                          .order_by(BlacklistEntry.id).limit(1))


def designate(session: Session, order: Order, actor: Actor, reason: str | None = None
              ) -> BlacklistEntry:
    """Blacklist the non-member orderer of `order`. Their orders from now on are flagged."""
    if order.customer_id is not None:
        raise BlacklistError(str(_l(
            "Only non-member orderers can be blacklisted here; members are managed in the "
            "customer screen.")))
    keys = keys_of(order)
    if keys.empty:
        raise BlacklistError(str(_l(
            "The orderer has no usable phone number or e-mail address to recognise them by.")))
    if active_entry_for(session, order):
        raise BlacklistError(str(_l("This orderer is already blacklisted.")))
    entry = BlacklistEntry(name=order.buyer_name, mobile_key=keys.mobile, email_key=keys.email,
                           landline_key=keys.landline, reason=(reason or "").strip() or None,
                           source_order_id=order.id, created_by_name=actor.username)
    session.add(entry)
    session.flush()
    audit.record(session, actor, "blacklist.designate", entity_type="blacklist",
                 entity_id=entry.id, details={"order_id": order.id, "name": entry.name})
    _flag_from(session, entry)
    return entry


def release(session: Session, entry: BlacklistEntry, actor: Actor) -> int:
    """Release an entry; returns how many orders lost the flag."""
    if entry.released_at is not None:
        raise BlacklistError(str(_l("This orderer is no longer blacklisted.")))
    entry.released_at = utcnow()
    entry.released_by_name = actor.username
    cleared = session.execute(
        sa.update(Order).where(Order.blacklist_entry_id == entry.id)
        .values(blacklist_entry_id=None).execution_options(synchronize_session="fetch")
    ).rowcount
    audit.record(session, actor, "blacklist.release", entity_type="blacklist",
                 entity_id=entry.id, details={"orders_cleared": cleared, "name": entry.name})
    session.flush()
    return cleared


def flag_new_orders(session: Session, orders: Iterable[Order]) -> int:
    """Flag freshly imported or created orders whose non-member orderer is blacklisted.

    Imports call this for the orders they add; returns how many were flagged.
    """
    flagged = 0
    for order in orders:
        if order.blacklist_entry_id is not None:
            continue
        entry = active_entry_for(session, order)
        if entry is not None and order.ordered_at >= entry.created_at:
            order.blacklist_entry_id = entry.id
            flagged += 1
    return flagged


def _flag_from(session: Session, entry: BlacklistEntry) -> None:
    """Orders that already arrived with an order date from the designation on (a mall may
    deliver orders late). Candidates come from indexed columns, then exact keys decide."""
    candidates = []
    if entry.email_key:
        candidates.append(sa.func.lower(Order.buyer_email) == entry.email_key)
    phone = entry.mobile_key or entry.landline_key
    if phone:
        national = "0" + phone.removeprefix("+81")
        candidates.append(sa.func.replace(Order.buyer_phone, "-", "").in_([national, phone]))
    orders = session.scalars(sa.select(Order).where(
        sa.or_(*candidates), Order.customer_id.is_(None), Order.deleted_at.is_(None),
        Order.ordered_at >= entry.created_at, Order.blacklist_entry_id.is_(None)))
    flag_new_orders(session, orders)
