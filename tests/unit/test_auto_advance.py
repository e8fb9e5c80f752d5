"""The automatic workflow (SCOPE P1 acceptance checks 1, 5–8, 12, 14): orders move by
themselves under their guards, stock is allocated FIFO and given back."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask_babel import force_locale
from sqlalchemy.orm import Session

from oms.extensions import db
from oms.models import (
    TABS,
    AllocationState,
    AuditEvent,
    BlacklistStatus,
    LineStatus,
    MallKind,
    Order,
    OrderStatus,
    PaymentKind,
    PaymentStatus,
    Sku,
    StatusHistory,
    Stock,
    StockAllocation,
)
from oms.services import (
    allocation,
    app_settings,
    auto_advance,
    inventory,
    order_search,
    workflow,
)
from oms.services.actor import Actor
from tests.factories import linked_line

S = OrderStatus
JST = timedelta(hours=9)
OPERATOR = Actor(None, "operator", None, "screen")


def at(hour: int, minute: int = 0) -> datetime:
    """A time on 2026-12-01 in Tokyo, as UTC."""
    return datetime(2026, 12, 1, hour, minute, tzinfo=UTC) - JST


def settings(session, **changes):
    current = app_settings.workflow(session)
    for name, value in changes.items():
        setattr(current, name, value)
    app_settings.save_workflow(session, current, OPERATOR)


def tabs(session) -> dict[str, int]:
    """The tab counters as the list shows them (kept by triggers)."""
    stored = order_search.stored_status_counts(session)
    return {tab: sum(stored.get(s, 0) for s in TABS[tab]) for tab in ("waiting", "new")}


def history(session, order):
    return session.execute(
        sa.select(StatusHistory.from_status, StatusHistory.to_status, StatusHistory.via,
                  StatusHistory.reason)
        .where(StatusHistory.order_id == order.id, StatusHistory.line_id.is_(None))
        .order_by(StatusHistory.id)).all()


def stock_of(session, item: Sku, location: str = "main") -> Stock:
    return session.scalar(sa.select(Stock).where(Stock.sku_id == item.id,
                                                 Stock.location == location)
                          .execution_options(populate_existing=True))


def active_sum(session, item: Sku) -> int:
    return session.scalar(sa.select(sa.func.coalesce(sa.func.sum(StockAllocation.quantity), 0))
                          .where(StockAllocation.sku_id == item.id,
                                 StockAllocation.released_at.is_(None)))


def refresh(session, *orders):
    for order in orders:
        session.refresh(order)


def test_cod_order_becomes_new_after_its_delay_with_one_history_row(session, factory):
    cod = factory.payment_method(PaymentKind.cod)
    order = factory.order(status=S.pending_review, payment_method=cod,
                          payment_status=PaymentStatus.unpaid, ordered_at=at(10))
    counts_before = tabs(session)

    assert auto_advance.sweep(session, now=at(10, 14)) == 0
    refresh(session, order)
    assert order.status is S.pending_review

    auto_advance.sweep(session, now=at(10, 16))
    refresh(session, order)
    assert order.status is S.new
    assert history(session, order) == [("pending_review", "new", "auto", "代引き 15分経過")]
    counts = tabs(session)
    assert counts["waiting"] == counts_before["waiting"] - 1
    assert counts["new"] == counts_before["new"] + 1
    assert counts["new"] == session.scalar(
        sa.text("SELECT COUNT(*) FROM orders WHERE status = 'new' AND deleted_at IS NULL"))


def test_guards_stop_every_automatic_move(session, factory):
    cod = factory.payment_method(PaymentKind.cod)
    bad = factory.customer(blacklist_status=BlacklistStatus.blacklisted)
    common = {"status": S.pending_review, "payment_method": cod, "ordered_at": at(10)}
    manual = factory.order(auto_advance=False, **common)
    attention = factory.order(needs_attention=True, **common)
    held = factory.order(shipping_hold=True, **common)
    blacklisted = factory.order(customer=bad, **common)
    free = factory.order(**common)

    auto_advance.sweep(session, now=at(11))
    refresh(session, manual, attention, held, blacklisted, free)
    assert [o.status for o in (manual, attention, held, blacklisted)] == [S.pending_review] * 4
    assert free.status is S.new


def test_a_paid_bank_transfer_runs_through_to_allocation_in_one_pass(session, factory):
    own = factory.shop(MallKind.own)
    bank = factory.payment_method(PaymentKind.prepaid_bank)
    item = factory.sku("S1", 5)
    settings(session, require_confirm={"own": False})
    order = factory.order(shop=own, status=S.pending_review, payment_method=bank,
                          payment_status=PaymentStatus.unpaid, lines=[linked_line(item, 2)])

    auto_advance.sweep(session, now=at(12))
    refresh(session, order)
    assert order.status is S.awaiting_payment
    assert {ln.status for ln in order.lines} == {LineStatus.awaiting_payment}

    order.payment_status = PaymentStatus.paid
    assert auto_advance.advance(session, [order.id], OPERATOR) == 3
    refresh(session, order)
    assert order.status is S.ready_to_ship
    assert order.allocation_state is AllocationState.allocated
    assert [h[:2] for h in history(session, order)] == [
        ("pending_review", "awaiting_payment"), ("awaiting_payment", "new"),
        ("new", "awaiting_allocation"), ("awaiting_allocation", "ready_to_ship")]
    assert {ln.status for ln in order.lines} == {LineStatus.ready_to_ship}
    line_history = session.scalars(sa.select(StatusHistory.to_status).where(
        StatusHistory.order_id == order.id, StatusHistory.line_id.is_not(None))
        .order_by(StatusHistory.id)).all()
    assert line_history == ["awaiting_payment", "preparing", "ready_to_ship"]


def test_fifo_allocation_and_the_next_sweep_after_a_stock_upload(session, factory):
    item = factory.sku("S1", 5)
    o5 = factory.order(status=S.new, ordered_at=at(10), lines=[linked_line(item, 3)])
    o6 = factory.order(status=S.new, ordered_at=at(10, 5), lines=[linked_line(item, 3)])
    workflow.confirm_orders(session, [o6.id, o5.id], OPERATOR)
    refresh(session, o5, o6)

    assert o5.status is S.ready_to_ship
    assert o5.allocation_state is AllocationState.allocated
    assert o6.status is S.awaiting_allocation
    assert o6.allocation_note == "在庫不足: S1 必要3 / 引当可能2"
    assert stock_of(session, item).allocated == 3

    upload = inventory.check_upload(session, None, "stock.csv", b"sku,location,stock\nS1,main,10\n")
    inventory.apply_upload(session, upload, OPERATOR)
    assert stock_of(session, item).allocated == 3  # the upload keeps what is promised
    auto_advance.sweep(session, now=at(11))
    refresh(session, o6)
    assert o6.status is S.ready_to_ship
    assert stock_of(session, item).allocated == 6 == active_sum(session, item)


def test_an_unlinked_line_is_named_and_the_order_stays_unallocated(session, factory):
    settings(session, allocation_mode="manual")
    order = factory.order(status=S.awaiting_allocation,
                          lines=[linked_line(None, 1, code="RAK-001")])
    outcomes = allocation.allocate(session, [order.id], OPERATOR)
    assert outcomes[order.id].state is AllocationState.none
    assert outcomes[order.id].note == "商品が登録されていません (アイテム紐づけFAIL: RAK-001)"


def test_forced_allocation_goes_past_the_stock_and_unticking_gives_it_back(session, factory):
    item = factory.sku("S1", 5)
    first = factory.order(status=S.awaiting_allocation, lines=[linked_line(item, 3)])
    o6 = factory.order(status=S.awaiting_allocation, lines=[linked_line(item, 3)])
    auto_advance.sweep(session, now=at(11))
    refresh(session, o6)
    assert o6.status is S.awaiting_allocation

    allocation.set_forced(session, o6, True, OPERATOR)
    auto_advance.advance(session, [o6.id], OPERATOR)
    refresh(session, o6, first)
    assert o6.allocation_state is AllocationState.forced
    assert o6.status is S.ready_to_ship
    stock = stock_of(session, item)
    assert stock.allocated == 6 and stock.quantity - stock.allocated == -1
    with force_locale("ja"):
        download = b"".join(inventory.download_rows(session, [Order.id == o6.id], "utf8"))
    assert download.decode("utf-8-sig").splitlines()[1].endswith("S1,main,5,6,-1")  # 引当可能 −1
    assert session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)
                          .where(AuditEvent.action == "order.force_allocation")) == 1

    allocation.set_forced(session, o6, False, OPERATOR)
    refresh(session, o6)
    assert o6.allocation_state is AllocationState.none
    assert stock_of(session, item).allocated == 3 == active_sum(session, item)


def test_allocation_off_skips_awaiting_allocation(session, factory):
    waiting = factory.order(status=S.awaiting_allocation)
    fresh = factory.order(status=S.new)
    settings(session, allocation_mode="off")
    workflow.confirm_orders(session, [fresh.id], OPERATOR)
    auto_advance.sweep(session, now=at(11))
    refresh(session, waiting, fresh)
    assert fresh.status is S.ready_to_ship
    assert waiting.status is S.ready_to_ship
    assert history(session, waiting)[-1].reason == "引当しない"


def test_manual_mode_allocates_nothing_in_the_sweep(session, factory):
    item = factory.sku("S1", 5)
    settings(session, allocation_mode="manual")
    order = factory.order(status=S.awaiting_allocation, lines=[linked_line(item, 1)])
    auto_advance.sweep(session, now=at(11))
    refresh(session, order)
    assert order.status is S.awaiting_allocation
    assert stock_of(session, item).allocated == 0


def test_cancelling_releases_the_allocation(session, factory):
    item = factory.sku("S1", 5)
    order = factory.order(status=S.awaiting_allocation, lines=[linked_line(item, 2)])
    auto_advance.sweep(session, now=at(11))
    refresh(session, order)
    assert order.status is S.ready_to_ship
    assert stock_of(session, item).allocated == 2

    workflow.change_status(session, order, S.cancelled, OPERATOR, manual=True)
    session.flush()
    refresh(session, order)
    assert stock_of(session, item).allocated == 0 == active_sum(session, item)
    assert order.allocation_state is AllocationState.none


def test_a_mall_order_needs_confirmation_and_a_self_confirming_one_does_not(session, factory):
    rakuten = factory.shop(MallKind.rakuten)
    qoo10 = factory.shop(MallKind.qoo10, auto_confirm=True)
    own = factory.shop(MallKind.own)
    at_rakuten = factory.order(shop=rakuten, status=S.new)
    at_qoo10 = factory.order(shop=qoo10, status=S.new)
    at_own = factory.order(shop=own, status=S.new)
    auto_advance.sweep(session, now=at(11))
    refresh(session, at_rakuten, at_qoo10, at_own)
    assert at_rakuten.status is S.new
    assert at_own.status is S.new  # 注文確認 required by default
    assert at_qoo10.status is not S.new


@pytest.fixture
def deferred(factory):
    return factory.payment_method(PaymentKind.deferred_np)


def test_deferred_payment_received_completes_the_order(session, factory, deferred):
    order = factory.order(status=S.awaiting_deferred_payment, payment_method=deferred,
                          payment_status=PaymentStatus.deferred_approved)
    auto_advance.sweep(session, now=at(11))
    refresh(session, order)
    assert order.status is S.awaiting_deferred_payment
    order.payment_status = PaymentStatus.paid
    auto_advance.advance(session, [order.id])
    refresh(session, order)
    assert order.status is S.completed


def _side_by_side(app, work, times: int = 2) -> None:
    """Run `work(session)` in `times` threads at once, each with its own session and
    transaction (as two workers would)."""
    errors = []
    barrier = threading.Barrier(times)

    def run():
        with app.app_context(), Session(db.engine) as own:
            try:
                barrier.wait(10)
                work(own)
                own.commit()
            except Exception as error:  # reported below
                errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(times)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not errors


def test_two_sweeps_at_once_move_each_order_once(app, session, factory):
    cod = factory.payment_method(PaymentKind.cod)
    orders = [factory.order(status=S.pending_review, payment_method=cod, ordered_at=at(9))
              for _ in range(300)]
    session.commit()

    _side_by_side(app, lambda own: auto_advance.sweep(own, now=at(11), commit=own.commit))
    session.expire_all()
    assert {o.status for o in orders} == {S.new}
    moves = session.execute(
        sa.select(StatusHistory.order_id, sa.func.count())
        .where(StatusHistory.line_id.is_(None)).group_by(StatusHistory.order_id)).all()
    assert len(moves) == 300 and {n for _, n in moves} == {1}


def test_two_allocation_runs_at_once_promise_exactly_the_stock(app, session, factory):
    settings(session, allocation_mode="manual")
    item = factory.sku("S1", 10)
    orders = [factory.order(status=S.awaiting_allocation, lines=[linked_line(item, 1)])
              for _ in range(20)]
    session.commit()
    ids = [o.id for o in orders]
    runs = iter([ids[:15], ids[5:]])

    def run(own):
        allocation.allocate(own, next(runs), OPERATOR)

    _side_by_side(app, run)
    session.expire_all()
    assert stock_of(session, item).allocated == 10 == active_sum(session, item)
    states = [o.allocation_state for o in orders]
    assert states.count(AllocationState.allocated) == 10
