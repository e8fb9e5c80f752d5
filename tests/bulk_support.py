"""Helpers for bulk update tests: start a job through the services, run a lane in-process."""

from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask_babel import force_locale
from werkzeug.datastructures import MultiDict

from oms.models import BulkJob, JobTarget, SelectionSource, TargetState
from oms.services import runner
from oms.services.bulk import launch, operations, selection


def options(session, key: str, **raw) -> dict:
    """The options an operator submits in the wizard, validated by the operation's form."""
    operation = operations.get(key)
    form = operation.form(formdata=MultiDict({k: str(v) for k, v in raw.items()}))
    operation.prepare_form(form, session)
    assert form.validate(), form.errors
    return operation.options_from(form)


def start(session, user, orders, key: str, opts: dict | None = None, *,
          locale: str = "en") -> BulkJob:
    chosen = selection.from_ids(session, user, [o.id for o in orders], SelectionSource.selected)
    operation = operations.get(key)
    job, created = launch.start(session, chosen, operation, opts or {},
                                selection.conditions(session, chosen, None), user,
                                ip="192.0.2.1", locale=locale)
    assert created
    session.commit()
    return job


LEASE = timedelta(minutes=2)


def run(session, job_id: int, *, chunk_size: int | None = None,
        max_chunks: int | None = None) -> BulkJob:
    job = session.get(BulkJob, job_id)
    with force_locale(job.locale):
        runner.run_lane(session, job_id, lease=LEASE, chunk_size=chunk_size,
                        max_chunks=max_chunks)
    session.expire_all()
    return session.get(BulkJob, job_id)


def outcomes(session, job_id: int) -> dict[int, tuple[TargetState, str | None]]:
    """order id -> (state, error) of every target."""
    rows = session.execute(sa.select(JobTarget.order_id, JobTarget.state, JobTarget.error)
                           .where(JobTarget.job_id == job_id))
    return {order_id: (state, error) for order_id, state, error in rows}


@pytest.fixture
def empty_queue(app):
    """Start with an empty test queue. Table ids start again after each test's cleanup, so
    a job left queued by an earlier test would act on this test's record of the same id."""
    from oms.queue import get_queue

    with app.app_context():
        for queue in (get_queue(), get_queue(long=True)):
            queue.empty()
            scheduled = queue.scheduled_job_registry
            for job_id in scheduled.get_job_ids():
                try:
                    scheduled.remove(job_id, delete_job=True)
                except ValueError:  # RQ: the job's execution record is already gone
                    scheduled.remove(job_id)
    yield
