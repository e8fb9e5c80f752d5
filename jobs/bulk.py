"""Bulk update jobs: one lane of a bulk job, and the recovery of abandoned ones."""

import secrets
from datetime import timedelta

from flask_babel import force_locale

from jobs import _app
from oms.extensions import db
from oms.models import BulkJob
from oms.services import jobs
from oms.services.bulk import runner


def run_lane(job_id: int) -> None:
    """Apply pending targets of the bulk job until none is left (see runner)."""
    app = _app()
    with app.app_context():
        session = db.session
        job = session.get(BulkJob, job_id)
        if job is None:
            return
        with force_locale(job.locale):
            try:
                runner.run_lane(session, job_id, chunk_size=app.config["BULK_CHUNK"])
            except Exception as error:
                session.rollback()
                runner.record_lane_error(session, job_id, error)
                session.commit()
                raise  # RQ records it and retries the lane


def recover() -> None:
    """Start a lane for every unfinished bulk job whose heartbeat went stale."""
    app = _app()
    with app.app_context():
        lease = timedelta(seconds=app.config["BULK_LEASE_SECONDS"])
        job_ids = runner.abandoned(db.session, lease)
        db.session.commit()
        for job_id in job_ids:
            jobs.enqueue(job_id, runner.KIND, first_lane=f"r{secrets.token_hex(3)}")
