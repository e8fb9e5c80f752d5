"""The bulk engine's promises in-process: a re-run applies nothing twice, lanes side by side
never share a target, cancel stops after the current chunk, undo restores only what nobody
changed since, and abandoned jobs are found for recovery."""

import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask_babel import force_locale
from sqlalchemy.orm import Session

from oms.extensions import db
from oms.models import AuditEvent, BulkJob, JobState, JobTarget, Order, OrderStatus, TargetState
from oms.models.base import utcnow
from oms.services import runner
from oms.services.bulk import launch
from tests import bulk_support as bulk


@pytest.fixture
def operator(users):
    return users["operator"]


def _append(session, operator, orders, text="+bulk"):
    return bulk.start(session, operator, orders, "remarks1",
                      bulk.options(session, "remarks1", mode="add", text=text))


def test_a_second_run_applies_nothing_again(session, operator, factory):
    orders = [factory.order(remarks1="r") for _ in range(7)]
    session.commit()
    job = _append(session, operator, orders)
    bulk.run(session, job.id, chunk_size=3)
    # A duplicate delivery of the lane (RQ is at least once), even after the job finished.
    session.get(BulkJob, job.id).notification.state = JobState.running
    session.commit()
    bulk.run(session, job.id, chunk_size=3)
    session.expire_all()
    assert {o.remarks1 for o in session.scalars(sa.select(Order))} == {"r\n+bulk"}
    assert session.get(BulkJob, job.id).notification.done == 7
    assert session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)) == 7


def test_lanes_side_by_side_share_no_target(app, session, operator, factory):
    orders = [factory.order(remarks1="r") for _ in range(600)]
    session.commit()
    job_id = _append(session, operator, orders).id
    errors = []

    def lane():
        with app.app_context(), force_locale("en"), Session(db.engine) as own:
            try:
                runner.run_lane(own, job_id, lease=bulk.LEASE, chunk_size=25)
            except Exception as error:  # reported below
                errors.append(error)

    threads = [threading.Thread(target=lane) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not errors
    session.expire_all()
    assert {o.remarks1 for o in session.scalars(sa.select(Order))} == {"r\n+bulk"}
    job = session.get(BulkJob, job_id)
    assert job.notification.state is JobState.succeeded
    assert (job.notification.done, job.succeeded) == (600, 600)
    assert session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)) == 600


def test_cancel_stops_after_the_current_chunk(session, operator, factory):
    orders = [factory.order() for _ in range(10)]
    session.commit()
    job = _append(session, operator, orders)
    bulk.run(session, job.id, chunk_size=4, max_chunks=1)
    assert launch.cancel(session, session.get(BulkJob, job.id))
    session.commit()
    job = bulk.run(session, job.id, chunk_size=4)
    note = job.notification
    assert (note.state, note.done, note.total) == (JobState.cancelled, 4, 10)
    assert note.summary == "Stopped after 4 of 10 orders: 4 changed, 0 failed, 0 skipped."
    states = [s for s, _ in bulk.outcomes(session, job.id).values()]
    assert states.count(TargetState.ok) == 4 and states.count(TargetState.pending) == 6
    assert not launch.cancel(session, job)  # finished


def test_cancel_while_queued_runs_nothing(session, operator, factory):
    orders = [factory.order() for _ in range(3)]
    session.commit()
    job = _append(session, operator, orders)
    launch.cancel(session, job)
    session.commit()
    job = bulk.run(session, job.id)
    assert (job.notification.state, job.notification.done) == (JobState.cancelled, 0)
    session.expire_all()
    assert {o.remarks1 for o in session.scalars(sa.select(Order))} == {None}


def test_undo_restores_only_what_nobody_changed_since(session, operator, factory):
    tag = factory.tag("ギフト")
    orders = [factory.order(remarks1=f"old {i}") for i in range(3)]
    session.commit()
    job = bulk.start(session, operator, orders, "remarks1",
                     bulk.options(session, "remarks1", mode="overwrite", text="bulk"))
    bulk.run(session, job.id)
    orders[1].remarks1 = "edited later"
    session.commit()

    with force_locale("en"):
        undo = launch.start_undo(session, session.get(BulkJob, job.id), operator, ip=None,
                                 locale="en")
        session.commit()
        with pytest.raises(launch.BulkError, match="Already undone"):
            launch.start_undo(session, session.get(BulkJob, job.id), operator, ip=None,
                              locale="en")
    session.rollback()
    undo = bulk.run(session, undo.id)
    assert undo.undo_of_id == job.id and undo.operation == "undo"
    assert (undo.notification.total, undo.succeeded, undo.skipped) == (3, 2, 1)
    out = bulk.outcomes(session, undo.id)
    assert out[orders[1].id] == (TargetState.skipped,
                                 "Changed since the bulk update (Remarks 1): left as it is.")
    session.expire_all()
    assert [session.get(Order, o.id).remarks1 for o in orders] == [
        "old 0", "edited later", "old 2"]

    # Tags undo the same way; a status change cannot be undone.
    tagging = bulk.start(session, operator, orders, "tags",
                         bulk.options(session, "tags", action="add", tag_id=tag.id))
    bulk.run(session, tagging.id)
    with force_locale("en"):
        undo_tags = launch.start_undo(session, session.get(BulkJob, tagging.id), operator,
                                      ip=None, locale="en")
    session.commit()
    bulk.run(session, undo_tags.id)
    session.expire_all()
    assert all(session.get(Order, o.id).tags == [] for o in orders)
    moving = bulk.start(session, operator, orders, "status",
                        bulk.options(session, "status", to=OrderStatus.on_hold.value))
    bulk.run(session, moving.id)
    with force_locale("en"):
        assert launch.undo_refusal(session, session.get(BulkJob, moving.id)) == (
            "This operation cannot be undone.")


def test_abandoned_finds_only_stale_unfinished_jobs(session, operator, factory):
    orders = [factory.order() for _ in range(2)]
    session.commit()
    stale, fresh, done = (_append(session, operator, orders) for _ in range(3))
    now = utcnow()
    session.get(BulkJob, stale.id).notification.heartbeat_at = now - timedelta(minutes=5)
    session.get(BulkJob, fresh.id).notification.heartbeat_at = now - timedelta(seconds=10)
    session.get(BulkJob, done.id).notification.heartbeat_at = now - timedelta(minutes=5)
    session.get(BulkJob, done.id).notification.state = JobState.succeeded
    session.commit()
    assert runner.abandoned(session, timedelta(minutes=1)) == [(stale.id, "bulk_orders", 2, 1)]
    session.commit()
    # Claimed: the next look leaves it alone while its new lane starts.
    assert runner.abandoned(session, timedelta(minutes=1)) == []
    assert session.get(BulkJob, stale.id).notification.recoveries == 1


def test_a_lane_failing_again_and_again_fails_the_job(session, operator, factory):
    job = _append(session, operator, [factory.order()])
    for attempt in range(runner.MAX_LANE_ERRORS):
        with force_locale("en"):
            gave_up = runner.record_lane_error(session, job.id, RuntimeError("boom"))
        session.commit()
        assert gave_up is (attempt == runner.MAX_LANE_ERRORS - 1)
    session.expire_all()
    note = session.get(BulkJob, job.id).notification
    # A readable reason that names the kind of error; its message goes to the log only.
    assert note.state is JobState.failed and "RuntimeError" in note.error
    assert "boom" not in note.error


def test_a_database_error_fails_only_its_order(session, operator, factory):
    # A change the database refuses (a text longer than its column) stands in for any
    # error raised at flush time; SQLite does not check lengths.
    if session.get_bind().dialect.name != "postgresql":
        pytest.skip("needs a database that enforces column lengths")
    orders = [factory.order() for _ in range(3)]
    session.commit()
    job = bulk.start(session, operator, orders, "delivery",
                     bulk.options(session, "delivery", carrier="ヤマト運輸",
                                  delivery_method="宅急便"))
    job.options = {"delivery_method": "x" * 40, "delivery_time_slot": None}
    session.commit()
    job = bulk.run(session, job.id)
    out = bulk.outcomes(session, job.id)
    assert {s for s, _ in out.values()} == {TargetState.failed}
    assert all("StringDataRightTruncation" in error or "DataError" in error
               for _, error in out.values())
    assert job.notification.state is JobState.succeeded


def test_items_are_unique_per_job_and_order(session, operator, factory):
    order = factory.order()
    session.commit()
    job = _append(session, operator, [order])
    session.add(JobTarget(job_id=job.id, order_id=order.id, version=1))
    with pytest.raises(sa.exc.IntegrityError):
        session.commit()
    session.rollback()


def test_a_committed_chunk_forgives_earlier_lane_errors(session, operator, factory):
    job = _append(session, operator, [factory.order() for _ in range(4)])
    for _ in range(runner.MAX_LANE_ERRORS - 1):
        with force_locale("en"):
            assert not runner.record_lane_error(session, job.id, RuntimeError("blip"))
        session.commit()
    bulk.run(session, job.id, chunk_size=2, max_chunks=1)
    assert session.get(BulkJob, job.id).notification.lane_errors == 0
    with force_locale("en"):
        assert not runner.record_lane_error(session, job.id, RuntimeError("blip"))
