"""RELIABILITY.md F rows about bulk jobs, on real workers: 100,000 orders with 1% refused,
a bulk update racing single-order edits, a worker lost while another keeps running, a
Redis that lost its queue and a Redis restarted (AOF on) mid-job."""

import os
import random
import signal
import threading
import time
from datetime import date

import pytest
import redis
import sqlalchemy as sa
from flask_babel import force_locale
from sqlalchemy.orm import Session

from oms.extensions import db
from oms.models import AuditEvent, JobState, JobTarget, Order, OrderStatus, TargetState
from oms.queue import ensure_embedded_redis
from oms.services import jobs
from oms.services.actor import Actor
from oms.services.bulk import launch, operations, selection
from oms.services.order_edit import EditConflict, OrderEdit, update_order
from tests import bulk_support as bulk
from tests.bulk_support import empty_queue  # noqa: F401 (fixture)
from tests.conftest import AuthActions
from tests.jobs.test_bulk_jobs import (
    WORKER_ENV,
    Orders,
    assert_applied_exactly_once,
    insert_orders,
    job_state,
    mid_job,
    started_job,
)
from tests.workers import horse_of, wait_for

pytestmark = pytest.mark.usefixtures("empty_queue")


@pytest.mark.slow
def test_100k_status_change_with_1_percent_refused(app, session, users, factory, run_worker):
    """F: 100,000 items; success 99,000 / failed 1,000 exactly; the failure CSV lists them."""
    ids = insert_orders(session, factory, 100_000)
    refused = ids[::100]
    session.execute(sa.update(Order).where(Order.id.in_(refused))
                    .values(status=OrderStatus.cancelled))
    session.commit()
    chosen = selection.from_search(session, users["operator"], "tab=all", None)
    assert chosen.count == 100_000
    operation = operations.get("status")
    options = bulk.options(session, "status", to="ready_to_ship")
    job, _ = launch.start(session, chosen, operation, options,
                          selection.conditions(session, chosen, None), users["operator"],
                          ip=None, locale="en")
    session.commit()
    run_worker(timeout=1800)

    job = job_state(session, job.id)
    note = job.notification
    assert (note.state, note.total, note.done) == (JobState.succeeded, 100_000, 100_000)
    assert (job.succeeded, note.failed, job.skipped) == (99_000, 1_000, 0)
    client = app.test_client()
    assert AuthActions(client).login("operator").status_code == 303
    csv = client.get(f"/bulk/jobs/{job.id}/items.csv?state=failed&encoding=utf8")
    rows = csv.get_data().decode("utf-8-sig").splitlines()[1:]
    numbers = {row.split(",")[0] for row in rows}
    expected = set(session.scalars(sa.select(Order.order_number).where(Order.id.in_(refused))))
    assert len(rows) == 1_000 and numbers == expected
    statuses = dict(session.execute(sa.select(Order.status, sa.func.count())
                                    .group_by(Order.status)).all())
    assert statuses == {OrderStatus.ready_to_ship: 99_000, OrderStatus.cancelled: 1_000}


def _single_edit(app, order_id: int, version: int, text: str) -> str:
    """An operator's save from the order's edit screen, based on the version they saw."""
    with app.app_context(), force_locale("en"), Session(db.engine) as own:
        order = own.get(Order, order_id)
        actor = Actor(None, "clerk", "192.0.2.9", "screen")
        try:
            update_order(own, order, OrderEdit(values={"remarks1": text}), actor,
                         version=version, today=date(2026, 1, 5))
            own.commit()
            return "saved"
        except EditConflict:
            own.rollback()
            return "conflict"


def test_bulk_racing_single_edits_overwrites_nothing_silently(
        app, session, users, factory, workers):
    """F: a bulk overwrite while 50 single-order edits race on the same orders: 0 silent
    overwrites; every loser is a CONFLICT (the bulk item, or the operator's save)."""
    ids = insert_orders(session, factory, 50, remarks1="orig")
    job = bulk.start(session, users["operator"], Orders(ids), "remarks1",
                     bulk.options(session, "remarks1", mode="overwrite", text="bulk"))
    versions = dict(session.execute(sa.select(Order.id, Order.version)).all())
    # Saved after the confirm step, before the job reaches them: the bulk must yield.
    early = {i: _single_edit(app, i, versions[i], "early") for i in ids[:15]}
    # Opened before the job, saved after it: the operator must get the conflict.
    late = ids[15:30]
    racing = ids[30:]
    workers.start(**{**WORKER_ENV, "OMS_BULK_CHUNK": "1"})
    results = {}
    try:
        def race(order_id):
            time.sleep(random.uniform(0, 0.5))  # a random moment, not a wait
            fresh = _version(app, order_id)
            results[order_id] = _single_edit(app, order_id, fresh, "racing")

        threads = [threading.Thread(target=race, args=(i,)) for i in racing]
        assert wait_for(lambda: job_state(session, job.id).notification.done, 60, 0.01)
        for thread in threads:
            thread.start()
        finished = wait_for(lambda: job_state(session, job.id).notification.state.finished,
                            120, 0.1)
        for thread in threads:
            thread.join(60)
        assert finished, workers.logs()
    finally:
        workers.stop_all()
    late_results = {i: _single_edit(app, i, versions[i], "late") for i in late}

    assert set(early.values()) == {"saved"} and set(late_results.values()) == {"conflict"}
    session.rollback()
    session.expire_all()
    items = {i: (s, e) for i, s, e in session.execute(sa.select(
        JobTarget.order_id, JobTarget.state, JobTarget.error).where(JobTarget.job_id == job.id))}
    for order_id in ids[:15]:
        state, error = items[order_id]
        assert state is TargetState.failed and error.startswith("CONFLICT"), (order_id, error)
    for order_id in late:
        assert items[order_id][0] is TargetState.ok
    for state, error in items.values():
        assert state is TargetState.ok or error.startswith("CONFLICT"), error
    # No silent overwrite: each order's remarks history is one unbroken chain from "orig",
    # every write based on the value before it, ending in the value the order holds.
    finals = dict(session.execute(sa.select(Order.id, Order.remarks1)).all())
    events = session.execute(sa.select(AuditEvent.entity_id, AuditEvent.old_value,
                                       AuditEvent.new_value)
                             .where(AuditEvent.field == "remarks1").order_by(AuditEvent.id))
    chains: dict[int, list[tuple[str, str]]] = {}
    for entity_id, old, new in events:
        chains.setdefault(int(entity_id), []).append((old, new))
    for order_id in ids:
        value = "orig"
        for old, new in chains.get(order_id, []):
            assert old == value, (order_id, chains[order_id])
            value = new
        assert finals[order_id] == value
    print(f"racing edits: {sum(r == 'saved' for r in results.values())} saved, "
          f"{sum(r == 'conflict' for r in results.values())} conflicts; bulk "
          f"{sum(s is TargetState.ok for s, _ in items.values())} ok, "
          f"{sum(s is TargetState.failed for s, _ in items.values())} conflicts")


def _version(app, order_id: int) -> int:
    with app.app_context(), Session(db.engine) as own:
        return own.get(Order, order_id).version


@pytest.mark.slow
def test_lost_worker_recovered_by_the_one_still_running(session, users, factory, workers):
    """F: kill -9 the whole worker at about half of a 10k bulk; a second worker on the same
    queue, running maintenance every 60 s, finishes it: every item terminal, none twice."""
    ids = insert_orders(session, factory, 10_000, remarks1="r")
    settings = {"OMS_WORKER_MAINTENANCE_SECONDS": "60", "OMS_JOB_LEASE_SECONDS": "30"}
    job_id = started_job(session, users, ids)
    first = workers.start("first", **{**WORKER_ENV, **settings})
    assert mid_job(session, job_id, 10_000), workers.logs()
    workers.start("second", **{**WORKER_ENV, **settings})
    horse = horse_of(first.pid)
    if horse:
        os.killpg(horse, signal.SIGKILL)
    os.killpg(first.pid, signal.SIGKILL)
    killed_at = time.monotonic()
    finished = wait_for(lambda: job_state(session, job_id).notification.state.finished,
                        240, 0.5)
    took = time.monotonic() - killed_at
    assert finished, workers.logs()
    workers.stop_all()
    print(f"recovered and finished {took:.0f} s after the kill")
    assert took <= 180
    assert_applied_exactly_once(session, job_id, ids)


def test_a_job_whose_queue_redis_lost_is_recovered(session, users, factory, workers,
                                                   tmp_path):
    """F (restart Redis): the queued lanes are gone with the data; the workers' recovery
    finds the job without a heartbeat and runs it: every item terminal, none lost."""
    from oms import create_app

    url = ensure_embedded_redis(tmp_path / "redis")
    connection = redis.Redis.from_url(url)
    ids = insert_orders(session, factory, 500, remarks1="r")
    job = bulk.start(session, users["operator"], Orders(ids), "remarks1",
                     bulk.options(session, "remarks1", mode="add", text="+bulk"))
    private = create_app({"TESTING": True, "REDIS_URL": url})
    try:
        with private.app_context():
            assert jobs.enqueue(job.id, "bulk_orders", long=True)
        assert connection.dbsize() > 0
        connection.flushall()  # Redis came back without its data
        # The worker's recovery looks every second and takes the job up once its lease
        # (2 s) has passed without a heartbeat.
        workers.start(**WORKER_ENV, REDIS_URL=url)
        finished = wait_for(
            lambda: job_state(session, job.id).notification.state.finished, 120, 0.2)
        assert finished, workers.logs()
        workers.stop_all()
    finally:
        with private.app_context():
            db.engine.dispose()
        connection.shutdown(nosave=True)
    assert_applied_exactly_once(session, job.id, ids)
    assert job_state(session, job.id).notification.recoveries >= 1


@pytest.mark.slow
def test_a_redis_restart_with_aof_loses_no_job(session, users, factory, workers, tmp_path):
    """F: restart Redis (AOF on) in the middle of a bulk. The queue comes back from the
    append-only file; the worker, which waited for Redis instead of exiting, finishes the
    job: every item terminal, none lost, none applied twice."""
    from oms import create_app

    folder = tmp_path / "redis"
    url = ensure_embedded_redis(folder)  # the embedded server, AOF on as in production
    ids = insert_orders(session, factory, 3000, remarks1="r")
    job = bulk.start(session, users["operator"], Orders(ids), "remarks1",
                     bulk.options(session, "remarks1", mode="add", text="+bulk"))
    private = create_app({"TESTING": True, "REDIS_URL": url})
    try:
        with private.app_context():
            # One lane runs, one waits in the queue.
            assert jobs.enqueue(job.id, "bulk_orders", 2, long=True)
        # Slow chunks: the restart must land while lanes are still queued and running.
        worker = workers.start(**{**WORKER_ENV, "OMS_BULK_CHUNK": "20"}, REDIS_URL=url)
        assert mid_job(session, job.id, len(ids)), workers.logs()
        redis.Redis.from_url(url).shutdown()  # SHUTDOWN flushes the AOF, as on a restart
        assert ensure_embedded_redis(folder) == url
        finished = wait_for(
            lambda: job_state(session, job.id).notification.state.finished, 180, 0.2)
        assert finished, workers.logs()
        assert worker.poll() is None, "the worker exited:\n" + workers.logs()
        workers.stop_all()
    finally:
        with private.app_context():
            db.engine.dispose()
        redis.Redis.from_url(url).shutdown(nosave=True)
    assert_applied_exactly_once(session, job.id, ids)
