"""Jobs over frozen targets: one lane of a job (oms.services.runner), and the maintenance
that starts lanes for jobs that lost theirs and queues records Redis never took."""

from datetime import timedelta

from flask_babel import force_locale

from jobs import _app
from oms.extensions import db
from oms.models import Notification
from oms.services import jobs, runner


def _lease() -> timedelta:
    return timedelta(seconds=_app().config["JOB_LEASE_SECONDS"])


def run(job_id: int) -> None:
    """Apply pending targets of the job until none is left (see oms.services.runner)."""
    with _app().app_context():
        session = db.session
        job = session.get(Notification, job_id)
        if job is None:
            return
        with force_locale(job.params.get("locale", "ja")):
            try:
                runner.run_lane(session, job_id, lease=_lease())
            except Exception as error:
                session.rollback()
                runner.record_lane_error(session, job_id, error)
                session.commit()
                raise  # RQ records it and retries the lane


def recover() -> None:
    """Start a lane for every unfinished job whose heartbeat went stale, and queue the
    records that Redis does not hold (recorded while it was away)."""
    with _app().app_context():
        session = db.session
        stale = runner.abandoned(session, _lease())
        session.commit()
        for job_id, kind, total, attempt in stale:
            jobs.enqueue(job_id, kind, long=jobs.is_long(kind, total or None),
                         first_lane=f"r{attempt}")
        jobs.requeue_lost(session)
        session.rollback()
