from pathlib import Path
from zoneinfo import ZoneInfo

from flask import abort, current_app, flash, redirect, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from oms import labels
from oms.access import Access, access
from oms.blueprints.common import or_404
from oms.blueprints.notifications import bp
from oms.extensions import db
from oms.htmx import render_page, wants_fragment
from oms.models import JobState, Notification
from oms.services import job_details, notifications


def _get(notification_id: int) -> Notification:
    return or_404(notifications.get_for(db.session, current_user, notification_id))


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
    """One job, or a list action's result: progress while it runs, then its result (htmx:
    the progress block, or the block of the job that follows an action)."""
    note = _get(notification_id)
    details = job_details.details(db.session, current_user, note,
                                  ZoneInfo(current_app.config["OMS_TZ"]))
    block, target = (("follow_up", "follow-up") if wants_fragment("follow-up")
                     else ("progress", "job-progress"))
    response = current_app.make_response(render_page(
        "notifications/show.html", block, target, note=note, labels=labels, details=details))
    if not details.waiting(note):
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
