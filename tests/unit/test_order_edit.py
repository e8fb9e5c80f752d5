"""The edit rules of seed 002, each with its refusal, and the audit row per changed field."""

from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from oms.models import (
    AuditEvent,
    CardPlan,
    DateStamp,
    LineStatus,
    Media,
    Order,
    OrderLine,
    OrderStatus,
    PaymentKind,
    PaymentStatus,
    RecipientChange,
    Shipment,
    StatusHistory,
    Wrapping,
)
from oms.services import order_edit, order_search
from oms.services.actor import Actor
from oms.services.order_edit import EditConflict, EditRefused, OrderEdit, Propagate

TODAY = date(2026, 5, 1)
pytestmark = pytest.mark.usefixtures("in_english")


@pytest.fixture
def actor(users):
    user = users["operator"]
    return Actor(user.id, user.username, "192.0.2.7", "screen")


def save(session, order, actor, **values):
    edit = values.pop("edit", None) or OrderEdit(values=values)
    return order_edit.update_order(session, order, edit, actor, version=order.version,
                                   today=TODAY)


def audit_rows(session, order):
    return session.scalars(sa.select(AuditEvent).where(
        AuditEvent.entity_type == "order", AuditEvent.entity_id == str(order.id))
        .order_by(AuditEvent.id)).all()


def test_each_changed_field_is_audited_with_user_ip_and_time(session, factory, actor):
    order = factory.order(media="web", remarks1=None)
    version, old_email = order.version, order.buyer_email
    changes = save(session, order, actor, media="  web  ", remarks1="同梱依頼",
                   buyer_email="new@example.jp")
    session.commit()
    assert {c.field for c in changes} == {"remarks1", "buyer_email"}  # media is unchanged
    rows = audit_rows(session, order)
    assert [(r.field, r.old_value, r.new_value) for r in rows] == [
        ("remarks1", None, "同梱依頼"),
        ("buyer_email", old_email, "new@example.jp"),
    ]
    for row in rows:
        assert (row.user_id, row.username, row.ip, row.via) == (
            actor.user_id, "operator", "192.0.2.7", "screen")
        assert row.action == "order.update" and row.created_at is not None
    assert order.version == version + 1


def test_needs_attention_no_clears_the_reason(session, factory, actor):
    reason = factory.attention_reason("住所不備")
    order = factory.order(needs_attention=True, attention_reason_id=reason.id)
    save(session, order, actor, needs_attention=False, attention_reason_id=reason.id)
    assert order.needs_attention is False and order.attention_reason_id is None


def test_leaving_an_authorized_card_payment_needs_a_void_first(session, factory, actor):
    card = factory.payment_method(PaymentKind.card)
    cod = factory.payment_method(PaymentKind.cod)
    order = factory.order(payment_method=card, payment_status=PaymentStatus.authorized)
    session.commit()
    with pytest.raises(EditRefused) as refused:
        save(session, order, actor, payment_method_id=cod.id, remarks1="x")
    assert "void" in refused.value.errors["payment_method_id"]
    session.rollback()
    assert order.payment_method_id == card.id and order.remarks1 is None
    assert audit_rows(session, order) == []

    order.payment_status = PaymentStatus.voided
    save(session, order, actor, payment_method_id=cod.id)
    assert order.payment_method_id == cod.id


def test_a_captured_card_payment_cannot_change_method(session, factory, actor):
    card = factory.payment_method(PaymentKind.card)
    cod = factory.payment_method(PaymentKind.cod)
    order = factory.order(payment_method=card, payment_status=PaymentStatus.captured)
    with pytest.raises(EditRefused, match="captured"):
        save(session, order, actor, payment_method_id=cod.id)


def test_switching_to_card_needs_a_card_the_customer_saved(session, factory, actor):
    card_method = factory.payment_method(PaymentKind.card, card_plan=CardPlan.installments)
    cod = factory.payment_method(PaymentKind.cod)
    guest_order = factory.order(payment_method=cod, payment_status=PaymentStatus.unpaid)
    with pytest.raises(EditRefused) as refused:
        save(session, guest_order, actor, payment_method_id=card_method.id,
             customer_card_id=None)
    assert "My Page" in refused.value.errors["customer_card_id"]

    customer, stranger = factory.customer(), factory.customer()
    theirs = factory.card(stranger)
    expired = factory.card(customer, last4="0002", exp_month=12, exp_year=2025)
    good = factory.card(customer, last4="4242", is_default=True)
    order = factory.order(payment_method=cod, customer_id=customer.id,
                          payment_status=PaymentStatus.unpaid)
    for card_id, message in ((None, "saved cards"), (theirs.id, "saved cards"),
                             (expired.id, "expired")):
        with pytest.raises(EditRefused) as refused:
            save(session, order, actor, payment_method_id=card_method.id,
                 customer_card_id=card_id)
        assert message in refused.value.errors["customer_card_id"]
    save(session, order, actor, payment_method_id=card_method.id, customer_card_id=good.id,
         installments=3)
    assert (order.payment_method_id, order.customer_card_id, order.installments) == (
        card_method.id, good.id, 3)


def test_a_login_only_method_cannot_be_chosen_afterwards(session, factory, actor):
    cod = factory.payment_method(PaymentKind.cod)
    login_only = factory.payment_method(PaymentKind.deferred_np, requires_login=True,
                                        name="Amazon Pay")
    order = factory.order(payment_method=cod, payment_status=PaymentStatus.unpaid)
    with pytest.raises(EditRefused, match="Amazon Pay"):
        save(session, order, actor, payment_method_id=login_only.id)


def test_a_method_change_turns_auto_advance_off(session, factory, actor):
    cod = factory.payment_method(PaymentKind.cod)
    bank = factory.payment_method(PaymentKind.prepaid_bank)
    order = factory.order(payment_method=cod, auto_advance=True,
                          payment_status=PaymentStatus.unpaid, installments=None)
    changes = save(session, order, actor, payment_method_id=bank.id, customer_card_id=None,
                   installments=None)
    assert order.auto_advance is False
    assert {"payment_method_id", "auto_advance"} <= {c.field for c in changes}
    labels = {r.field: r.details for r in audit_rows(session, order)}
    assert labels["payment_method_id"]["new_label"] == bank.name


def test_a_method_change_takes_its_fee_and_recomputes_the_total(session, factory, actor):
    """The fee of 支払い方法管理 follows the method, as the bulk 決済方法 → 代引き does."""
    bank = factory.payment_method(PaymentKind.prepaid_bank, fee=0)
    cod = factory.payment_method(PaymentKind.cod, fee=330)
    order = factory.order(payment_method=bank, payment_status=PaymentStatus.unpaid)
    save(session, order, actor, payment_method_id=cod.id)
    assert (order.payment_fee, order.tax_10, order.total, order.auto_advance) == (
        330, 100, 1430, False)
    audited = {r.field: (r.old_value, r.new_value) for r in audit_rows(session, order)}
    assert (audited["payment_fee"], audited["total"]) == (("0", "330"), ("1100", "1430"))
    save(session, order, actor, payment_method_id=bank.id)
    assert (order.payment_fee, order.total) == (0, 1100)


def test_tax_is_rounded_once_per_rate_over_lines_and_wrapping(session, factory, actor):
    """Three ¥105 lines and a ¥105 wrapping at 10%: 42 once per rate, not 31 + 10."""
    session.add(Wrapping(name="リボン", fee=105, tax_rate=10, position=1))
    lines = [OrderLine(line_no=n, mall_product_code=f"P-{n}", product_name="飴", quantity=1,
                       unit_price=105, tax_rate=10, status=LineStatus.preparing)
             for n in (1, 2, 3)]
    order = factory.order(lines=lines, subtotal=315, tax_10=31, total=346)
    save(session, order, actor, wrapping="リボン")
    assert (order.subtotal, order.wrapping_fee, order.tax_10, order.total) == (
        315, 105, 42, 462)


def test_zero_yen_payment_locks_the_carrier(session, factory, actor):
    zero = factory.payment_method(PaymentKind.zero_yen)
    cod = factory.payment_method(PaymentKind.cod)
    order = factory.order(payment_method=zero, carrier="ヤマト運輸",
                          payment_status=PaymentStatus.not_required)
    assert order_edit.carrier_locked(order)
    with pytest.raises(EditRefused) as refused:
        save(session, order, actor, carrier="佐川急便")
    assert "zero-yen" in refused.value.errors["carrier"]
    # Changing the method away from zero-yen and the carrier at once is still refused:
    with pytest.raises(EditRefused):
        save(session, order, actor, payment_method_id=cod.id, carrier="佐川急便")
    save(session, order, actor, payment_method_id=cod.id, carrier="ヤマト運輸")
    save(session, order, actor, carrier="佐川急便")
    assert order.carrier == "佐川急便"

    other = factory.order(payment_method=cod, carrier="ヤマト運輸",
                          payment_status=PaymentStatus.unpaid)
    with pytest.raises(EditRefused):
        save(session, other, actor, payment_method_id=zero.id, carrier="日本郵便")


def test_handling_status_fills_empty_shipped_and_delivered_dates(session, factory, actor):
    shipped = factory.handling_status("発送完了", stamps=DateStamp.shipped)
    delivered = factory.handling_status("配送完了", stamps=DateStamp.delivered)
    order = factory.order()
    save(session, order, actor, handling_status_id=shipped.id)
    assert order.shipped_at is not None and order.delivered_at is None
    first = order.shipped_at
    save(session, order, actor, handling_status_id=delivered.id)
    assert order.delivered_at is not None and order.shipped_at == first

    given = datetime(2026, 4, 2, 3, 0, tzinfo=UTC)
    other = factory.order(delivered_at=given)
    save(session, other, actor, handling_status_id=delivered.id)
    assert other.delivered_at == given  # a date already there stays


def test_a_stale_version_is_refused_and_changes_nothing(session, factory, actor):
    order = factory.order(remarks1="old")
    session.commit()
    stale = order.version
    save(session, order, actor, remarks1="first save")
    session.commit()
    with pytest.raises(EditConflict):
        order_edit.update_order(session, order, OrderEdit(values={"remarks1": "second"}),
                                actor, version=stale, today=TODAY)
    session.rollback()
    assert order.remarks1 == "first save"


def test_a_concurrent_flush_is_a_conflict_too(session, factory, actor, app):
    """Between reading the order and writing it, another transaction saves it."""
    from oms.extensions import db

    order = factory.order(remarks1="old")
    session.commit()
    version = order.version
    with db.engine.begin() as other:
        other.execute(sa.update(Order).where(Order.id == order.id)
                      .values(remarks2="theirs", version=Order.version + 1))
    with pytest.raises(EditConflict):
        order_edit.update_order(session, order, OrderEdit(values={"remarks1": "mine"}), actor,
                                version=version, today=TODAY)
    session.rollback()
    session.refresh(order)
    assert (order.remarks1, order.remarks2) == ("old", "theirs")


def test_address_copies_to_recipient_and_customer(session, factory, actor):
    customer = factory.customer()
    shipping = factory.address(customer)
    order = factory.order(customer_id=customer.id, ship_name="旧 受取人")
    edit = OrderEdit(
        values={"buyer_name": "新 名前", "buyer_postcode": "530-0001",
                "buyer_prefecture": "大阪府", "buyer_address1": "北区梅田1-1",
                "buyer_phone": "06-1234-5678"},
        propagate=frozenset({Propagate.recipient, Propagate.customer_billing,
                             Propagate.customer_shipping}))
    save(session, order, actor, edit=edit)
    session.commit()
    assert (order.ship_name, order.ship_address1, order.ship_phone) == (
        "新 名前", "北区梅田1-1", "06-1234-5678")
    change = session.scalar(sa.select(RecipientChange).where(RecipientChange.order_id == order.id))
    assert change.before["ship_name"] == "旧 受取人" and change.after["ship_name"] == "新 名前"
    assert change.username == "operator" and change.ip == "192.0.2.7"
    session.refresh(shipping)
    assert (shipping.name, shipping.address1) == ("新 名前", "北区梅田1-1")
    billing = [a for a in customer.addresses if a.kind.value == "billing"]
    assert billing and billing[0].postcode == "530-0001"


def test_address_copy_targets_follow_the_seed(session, factory, actor):
    guest = factory.order()
    assert order_edit.propagation_choices(session, guest) == [Propagate.recipient]
    with pytest.raises(EditRefused):
        save(session, guest, actor, edit=OrderEdit(
            propagate=frozenset({Propagate.customer_billing})))

    customer = factory.customer()
    factory.address(customer)
    factory.address(customer, address1="別宅")
    member = factory.order(customer_id=customer.id)
    # Two saved shipping addresses: which one would be meant? The seed hides the box.
    assert Propagate.customer_shipping not in order_edit.propagation_choices(session, member)
    with pytest.raises(EditRefused):
        save(session, member, actor, edit=OrderEdit(
            propagate=frozenset({Propagate.customer_shipping})))
    # Subscriptions: only subscription orders may copy remarks there.
    with pytest.raises(EditRefused) as refused:
        save(session, member, actor, edit=OrderEdit(values={"remarks1": "x"},
                                                   remarks_to_subscription=True))
    assert "remarks_scope" in refused.value.errors


def test_tags_and_tracking_number(session, factory, actor):
    gift, check = factory.tag("ギフト"), factory.tag("要確認")
    order = factory.order(carrier="ヤマト運輸")
    changes = save(session, order, actor, edit=OrderEdit(tag_ids=[gift.id, check.id],
                                                         tracking_number="1234-5678-9012"))
    assert {c.field for c in changes} == {"tags", "tracking_number"}
    assert order.shipments[0].tracking_number == "1234-5678-9012"
    assert order.shipments[0].carrier == "ヤマト運輸"
    save(session, order, actor, edit=OrderEdit(tracking_number="999999999999"))
    assert len(order.shipments) == 1 and order.shipments[0].tracking_number == "999999999999"
    with pytest.raises(EditRefused) as refused:  # not a Yamato number
        save(session, order, actor, edit=OrderEdit(tracking_number="999"))
    assert "12" in refused.value.errors["tracking_number"]

    session.add(Shipment(order_id=order.id, carrier="ヤマト運輸", tracking_number="2"))
    session.flush()
    session.refresh(order)
    with pytest.raises(EditRefused):
        save(session, order, actor, edit=OrderEdit(tracking_number="3"))


def test_delete_soft_deletes_and_keeps_the_audit(session, factory, users, app):
    admin = Actor(users["admin"].id, "admin", "192.0.2.1")
    order = factory.order(status=OrderStatus.new)
    session.commit()
    before = order_search.stored_status_counts(session).get(OrderStatus.new, 0)
    order_edit.delete_order(session, order, admin, version=order.version)
    session.commit()
    assert order.deleted_at is not None
    assert order_search.stored_status_counts(session).get(OrderStatus.new, 0) == before - 1
    row = audit_rows(session, order)[-1]
    assert (row.action, row.username, row.ip) == ("order.delete", "admin", "192.0.2.1")
    assert row.details == {"order_number": order.order_number}


def test_a_conflict_merges_what_only_the_other_changed(session, factory, actor):
    """merge_conflict: their value wherever mine is the value I had opened; a clash where
    both changed; fields my form did not carry are not mine to merge."""
    first, second = factory.tag("初回"), factory.tag("要確認")
    session.add_all([Media(name="Instagram"), Wrapping(name="のし", fee=0)])  # 設定's lists
    order = factory.order(remarks1="元の備考  ", media="web", linkage_number=None,
                          tags=[first])
    session.commit()
    mark = order_edit.latest_audit_id(session, order)
    opened = {"remarks1": "元の備考", "media": "web", "linkage_number": None,
              "wrapping": None}
    save(session, order, actor, remarks1="他の担当者", media="Instagram", wrapping="のし")
    order_edit.update_order(session, order, OrderEdit(tag_ids=[first.id, second.id]), actor,
                            version=order.version, today=TODAY)
    session.commit()
    mine = OrderEdit(values={**opened, "remarks1": "私の備考", "linkage_number": "L-1"},
                     tag_ids=[first.id])
    mine.values.pop("wrapping")  # my form did not carry it
    merge = order_edit.merge_conflict(session, order, mine, mark)
    assert sorted(merge.theirs) == ["media", "tags"]
    assert merge.clashes == {"remarks1": "他の担当者"}
    assert [e.field for e in merge.events] == ["remarks1", "media", "wrapping", "tags"]


# ----------------------------------------------------------------- workflow (seed 001)

def test_a_status_set_by_hand_switches_to_manual_with_audit_and_history(session, factory,
                                                                        actor):
    order = factory.order(status=OrderStatus.new, auto_advance=True)
    changes = save(session, order, actor,
                   edit=OrderEdit(status=OrderStatus.awaiting_allocation))
    session.commit()
    assert order_edit.switched_to_manual(changes)
    assert (order.status, order.auto_advance) == (OrderStatus.awaiting_allocation, False)
    rows = [(r.action, r.field, r.old_value, r.new_value) for r in audit_rows(session, order)]
    assert ("order.update", "auto_advance", "true", "false") in rows
    assert ("order.status", "status", "new", "awaiting_allocation") in rows
    (moved,) = session.scalars(sa.select(StatusHistory).where(
        StatusHistory.order_id == order.id, StatusHistory.line_id.is_(None)))
    assert (moved.from_status, moved.to_status, moved.via) == (
        "new", "awaiting_allocation", "screen")


def test_only_the_offered_statuses_may_be_chosen(session, factory, actor):
    order = factory.order(status=OrderStatus.new)
    session.commit()
    assert order_edit.status_choices(order) == [
        OrderStatus.new, OrderStatus.awaiting_allocation, OrderStatus.ready_to_ship,
        OrderStatus.on_hold, OrderStatus.cancelled]
    with pytest.raises(EditRefused) as refused:
        save(session, order, actor, edit=OrderEdit(values={"remarks1": "x"},
                                                   status=OrderStatus.shipped))
    assert "cannot move" in refused.value.errors["status"]
    session.rollback()
    assert (order.status, order.auto_advance, order.remarks1) == (OrderStatus.new, True, None)
    # The current status is no change at all.
    assert save(session, order, actor, edit=OrderEdit(status=OrderStatus.new)) == []


def test_back_to_automatic_moves_the_order_when_its_guards_hold(session, factory, actor):
    from oms.services import app_settings

    settings = app_settings.workflow(session)
    settings.allocation_mode = "off"  # 引当待ち → 出荷待ち needs nothing more
    app_settings.save_workflow(session, settings, actor)
    held = factory.order(status=OrderStatus.awaiting_allocation, auto_advance=False,
                         needs_attention=True)
    order = factory.order(status=OrderStatus.awaiting_allocation, auto_advance=False)
    save(session, held, actor, auto_advance=True)
    save(session, order, actor, auto_advance=True)
    assert held.status is OrderStatus.awaiting_allocation  # 要対応 stops every move
    assert order.status is OrderStatus.ready_to_ship
    assert [(r.field, r.old_value, r.new_value) for r in audit_rows(session, order)
            if r.field == "auto_advance"] == [("auto_advance", "false", "true")]


def test_paid_at_is_set_and_cleared(session, factory, actor):
    order = factory.order(paid_at=None)
    paid = datetime(2026, 12, 1, 1, tzinfo=UTC)
    save(session, order, actor, paid_at=paid)
    assert order.paid_at == paid
    save(session, order, actor, paid_at=None)
    assert order.paid_at is None
    assert [(r.field, r.new_value) for r in audit_rows(session, order)] == [
        ("paid_at", paid.isoformat()), ("paid_at", None)]


def test_force_allocation_is_offered_until_the_order_ships(session, factory, actor):
    from oms.models import AllocationState

    assert order_edit.offers_forcing(factory.order(status=OrderStatus.awaiting_allocation))
    assert order_edit.offers_forcing(factory.order(
        status=OrderStatus.ready_to_ship, force_allocation=True,
        allocation_state=AllocationState.forced))
    assert not order_edit.offers_forcing(factory.order(
        status=OrderStatus.awaiting_allocation, allocation_state=AllocationState.allocated))
    shipped = factory.order(status=OrderStatus.shipped)
    assert not order_edit.offers_forcing(shipped)
    with pytest.raises(EditRefused) as refused:
        save(session, shipped, actor, edit=OrderEdit(force_allocation=True))
    assert "before it ships" in refused.value.errors["force_allocation"]
