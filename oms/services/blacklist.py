"""Blacklisting non-member orderers from the order screen (seed 003 ブラックリスト客の指定/解除).

An entry holds the orderer's normalised mobile number, e-mail and landline. Orders placed
from the designation on whose orderer matches get `Order.blacklist_entry_id`, which the
order list shows as a flag; releasing the entry clears it on every order it flagged,
including those placed before the release.

Matching (seed 003): the mobile number OR the e-mail; the landline is compared only when
the entry, or the order, has neither a mobile number nor an e-mail.

Whether an order is a blacklist hit is decided once, by `order_flag` (the list, the detail
page) and `flag_condition` (the search), so every screen says the same: a non-member's
order flagged by a designation, or a member's order whose customer is blacklisted (a hit)
or a blacklist candidate.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from oms.models import BlacklistEntry, BlacklistStatus, Customer, Order
from oms.models.base import utcnow
from oms.services import audit
from oms.services.actor import Actor
from oms.services.contact_keys import email_key, phone_key
from oms.services.sql_rows import expire_loaded

_orders = Order.__table__


class Flag(StrEnum):
    hit = "hit"                # 悪質注文: flagged by a designation, or a blacklisted member
    candidate = "candidate"    # a member who is a blacklist candidate


def order_flag(order: Order) -> Flag | None:
    """The blacklist flag an order shows, on every screen."""
    customer = order.customer if order.customer_id is not None else None
    return flag_of(order.blacklist_entry_id,
                   customer.blacklist_status if customer is not None else None)


def flag_of(blacklist_entry_id: int | None,
            customer_status: BlacklistStatus | None) -> Flag | None:
    """The one rule: the order's own designation, else its customer's standing."""
    if blacklist_entry_id is not None or customer_status is BlacklistStatus.blacklisted:
        return Flag.hit
    if customer_status is BlacklistStatus.candidate:
        return Flag.candidate
    return None


def flag_condition() -> sa.ColumnElement[bool]:
    """The orders `order_flag` flags, for the search: exactly the rows that show a flag."""
    return sa.or_(
        Order.blacklist_entry_id.is_not(None),
        Order.customer_id.in_(sa.select(Customer.id).where(
            Customer.blacklist_status != BlacklistStatus.clear)))


class BlacklistError(ValueError):
    """The designation or release cannot be done; the message says why."""


@dataclass(frozen=True)
class ContactKeys:
    mobile: str | None
    email: str | None
    landline: str | None

    @classmethod
    def of(cls, phone: str | None, email: str | None) -> "ContactKeys":
        number = phone_key(phone)
        return cls(mobile=number.e164 if number and number.mobile else None,
                   email=email_key(email),
                   landline=number.e164 if number and not number.mobile else None)

    @property
    def empty(self) -> bool:
        return not (self.mobile or self.email or self.landline)

    def matches(self, entry: BlacklistEntry) -> bool:
        """The matching rule of seed 003, in one place."""
        if (self.mobile and self.mobile == entry.mobile_key) or (
                self.email and self.email == entry.email_key):
            return True
        without_both = not (self.mobile or self.email) or not (
            entry.mobile_key or entry.email_key)
        return bool(self.landline and self.landline == entry.landline_key and without_both)


def keys_of(order: Order) -> ContactKeys:
    return ContactKeys.of(order.buyer_phone, order.buyer_email)


def _candidates(session: Session, keys: Iterable[ContactKeys]) -> list[BlacklistEntry]:
    """Active entries sharing any key with these orderers (the rule then decides)."""
    mobiles, emails, landlines = set(), set(), set()
    for k in keys:
        mobiles.add(k.mobile)
        emails.add(k.email)
        landlines.add(k.landline)
    options = [column.in_(values - {None}) for column, values in (
        (BlacklistEntry.mobile_key, mobiles), (BlacklistEntry.email_key, emails),
        (BlacklistEntry.landline_key, landlines)) if values - {None}]
    if not options:
        return []
    return list(session.scalars(
        sa.select(BlacklistEntry).where(BlacklistEntry.released_at.is_(None), sa.or_(*options))
        .order_by(BlacklistEntry.id)))


def active_entry_for(session: Session, order: Order) -> BlacklistEntry | None:
    """The designation this order's orderer falls under, if any (whenever they ordered)."""
    keys = keys_of(order)
    if order.customer_id is not None or keys.empty:
        return None
    return next((e for e in _candidates(session, [keys]) if keys.matches(e)), None)


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
    _flag_late_arrivals(session, entry)
    return entry


def release(session: Session, entry: BlacklistEntry, actor: Actor) -> int:
    """Release an entry; returns how many orders lost the flag."""
    if entry.released_at is not None:
        raise BlacklistError(str(_l("This orderer is no longer blacklisted.")))
    entry.released_at = utcnow()
    entry.released_by_name = actor.username
    session.flush()
    cleared = session.execute(
        sa.update(_orders).where(_orders.c.blacklist_entry_id == entry.id)
        .values(blacklist_entry_id=None).returning(_orders.c.id)).scalars().all()
    expire_loaded(session, Order, cleared, ["blacklist_entry_id"])
    audit.record(session, actor, "blacklist.release", entity_type="blacklist",
                 entity_id=entry.id, details={"orders_cleared": len(cleared),
                                              "name": entry.name})
    session.flush()
    return len(cleared)


def flag_orders(session: Session, order_ids: Iterable[int]) -> int:
    """Flag new orders whose non-member orderer is blacklisted; returns how many.

    Set-based, for imports: one read of the orders, one of the candidate entries, one
    batched update. The flag is bookkeeping, not an edit: versions stay, so an operator's
    open edit form is not made stale by it.
    """
    session.flush()
    rows = session.execute(
        sa.select(_orders.c.id, _orders.c.buyer_phone, _orders.c.buyer_email,
                  _orders.c.ordered_at)
        .where(_orders.c.id.in_(list(order_ids)), _orders.c.customer_id.is_(None),
               _orders.c.blacklist_entry_id.is_(None), _orders.c.deleted_at.is_(None))).all()
    keyed = [(row.id, ContactKeys.of(row.buyer_phone, row.buyer_email), row.ordered_at)
             for row in rows]
    keyed = [item for item in keyed if not item[1].empty]
    entries = _candidates(session, (keys for _id, keys, _at in keyed))
    flags = []
    for order_id, keys, ordered_at in keyed:
        entry = _first_match(entries, keys, ordered_at)
        if entry is not None:
            flags.append({"oid": order_id, "eid": entry.id})
    if flags:
        session.execute(
            sa.update(_orders).where(_orders.c.id == sa.bindparam("oid"))
            .values(blacklist_entry_id=sa.bindparam("eid")), flags)
        # Orders already loaded in the session re-read the flag written around them.
        expire_loaded(session, Order, [f["oid"] for f in flags], ["blacklist_entry_id"])
    return len(flags)


def _first_match(entries: list[BlacklistEntry], keys: ContactKeys, ordered_at: datetime
                 ) -> BlacklistEntry | None:
    """Only orders placed from the designation on are flagged (seed 003)."""
    return next((e for e in entries if keys.matches(e) and ordered_at >= e.created_at), None)


def _flag_late_arrivals(session: Session, entry: BlacklistEntry) -> None:
    """Orders that already arrived with an order date from the designation on (a mall may
    deliver orders late). Candidates come from indexed columns, then the rule decides."""
    candidates = []
    if entry.email_key:
        candidates.append(sa.func.lower(Order.buyer_email) == entry.email_key)
    phone = entry.mobile_key or entry.landline_key
    if phone:
        national = "0" + phone.removeprefix("+81")
        candidates.append(sa.func.replace(Order.buyer_phone, "-", "").in_([national, phone]))
    flag_orders(session, session.scalars(sa.select(Order.id).where(
        sa.or_(*candidates), Order.ordered_at >= entry.created_at)))
