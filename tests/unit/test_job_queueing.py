"""Jobs are queued after the commit that records them: a rollback queues nothing, a commit
always leaves a queued job or a record that the scheduler queues later."""

from rq.job import Job

from oms.extensions import db
from oms.models import JobState, Notification
from oms.queue import ensure_embedded_redis, get_queue
from oms.services import jobs
from tests.conftest import app_with_own_redis


def _queued(job_id: int) -> bool:
    return any(jobs.rq_id(job_id) in get_queue(long=long).get_job_ids()
               for long in (False, True))


def test_a_job_is_queued_when_its_record_commits(session, users):
    note = jobs.start(session, "order_export", users["operator"], {"encoding": "utf-8"})
    assert not _queued(note.id)  # the worker could not see the record yet
    session.commit()
    assert _queued(note.id)
    assert jobs.unqueued(session) == []


def test_a_rollback_queues_nothing(session, users):
    note = jobs.start(session, "order_export", users["operator"], {"encoding": "utf-8"})
    job_id = note.id
    session.rollback()
    session.commit()
    assert session.get(Notification, job_id) is None
    assert not _queued(job_id)


def test_a_job_recorded_while_redis_is_away_is_queued_once_it_is_back(
        session, users, tmp_path):
    with app_with_own_redis(tmp_path / "redis", LOST_JOB_SECONDS=0) as (private, connection,
                                                                         _):
        connection.shutdown(nosave=True)
        with private.app_context():
            note = jobs.start(db.session, "order_export", users["operator"],
                              {"encoding": "utf-8"})
            db.session.commit()  # Redis is away: the change commits all the same
            job_id = note.id
            assert jobs.unqueued(db.session) == [job_id]
            assert db.session.get(Notification, job_id).state is JobState.queued

            ensure_embedded_redis(tmp_path / "redis")
            assert jobs.requeue_lost(db.session) == [job_id]
            assert Job.exists(jobs.rq_id(job_id), connection=connection)
            assert jobs.requeue_lost(db.session) == []  # Redis holds it now
            db.session.rollback()
