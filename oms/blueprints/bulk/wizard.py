"""The bulk update wizard (seed 004 ①–⑤): selection → operation → options → confirm with a
dry run → 確定. Every step is a GET page whose query string carries the choices made so far
(the selection is a stored draft), so going back keeps them; htmx swaps #bulk-wizard."""

from time import monotonic
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from flask import abort, current_app, flash, redirect, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from oms.access import Access, access
from oms.blueprints.bulk import bp
from oms.blueprints.bulk.forms import CsvForm, RunForm
from oms.blueprints.orders.controls import keep_selection, own_selection, selection_lost
from oms.extensions import db
from oms.htmx import render_page
from oms.models import BulkSelection, SelectionSource
from oms.services.bulk import csv_selection, launch, operations, preview, selection
from oms.services.bulk.operations.base import Operation

TARGET = "bulk-wizard"
# The lists a selection is made on (BulkSelection.kind), with the page to go back to.
LISTS = {"orders": "orders.index", "shipments": "shipments.index"}


def kind_arg(values: MultiDict) -> str:
    """The list a page or upload is for; anything unknown is the order list."""
    kind = values.get("kind")
    return kind if kind in LISTS else "orders"


def _tz() -> ZoneInfo:
    return ZoneInfo(current_app.config["OMS_TZ"])


def _operation(values: MultiDict, chosen: BulkSelection | None) -> Operation | None:
    """The chosen operation, if the selection's list offers it."""
    operation = operations.get(values.get("op"))
    if operation is None or chosen is None or chosen.kind not in operation.kinds:
        return None
    if not operations.allowed(operation, current_user):
        abort(403)
    return operation


def _options_form(operation: Operation, values: MultiDict):
    form = operation.form(formdata=values)
    operation.prepare_form(form, db.session)
    return form


def _option_args(form, values: MultiDict) -> list[tuple[str, str]]:
    """The option fields as submitted, to carry to the next step and back."""
    return [(name, value) for name in form._fields for value in values.getlist(name)]


def _step(template: str, selection: BulkSelection, **context):
    return render_page(f"bulk/{template}", "wizard", TARGET, selection=selection,
                       kind=selection.kind, list_endpoint=LISTS[selection.kind], **context)


@bp.post("/start")
@access(Access.operator)
def start():
    """一括更新 on the order list: keep its selection (checked rows or the whole search)."""
    chosen = keep_selection("bulk")
    if chosen.count == 0:
        db.session.rollback()
        flash(_("None of the selected orders exists any more."), "error")
        return redirect(url_for("orders.index"), 303)
    return redirect(url_for("bulk.operation", selection=chosen.id), 303)


@bp.get("/csv")
@access(Access.operator)
def csv_form():
    """注文番号指定 (CSV): choose orders by a file of order numbers; with `selection`, what
    the upload found (the page an upload redirects to)."""
    chosen = own_selection(request.args)
    kind = chosen.kind if chosen else kind_arg(request.args)
    return render_page("bulk/csv.html", "wizard", TARGET, form=CsvForm(formdata=None, kind=kind),
                       result=csv_selection.read_report(chosen.report) if chosen else None,
                       selection=chosen, kind=kind, list_endpoint=LISTS[kind])


@bp.post("/csv")
@access(Access.operator)
def csv_upload():
    """Read the file and report every line that is not a usable order number; a usable
    file becomes a selection, and its result a page of its own (Post/Redirect/Get)."""
    form = CsvForm()
    kind = kind_arg(request.form)
    result = None
    if form.validate():
        upload = form.file.data
        try:
            result = csv_selection.parse(db.session, upload.filename or "", upload.read())
        except csv_selection.NotACsvFile as error:
            form.file.errors.append(str(error))
    if result is None or not result.order_ids:
        if result is not None:
            form.file.errors.append(_("The file holds no order number that can be updated."))
        return render_page("bulk/csv.html", "wizard", TARGET, form=form,
                           result=csv_selection.read_report(csv_selection.report(result))
                           if result else None, selection=None, kind=kind,
                           list_endpoint=LISTS[kind]), 422
    chosen = selection.from_ids(db.session, current_user, result.order_ids, SelectionSource.csv,
                                file_name=(form.file.data.filename or "")[:255],
                                report=csv_selection.report(result), kind=kind)
    return redirect(url_for("bulk.csv_form", selection=chosen.id), 303)


@bp.get("/operation")
@access(Access.operator)
def operation():
    """Step ②: choose the operation."""
    chosen = own_selection(request.args)
    if chosen is None:
        return selection_lost()
    return _step("operation.html", chosen,
                 operations=operations.choices_for(current_user, chosen.kind),
                 current=request.args.get("op"))


@bp.get("/options")
@access(Access.operator)
def options():
    """Step ③: the operation's options."""
    chosen = own_selection(request.args)
    if chosen is None:
        return selection_lost()
    op = _operation(request.args, chosen)
    if op is None:
        flash(_("Choose an operation."), "error")
        return redirect(url_for("bulk.operation", selection=chosen.id), 303)
    return _step("options.html", chosen, op=op, form=_options_form(op, request.args))


@bp.get("/confirm")
@access(Access.operator)
def confirm():
    """Step ④: what will happen (a dry run over every target), and the final 確定."""
    chosen = own_selection(request.args)
    if chosen is None:
        return selection_lost()
    op = _operation(request.args, chosen)
    if chosen.job_id is not None:
        return redirect(url_for("bulk.show", notification_id=chosen.job_id), 303)
    if op is None:
        return redirect(url_for("bulk.operation", selection=chosen.id), 303)
    form = _options_form(op, request.args)
    if not form.validate():
        return _step("options.html", chosen, op=op, form=form), 422
    values = op.options_from(form)
    started = monotonic()
    result = preview.preview(db.session, selection.conditions(db.session, chosen, _tz()), op,
                             values)
    args = _option_args(form, request.args)
    return _step("confirm.html", chosen, op=op, preview=result,
                 description=op.describe(db.session, values), option_args=args,
                 seconds=monotonic() - started,
                 run_form=RunForm(formdata=None, selection=chosen.id, op=op.key))


@bp.post("/run")
@access(Access.operator)
def run():
    """Step ⑤ 確定: freeze the targets and queue the job."""
    run_form = RunForm()
    chosen = own_selection(request.form)
    if not run_form.validate() or chosen is None:
        return selection_lost()
    op = _operation(request.form, chosen)
    if op is None:
        return redirect(url_for("bulk.operation", selection=chosen.id), 303)
    form = _options_form(op, request.form)
    if not form.validate():
        return _step("options.html", chosen, op=op, form=form), 422
    try:
        job, _ = launch.start(
            db.session, chosen, op, op.options_from(form),
            selection.conditions(db.session, chosen, _tz()), current_user,
            ip=request.remote_addr, locale=str(get_locale()))
    except launch.BulkError as error:
        db.session.rollback()
        flash(str(error), "error")
        back = url_for("bulk.confirm", selection=chosen.id, op=op.key)
        return redirect(back + "&" + urlencode(_option_args(form, request.form)), 303)
    return redirect(url_for("bulk.show", notification_id=job.id, accepted=1), 303)
