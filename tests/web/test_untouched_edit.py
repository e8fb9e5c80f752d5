"""Saving an edit screen that nobody touched changes nothing (issue 9, section 2).

Every kind of order the demo seed makes (each mall, each payment method, gifts,
reservations, orders abroad, several parcels, every status) is opened in each edit screen
and posted back exactly as a browser would send it: the order's version, its row, its tags,
parcels, recipient history and audit trail stay as they were, and the page says so.
"""

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from oms.models import AuditEvent, Order, PaymentKind, PaymentStatus, Shipment
from tests.html_forms import submitted

NOTHING_CHANGED = "変更はありません"
SCREENS = ("edit", "orderer", "recipient")
# The order's own rows in other tables; and the whole audit trail.
ORDER_ROWS = ("order_tags", "shipments", "recipient_changes", "status_history", "order_lines")


@pytest.fixture
def operator(auth):
    auth.login("operator")
    return auth.client


def snapshot(session, order_id: int) -> dict:
    """Everything an edit could write, read straight from the tables."""
    session.expire_all()
    conn = session.connection()
    order = conn.execute(sa.text("SELECT * FROM orders WHERE id = :id"), {"id": order_id})
    state = {"orders": dict(order.mappings().one())}
    queries = {table: f'SELECT * FROM "{table}" WHERE order_id = :id'  # noqa: S608
               for table in ORDER_ROWS}
    queries["customer_addresses"] = ("SELECT * FROM customer_addresses WHERE customer_id = "
                                     "(SELECT customer_id FROM orders WHERE id = :id)")
    queries["audit_events"] = "SELECT * FROM audit_events"
    for table, query in queries.items():
        rows = conn.execute(sa.text(query), {"id": order_id})
        state[table] = sorted(tuple(sorted(row.items())) for row in rows.mappings())
    session.rollback()  # hold no lock while the app writes
    return state


def post_untouched(client, order: Order, screen: str):
    url = f"/orders/{order.order_number}/{screen}"
    page = client.get(url)
    assert page.status_code == 200, page.text[:2000]
    return client.post(url, data=submitted(page.text, url), follow_redirects=True)


def assert_untouched_save_changes_nothing(client, session, order: Order) -> None:
    for screen in SCREENS:
        before = snapshot(session, order.id)
        response = post_untouched(client, order, screen)
        where = (f"{screen} of order {order.order_number} ({order.shop.kind.value}, "
                 f"{order.payment_method.kind.value}, {order.status.value})")
        assert response.status_code == 200, f"{where}: {response.status_code}"
        assert NOTHING_CHANGED in response.text, where
        after = snapshot(session, order.id)
        for table, rows in before.items():
            assert after[table] == rows, f"{where}: {table} changed"


def _pick(orders: list[Order]) -> list[Order]:
    """One order of each kind: every mall with every method it takes, every status, and
    every feature the edit screen treats differently."""
    features = {
        "gift": lambda o: o.gift_product is not None or o.gift_noshi is not None,
        "reservation": lambda o: o.reserved_at is not None,
        "abroad": lambda o: o.destination_country != "JP",
        "several parcels": lambda o: len(o.shipments) > 1,
        "one parcel": lambda o: len(o.shipments) == 1,
        "installments": lambda o: (o.installments or 0) > 1,
        "lump sum": lambda o: o.installments == 1,
        "shipped": lambda o: o.shipped_at is not None,
        "delivered": lambda o: o.delivered_at is not None,
        "list exported": lambda o: o.shipping_list_exported_at is not None,
        "needs attention": lambda o: o.needs_attention,
        "shipping hold": lambda o: o.shipping_hold,
        "handling status": lambda o: o.handling_status_id is not None,
        "tags": lambda o: bool(o.tags),
        "remarks": lambda o: o.remarks1 is not None,
        "comment": lambda o: o.customer_comment is not None,
        "time slot": lambda o: o.delivery_time_slot is not None,
        "no customer": lambda o: o.customer_id is None,
    }
    picked: dict[object, Order] = {}
    for order in orders:
        kinds = [(order.shop.kind, order.payment_method.kind), order.status]
        kinds += [name for name, applies in features.items() if applies(order)]
        for kind in kinds:
            picked.setdefault(kind, order)
    return sorted(set(picked.values()), key=lambda o: o.id)


def test_untouched_edit_screens_of_every_seeded_kind_change_nothing(app, session, operator):
    session.rollback()
    result = app.test_cli_runner().invoke(
        args=["seed", "--no-progress", "--orders", "300",
              "--now", datetime(2026, 3, 1, 9, 30, 17, tzinfo=UTC).isoformat()])
    assert result.exit_code == 0, result.output
    orders = session.scalars(sa.select(Order).order_by(Order.id).options(
        selectinload(Order.shop), selectinload(Order.payment_method),
        selectinload(Order.shipments), selectinload(Order.tags))).all()
    chosen = _pick(orders)
    assert {o.payment_method.kind for o in chosen} == set(PaymentKind)
    # The seed's times carry seconds (and fractions): the screens must keep them.
    assert any(o.shipped_at and o.shipped_at.second for o in chosen)
    for order in chosen:
        assert_untouched_save_changes_nothing(operator, session, order)


def odd_order(factory, session) -> Order:
    """An order with values the edit screen offers no choice for or would refuse today:
    as a mall or an older version of the app may have stored them."""
    customer, stranger = factory.customer(), factory.customer()
    retired = factory.payment_method(PaymentKind.card, active=False, name="旧カード決済")
    order = factory.order(
        payment_method=retired, payment_status=PaymentStatus.captured, installments=36,
        customer_id=customer.id, customer_card_id=factory.card(stranger).id,
        shipped_at=datetime(2026, 2, 3, 4, 5, 6, 789012, tzinfo=UTC),
        paid_at=datetime(2026, 2, 1, 0, 0, 1, 500000, tzinfo=UTC), auto_advance=False,
        delivered_at=datetime(2026, 2, 4, 1, 2, 59, tzinfo=UTC),
        shipping_list_exported_at=datetime(2026, 2, 2, 23, 59, 59, 999999, tzinfo=UTC),
        remarks1="一行目\r\n二行目  ", remarks2="\n先頭の改行", buyer_phone="12",
        buyer_email="not an address", carrier="クロネコ便", delivery_time_slot="夜間",
        needs_attention=True, attention_reason_id=factory.attention_reason().id,
        handling_status_id=factory.handling_status().id, tags=[factory.tag()],
        media="  mall  ")
    session.add(Shipment(order_id=order.id, carrier="クロネコ便", tracking_number="1111"))
    session.commit()
    return order


def test_odd_stored_values_survive_an_untouched_save(operator, factory, session):
    order = odd_order(factory, session)
    assert_untouched_save_changes_nothing(operator, session, order)


def test_fields_the_form_did_not_send_stay_as_they_are(operator, factory, session):
    order = odd_order(factory, session)
    url = f"/orders/{order.order_number}/edit"
    data = submitted(operator.get(url).text, url)
    for name in ("installments", "customer_card_id", "shipped_at", "carrier", "remarks1",
                 "shipping_list_exported", "shipping_list_exported_at", "tracking_number",
                 "needs_attention", "media"):
        data.poplist(name)
    before = snapshot(session, order.id)
    response = operator.post(url, data=data, follow_redirects=True)
    assert NOTHING_CHANGED in response.text
    assert snapshot(session, order.id) == before


def test_changing_one_field_of_an_odd_order_writes_only_that_field(operator, factory,
                                                                   session):
    order = odd_order(factory, session)
    url = f"/orders/{order.order_number}/edit"
    data = submitted(operator.get(url).text, url)
    data["linkage_number"] = "L-9"
    data["delivered_at"] = "2026-02-04T10:02"  # JST, seconds left out by the browser
    before = snapshot(session, order.id)["orders"]
    assert operator.post(url, data=data).status_code == 303
    after = snapshot(session, order.id)["orders"]
    changed = {k for k in before if before[k] != after[k]}
    assert changed == {"linkage_number", "delivered_at", "version", "updated_at"}
    assert after["installments"] == 36 and after["remarks1"] == "一行目\r\n二行目  "
    fields = session.scalars(sa.select(AuditEvent.field).where(
        AuditEvent.entity_id == str(order.id)))
    assert sorted(fields) == ["delivered_at", "linkage_number"]
    # A value typed anew is checked as always.
    data = submitted(operator.get(url).text, url)
    data["buyer_phone"] = "13"
    assert operator.post(url, data=data).status_code == 422


def test_seconds_are_shown_and_can_be_changed(operator, factory, session):
    order = odd_order(factory, session)
    url = f"/orders/{order.order_number}/edit"
    page = operator.get(url).text
    assert 'value="2026-02-03T13:05:06"' in page and 'step="1"' in page  # JST
    data = submitted(page, url)
    data["shipped_at"] = "2026-02-03T13:05:07"
    assert operator.post(url, data=data).status_code == 303
    session.expire_all()
    assert session.get(Order, order.id).shipped_at == datetime(2026, 2, 3, 4, 5, 7, tzinfo=UTC)
