"""One unit of work: a request commits once at its end, and work that must follow a commit
(queueing a job) runs only once the commit has happened.

Views and services never commit. A response below 400 commits what the request flushed; an
error answer (a refused form, 404, 409) rolls it back, unless the view asked to keep a
record that belongs to the refusal itself (a failed sign-in). Callbacks registered with
`after_commit` run after the commit that holds the change they follow, and are dropped
with a rollback, so nothing is queued for a change that never happened.

The busiest pages only read (the order list, an order's detail): marked `read_only`, their
GET requests run each statement on its own, without BEGIN and COMMIT, two round trips of a
page's six or seven. They see what they would see in a transaction: PostgreSQL's READ
COMMITTED takes a snapshot per statement either way. Such a request that tries to write
is refused, so nothing is ever saved half, and there is nothing to commit at its end.
"""

from collections.abc import Callable

import sqlalchemy as sa
from flask import Flask, current_app, flash, g, request
from flask_babel import gettext as _
from sqlalchemy.orm import Session

AFTER_COMMIT = "oms_after_commit"
READ_ONLY = "oms_read_only"


def after_commit(session: Session, callback: Callable[[], None]) -> None:
    """Run `callback` once the session's current transaction has committed."""
    session.info.setdefault(AFTER_COMMIT, []).append(callback)


@sa.event.listens_for(Session, "after_commit")
def _run_after_commit(session: Session) -> None:
    for callback in session.info.pop(AFTER_COMMIT, []):
        callback()


@sa.event.listens_for(Session, "after_rollback")
def _forget_after_commit(session: Session) -> None:
    session.info.pop(AFTER_COMMIT, None)


def read_only(view: Callable) -> Callable:
    """Mark a view whose GET requests only read (see above)."""
    view.read_only = True
    return view


@sa.event.listens_for(Session, "before_flush")
def _refuse_writes(session: Session, *_args) -> None:
    if session.info.get(READ_ONLY):
        raise RuntimeError("a page marked read_only tried to write")


def keep_changes() -> None:
    """Commit this request's changes although it answers with an error status."""
    g.oms_keep_changes = True


def init_app(app: Flask) -> None:
    from oms.extensions import db

    def begin_unit_of_work() -> None:
        view = current_app.view_functions.get(request.endpoint)
        if request.method in ("GET", "HEAD") and getattr(view, "read_only", False):
            session = db.session
            session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
            session.info[READ_ONLY] = True

    # First of the hooks: the next ones read the signed-in user's row.
    app.before_request_funcs.setdefault(None, []).insert(0, begin_unit_of_work)

    @app.after_request
    def end_unit_of_work(response):
        session = db.session
        if session.info.get(READ_ONLY):
            return response  # nothing to commit: the session is closed at teardown
        if response.status_code >= 400 and not g.pop("oms_keep_changes", False):
            session.rollback()
            return response
        try:
            session.commit()
        except sa.exc.DBAPIError as error:
            session.rollback()
            return _commit_failed(error)
        _tell_about_unqueued_jobs(session)
        return response


def _commit_failed(error: sa.exc.DBAPIError):
    from oms.errors import render_error
    from oms.failures import value_refused

    current_app.logger.warning("commit failed: %s", error.orig)
    if isinstance(error, sa.exc.DataError):
        return render_error(422, value_refused(), "database")
    if isinstance(error, sa.exc.IntegrityError):
        return render_error(409, _("Someone else saved the same thing at the same moment. "
                                   "Nothing was saved; reload the page and try again."))
    return render_error(503, _("The database is busy. Nothing was saved; please try "
                               "again in a moment."))


def _tell_about_unqueued_jobs(session: Session) -> None:
    from oms.services import jobs

    if jobs.unqueued(session):
        flash(_("The job queue cannot be reached right now. The job is saved and will start "
                "by itself as soon as the queue is back."), "warning")
