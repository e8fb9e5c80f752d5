"""Blacklisting non-member orderers (seed 003): matching, flags, release."""

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from oms.models import AuditEvent, BlacklistEntry
from oms.models.base import utcnow
from oms.services import blacklist
from oms.services.actor import Actor
from oms.services.blacklist import BlacklistError
from oms.services.contact_keys import email_key, name_key, phone_key

pytestmark = pytest.mark.usefixtures("in_english")


@pytest.fixture
def actor(users):
    return Actor(users["operator"].id, "operator", "192.0.2.9")


def flag(session, orders) -> int:
    return blacklist.flag_orders(session, [o.id for o in orders])


def later(minutes: int = 0):
    """An order date after the designation that happens during the test."""
    return utcnow() + timedelta(minutes=5 + minutes)


def test_contact_keys_normalise_width_format_and_case():
    mobile = phone_key("090-1234-5678")
    assert mobile.mobile and mobile.e164 == "+819012345678"
    assert phone_key("０９０（１２３４）５６７８") == mobile
    assert phone_key("+81 90 1234 5678") == mobile
    landline = phone_key("03-1234-5678")
    assert not landline.mobile and landline.e164 == "+81312345678"
    assert phone_key("不明") is None and phone_key("") is None
    assert email_key(" Ｔａｒｏ@Example.JP ") == "taro@example.jp"
    assert email_key("nobody") is None
    assert name_key("やまだ　ﾀﾛｳ") == "ヤマダタロウ"


def test_later_orders_matching_mobile_or_email_are_flagged(session, factory, actor):
    first = factory.order(buyer_phone="090-1111-2222", buyer_email="bad@example.jp",
                          ordered_at=utcnow() - timedelta(days=1))
    entry = blacklist.designate(session, first, actor, reason="受取拒否 3回")
    assert (entry.mobile_key, entry.email_key, entry.landline_key) == (
        "+819011112222", "bad@example.jp", None)
    assert first.blacklist_entry_id is None  # placed before the designation

    same_mobile = factory.order(buyer_phone="０９０ １１１１ ２２２２", buyer_email="x@example.jp",
                                ordered_at=later())
    same_email = factory.order(buyer_phone=None, buyer_email="BAD@example.jp",
                               ordered_at=later())
    stranger = factory.order(buyer_phone="090-9999-0000", buyer_email="ok@example.jp",
                             ordered_at=later())
    member = factory.order(customer_id=factory.customer().id, buyer_phone="090-1111-2222",
                           ordered_at=later())
    assert flag(session, [same_mobile, same_email, stranger, member]) == 2
    assert same_mobile.blacklist_entry_id == entry.id == same_email.blacklist_entry_id
    assert stranger.blacklist_entry_id is None and member.blacklist_entry_id is None
    audit = session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "blacklist.designate"))
    assert (audit.username, audit.ip) == ("operator", "192.0.2.9")


def test_the_landline_counts_only_without_mobile_and_email(session, factory, actor):
    landline_only = factory.order(buyer_phone="03-1234-5678", buyer_email=None)
    entry = blacklist.designate(session, landline_only, actor)
    assert (entry.mobile_key, entry.email_key, entry.landline_key) == (None, None, "+81312345678")
    again = factory.order(buyer_phone="0312345678", buyer_email=None, ordered_at=later())
    assert flag(session, [again]) == 1

    # An orderer blacklisted with an e-mail is not matched by a shared office landline.
    with_email = factory.order(buyer_phone="06-1111-2222", buyer_email="who@example.jp")
    blacklist.designate(session, with_email, actor)
    colleague = factory.order(buyer_phone="06-1111-2222", buyer_email="other@example.jp",
                              ordered_at=later())
    assert flag(session, [colleague]) == 0


def test_orders_already_delivered_late_are_flagged_at_designation(session, factory, actor):
    source = factory.order(buyer_phone="080-2222-3333", buyer_email=None,
                           ordered_at=utcnow() - timedelta(days=3))
    arrived = factory.order(buyer_phone="08022223333", buyer_email=None,
                            ordered_at=utcnow() + timedelta(seconds=30))
    entry = blacklist.designate(session, source, actor)
    assert arrived.blacklist_entry_id == entry.id


def test_release_clears_every_flag(session, factory, actor):
    source = factory.order(buyer_email="gone@example.jp", buyer_phone=None)
    entry = blacklist.designate(session, source, actor)
    flagged = [factory.order(buyer_email="gone@example.jp", buyer_phone=None,
                             ordered_at=later(minutes=i)) for i in range(3)]
    flag(session, flagged)
    assert all(o.blacklist_entry_id == entry.id for o in flagged)
    assert blacklist.release(session, entry, actor) == 3
    for order in flagged:
        session.refresh(order)
        assert order.blacklist_entry_id is None
    assert blacklist.active_entry_for(session, source) is None
    assert flag(session, [factory.order(
        buyer_email="gone@example.jp", ordered_at=later(minutes=9))]) == 0
    with pytest.raises(BlacklistError):
        blacklist.release(session, entry, actor)
    # Designating again makes a new entry.
    assert blacklist.designate(session, source, actor).id != entry.id


def test_designation_refusals(session, factory, actor):
    member = factory.order(customer_id=factory.customer().id)
    with pytest.raises(BlacklistError, match="non-member"):
        blacklist.designate(session, member, actor)
    unknown = factory.order(buyer_phone="不明", buyer_email=None)
    with pytest.raises(BlacklistError, match="phone"):
        blacklist.designate(session, unknown, actor)
    twice = factory.order(buyer_email="twice@example.jp")
    blacklist.designate(session, twice, actor)
    with pytest.raises(BlacklistError, match="already"):
        blacklist.designate(session, twice, actor)
    assert session.scalar(sa.select(sa.func.count()).select_from(BlacklistEntry)) == 1


def test_flagging_uses_the_order_date(session, factory, actor):
    source = factory.order(buyer_email="late@example.jp")
    entry = blacklist.designate(session, source, actor)
    older = factory.order(buyer_email="late@example.jp",
                          ordered_at=datetime(2020, 1, 1, tzinfo=UTC))
    assert flag(session, [older]) == 0
    assert entry.active


def test_flagging_an_import_batch_is_set_based(session, factory, actor, app):
    from oms.extensions import db

    source = factory.order(buyer_email="batch@example.jp", buyer_phone=None)
    blacklist.designate(session, source, actor)
    batch = [factory.order(buyer_email="batch@example.jp" if i % 5 == 0 else f"{i}@example.jp",
                           ordered_at=later(i)) for i in range(50)]
    session.flush()
    statements = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        assert flag(session, batch) == 10
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)
    assert len(statements) <= 4, statements
