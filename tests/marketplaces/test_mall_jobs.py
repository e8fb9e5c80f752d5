"""The mall jobs on real workers: concurrent imports never duplicate, 全注文更新 with
progress and per-order failures, アイテム紐づけ over a search, the scheduler's choice."""

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from oms.models import (
    JobState,
    JobTarget,
    LinkResult,
    MallSyncFailure,
    Notification,
    Order,
    OrderStatus,
    Sku,
    TargetState,
)
from oms.queue import get_queue, get_redis
from oms.services import mall_schedule, marketplace_jobs
from tests.conftest import ROOT
from tests.workers import run_bursts, wait_for

pytestmark = pytest.mark.slow


def _workers(test_env, count: int) -> None:
    """Run `count` real burst workers at the same time until the queues are empty."""
    for result in run_bursts(test_env, count):
        assert result.returncode == 0, result.stdout[-2000:]


def _count(session, shop):
    return session.scalar(sa.select(sa.func.count()).select_from(Order).where(
        Order.shop_id == shop.id))


def test_two_workers_importing_the_same_shop_never_duplicate(session, make_mall, test_env):
    mall = make_mall("amazon")
    mall.generate(400)
    queue = get_queue()
    for n in range(4):  # the same import, four times, for two workers at once
        queue.enqueue("jobs.marketplaces.poll_shop", mall.shop.id, job_id=f"twice-{n}")
    _workers(test_env, 2)
    session.expire_all()
    assert _count(session, mall.shop) == 400
    numbers = session.scalars(sa.select(Order.order_number).where(Order.shop_id == mall.shop.id))
    assert len(set(numbers)) == 400


def test_refresh_all_orders_of_a_search(session, make_mall, users, test_env, run_worker):
    mall = make_mall("rakuten")
    ids = mall.generate(6, status="100")
    (waiting_id,) = mall.generate(1, status="200")
    queue = get_queue()
    queue.enqueue("jobs.marketplaces.poll_shop", mall.shop.id)
    run_worker()
    session.expire_all()
    assert _count(session, mall.shop) == 7
    mall.event(ids[0], "cancel")
    mall.event(ids[1], "cancel_request")
    # The first getOrder call fails for good: its orders fail with the mall's message.
    note = marketplace_jobs.start_refresh(session, users["operator"],
                                          f"tab=all&shop_id={mall.shop.id}", "en")
    session.commit()  # the job is queued with the commit
    mall.faults("500", "500", "500", "500")
    run_worker()
    session.expire_all()
    note = session.get(Notification, note.id)
    assert note.state is JobState.succeeded, note.error
    states = dict(session.execute(sa.select(JobTarget.order_id, JobTarget.state).where(
        JobTarget.job_id == note.id)).all())
    assert note.total == 7 and note.done == 7
    assert sorted(states.values()).count(TargetState.skipped) == 1  # the waiting order
    assert note.failed == 6 and set(states.values()) == {TargetState.failed, TargetState.skipped}
    failure = session.scalar(sa.select(MallSyncFailure).where(
        MallSyncFailure.notification_id == note.id))
    assert "HTTP 500" in failure.message and failure.order_id

    # Again without faults: the mall's cancellations arrive.
    note = marketplace_jobs.start_refresh(session, users["operator"],
                                          f"tab=all&shop_id={mall.shop.id}", "en")
    session.commit()  # the job is queued with the commit
    run_worker()
    session.expire_all()
    note = session.get(Notification, note.id)
    assert (note.state, note.failed) == (JobState.succeeded, 0)
    orders = {o.mall_order_id: o for o in session.scalars(
        sa.select(Order).where(Order.shop_id == mall.shop.id))}
    assert orders[ids[0]].status is OrderStatus.cancelled
    assert orders[ids[1]].status is OrderStatus.on_hold
    assert orders[waiting_id].status is OrderStatus.awaiting_payment


def test_link_every_order_of_a_search(session, factory, users, run_worker):
    session.add(Sku(code="P-1", name="Juice", price=1000))
    shop = factory.shop()
    linked = [factory.order(shop=shop) for _ in range(3)]  # lines of product code P-1
    other = factory.order()
    for line in other.lines:
        line.mall_product_code = "UNKNOWN"
    session.commit()
    note = marketplace_jobs.start_link(session, users["operator"], "tab=all", "en")
    session.commit()  # the job is queued with the commit
    run_worker()
    session.expire_all()
    note = session.get(Notification, note.id)
    assert note.state is JobState.succeeded and note.done == 4
    # The badge says 一部失敗 (1件): the FAIL orders count as the job's failures.
    assert note.failed == 1 and "1 have lines that could not be linked" in note.summary
    assert {session.get(Order, o.id).link_result for o in linked} == {LinkResult.ok}
    assert session.get(Order, other.id).link_result is LinkResult.fail


def test_scheduler_enqueues_due_shops_once(session, make_mall, factory):
    due = make_mall("yahoo")
    off = make_mall("yahoo")
    off.shop.poll_minutes = 0
    factory.shop()  # our own shop: no mall API
    session.commit()
    now = datetime.now(UTC)
    assert mall_schedule.due_shops(session, now) == [due.shop.id]
    queue, connection = get_queue(), get_redis()
    assert mall_schedule.enqueue_poll(queue, connection, due.shop.id)
    assert not mall_schedule.enqueue_poll(queue, connection, due.shop.id)
    queue.empty()
    assert mall_schedule.due_shops(session, now + timedelta(minutes=1)) == [due.shop.id]


def test_new_orders_appear_by_themselves(session, make_mall, adapter_for, test_env,
                                        run_worker):
    """What make run does: the mall places orders over time, the scheduler enqueues the
    import, a worker runs it."""
    mall = make_mall("qoo10", new_per_minute=1200)  # twenty a second
    # The mall's time passes: wait until it has placed an order, as its API shows.
    adapter = adapter_for(mall.shop)
    since = datetime.now(UTC) - timedelta(days=1)
    assert wait_for(lambda: any(b.orders for b in adapter.changed_since(
        since, datetime.now(UTC) + timedelta(minutes=1))), 30, 0.1)
    subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "scheduler", "--once"],
                   cwd=ROOT, env={**os.environ, **test_env}, check=True, timeout=60)
    run_worker()
    session.expire_all()
    assert _count(session, mall.shop) > 0


def test_connecting_the_demo_shops(session, sandbox, factory, app):
    from oms.models import MallKind, SkuMapping
    from oms.sandbox.connect import connect_shops

    session.add(Sku(code="TEE-M", name="Tシャツ", price=2900))
    shop = factory.shop(MallKind.amazon)
    own = factory.shop(MallKind.own)
    order = factory.order(shop=shop, status=OrderStatus.ready_to_ship)
    order.lines[0].mall_product_code = "B0ASIN0001"
    order.lines[0].sku_id = session.scalar(sa.select(Sku.id))
    order.lines[0].link_result = LinkResult.ok
    session.commit()
    assert connect_shops(session, sandbox, app.config["SECRET_KEY"]) == [shop.code]
    session.commit()
    assert shop.api_endpoint and shop.credentials and own.api_endpoint is None
    # The mall knows the order the OMS had, and the old link became a mapping.
    from oms.sandbox.connect import token_for

    assert sandbox.order("amazon", token_for(shop), order.mall_order_id)["status"] == "Unshipped"
    assert session.scalar(sa.select(SkuMapping.product_code)) == "B0ASIN0001"
