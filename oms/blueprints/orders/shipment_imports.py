"""出荷確定インポート (seed 001 §4): upload a file of tracking numbers, check it, 取り込む,
and the result (a job's progress for a large file)."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectField

from oms import labels
from oms.access import Access, access, current_actor
from oms.blueprints.common import EmptyForm, or_404
from oms.blueprints.orders import bp
from oms.csvfiles import UploadError
from oms.extensions import db
from oms.htmx import render_page
from oms.services import shipment_import


class ShipmentImportForm(FlaskForm):
    layout = SelectField(choices=[], default="generic")
    file = FileField(validators=[FileRequired()])


def _upload(import_id: int):
    return or_404(shipment_import.get_for(db.session, current_user, import_id))


@bp.route("/shipment-import", methods=["GET", "POST"])
@access(Access.operator)
def shipment_import_upload():
    """Check a file of tracking numbers (nothing changes until 取り込む)."""
    form = ShipmentImportForm()
    form.layout.choices = shipment_import.layout_choices()
    error = None
    if form.validate_on_submit():
        try:
            checked = shipment_import.check(db.session, current_user,
                                            form.file.data.filename or "",
                                            form.file.data.read(), form.layout.data)
        except UploadError as problem:
            db.session.rollback()
            error = str(problem)
        else:
            return redirect(url_for(".shipment_import_check", import_id=checked.id), 303)
    elif request.method == "POST":
        error = (form.layout.errors or [None])[0] or _("Choose a CSV file.")
    return render_template("orders/shipment_import_upload.html", form=form, error=error), (
        422 if error else 200)


@bp.get("/shipment-imports/<int:import_id>")
@access(Access.operator)
def shipment_import_check(import_id: int):
    """The checked file: good rows, bad rows by line, warnings; the 取り込む button."""
    upload = _upload(import_id)
    return render_template("orders/shipment_import_check.html", upload=upload,
                           rows=shipment_import.good_rows(upload), labels=labels,
                           layout_label=shipment_import.LAYOUTS[upload.format].label,
                           direct_rows=shipment_import.DIRECT_ROWS)


@bp.post("/shipment-imports/<int:import_id>/apply")
@access(Access.operator)
def shipment_import_apply(import_id: int):
    """取り込む: the good rows now, or as a job for a large file."""
    upload = _upload(import_id)
    if not EmptyForm().validate():
        abort(400)
    try:
        shipment_import.apply(db.session, upload, current_actor(), current_user,
                              str(get_locale()))
    except UploadError as error:
        flash(str(error), "error")
    return redirect(url_for(".shipment_import_result", import_id=upload.id), 303)


@bp.get("/shipment-imports/<int:import_id>/result")
@access(Access.operator)
def shipment_import_result(import_id: int):
    """What the import did: counts by the orders' status now, mall reports, bad rows; a
    large file's job progress (htmx polls the block; without JS the page refreshes)."""
    upload = _upload(import_id)
    if upload.applied_at is None:
        return redirect(url_for(".shipment_import_check", import_id=upload.id), 303)
    return render_page("orders/shipment_import_result.html", "result", "import-result",
                       upload=upload, result=shipment_import.result(db.session, upload),
                       labels=labels)
