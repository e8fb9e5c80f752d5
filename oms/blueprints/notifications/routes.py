from pathlib import Path

from flask import abort, current_app, flash, redirect, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from oms import labels
from oms.access import Access, access
from oms.blueprints.notifications import bp
from oms.extensions import db
from oms.htmx import render_page
from oms.models import JobState, Notification
from oms.services import marketplace_jobs, notifications

# A mall job's failed orders shown on its page; the rest are one link away.
FAILURES_SHOWN = 20


def _get(notification_id: int) -> Notification:
    note = notifications.get_for(db.session, current_user, notification_id)
    if note is None:
        abort(404)
    return note


@bp.route("/")
@access(Access.operator)
def index():
    """The notification log: every job with its progress."""
    notes = notifications.list_for(db.session, current_user)
    running = any(not n.state.finished for n in notes)
    return render_page("notifications/index.html", "log", "notification-log",
                       notes=notes, running=running, labels=labels)


@bp.route("/<int:notification_id>")
@access(Access.operator)
def show(notification_id: int):
    """One job: progress while it runs, then its result."""
    note = _get(notification_id)
    failures = (marketplace_jobs.outcomes(db.session, note, limit=FAILURES_SHOWN,
                                          failed_only=True)
                if note.failed and note.kind in marketplace_jobs.WITH_OUTCOMES else [])
    response = current_app.make_response(
        render_page("notifications/show.html", "progress", "job-progress",
                    note=note, labels=labels, failures=failures, failures_limit=FAILURES_SHOWN)
    )
    if note.state.finished:
        response.headers["HX-Trigger"] = "job-finished"
    return response


@bp.get("/<int:notification_id>/download")
@access(Access.operator)
def download(notification_id: int):
    """The file a finished job produced."""
    note = _get(notification_id)
    if note.state is not JobState.succeeded or not note.result_path:
        abort(404)
    path = Path(note.result_path)
    if not path.is_file():
        abort(404)
    response = send_file(path, mimetype="text/csv", as_attachment=True,
                         download_name=note.result_name or path.name)
    # Buyers' names and addresses: no copy in browser or proxy caches.
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.post("/<int:notification_id>/cancel")
@access(Access.operator)
def cancel(notification_id: int):
    """Ask a job to stop after its current chunk."""
    note = _get(notification_id)
    if notifications.request_cancel(db.session, note):
        flash(_("The job will stop after its current step."), "info")
    else:
        flash(_("The job has already finished."), "error")
    return redirect(url_for("notifications.show", notification_id=note.id), 303)
