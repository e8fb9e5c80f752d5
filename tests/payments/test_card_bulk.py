"""決済状況一括変更 (売上 / 取消 / 再オーソリ) as an effect operation of the bulk engine, run
in-process against the sandbox gateway: the guards (the payment rules as SQL), the keys
`bulk:<job>:<order>:<action>`, the results on the orders, and a lost answer that keeps its
item open until the effect is known; and the kill -9 check (SCOPE P4 check 8) on real
workers."""

import os
import signal
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from oms.models import (
    JobState,
    MallKind,
    Order,
    OrderStatus,
    PaymentKind,
    PaymentStatus,
    TargetState,
)
from oms.models.payments import PaymentTransaction, TransactionState
from oms.services import runner
from oms.services.bulk import operations, preview, selection
from oms.services.payments import ledger, step
from tests import bulk_support as bulk
from tests.bulk_support import empty_queue  # noqa: F401 (fixture)
from tests.jobs.test_bulk_jobs import WORKER_ENV, job_state, mid_job
from tests.payments.test_card_jobs import card_order, effects, reload
from tests.workers import horse_of, wait_for

pytestmark = pytest.mark.usefixtures("empty_queue")
S, P, T = OrderStatus, PaymentStatus, TransactionState
KILLED_ORDERS = 200
# Chunks of 10: many commit points to be killed between; the lease and recovery as short
# as the bulk kill tests'.
KILL_ENV = {**WORKER_ENV, "OMS_BULK_CHUNK": "10"}


def authorized(session, user, orders: list[Order]) -> None:
    """The orders authorized at the sandbox through the payment job, run here."""
    note = step.start(session, user, [(o.id, f"order:{o.id}:authorize:1") for o in orders],
                      locale="en")
    session.commit()
    runner.run_lane(session, note.id, lease=timedelta(minutes=2))
    session.expire_all()
    assert {o.payment_status for o in orders} == {P.authorized}


def bulk_change(session, user, orders: list[Order], action: str):
    job = bulk.start(session, user, orders, "card_payment",
                     bulk.options(session, "card_payment", action=action))
    return bulk.run(session, job.id)


def test_bulk_capture_applies_the_payment_rules_and_captures_once(
        session, factory, users, sandbox, merchant):
    shipped = card_order(factory, session, status=S.shipped)
    raised = card_order(factory, session, status=S.shipped)
    unpaid = card_order(factory, session, status=S.shipped)
    mall = card_order(factory, session, shop=factory.shop(MallKind.rakuten), status=S.shipped,
                      payment_status=P.authorized, transaction_id="tx-mall")
    cod = card_order(factory, session, payment_method=factory.payment_method(PaymentKind.cod),
                     status=S.shipped, payment_status=P.authorized, transaction_id="tx-cod")
    authorized(session, users["operator"], [shipped, raised])
    raised.total = 9900
    session.commit()
    orders = [shipped, raised, unpaid, mall, cod]

    chosen = selection.from_ids(session, users["operator"], [o.id for o in orders],
                                bulk.SelectionSource.selected)
    operation = operations.get("card_payment")
    options = bulk.options(session, "card_payment", action="capture")
    seen = preview.preview(session, selection.conditions(session, chosen, None), operation,
                           options)
    assert (seen.total, seen.change, seen.failing) == (5, 1, 4)
    session.rollback()

    job = bulk_change(session, users["operator"], orders, "capture")
    assert job.notification.summary == "1 changed, 4 failed, 0 skipped."
    assert bulk.outcomes(session, job.id) == {
        shipped.id: (TargetState.ok, None),
        raised.id: (TargetState.failed,
                    "A re-authorization is needed for the increased amount."),
        unpaid.id: (TargetState.failed, "Not possible while the payment is “Unpaid”."),
        mall.id: (TargetState.failed, "The mall takes the payment of its orders: the "
                                      "gateway actions are not available."),
        cod.id: (TargetState.failed, "The order is not paid by card."),
    }
    order = reload(session, shipped)
    assert (order.payment_status, order.captured_amount, order.paid_total) == (
        P.captured, 8800, 8800)
    assert order.captured_at is not None and order.status is S.completed  # advanced
    key = f"bulk:{job.id}:{shipped.id}:capture"
    assert effects(sandbox, merchant)[key] == 1
    assert sandbox.gateway_effects(merchant)["totals"]["capture"] == 1
    assert session.scalar(sa.select(PaymentTransaction.state).where(
        PaymentTransaction.idempotency_key == key)) is T.succeeded
    assert reload(session, raised).payment_status is P.authorized  # left as it was


def test_bulk_void_and_reauthorize(session, factory, users, sandbox, merchant):
    voided, again = card_order(factory, session), card_order(factory, session)
    authorized(session, users["operator"], [voided, again])
    again.total = 9900
    session.commit()

    job = bulk_change(session, users["operator"], [voided], "void")
    order = reload(session, voided)
    assert (order.payment_status, order.voided_at is not None) == (P.voided, True)
    assert effects(sandbox, merchant)[f"bulk:{job.id}:{voided.id}:void"] == 1

    job = bulk_change(session, users["operator"], [again], "reauthorize")
    assert bulk.outcomes(session, job.id) == {again.id: (TargetState.ok, None)}
    order = reload(session, again)
    assert (order.payment_status, order.authorized_amount) == (P.authorized, 9900)
    assert effects(sandbox, merchant)[f"bulk:{job.id}:{again.id}:reauthorize"] == 1


def test_a_lost_answer_keeps_the_item_open_until_the_effect_is_known(
        session, factory, users, sandbox, merchant):
    order = card_order(factory, session, status=S.shipped)
    authorized(session, users["operator"], [order])
    # Captured at the gateway, but every answer the adapter waits for is lost.
    sandbox.gateway_faults(merchant, *["timeout_after_commit"] * 4)
    job = bulk_change(session, users["operator"], [order], "capture")
    key = ledger.bulk_key(job.id, order.id, ledger.A.capture)
    assert bulk.outcomes(session, job.id)[order.id][0] is TargetState.calling
    assert (job.notification.done, job.notification.state.finished) == (0, False)
    assert reload(session, order).payment_status is P.capturing

    with force_locale("en"):  # the lease has passed: a lane asks again under the key
        runner.run_lane(session, job.id, lease=timedelta(0))
    session.expire_all()
    assert bulk.outcomes(session, job.id) == {order.id: (TargetState.ok, None)}
    assert reload(session, order).payment_status is P.captured
    assert effects(sandbox, merchant) == {f"order:{order.id}:authorize:1": 1, key: 1}


@pytest.mark.slow
def test_bulk_capture_survives_kill_9_of_every_worker(
        app, session, factory, users, sandbox, merchant, workers, monkeypatch):
    """SCOPE P4 check 8, small for CI (200 orders, 20 ms latency, 2 lanes and workers):
    every worker killed with SIGKILL at about half; restarted, they finish the job: every
    item terminal, and the sandbox counts exactly one capture per order."""
    orders = [card_order(factory, session, status=S.shipped) for _ in range(KILLED_ORDERS)]
    authorized(session, users["operator"], orders)
    sandbox.gateway(merchant, latency_ms=20)
    monkeypatch.setitem(app.config, "BULK_LANES", 2)
    job = bulk.start(session, users["operator"], orders, "card_payment",
                     bulk.options(session, "card_payment", action="capture"))
    first = [workers.start(f"first{i}", **KILL_ENV) for i in range(2)]
    assert mid_job(session, job.id, KILLED_ORDERS), workers.logs()
    for worker in first:
        if horse := horse_of(worker.pid):
            os.killpg(horse, signal.SIGKILL)
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(10)
    note = job_state(session, job.id).notification
    assert note.done < KILLED_ORDERS and not note.state.finished, (note.done, note.state)

    for i in range(2):
        workers.start(f"second{i}", **KILL_ENV)
    finished = wait_for(lambda: job_state(session, job.id).notification.state.finished,
                        120, 0.2)
    assert finished, workers.logs()
    workers.stop_all()
    assert set(bulk.outcomes(session, job.id).values()) == {(TargetState.ok, None)}
    note = job_state(session, job.id).notification
    assert (note.state, note.done, note.total) == (JobState.succeeded, KILLED_ORDERS,
                                                   KILLED_ORDERS)
    counted = sandbox.gateway_effects(merchant)
    assert counted["totals"]["capture"] == KILLED_ORDERS
    captures = {k: v["effects"] for k, v in counted["keys"].items() if k.startswith("bulk:")}
    assert captures == {ledger.bulk_key(job.id, o.id, ledger.A.capture): 1 for o in orders}
    assert dict(session.execute(sa.select(Order.payment_status, sa.func.count())
                                .group_by(Order.payment_status)).all()) == {
        P.captured: KILLED_ORDERS}
