"""後払い (NP / GMO) files (seed 001 §1 「確認待ち」, §5 「出荷済」): the order list's
取引登録 and 配送伝票 exports (the selection → a preview with the refusals by reason → 出力,
a job whose notification offers the file), and the 与信結果 / 出荷報告結果 imports (upload
→ check → 取り込む). htmx swaps #deferred-export when the provider is switched."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import RadioField, SelectChoice

from oms.access import Access, access, current_actor
from oms.blueprints.common import EmptyForm, or_404
from oms.blueprints.deferred import bp
from oms.blueprints.orders.controls import keep_selection, own_selection, selection_lost
from oms.blueprints.orders.controls import tz as _tz
from oms.csvfiles import UploadError
from oms.extensions import db
from oms.htmx import render_page
from oms.models import BulkSelection, DeferredFile, Gateway
from oms.services import deferred_export, deferred_import
from oms.services.bulk import selection
from oms.services.deferred_files import FILE_NAMES

TARGET = "deferred-export"
# The list tab each file is made from.
TABS = {DeferredFile.credit: "waiting", DeferredFile.ship: "done"}
GATEWAYS = [SelectChoice(g.value, deferred_export.provider_name(g))
            for g in (Gateway.np, Gateway.gmo)]


class UploadForm(FlaskForm):
    gateway = RadioField(choices=GATEWAYS, default=Gateway.np.value)
    file = FileField(validators=[FileRequired()])


def _file(exchange: str) -> DeferredFile:
    try:
        return DeferredFile(exchange)
    except ValueError:
        abort(404)


def _kind(upload_file: DeferredFile) -> str:
    return f"deferred_{upload_file.value}"


@bp.post("/credit/start", defaults={"exchange": "credit"}, endpoint="start_credit")
@bp.post("/ship/start", defaults={"exchange": "ship"}, endpoint="start_ship")
@access(Access.operator)
def start(exchange: str):
    """The control on the order list: keep what it acts on, then show the preview."""
    upload_file = _file(exchange)
    chosen = keep_selection(f"deferred-{exchange}", _kind(upload_file))
    return redirect(url_for("deferred.preview", exchange=exchange, selection=chosen.id), 303)


def _selection(values, upload_file: DeferredFile) -> BulkSelection | None:
    return own_selection(values, _kind(upload_file))


def _gateway(values) -> Gateway | None:
    try:
        return Gateway(values.get("gateway", Gateway.np.value))
    except ValueError:
        return None


def _lost(upload_file: DeferredFile):
    return selection_lost(tab=TABS[upload_file])


@bp.get("/<exchange>/")
@access(Access.operator)
def preview(exchange: str):
    """What the file will hold: the orders it writes, the refusals by reason."""
    upload_file = _file(exchange)
    chosen = _selection(request.args, upload_file)
    if chosen is None:
        return _lost(upload_file)
    gateway = _gateway(request.args)
    if gateway not in (Gateway.np, Gateway.gmo):
        abort(404)
    choice = deferred_export.Choice(gateway, upload_file)
    found = deferred_export.preview(
        db.session, selection.conditions(db.session, chosen, _tz()), choice)
    return render_page("deferred/export.html", "export", TARGET, selection=chosen,
                       choice=choice, preview=found, title=FILE_NAMES[gateway, upload_file][0],
                       gateways=GATEWAYS,
                       tab=TABS[upload_file])


@bp.post("/<exchange>/run")
@access(Access.operator)
def run(exchange: str):
    """出力: start the job over the selection (pressing it twice starts one job)."""
    upload_file = _file(exchange)
    chosen = _selection(request.form, upload_file)
    gateway = _gateway(request.form)
    if chosen is None:
        return _lost(upload_file)
    if gateway not in (Gateway.np, Gateway.gmo) or not EmptyForm().validate():
        abort(400)
    if chosen.job_id is not None:
        return redirect(url_for("notifications.show", notification_id=chosen.job_id), 303)
    note = deferred_export.start(db.session, current_user,
                                 deferred_export.Choice(gateway, upload_file),
                                 selection.conditions(db.session, chosen, _tz()),
                                 chosen.count, request.remote_addr, str(get_locale()))
    chosen.job_id = note.id
    return redirect(url_for("notifications.show", notification_id=note.id), 303)


@bp.route("/credit/import", methods=["GET", "POST"], defaults={"exchange": "credit"},
          endpoint="import_credit")
@bp.route("/ship/import", methods=["GET", "POST"], defaults={"exchange": "ship"},
          endpoint="import_ship")
@access(Access.operator)
def upload(exchange: str):
    """Check a 与信結果 / 出荷報告結果 file (nothing changes until 取り込む)."""
    upload_file = _file(exchange)
    form = UploadForm()
    error = None
    if form.validate_on_submit():
        try:
            checked = deferred_import.check(db.session, current_user,
                                            form.file.data.filename or "", form.file.data.read(),
                                            Gateway(form.gateway.data), upload_file)
        except UploadError as problem:
            error = str(problem)
        else:
            return redirect(url_for("deferred.checked", deferred_import_id=checked.id), 303)
    elif request.method == "POST":
        error = (form.gateway.errors or [None])[0] or _("Choose a CSV file.")
    return render_template("deferred/upload.html", form=form, error=error, file=upload_file,
                           gateways=GATEWAYS, tab=TABS[upload_file]), 422 if error else 200


def _upload(deferred_import_id: int):
    return or_404(deferred_import.get_for(db.session, current_user, deferred_import_id))


@bp.get("/imports/<int:deferred_import_id>")
@access(Access.operator)
def checked(deferred_import_id: int):
    """The checked file: its rows by result, bad rows by line; the 取り込む button."""
    upload = _upload(deferred_import_id)
    return render_template("deferred/check.html", upload=upload,
                           rows=deferred_import.good_rows(upload),
                           summary=deferred_import.summary(upload),
                           title=FILE_NAMES[upload.gateway, upload.file][1],
                           direct_rows=deferred_import.DIRECT_ROWS,
                           tab=TABS[upload.file])


@bp.post("/imports/<int:deferred_import_id>/apply")
@access(Access.operator)
def apply(deferred_import_id: int):
    """取り込む."""
    upload = _upload(deferred_import_id)
    if not EmptyForm().validate():
        abort(400)
    try:
        note = deferred_import.apply(db.session, upload, current_actor(), current_user,
                                     str(get_locale()))
    except UploadError as error:
        flash(str(error), "error")
    else:
        if note is not None:
            return redirect(url_for("notifications.show", notification_id=note.id), 303)
        flash(_("%(n)d rows imported.", n=len(upload.rows)), "success")
    return redirect(url_for("deferred.checked", deferred_import_id=upload.id), 303)
