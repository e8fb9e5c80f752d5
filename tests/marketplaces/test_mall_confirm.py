"""注文確認 reaches the malls: the operator confirms on the order list, a job on a real
worker confirms each order at its sandbox mall; refusals are kept with the mall's message,
a job run again does not fail, and Amazon and own-shop orders need no call."""

import os
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from oms.models import (
    JobState,
    JobTarget,
    MallKind,
    MallSyncFailure,
    Notification,
    Order,
    OrderStatus,
    TargetState,
)
from oms.queue import ensure_embedded_redis
from oms.services import jobs, mall_confirm, mall_polling, marketplace_jobs
from tests.conftest import (
    ROOT,
    AuthActions,
    app_with_own_redis,
    csrf_token,
    switch_to_english,
)

pytestmark = pytest.mark.slow
S = OrderStatus


@pytest.fixture
def operator(auth):
    """Signed in, in English: these tests read the messages the screens show."""
    auth.login("operator")
    auth.client.post("/language", data={"lang": "en", "csrf_token": csrf_token(auth.client)})
    return auth.client


def _import(session, mall, adapter_for) -> dict[str, Order]:
    mall_polling.poll(session, mall.shop, adapter_for(mall.shop),
                   datetime.now(UTC) + timedelta(seconds=1), session.commit)
    return {o.mall_order_id: o for o in session.scalars(
        sa.select(Order).where(Order.shop_id == mall.shop.id))}


def _confirm(client, orders):
    """Press 注文確認 with these orders checked; the result page it redirects to (PRG)."""
    response = client.post("/orders/confirm", data={
        "csrf_token": csrf_token(client), "scope": "selected", "search": "tab=new",
        "order_id": [str(o.id) for o in orders]})
    assert response.status_code == 303 and "/notifications/" in response.location
    return client.get(response.location)


def _job(session) -> Notification:
    return session.scalars(sa.select(Notification).where(
        Notification.kind == marketplace_jobs.CONFIRM)).one()


def test_confirm_on_the_list_confirms_at_each_mall(operator, session, make_mall, adapter_for,
                                                   run_worker):
    malls = {kind: make_mall(kind) for kind in ("rakuten", "yahoo", "qoo10")}
    first = {"rakuten": "100", "yahoo": "2-new", "qoo10": "2"}
    orders = {}
    for kind, mall in malls.items():
        (mall_id,) = mall.generate(1, status=first[kind])
        orders[kind] = _import(session, mall, adapter_for)[mall_id]
        assert orders[kind].status is S.new

    response = _confirm(operator, orders.values())
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and 'data-confirmed="3"' in page
    note = _job(session)
    result = session.scalars(sa.select(Notification).where(
        Notification.kind == "order_confirm")).one()
    assert f'data-mall-confirm="{note.id}"' in page
    assert f'href="/notifications/{note.id}"' in page
    # With htmx the malls' job is followed in place, through the result's own page.
    assert 'id="follow-up"' in page and f'hx-get="/notifications/{result.id}"' in page
    assert "The malls of 3 of these orders are being told" in page
    assert sorted(session.scalars(sa.select(JobTarget.order_id).where(
        JobTarget.job_id == note.id))) == sorted(o.id for o in orders.values())

    run_worker()
    session.expire_all()
    note = session.get(Notification, note.id)
    assert (note.state, note.total, note.done, note.failed) == (JobState.succeeded, 3, 3, 0)
    assert "3 orders confirmed at their malls" in note.summary
    # Each kind's confirm transition (oms/sandbox/kinds.py).
    confirmed = {"rakuten": "300", "yahoo": "2-1", "qoo10": "3"}
    for kind, mall in malls.items():
        assert mall.order(orders[kind].mall_order_id)["status"] == confirmed[kind], kind
        assert session.get(Order, orders[kind].id).status is S.awaiting_allocation

    # The next import hears the mall's new status and agrees: nothing moves, no conflict.
    result = mall_polling.poll(session, malls["rakuten"].shop,
                            adapter_for(malls["rakuten"].shop),
                            datetime.now(UTC) + timedelta(seconds=1), session.commit)
    assert result.conflicts == 0
    assert session.get(Order, orders["rakuten"].id).status is S.awaiting_allocation


def test_with_the_queue_away_the_confirm_reaches_the_mall_once_the_queue_is_back(
        users, session, make_mall, adapter_for, test_env, tmp_path):
    """注文確認 while Redis is down: the orders are confirmed here, the operator is told the
    mall job waits for the queue, and once Redis answers the scheduler's look queues it and a
    worker confirms the order at its mall."""
    mall = make_mall("rakuten")
    (mall_id,) = mall.generate(1, status="100")
    order = _import(session, mall, adapter_for)[mall_id]
    with app_with_own_redis(tmp_path / "redis") as (private, connection, url):
        connection.shutdown(nosave=True)  # the queue is away
        client = private.test_client()
        AuthActions(client).login("operator")
        switch_to_english(client)
        page = _confirm(client, [order]).get_data(as_text=True)
        assert "will start by itself as soon as the queue is back" in page
        session.expire_all()
        note = _job(session)
        assert note.state is JobState.queued
        assert session.get(Order, order.id).status is S.awaiting_allocation
        assert mall.order(mall_id)["status"] == "100"

        ensure_embedded_redis(tmp_path / "redis")  # the queue is back
        env = {**os.environ, **test_env, "REDIS_URL": url}
        subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "scheduler", "--once"],
                       cwd=ROOT, env={**env, "OMS_LOST_JOB_SECONDS": "0"}, check=True,
                       timeout=60)
        subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "worker", "--burst"],
                       cwd=ROOT, env=env, check=True, timeout=120, capture_output=True)
    session.expire_all()
    note = session.get(Notification, note.id)
    assert (note.state, note.done, note.failed) == (JobState.succeeded, 1, 0), note.error
    assert mall.order(mall_id)["status"] == "300"


def test_refusals_are_kept_with_the_mall_message_and_the_local_confirm_stays(
        operator, session, make_mall, adapter_for, run_worker):
    mall = make_mall("rakuten")
    mall.generate(3, status="100")
    unavailable, refused, fine = sorted(_import(session, mall, adapter_for).values(),
                                        key=lambda o: o.id)
    mall.event(refused.mall_order_id, "cancel")  # the buyer cancelled meanwhile
    _confirm(operator, [unavailable, refused, fine])
    note = _job(session)
    # The first order's confirm fails on every attempt: its retries run out.
    mall.faults("500", "500", "500", "500")
    run_worker()

    session.expire_all()
    note = session.get(Notification, note.id)
    assert (note.state, note.done, note.failed) == (JobState.succeeded, 3, 2)
    assert mall.order(fine.mall_order_id)["status"] == "300"
    assert mall.order(refused.mall_order_id)["status"] == "900"
    failures = {f.order_id: f for f in session.scalars(sa.select(MallSyncFailure).where(
        MallSyncFailure.notification_id == note.id))}
    assert set(failures) == {unavailable.id, refused.id}
    assert failures[refused.id].action == "confirm"
    assert failures[refused.id].message.startswith("Rakuten: ")
    assert "cannot confirm" in failures[refused.id].message
    assert "HTTP 500" in failures[unavailable.id].message
    targets = dict(session.execute(sa.select(JobTarget.order_id, JobTarget.state).where(
        JobTarget.job_id == note.id)).all())
    assert targets == {unavailable.id: TargetState.failed, refused.id: TargetState.failed,
                       fine.id: TargetState.ok}
    for order in (unavailable, refused, fine):  # confirmed here whatever the mall said
        assert session.get(Order, order.id).status is S.awaiting_allocation

    # The job's notification shows them with the mall's message, as a page and a fragment.
    page = operator.get(f"/notifications/{note.id}").get_data(as_text=True)
    assert 'data-mall-failures="2"' in page and "cannot confirm" in page
    assert f'data-order-number="{refused.order_number}"' in page
    fragment = operator.get(f"/notifications/{note.id}", headers={
        "HX-Request": "true", "HX-Target": "job-progress"}).get_data(as_text=True)
    assert "<html" not in fragment and "cannot confirm" in fragment
    outcomes = operator.get(f"/marketplaces/jobs/{note.id}").get_data(as_text=True)
    assert "Orders not confirmed at their malls" in outcomes and "HTTP 500" in outcomes


def test_a_job_run_again_does_not_fail_on_orders_already_confirmed(
        operator, session, make_mall, adapter_for, run_worker):
    mall = make_mall("rakuten")
    mall.generate(2, status="100")
    again, shipped = sorted(_import(session, mall, adapter_for).values(), key=lambda o: o.id)
    _confirm(operator, [again, shipped])
    note = _job(session)
    run_worker()
    # Meanwhile one order shipped at the mall: Rakuten refuses to confirm it once more.
    mall.event(shipped.mall_order_id, "ship", carrier="1001", number="123456789012")
    with pytest.raises(Exception, match="cannot confirm"):
        adapter_for(mall.shop).confirm(shipped.mall_order_id)

    # The same job again, as after a worker lost before it recorded its outcomes.
    session.expire_all()
    session.execute(sa.update(JobTarget).where(JobTarget.job_id == note.id)
                    .values(state=TargetState.pending))
    note = session.get(Notification, note.id)
    # Outcomes and counts commit together: a lost worker leaves neither.
    note.state, note.finished_at, note.done, note.failed = JobState.queued, None, 0, 0
    session.commit()
    assert jobs.enqueue(note.id, note.kind, long=False)
    run_worker()

    session.expire_all()
    note = session.get(Notification, note.id)
    assert (note.state, note.done, note.failed) == (JobState.succeeded, 2, 0), note.error
    assert session.scalar(sa.select(sa.func.count()).select_from(MallSyncFailure)) == 0
    assert mall.order(again.mall_order_id)["status"] == "300"
    assert mall.order(shipped.mall_order_id)["status"] == "500"


def test_amazon_and_own_shop_orders_make_no_call(operator, session, make_mall, factory,
                                                adapter_for):
    amazon = make_mall("amazon")
    (amazon_id,) = amazon.generate(1, status="Unshipped")
    # Amazon has no new (imported orders are processing at once); here one was put back.
    amazon_order = factory.order(shop=amazon.shop, mall_order_id=amazon_id)
    own_order = factory.order(shop=factory.shop(MallKind.own))
    rakuten = make_mall("rakuten")
    (rakuten_id,) = rakuten.generate(1, status="100")
    rakuten_order = _import(session, rakuten, adapter_for)[rakuten_id]
    session.commit()
    assert mall_confirm.mall_targets(session, [amazon_order.id, own_order.id]) == []

    page = _confirm(operator, [amazon_order, own_order]).get_data(as_text=True)
    assert 'data-confirmed="2"' in page and "data-mall-confirm" not in page
    assert session.scalar(sa.select(sa.func.count()).select_from(Notification).where(
        Notification.kind == marketplace_jobs.CONFIRM)) == 0

    # Among other orders, only the Rakuten one is the job's.
    session.expire_all()
    amazon_order.status = own_order.status = S.new
    session.commit()
    page = _confirm(operator, [amazon_order, own_order, rakuten_order]).get_data(as_text=True)
    assert 'data-confirmed="3"' in page
    assert list(session.scalars(sa.select(JobTarget.order_id).where(
        JobTarget.job_id == _job(session).id))) == [rakuten_order.id]
    assert re.search(r"data-mall-confirm=\"\d+\"", page)
