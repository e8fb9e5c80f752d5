"""Importing orders from the sandbox malls: idempotent, each mall's statuses and quirks,
faults retried or recorded, never a duplicate."""

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from oms.integrations.malls import Batch
from oms.models import (
    MallOrderState,
    MallSyncFailure,
    Order,
    OrderLine,
    OrderStatus,
    ShopSync,
    StatusHistory,
)
from oms.services import mall_follow, mall_import, mall_polling

S = OrderStatus


def _now():
    return datetime.now(UTC) + timedelta(seconds=1)


def _poll(session, mall, adapter_for, **http):
    adapter = adapter_for(mall.shop, **http)
    return mall_polling.poll(session, mall.shop, adapter, _now(), session.commit)


def _orders(session, shop):
    return {o.mall_order_id: o for o in session.scalars(
        sa.select(Order).where(Order.shop_id == shop.id))}


def test_import_creates_orders_with_lines_and_is_idempotent(session, make_mall, adapter_for):
    mall = make_mall("amazon")
    ids = mall.generate(5, seed=1)
    result = _poll(session, mall, adapter_for)
    assert result.inserted == 5
    orders = _orders(session, mall.shop)
    assert set(orders) == set(ids)
    order = orders[ids[0]]
    assert len(order.order_number) == 10 and order.lines
    assert order.total == order.subtotal + order.tax_8 + order.tax_10 + order.shipping_fee
    assert session.scalar(sa.select(sa.func.count()).select_from(StatusHistory).where(
        StatusHistory.order_id == order.id, StatusHistory.via == "import")) == 1

    # Again, and again from the very beginning: nothing new, nothing doubled.
    assert _poll(session, mall, adapter_for).inserted == 0
    session.get(ShopSync, mall.shop.id).watermark = None
    session.commit()
    again = _poll(session, mall, adapter_for)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 5)
    assert session.scalar(sa.select(sa.func.count()).select_from(OrderLine).join(Order).where(
        Order.shop_id == mall.shop.id)) == sum(len(o.lines) for o in orders.values())


@pytest.mark.parametrize(("kind", "paid", "unpaid"), [
    ("amazon", S.awaiting_allocation, S.pending_review),  # Amazon: new = processing
    ("rakuten", S.new, S.awaiting_payment),
    ("qoo10", S.new, S.awaiting_payment),
    ("yahoo", S.new, S.awaiting_payment),
])
def test_each_mall_statuses_map_to_ours(session, make_mall, adapter_for, kind, paid, unpaid):
    mall = make_mall(kind)
    (paid_id,) = mall.generate(1, status={"amazon": "Unshipped", "rakuten": "100",
                                           "qoo10": "2", "yahoo": "2-new"}[kind])
    sandbox_unpaid = {"amazon": "Pending", "rakuten": "200", "qoo10": "1", "yahoo": "2-0"}[kind]
    (unpaid_id,) = mall.generate(1, status=sandbox_unpaid)
    _poll(session, mall, adapter_for)
    orders = _orders(session, mall.shop)
    assert orders[unpaid_id].status is unpaid
    assert orders[paid_id].status is paid

    # The buyer pays at the mall: the next poll moves the order on.
    mall.event(unpaid_id, "pay")
    _poll(session, mall, adapter_for)
    session.refresh(orders[unpaid_id])
    assert orders[unpaid_id].status is paid
    assert session.get(MallOrderState, orders[unpaid_id].id).mall_status != sandbox_unpaid


def test_qoo10_auto_confirm_skips_new_and_confirms_at_the_mall(session, make_mall, adapter_for):
    mall = make_mall("qoo10", auto_confirm=True)
    (mall_id,) = mall.generate(1, status="2")
    result = _poll(session, mall, adapter_for)
    assert result.to_confirm == [mall_id]
    assert _orders(session, mall.shop)[mall_id].status is S.awaiting_allocation
    assert mall.order(mall_id)["status"] == "3"  # 配送準備 at Qoo10


def test_buyer_cancellation_follows_the_mall(session, make_mall, adapter_for):
    mall = make_mall("rakuten")
    a, b = mall.generate(2, status="100")
    _poll(session, mall, adapter_for)
    mall.event(a, "cancel_request")
    mall.event(b, "cancel")
    _poll(session, mall, adapter_for)
    orders = _orders(session, mall.shop)
    assert orders[a].status is S.on_hold
    assert orders[b].status is S.cancelled and orders[b].cancelled_at


def test_mall_cancel_after_we_shipped_goes_on_hold_with_a_reason(session, make_mall,
                                                                 adapter_for):
    mall = make_mall("yahoo")
    (mall_id,) = mall.generate(1)
    _poll(session, mall, adapter_for)
    order = _orders(session, mall.shop)[mall_id]
    order.status = S.shipped  # shipped by us; the mall has not heard yet
    session.commit()
    mall.event(mall_id, "cancel")
    result = _poll(session, mall, adapter_for)
    assert result.conflicts == 1
    session.refresh(order)
    assert order.status is S.on_hold
    assert order.needs_attention and order.attention_reason.name == mall_follow.CONFLICT_REASON


def test_an_older_answer_never_overwrites_a_newer_one(session, make_mall, adapter_for):
    mall = make_mall("amazon")
    (mall_id,) = mall.generate(1, status="Pending")
    adapter = adapter_for(mall.shop)
    old = adapter.fetch([mall_id]).orders[0]
    mall.event(mall_id, "pay")
    new = adapter.fetch([mall_id]).orders[0]
    mall_import.import_batch(session, mall.shop, Batch(orders=[new]))
    result = mall_import.import_batch(session, mall.shop, Batch(orders=[old, old]))
    session.commit()
    assert result.unchanged == 1
    assert _orders(session, mall.shop)[mall_id].status is S.awaiting_allocation


@pytest.mark.parametrize("faults", [("429", "429"), ("500", "503"), ("timeout",),
                                    ("lost", "duplicate")])
def test_transient_faults_are_retried(session, make_mall, adapter_for, faults):
    mall = make_mall("amazon", timeout_seconds=2)
    ids = mall.generate(3)
    mall.faults(*faults)
    result = _poll(session, mall, adapter_for)
    assert result.inserted == 3 and result.failed == 0
    assert set(_orders(session, mall.shop)) == set(ids)
    assert session.get(ShopSync, mall.shop.id).error is None


def test_faults_beyond_the_retries_are_recorded_and_nothing_breaks(session, make_mall,
                                                                   adapter_for):
    mall = make_mall("qoo10")
    mall.generate(2)
    mall.faults("500", "500", "500", "500")
    result = _poll(session, mall, adapter_for)
    assert result.inserted == 0
    sync = session.get(ShopSync, mall.shop.id)
    assert "HTTP 500" in sync.error and sync.watermark is None
    assert _poll(session, mall, adapter_for).inserted == 2  # the next poll catches up


@pytest.mark.parametrize("kind", ["amazon", "rakuten", "qoo10", "yahoo"])
def test_malformed_records_are_recorded_without_a_crash(session, make_mall, adapter_for, kind):
    mall = make_mall(kind)
    mall.generate(3)
    # Rakuten first searches order numbers, then reads the orders.
    mall.faults(*(["pass"] if kind == "rakuten" else []), "bad_record")
    result = _poll(session, mall, adapter_for)
    assert result.failed == 1 and result.inserted == 2
    failure = session.scalar(sa.select(MallSyncFailure).where(
        MallSyncFailure.shop_id == mall.shop.id))
    assert "unreadable order data" in failure.message
    assert _poll(session, mall, adapter_for).inserted == 1  # read fine the next time


def test_a_malformed_answer_is_recorded_on_the_shop(session, make_mall, adapter_for):
    mall = make_mall("amazon")
    mall.generate(1)
    mall.faults("malformed")
    _poll(session, mall, adapter_for)
    assert "not JSON" in session.get(ShopSync, mall.shop.id).error


def test_an_imported_order_of_a_blacklisted_orderer_is_flagged(session, make_mall, adapter_for,
                                                               factory):
    from oms.services import blacklist
    from oms.services.actor import Actor

    mall = make_mall("rakuten")
    (mall_id,) = mall.generate(1)
    fetched = adapter_for(mall.shop).fetch([mall_id]).orders[0]
    earlier = factory.order(buyer_email=fetched.buyer.email, buyer_phone=fetched.buyer.phone)
    blacklist.designate(session, earlier, Actor(None, "test"), "chargeback")
    session.commit()
    # Only orders placed after the designation are flagged (seed 003).
    placed_later = dataclasses.replace(fetched, ordered_at=datetime.now(UTC))
    mall_import.import_batch(session, mall.shop, Batch(orders=[placed_later]))
    session.commit()
    assert _orders(session, mall.shop)[mall_id].blacklist_entry_id is not None
