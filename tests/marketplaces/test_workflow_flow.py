"""Orders flow by themselves (SCOPE P1): an own-shop order from 確認待ち and a sandbox mall
order from 新規 reach 出荷待ち through the scheduler's sweep on a real worker, under each
allocation mode."""

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from oms.models import (
    AllocationState,
    LineStatus,
    LinkResult,
    MallKind,
    Order,
    OrderStatus,
    PaymentKind,
    PaymentStatus,
    SkuMapping,
    StatusHistory,
)
from oms.services import app_settings, mall_polling
from oms.services.actor import Actor
from tests.conftest import ROOT, csrf_token
from tests.factories import linked_line

pytestmark = pytest.mark.slow
S = OrderStatus
ADMIN = Actor(None, "admin", None, "screen")


def _mode(session, mode: str) -> None:
    settings = app_settings.workflow(session)
    settings.allocation_mode = mode
    settings.require_confirm = {"own": False}
    app_settings.save_workflow(session, settings, ADMIN)
    session.commit()


def _scheduler_tick_and_worker(test_env, run_worker) -> None:
    """One look of `flask scheduler` (it queues the sweep), then a worker runs it."""
    subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "scheduler", "--once"],
                   cwd=ROOT, env={**os.environ, **test_env}, check=True, timeout=60)
    run_worker()


@pytest.mark.parametrize(("mode", "reached", "allocated"), [
    ("auto", S.ready_to_ship, AllocationState.allocated),
    ("manual", S.awaiting_allocation, AllocationState.none),
    ("off", S.ready_to_ship, AllocationState.none),
])
def test_an_own_shop_cod_order_flows_to_ready_to_ship(session, factory, test_env, run_worker,
                                                     mode, reached, allocated):
    _mode(session, mode)
    item = factory.sku("APPLE-1")
    order = factory.order(
        shop=factory.shop(MallKind.own), status=S.pending_review,
        payment_method=factory.payment_method(PaymentKind.cod),
        payment_status=PaymentStatus.unpaid,
        ordered_at=datetime.now(UTC) - timedelta(minutes=20),
        lines=[linked_line(item, 2, status=LineStatus.awaiting_payment)])
    session.commit()

    _scheduler_tick_and_worker(test_env, run_worker)
    session.expire_all()
    order = session.get(Order, order.id)
    assert order.status is reached
    assert order.allocation_state is allocated
    moves = session.execute(sa.select(StatusHistory.to_status, StatusHistory.via)
                            .where(StatusHistory.order_id == order.id,
                                   StatusHistory.line_id.is_(None))
                            .order_by(StatusHistory.id)).all()
    assert moves[0] == ("new", "auto")
    assert moves[-1][0] == reached.value


def test_a_mall_order_is_confirmed_then_allocated_and_ready(operator_en, session, factory,
                                                             make_mall, adapter_for, run_worker):
    _mode(session, "auto")
    mall = make_mall("rakuten")
    (mall_id,) = mall.generate(1, status="100")
    mall_polling.poll(session, mall.shop, adapter_for(mall.shop),
                      datetime.now(UTC) + timedelta(seconds=1), session.commit)
    order = session.scalars(sa.select(Order).where(Order.mall_order_id == mall_id)).one()
    assert order.status is S.new
    for n, line in enumerate(order.lines):
        item = factory.sku(f"MALL-{n}", stock=100)
        session.add(SkuMapping(shop_id=mall.shop.id, product_code=line.mall_product_code,
                               option=line.mall_option or "", sku_id=item.id))
        line.sku_id, line.link_result = item.id, LinkResult.ok
    session.commit()

    response = operator_en.post("/orders/confirm", data={
        "csrf_token": csrf_token(operator_en), "scope": "selected", "search": "tab=new",
        "order_id": [str(order.id)]})
    assert response.status_code == 303
    run_worker()  # tells the mall
    session.expire_all()
    order = session.get(Order, order.id)
    assert order.status is S.ready_to_ship
    assert order.allocation_state is AllocationState.allocated
    assert mall.order(mall_id)["status"] == "300"


@pytest.fixture
def operator_en(auth):
    auth.login("operator")
    auth.client.post("/language", data={"lang": "en", "csrf_token": csrf_token(auth.client)})
    return auth.client
