"""The demo data as an operator would notice it: every tab, mall and payment method filled,
amounts that add up, parcels with tracking numbers, and the demo users able to sign in."""

import re
from collections import Counter
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from oms.models import (
    AccountType,
    AddressKind,
    AllocationState,
    BankAccount,
    BlacklistStatus,
    Customer,
    CustomerAddress,
    LinkResult,
    MallKind,
    Order,
    OrderLine,
    OrderStatus,
    PaymentKind,
    PaymentMethod,
    PaymentStatus,
    Shipment,
    Shop,
    StatusHistory,
    Stock,
    StockAllocation,
)
from oms.services import carriers
from tests.conftest import AuthActions

ORDERS = 300
TABLES = ("shops", "payment_methods", "handling_statuses", "attention_reasons", "tags", "skus",
          "stocks", "customers", "customer_addresses", "orders", "order_lines", "shipments",
          "status_history", "order_tags", "order_allocations", "stock_allocations",
          "bank_accounts")
MALL_ORDER_ID = {
    MallKind.amazon: r"\d{3}-\d{7}-\d{7}",
    MallKind.rakuten: r"\d{6}-\d{8}-\d{10}",
    MallKind.yahoo: r"[a-z-]+-\d{8}",
    MallKind.qoo10: r"\d{9}",
    MallKind.own: r"\d{8}-\d{6}",
}


@pytest.fixture
def run_seed(app, session):
    def run(*args: str):
        # Our own reads hold locks that TRUNCATE (--reset) would wait for.
        session.rollback()
        result = app.test_cli_runner().invoke(args=["seed", "--no-progress", *args])
        session.expire_all()
        return result

    return run


@pytest.fixture
def seeded(run_seed):
    result = run_seed("--orders", str(ORDERS))
    assert result.exit_code == 0, result.output
    return result


def counts(session) -> dict[str, int]:
    return {t: session.scalar(sa.text(f'SELECT count(*) FROM "{t}"')) for t in TABLES}  # noqa: S608


def all_orders(session) -> list[Order]:
    return session.scalars(sa.select(Order).order_by(Order.id).options(
        selectinload(Order.lines), selectinload(Order.shipments), selectinload(Order.shop),
        selectinload(Order.payment_method), selectinload(Order.tags))).all()


def test_every_tab_mall_and_payment_method_is_filled(seeded, session):
    orders = all_orders(session)
    assert len(orders) == ORDERS
    assert {o.status for o in orders} == set(OrderStatus)
    assert {o.payment_method.kind for o in orders} == set(PaymentKind)
    assert {o.shop.kind for o in orders} == set(MallKind)
    assert session.scalar(sa.select(Shop.auto_confirm).where(Shop.kind == MallKind.qoo10))
    statuses = Counter(o.status for o in orders)
    assert statuses[OrderStatus.completed] > ORDERS / 2  # most orders are long finished
    # Amazon and an auto-confirming Qoo10 shop skip "new" (seed 000).
    assert all(o.shop.kind not in (MallKind.amazon, MallKind.qoo10)
               for o in orders if o.status is OrderStatus.new)
    assert any(o.needs_attention and o.attention_reason_id for o in orders)
    assert any(o.shipping_hold for o in orders)
    assert any(o.tags for o in orders)
    assert any(o.destination_country != "JP" for o in orders)
    names = set(session.scalars(sa.select(PaymentMethod.name)))
    assert {"クレジットカード", "代金引換", "NP後払い", "コンビニ決済(前払い)"} <= names


def test_amounts_add_up(seeded, session):
    for order in all_orders(session):
        assert 1 <= len(order.lines) <= 5
        assert order.subtotal == sum(line.amount for line in order.lines)
        for rate, tax in ((10, order.tax_10), (8, order.tax_8)):
            # Rounded down once per order and rate, not per line; the wrapping is at 10%.
            amount = sum(line.amount for line in order.lines if line.tax_rate == rate)
            amount += order.wrapping_fee if rate == 10 else 0
            assert tax == amount * rate // 100, order.order_number
        assert order.total == (
            order.subtotal - order.discount - order.points_used + order.shipping_fee
            + order.payment_fee + order.wrapping_fee + order.tax_10 + order.tax_8
            + order.adjustment
        ), order.order_number
        assert order.total >= 0
        if order.payment_method.kind is PaymentKind.zero_yen:
            assert order.total == 0


def assert_both_waiting_reasons(session) -> None:
    """Orders waiting for allocation say why: short of stock, or an item not linked."""
    notes = [o.allocation_note for o in all_orders(session)
             if o.status is OrderStatus.awaiting_allocation and o.allocation_note]
    assert any(re.fullmatch(r"在庫不足: \S+ 必要\d+ / 引当可能\d+", n) for n in notes), notes
    assert any(n.startswith("商品が登録されていません (アイテム紐づけFAIL: ") for n in notes), notes


@pytest.mark.parametrize("hour", range(0, 24, 3))
def test_a_small_demo_shows_why_orders_wait_at_any_hour(run_seed, session, hour):
    """A 300-order demo has three orders waiting for allocation, and which orders they are
    depends on the moment it is seeded: both reasons must show whenever that is."""
    result = run_seed("--orders", str(ORDERS), "--now", f"2026-12-04T{hour:02d}:30:00")
    assert result.exit_code == 0, result.output
    assert_both_waiting_reasons(session)


def test_allocation_follows_the_status_and_matches_the_stock(seeded, session):
    allocations = session.scalars(sa.select(StockAllocation)).all()
    by_line = {a.order_line_id: a for a in allocations}
    assert len(by_line) == len(allocations)
    holding = (OrderStatus.ready_to_ship, OrderStatus.shipping)
    for order in all_orders(session):
        if order.status in holding:
            # Every line of an order waiting to ship holds its stock.
            assert order.allocation_state is AllocationState.allocated, order.order_number
            for line in order.lines:
                held = by_line.pop(line.id)
                assert (held.order_id, held.sku_id, held.quantity, held.location) == (
                    order.id, line.sku_id, line.quantity, order.stock_location or "main")
                assert held.released_at is None and not held.forced
        else:
            assert order.allocation_state is AllocationState.none, order.order_number
    assert not by_line  # no allocation outside those orders
    assert_both_waiting_reasons(session)

    # stocks.allocated is the sum of the active allocations of each stock row.
    active = Counter()
    for a in allocations:
        active[a.sku_id, a.location] += a.quantity
    stocks = session.scalars(sa.select(Stock)).all()
    assert {(s.sku_id, s.location): s.allocated for s in stocks} == {
        (s.sku_id, s.location): active[s.sku_id, s.location] for s in stocks}
    assert all(s.allocated <= s.quantity for s in stocks)
    assert any(s.allocated for s in stocks)


def test_bank_transfers_name_the_account_paid_into(seeded, session):
    accounts = session.scalars(sa.select(BankAccount).order_by(BankAccount.position)).all()
    assert [(a.bank_name, a.account_type, a.active) for a in accounts] == [
        ("三井住友銀行", AccountType.ordinary, True), ("ゆうちょ銀行", AccountType.ordinary, True)]
    paid = [o for o in all_orders(session) if o.payment_method.kind is PaymentKind.prepaid_bank
            and o.payment_status is PaymentStatus.paid]
    assert paid
    for order in paid:
        assert order.bank_account_id in {a.id for a in accounts}
        assert order.payer_name == order.buyer_kana
        assert order.paid_at is not None and order.ordered_at <= order.paid_at
    assert all(o.bank_account_id is None for o in all_orders(session) if o not in paid)


def test_food_is_taxed_at_the_reduced_rate(seeded, session):
    rates = dict(session.execute(
        sa.select(OrderLine.product_name, OrderLine.tax_rate)
        .where(OrderLine.product_name.contains("はちみつ"))).all())
    assert rates and set(rates.values()) == {8}
    assert session.scalar(sa.select(sa.func.count()).where(OrderLine.tax_rate == 10)) > 0


def test_orders_use_only_carriers_services_and_slots_of_the_defaults(seeded, session):
    """Demo orders name only what 配送業者管理 offers, each service and slot its carrier's."""
    offered = {c.name: c for c in carriers.listed(session)}
    used = session.execute(sa.select(Order.carrier, Order.delivery_method,
                                     Order.delivery_time_slot).distinct()).all()
    assert {carrier for carrier, _, _ in used} == {"ヤマト運輸", "佐川急便", "日本郵便"}
    assert any(slot for _, _, slot in used)
    for carrier, method, slot in used:
        assert carriers.delivery_problems(offered[carrier], method, slot) == {}, (
            carrier, method, slot)


def test_parcels_and_dates_follow_the_status(seeded, session):
    now = datetime.now(UTC)
    sent = {OrderStatus.shipping, OrderStatus.shipped, OrderStatus.awaiting_deferred_payment,
            OrderStatus.completed, OrderStatus.closed}
    for order in all_orders(session):
        if order.status in sent:
            assert order.shipments, order.order_number
            for shipment in order.shipments:
                assert re.fullmatch(r"\d{12}", shipment.tracking_number)
                assert shipment.carrier in ("ヤマト運輸", "佐川急便", "日本郵便")
        if order.status in sent - {OrderStatus.shipping}:
            assert order.ordered_at <= order.shipped_at <= order.ship_confirmed_at <= now
        if order.status in (OrderStatus.completed, OrderStatus.closed):
            assert order.shipped_at <= order.delivered_at <= now
        if order.status is OrderStatus.cancelled:
            assert order.cancelled_at and not order.shipments
            assert order.payment_status is PaymentStatus.voided
        if order.status in (OrderStatus.pending_review, OrderStatus.awaiting_payment):
            assert not order.shipments and order.shipped_at is None
        assert order.ordered_at.tzinfo is not None
        assert order.ordered_at <= order.updated_at <= now


def test_payment_status_matches_the_method(seeded, session):
    for order in all_orders(session):
        kind, paid = order.payment_method.kind, order.payment_status
        if order.status is OrderStatus.awaiting_payment:
            assert kind in (PaymentKind.prepaid_bank, PaymentKind.prepaid_konbini)
            assert paid is PaymentStatus.unpaid and order.paid_at is None
        if order.status is OrderStatus.awaiting_deferred_payment:
            assert kind in (PaymentKind.deferred_np, PaymentKind.deferred_gmo)
            assert paid is PaymentStatus.deferred_approved
        if order.status is OrderStatus.completed and kind is PaymentKind.card:
            assert paid is PaymentStatus.captured
            assert order.shipped_at <= order.captured_at
        if order.status is OrderStatus.completed and kind is PaymentKind.cod:
            assert paid is PaymentStatus.paid and order.paid_at == order.delivered_at
        if kind is PaymentKind.zero_yen and order.status is not OrderStatus.cancelled:
            assert paid is PaymentStatus.not_required
        # Our gateway's authorization covers the total, so 出荷済 can capture it.
        if order.shop.kind is MallKind.own and paid is PaymentStatus.authorized \
                and kind is PaymentKind.card:
            assert order.authorized_amount == order.total > 0
            assert order.captured_amount == 0
        if order.shop.kind is MallKind.own and paid is PaymentStatus.captured:
            assert order.captured_amount == order.authorized_amount == order.total


def test_lines_link_to_skus_or_fail(seeded, session):
    lines = session.scalars(sa.select(OrderLine)).all()
    failed = [line for line in lines if line.link_result is LinkResult.fail]
    linked = [line for line in lines if line.link_result is LinkResult.ok]
    assert failed and len(linked) > 0.9 * len(lines)
    assert all(line.sku_id is None and line.link_error == "商品コードが見つかりません"
               for line in failed)
    assert all(line.sku_id is not None for line in linked)
    for order in all_orders(session):
        results = {line.link_result for line in order.lines}
        expected = (LinkResult.fail if LinkResult.fail in results
                    else LinkResult.ok if results == {LinkResult.ok} else None)
        assert order.link_result is expected, order.order_number


def test_gifts_name_the_product_they_are_for(seeded, session):
    gifts = [o for o in all_orders(session) if o.gift_noshi]
    assert gifts
    for order in gifts:
        first = min(order.lines, key=lambda line: line.line_no)
        assert (order.gift_target_product, order.gift_quantity) == \
            (first.product_name, first.quantity), order.order_number
    assert all(o.gift_target_product is None for o in all_orders(session) if not o.gift_noshi)


def test_identifiers_look_like_the_malls(seeded, session):
    orders = all_orders(session)
    numbers = [o.order_number for o in orders]
    assert len(set(numbers)) == len(numbers)
    assert all(re.fullmatch(r"\d{10}", n) for n in numbers)
    for order in orders:
        pattern = MALL_ORDER_ID[order.shop.kind]
        assert re.fullmatch(pattern, order.mall_order_id), order.mall_order_id


def test_customers_repeat_and_some_are_blacklisted(seeded, session):
    customers = session.scalar(sa.select(sa.func.count()).select_from(Customer))
    assert customers == ORDERS // 3
    per_customer = Counter(session.scalars(sa.select(Order.customer_id)))
    assert len(per_customer) == customers and max(per_customer.values()) >= 3
    kinds = Counter(session.scalars(sa.select(CustomerAddress.kind)))
    assert kinds == {AddressKind.billing: customers, AddressKind.shipping: customers}
    marks = set(session.scalars(sa.select(Customer.blacklist_status)))
    assert {BlacklistStatus.blacklisted, BlacklistStatus.candidate} <= marks
    name, kana = session.execute(sa.select(Customer.name, Customer.kana).limit(1)).one()
    assert re.fullmatch(r"[^\x00-\x7f]+ [^\x00-\x7f]+", name)
    assert re.fullmatch(r"[ァ-ヶー]+ [ァ-ヶー]+", kana)


def test_history_and_status_counters(seeded, session):
    history = session.execute(sa.select(StatusHistory.order_id, StatusHistory.to_status,
                                        StatusHistory.via)).all()
    statuses = dict(session.execute(sa.select(Order.id, Order.status)).all())
    assert len(history) == ORDERS
    assert all(to == statuses[order_id] and via == "import" for order_id, to, via in history)
    stored = dict(session.execute(sa.text(
        "SELECT status, sum(n) FROM order_status_counts GROUP BY status")).all())
    assert {s: int(n) for s, n in stored.items() if n} == dict(Counter(statuses.values()))


def test_demo_users_sign_in(seeded, client):
    for name in ("admin", "operator"):
        response = AuthActions(client).login(name, "demo")
        assert response.status_code == 303, name
        AuthActions(client).logout()


def test_refuses_a_database_with_orders(seeded, run_seed, session):
    before = counts(session)
    result = run_seed("--orders", "10")
    assert result.exit_code != 0
    assert "already has 300 orders" in result.output and "--reset" in result.output
    assert counts(session) == before

    result = run_seed("--orders", "10", "--if-empty")
    assert result.exit_code == 0 and result.output == ""
    assert counts(session) == before


def test_reset_loads_the_same_data_again(seeded, run_seed, session):
    # The same moment both times: order times (and the dates in mall order ids) count
    # back from "now", and a few seconds can move an order past midnight.
    now = "2026-06-01T03:00:00"
    assert run_seed("--orders", str(ORDERS), "--reset", "--now", now).exit_code == 0
    before = counts(session)
    fingerprint = session.execute(sa.select(
        Order.order_number, Order.mall_order_id, Order.status, Order.total, Order.buyer_name)
        .order_by(Order.id)).all()
    result = run_seed("--orders", str(ORDERS), "--reset", "--now", now)
    assert result.exit_code == 0, result.output
    assert counts(session) == before
    assert session.execute(sa.select(
        Order.order_number, Order.mall_order_id, Order.status, Order.total, Order.buyer_name)
        .order_by(Order.id)).all() == fingerprint
    # The tab counters were emptied with the orders, not left counting them twice.
    assert session.scalar(sa.text("SELECT sum(n) FROM order_status_counts")) == ORDERS
    # The demo users were kept, not duplicated.
    assert "Demo users" not in result.output


def test_another_seed_gives_other_data(seeded, run_seed, session):
    first = session.scalars(sa.select(Order.buyer_name).order_by(Order.id)).all()
    result = run_seed("--orders", str(ORDERS), "--reset", "--random-seed", "7")
    assert result.exit_code == 0, result.output
    assert session.scalars(sa.select(Order.buyer_name).order_by(Order.id)).all() != first


def test_ids_continue_after_the_seed(seeded, session, factory):
    """Sequences were moved past the ids the seed chose."""
    shipments = session.scalar(sa.select(sa.func.count()).select_from(Shipment))
    order = factory.order(shop=session.scalars(sa.select(Shop)).first(),
                          payment_method=session.scalars(sa.select(PaymentMethod)).first())
    shipment = Shipment(order_id=order.id, carrier="ヤマト運輸")
    session.add(shipment)
    session.flush()
    assert (order.id, shipment.id) == (ORDERS + 1, shipments + 1)
