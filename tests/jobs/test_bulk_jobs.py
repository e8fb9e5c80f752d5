"""Bulk jobs on real `flask worker` processes and a real Redis: killed mid-job in every way
RQ can lose a worker (RELIABILITY.md F), then finished by another worker with every target
applied exactly once. A remarks append makes a double application visible."""

import os
import signal

import pytest
import sqlalchemy as sa

from oms.models import AuditEvent, BulkJob, JobState, JobTarget, Order, OrderStatus, TargetState
from tests import bulk_support as bulk
from tests.bulk_support import empty_queue  # noqa: F401 (fixture)
from tests.conftest import aware
from tests.workers import horse_of, log_says, wait_for

pytestmark = pytest.mark.usefixtures("empty_queue")

# Settings of the workers these tests start (workers.start(**WORKER_ENV)).
WORKER_ENV = {
    # Small chunks: many commit points to be killed between, and between no others.
    "OMS_BULK_CHUNK": "100",
    # Recover quickly: a job silent for 2 s is abandoned; idle workers look every second.
    "OMS_JOB_LEASE_SECONDS": "2",
    "OMS_WORKER_MAINTENANCE_SECONDS": "1",
}


def insert_orders(session, factory, n: int, **values) -> list[int]:
    """Many orders in one statement (the factory per order would be slow)."""
    template = factory.order()
    session.commit()
    base = aware(2026, 1, 1)
    rows = [{"order_number": f"{7000000000 + i}", "shop_id": template.shop_id,
             "mall_order_id": f"BULK-{i}", "status": OrderStatus.new, "buyer_name": "一括 注文",
             "ship_name": "一括 注文", "ordered_at": base,
             "payment_method_id": template.payment_method_id, "total": 1100, **values}
            for i in range(n)]
    session.execute(sa.insert(Order), rows)
    session.execute(sa.delete(Order).where(Order.id == template.id))
    session.commit()
    # Statistics, as autovacuum keeps them on a live database: without any, PostgreSQL
    # may look an order up by id through the wrong index (a whole-index scan per foreign
    # key check).
    session.execute(sa.text("ANALYZE orders"))
    session.commit()
    return list(session.scalars(sa.select(Order.id).order_by(Order.id)))


class Orders(list):
    """Stand-ins with just an id, for bulk_support.start."""

    def __init__(self, ids):
        super().__init__(type("O", (), {"id": i})() for i in ids)


def job_state(session, job_id: int) -> BulkJob:
    session.rollback()
    session.expire_all()
    return session.get(BulkJob, job_id)


def assert_applied_exactly_once(session, job_id: int, order_ids: list[int]) -> None:
    session.rollback()
    session.expire_all()
    items = session.execute(sa.select(JobTarget.order_id, JobTarget.state).where(
        JobTarget.job_id == job_id)).all()
    assert sorted(i for i, _ in items) == sorted(order_ids)  # one outcome per target
    assert {state for _, state in items} == {TargetState.ok}
    remarks = session.execute(sa.select(Order.remarks1, sa.func.count())
                              .group_by(Order.remarks1)).all()
    assert remarks == [("r\n+bulk", len(order_ids))]  # none twice, none lost
    audits = session.scalar(sa.select(sa.func.count()).select_from(AuditEvent).where(
        AuditEvent.via == f"bulk:{job_id}"))
    assert audits == len(order_ids)
    job = session.get(BulkJob, job_id)
    note = job.notification
    assert (note.state, note.done, note.failed, job.skipped) == (
        JobState.succeeded, len(order_ids), 0, 0)
    assert note.error is None


def started_job(session, users, order_ids):
    job = bulk.start(session, users["operator"], Orders(order_ids), "remarks1",
                     bulk.options(session, "remarks1", mode="add", text="+bulk"))
    return job.id


def mid_job(session, job_id, total):
    """Wait until some chunks are committed but not all."""
    def progressed():
        note = job_state(session, job_id).notification
        return total * 0.1 <= note.done < total * 0.8
    return wait_for(progressed, 120, 0.02)


# A cold shutdown takes two signals a second apart: the job must outlast that second.
ORDERS = {"whole worker": 6_000, "work horse": 6_000, "double SIGTERM": 40_000}
HOW = ["whole worker", "work horse", pytest.param("double SIGTERM", marks=pytest.mark.slow)]


@pytest.mark.parametrize("how", HOW)
def test_killed_worker_resumes_and_applies_each_target_once(
        how, session, users, factory, workers):
    n = ORDERS[how]
    order_ids = insert_orders(session, factory, n, remarks1="r")
    job_id = started_job(session, users, order_ids)
    # A warm stop lets the horse work on for the second it takes to make it cold: tiny
    # chunks keep the job running through that second even on a fast database.
    first = workers.start("first", **{**WORKER_ENV, **(
        {"OMS_BULK_CHUNK": "10"} if how == "double SIGTERM" else {})})
    assert mid_job(session, job_id, n), "the job never got half way: " + workers.logs()
    horse = horse_of(first.pid)
    if how == "whole worker":
        # A lost host: the worker, its scheduler and its horse die at once.
        if horse:
            os.killpg(horse, signal.SIGKILL)
        os.killpg(first.pid, signal.SIGKILL)
        first.wait(10)
    elif how == "work horse":
        assert horse, "no work horse found"
        os.kill(horse, signal.SIGKILL)  # the OOM killer: the worker itself lives on
    else:
        first.send_signal(signal.SIGTERM)
        # RQ ignores a second signal within a second of the first: signal again until
        # the worker says it is shutting down cold (the horse is then killed).
        cold = wait_for(lambda: first.send_signal(signal.SIGTERM)
                        or log_says(workers.log_path("first"), "cold shut down"), 30, 0.2)
        assert cold, workers.logs()
        first.wait(30)
    note = job_state(session, job_id).notification
    assert note.done < n and not note.state.finished, (note.done, note.state)
    if first.poll() is not None:
        workers.start("second", **WORKER_ENV)
    finished = wait_for(lambda: job_state(session, job_id).notification.state.finished,
                        180, 0.2)
    assert finished, workers.logs()
    assert_applied_exactly_once(session, job_id, order_ids)


def test_status_change_on_a_real_worker_with_refusals(session, users, factory, run_worker):
    new_ids = insert_orders(session, factory, 300)
    session.execute(sa.update(Order).where(Order.id.in_(new_ids[:3]))
                    .values(status=OrderStatus.cancelled))
    session.commit()
    job = bulk.start(session, users["operator"], Orders(new_ids), "status",
                     bulk.options(session, "status", to="ready_to_ship"), locale="en")
    run_worker()
    job = job_state(session, job.id)
    assert (job.notification.state, job.succeeded, job.notification.failed) == (
        JobState.succeeded, 297, 3)
    assert job.notification.summary == "297 changed, 3 failed, 0 skipped."
    statuses = dict(session.execute(sa.select(Order.status, sa.func.count())
                                    .group_by(Order.status)).all())
    assert statuses == {OrderStatus.ready_to_ship: 297, OrderStatus.cancelled: 3}


def test_prepaid_payment_on_a_real_worker_moves_paid_orders_on(session, users, factory,
                                                               run_worker):
    """SCOPE P1 acceptance check 2 at the size of several chunks: paid, then 新規 in the
    same job; card orders refused."""
    from oms.models import PaymentKind, PaymentStatus

    bank = factory.payment_method(PaymentKind.prepaid_bank)
    card = factory.payment_method(PaymentKind.card)
    ids = insert_orders(session, factory, 300, status=OrderStatus.awaiting_payment,
                        payment_status=PaymentStatus.unpaid, payment_method_id=bank.id)
    session.execute(sa.update(Order).where(Order.id.in_(ids[:100]))
                    .values(payment_method_id=card.id))
    session.commit()
    job = bulk.start(session, users["operator"], Orders(ids), "prepaid_payment",
                     bulk.options(session, "prepaid_payment", state="paid",
                                  paid_at="2026-12-01T10:00"), locale="ja")
    run_worker(OMS_BULK_CHUNK="64")
    job = job_state(session, job.id)
    assert (job.notification.state, job.succeeded, job.notification.failed) == (
        JobState.succeeded, 200, 100)
    assert bulk.outcomes(session, job.id)[ids[0]] == (
        TargetState.failed, "前払いの支払方法ではありません")
    rows = session.execute(sa.select(Order.status, Order.payment_status, Order.paid_at,
                                     sa.func.count())
                           .group_by(Order.status, Order.payment_status, Order.paid_at)).all()
    assert sorted(rows) == sorted([
        (OrderStatus.new, PaymentStatus.paid, aware(2026, 12, 1, 1, 0), 200),
        (OrderStatus.awaiting_payment, PaymentStatus.unpaid, None, 100)])
