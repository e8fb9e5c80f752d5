"""The target runner's two-phase mode for calls to the outside world: the intent with its
idempotency key is committed before the call, the call runs with no transaction or row
lock held, and a lane lost during the call is resumed with the same key after the lease."""

from collections import Counter
from datetime import timedelta
from typing import ClassVar

import pytest
import sqlalchemy as sa
from flask_babel import force_locale
from sqlalchemy.orm import Session

from oms.extensions import db
from oms.models import JobState, JobTarget, Notification, Order, TargetState
from oms.models.base import utcnow
from oms.services import jobs, runner
from oms.services.marketplace_jobs import freeze

LEASE = timedelta(minutes=2)
# The outside world: what it was asked, by idempotency key (a replay changes nothing).
WORLD: dict[str, list[int]] = {}
CALLS = Counter()


class Lost(Exception):
    """The lane's process died during the call (after the outside world acted)."""


class EchoStep(runner.Step):
    """Tells the outside world each order's id, under the target's key."""

    calls_out = True
    chunk = 2
    lose_after_call = False
    seen_during_call: ClassVar[list[dict]] = []

    def __init__(self, session: Session, job: Notification):
        super().__init__(session, job)
        self.session = session

    def prepare(self, session, targets):
        return [(t.key, t.order_id) for t in targets]

    def call(self, work):
        self.seen_during_call.append({"in_transaction": self.session().in_transaction(),
                                      "locked": _locked([order_id for _, order_id in work])})
        for key, order_id in work:
            CALLS[key] += 1
            WORLD.setdefault(key, [order_id])
        if EchoStep.lose_after_call:
            raise Lost
        return work

    def record(self, session, targets, answers):
        return [runner.Outcome(t.id, TargetState.ok) for t in targets]


def _locked(order_ids: list[int]) -> bool:
    """Whether another connection fails to lock these orders and their targets at once."""
    engine = sa.create_engine(db.engine.url)
    try:
        return _lock_fails(engine, order_ids)
    finally:
        engine.dispose()


def _lock_fails(engine: sa.Engine, order_ids: list[int]) -> bool:
    with engine.connect() as other:
        if other.dialect.name != "postgresql":
            # SQLite: a write succeeds only when no transaction holds the write lock.
            try:
                other.execute(sa.text("PRAGMA busy_timeout = 0"))
                other.execute(sa.update(Order).where(Order.id.in_(order_ids))
                              .values(remarks2=Order.remarks2))
                other.rollback()
                return False
            except sa.exc.OperationalError:
                return True
        try:
            other.execute(sa.select(Order.id).where(Order.id.in_(order_ids))
                          .with_for_update(nowait=True))
            other.execute(sa.select(JobTarget.id).where(JobTarget.order_id.in_(order_ids))
                          .with_for_update(nowait=True))
            return False
        except sa.exc.OperationalError:
            return True
        finally:
            other.rollback()


@pytest.fixture
def echo_job(session, factory, monkeypatch):
    monkeypatch.setitem(jobs.KINDS, "echo", jobs.Kind(jobs.LANE, f"{__name__}:EchoStep"))
    WORLD.clear()
    CALLS.clear()
    EchoStep.seen_during_call = []
    EchoStep.lose_after_call = False
    orders = [factory.order() for _ in range(5)]
    session.flush()
    note = Notification(kind="echo", params={})
    session.add(note)
    session.flush()
    note.total = freeze(session, note, sa.select(
        sa.literal(note.id), Order.id, sa.literal(TargetState.pending.value), sa.null()))
    session.commit()
    return note.id, [o.id for o in orders]


def _run(session, job_id):
    with force_locale("en"):
        return runner.run_lane(session, job_id, lease=LEASE)


def test_the_call_runs_outside_any_transaction_and_lock(session, echo_job):
    job_id, order_ids = echo_job
    assert _run(session, job_id) == 3  # chunks of 2
    assert EchoStep.seen_during_call == [{"in_transaction": False, "locked": False}] * 3
    note = session.get(Notification, job_id, populate_existing=True)
    assert (note.state, note.done, note.failed) == (JobState.succeeded, 5, 0)
    assert sorted(ids[0] for ids in WORLD.values()) == sorted(order_ids)
    keys = set(session.scalars(sa.select(JobTarget.key).where(JobTarget.job_id == job_id)))
    assert keys == set(WORLD)


def test_a_lane_lost_during_the_call_is_resumed_with_the_same_keys(session, echo_job):
    job_id, _ = echo_job
    EchoStep.lose_after_call = True
    with pytest.raises(Lost):
        _run(session, job_id)
    session.rollback()
    calling = dict(session.execute(sa.select(JobTarget.id, JobTarget.key).where(
        JobTarget.job_id == job_id, JobTarget.state == TargetState.calling)).all())
    assert len(calling) == 2 and set(calling.values()) == set(WORLD)

    EchoStep.lose_after_call = False
    _run(session, job_id)  # within the lease: the lost lane's targets are left alone
    assert set(calling) <= set(session.scalars(sa.select(JobTarget.id).where(
        JobTarget.state == TargetState.calling)))

    session.execute(sa.update(JobTarget).where(JobTarget.id.in_(calling))
                    .values(claimed_at=utcnow() - LEASE - timedelta(seconds=1)))
    session.commit()
    _run(session, job_id)
    note = session.get(Notification, job_id, populate_existing=True)
    assert (note.state, note.done) == (JobState.succeeded, 5)
    # The two targets were called twice, with the same key: the world acted once for each.
    assert {key: CALLS[key] for key in calling.values()} == dict.fromkeys(calling.values(), 2)
    assert len(WORLD) == 5
