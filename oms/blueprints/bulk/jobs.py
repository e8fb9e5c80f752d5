"""受注一括更新履歴 (seed 004 ⑥): the history, one job with its progress, its outcomes and
failures, cancel and undo."""

import csv
import io

from flask import Response, abort, current_app, flash, redirect, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from oms import labels, validation
from oms.access import Access, access
from oms.blueprints.bulk import bp
from oms.blueprints.bulk.wizard import LISTS
from oms.blueprints.common import EmptyForm, or_404
from oms.csvfiles import ENCODINGS, export_cell
from oms.extensions import db
from oms.htmx import render_page
from oms.models import BulkJob, TargetState
from oms.services import notifications
from oms.services.bulk import history, launch, operations
from oms.services.bulk.fields import describe_change


def _job(notification_id: int) -> BulkJob:
    return or_404(history.get(db.session, current_user, notification_id))


def _other_kind(notification_id: int):
    """A job of another kind has its page in the notification log."""
    or_404(notifications.get_for(db.session, current_user, notification_id))
    return redirect(url_for("notifications.show", notification_id=notification_id), 303)


def _page() -> int:
    return validation.page(request.args)


def _state() -> TargetState:
    try:
        return TargetState(request.args.get("state", TargetState.failed.value))
    except ValueError:
        abort(404)


def describe(job: BulkJob) -> str:
    operation = operations.get(job.operation)
    return operation.describe(db.session, job.options) if operation else job.operation


@bp.route("/")
@access(Access.operator)
def index():
    """Bulk update history of a list (受注一括更新履歴, 出荷一括更新履歴 with
    kind=shipments): my jobs (an admin's: everyone's), newest first."""
    kind = request.args.get("kind", "orders")
    if kind not in LISTS:
        abort(404)
    page = history.jobs(db.session, current_user, kind=kind, page=_page())
    return render_page("bulk/index.html", "history", "bulk-history", page=page,
                       describe=describe, labels=labels, kind=kind,
                       running=any(not j.notification.state.finished for j in page.rows))


@bp.route("/jobs/<int:notification_id>")
@access(Access.operator)
def show(notification_id: int):
    """One bulk job: what it does, its progress and its outcome counts."""
    job = history.get(db.session, current_user, notification_id)
    if job is None:
        return _other_kind(notification_id)
    response = current_app.make_response(render_page(
        "bulk/show.html", "progress", "bulk-progress", job=job, labels=labels,
        description=describe(job), accepted=request.args.get("accepted") == "1",
        undo_refusal=launch.undo_refusal(db.session, job),
        undone_by=launch.undo_of(db.session, job), form=EmptyForm()))
    if job.notification.state.finished:
        response.headers["HX-Trigger"] = "job-finished"
    return response


@bp.route("/jobs/<int:notification_id>/items")
@access(Access.operator)
def items(notification_id: int):
    """The job's targets in one outcome state; by default the failures with their reasons."""
    job = history.get(db.session, current_user, notification_id)
    if job is None:
        return _other_kind(notification_id)
    state = _state()
    return render_page("bulk/items.html", "items", "bulk-items", job=job, state=state,
                       page=history.items(db.session, job, state, page=_page()),
                       description=describe(job), labels=labels,
                       change=lambda item: describe_change(db.session, item.before, item.after))


@bp.route("/jobs/<int:notification_id>/items.csv")
@access(Access.operator)
def items_csv(notification_id: int):
    """The same list as a CSV file (CP932 or UTF-8 with BOM)."""
    job = history.get(db.session, current_user, notification_id)
    if job is None:
        return _other_kind(notification_id)
    state = _state()
    encoding = request.args.get("encoding", "utf8")
    if encoding not in ENCODINGS:
        abort(404)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([_("Order number"), _("Reason")])
    for number, error in history.all_items(db.session, job, state):
        writer.writerow([export_cell(cell, encoding)[0] for cell in (number, error)])
    data = out.getvalue().encode("cp932") if encoding == "cp932" else (
        out.getvalue().encode("utf-8-sig"))
    response = Response(data, mimetype="text/csv")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="bulk-{job.id}-{state.value}.csv"')
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.post("/jobs/<int:notification_id>/cancel")
@access(Access.operator)
def cancel(notification_id: int):
    """Stop the job after its current chunk."""
    job = _job(notification_id)
    if not EmptyForm().validate():
        abort(400)
    if launch.cancel(db.session, job):
        flash(_("The bulk update will stop after its current chunk."), "info")
    else:
        flash(_("The bulk update has already finished."), "error")
    return redirect(url_for("bulk.show", notification_id=job.id), 303)


@bp.get("/jobs/<int:notification_id>/undo")
@access(Access.operator)
def undo_confirm(notification_id: int):
    """Ask before undoing a bulk update."""
    job = history.get(db.session, current_user, notification_id)
    if job is None:
        return _other_kind(notification_id)
    return render_page("bulk/undo.html", "undo", "dialog", job=job, form=EmptyForm(),
                       description=describe(job), labels=labels,
                       refusal=launch.undo_refusal(db.session, job))


@bp.post("/jobs/<int:notification_id>/undo")
@access(Access.operator)
def undo(notification_id: int):
    """Undo a bulk update: a new bulk job restores what is unchanged since."""
    job = _job(notification_id)
    if not EmptyForm().validate():
        abort(400)
    try:
        undo_job = launch.start_undo(db.session, job, current_user, ip=request.remote_addr,
                                     locale=str(get_locale()))
    except launch.BulkError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for("bulk.show", notification_id=job.id), 303)
    return redirect(url_for("bulk.show", notification_id=undo_job.id, accepted=1), 303)
