"""RQ entry points. They take ids only, open the app context themselves, and keep the
job's durable state in its Notification row (RELIABILITY.md A: RQ results expire)."""

from collections.abc import Callable
from functools import cache

from flask import Flask

from oms.extensions import db
from oms.models import JobState, Notification
from oms.services import notifications
from oms.services.notifications import JobCancelled


@cache
def _app() -> Flask:
    # One app per worker process: created on first use, inherited by forked work horses.
    from oms import create_app

    return create_app()


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
            notifications.finish(session, note, JobState.failed, f"{type(error).__name__}: {error}")
            session.commit()
            raise
        else:
            notifications.finish(session, note, JobState.succeeded)
        session.commit()


def record_crash(job, connection, exc_type, exc_value, traceback) -> None:
    """RQ failure callback: a work horse killed or abandoned mid-job never reaches
    run_notified's handler, so the record is closed here instead."""
    notification_id = job.args[0] if job.args else None
    if notification_id is None:
        return
    with _app().app_context():
        note = db.session.get(Notification, notification_id)
        if note is not None and not note.state.finished:
            notifications.finish(db.session, note, JobState.failed,
                                 f"worker stopped: {exc_type.__name__ if exc_type else 'unknown'}")
            db.session.commit()
