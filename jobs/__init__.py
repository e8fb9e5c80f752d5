"""RQ entry points. They take ids only, open the app context themselves, and keep the
job's durable state in its Notification row (RELIABILITY.md A: RQ results expire)."""

import os
from collections.abc import Callable
from functools import cache

import rq
from flask import Flask

from oms.extensions import db
from oms.failures import job_failure
from oms.models import JobState, Notification
from oms.services import notifications
from oms.services.jobs import over_targets
from oms.services.notifications import JobCancelled

# Run by every worker at start and then every WORKER_MAINTENANCE_SECONDS, with RQ's own.
MAINTENANCE = ("jobs.bulk.recover",)


@cache
def _app() -> Flask:
    # One app per worker process: created on first use, inherited by forked work horses.
    from oms import create_app

    app = create_app()
    with app.app_context():
        engines = list(db.engines.values())
    # A forked horse must not reuse the parent's pooled connections (the parent opens
    # some when it records a crash): SQLAlchemy's advice for pools across fork().
    os.register_at_fork(after_in_child=lambda: [e.dispose(close=False) for e in engines])
    return app


def run_notified(notification_id: int, work: Callable[[Notification], None]) -> None:
    """Run `work` for a notification, recording its outcome whatever happens."""
    app = _app()
    with app.app_context():
        session = db.session
        note = session.get(Notification, notification_id)
        if note is None or note.state.finished:
            return  # deleted, cancelled while queued, or a duplicate delivery
        try:
            work(note)
        except JobCancelled:
            session.rollback()
            notifications.finish(session, note, JobState.cancelled)
        except Exception as error:
            session.rollback()
            notifications.finish(session, note, JobState.failed,
                                 job_failure(error, (note.params or {}).get("locale") or "ja"))
            session.commit()
            raise
        else:
            notifications.finish(session, note, JobState.succeeded)
        session.commit()


def record_crash(job, connection, exc_type, exc_value, traceback) -> None:
    """RQ failure callback: a job abandoned by a lost worker never reaches run_notified's
    handler, so the record is closed here instead."""
    _close_record(job, f"worker stopped: {exc_type.__name__ if exc_type else 'unknown'}")


def _close_record(job, reason: str) -> None:
    notification_id = job.args[0] if job.args else None
    if notification_id is None:
        return
    with _app().app_context():
        note = db.session.get(Notification, notification_id)
        if note is not None and not note.state.finished and not over_targets(note.kind):
            notifications.finish(db.session, note, JobState.failed, reason)
            db.session.commit()


class Worker(rq.Worker):
    """RQ's worker, closing the job record when the work horse is killed (OOM killer,
    kill -9): RQ 3 then fails the job without calling its on_failure callback; and running
    MAINTENANCE, also while idle, so jobs of a lost worker are picked up again.
    `flask worker` uses it; with plain rq: `rq worker -w jobs.Worker`."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("maintenance_interval",
                          _app().config["WORKER_MAINTENANCE_SECONDS"])
        super().__init__(*args, **kwargs)

    @property
    def dequeue_timeout(self) -> int:
        # RQ blocks for up to ~7 minutes waiting for a job; wake for maintenance instead.
        return max(1, min(super().dequeue_timeout, self.maintenance_interval))

    def run_maintenance_tasks(self):
        super().run_maintenance_tasks()
        for name in MAINTENANCE:
            try:
                rq.utils.import_attribute(name)()
            except Exception:
                self.log.exception("maintenance task %s failed", name)

    def handle_work_horse_killed(self, job, retpid, ret_val, rusage):
        super().handle_work_horse_killed(job, retpid, ret_val, rusage)
        if job.retries_left:
            return  # RQ enqueues it again
        signal_no = os.WTERMSIG(ret_val) if ret_val and os.WIFSIGNALED(ret_val) else None
        how = f"signal {signal_no}" if signal_no else f"exit status {ret_val}"
        try:
            _close_record(job, f"worker stopped: work horse killed ({how})")
        except Exception:
            self.log.exception("could not record the killed job %s", job.id)
