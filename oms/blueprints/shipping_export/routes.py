"""出荷指示エクスポート (seed 001 §4): the order list's 出荷待ち orders → settings → preview
→ 出力, a job whose notification offers the file. Each step is a GET page carrying the
choices in its query string (the selection is a stored draft, as in bulk update); 出力 is
a POST that redirects to the job's page. htmx swaps #ship-export."""

import csv
import io
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Response, current_app, redirect, request, url_for
from flask_babel import get_locale
from flask_login import current_user

from oms.access import Access, access
from oms.blueprints.orders.controls import keep_selection, own_selection, selection_lost
from oms.blueprints.shipping_export import bp
from oms.blueprints.shipping_export.forms import ExportSettingsForm
from oms.extensions import db
from oms.htmx import render_page
from oms.models import BulkSelection
from oms.services import shipping_export
from oms.services.bulk import selection
from oms.services.carrier_files import yupri

TARGET = "ship-export"
SELECTION_KIND = "ship_export"


def _tz() -> ZoneInfo:
    return ZoneInfo(current_app.config["OMS_TZ"])


@bp.post("/start")
@access(Access.operator)
def start():
    """The control on the order list: keep what it acts on, then ask for the settings."""
    chosen = keep_selection("ship-export", SELECTION_KIND)
    return redirect(url_for("shipping_export.settings", selection=chosen.id), 303)


def _selection(values) -> BulkSelection | None:
    return own_selection(values, SELECTION_KIND)


def _form(formdata) -> ExportSettingsForm:
    carriers = shipping_export.exportable_carriers(db.session)
    form = ExportSettingsForm(formdata=formdata, meta={"csrf": request.method == "POST"})
    form.carrier.choices = [(c.id, f"{c.name} ({c.file_format.value})") for c in carriers]
    form.service.choices = [(s.id, f"{c.name} {s.name}") for c in carriers
                            for s in c.services if s.active]
    if form.ship_date.data is None and not form.ship_date.raw_data:
        form.ship_date.data = datetime.now(_tz()).date()
    return form




def _plan(form: ExportSettingsForm):
    """The form's choice resolved, or None with the reason on the form."""
    if not form.validate():
        return None
    try:
        return shipping_export.plan(db.session, form.choice())
    except shipping_export.ChoiceError as error:
        form.service.errors = [*form.service.errors, str(error)]
        return None


@bp.get("/")
@access(Access.operator)
def settings():
    """Step 1, and — once the settings are sent — step 2, the preview."""
    chosen = _selection(request.args)
    if chosen is None:
        return selection_lost()
    sent = "carrier" in request.args
    form = _form(request.args if sent else None)
    p = _plan(form) if sent else None
    if p is None:
        return render_page("shipping_export/wizard.html", "wizard", TARGET, form=form,
                           selection=chosen, step=1), 422 if sent else 200
    found = shipping_export.preview(db.session, selection.conditions(db.session, chosen, _tz()),
                                    p)
    return render_page("shipping_export/wizard.html", "wizard", TARGET, form=form,
                       selection=chosen, step=2, plan=p, preview=found,
                       query=request.query_string.decode())


@bp.post("/run")
@access(Access.operator)
def run():
    """出力: start the job over the selection (pressing it twice starts one job)."""
    chosen = _selection(request.form)
    if chosen is None:
        return selection_lost()
    if chosen.job_id is not None:
        return redirect(url_for("notifications.show", notification_id=chosen.job_id), 303)
    form = _form(request.form)
    p = _plan(form)
    if p is None:
        return render_page("shipping_export/wizard.html", "wizard", TARGET, form=form,
                           selection=chosen, step=1), 422
    note = shipping_export.start(db.session, current_user, p,
                                 selection.conditions(db.session, chosen, _tz()),
                                 chosen.count, request.remote_addr, str(get_locale()))
    chosen.job_id = note.id
    return redirect(url_for("notifications.show", notification_id=note.id), 303)


@bp.get("/yupri-filter.csv")
@access(Access.operator)
def yupri_filter():
    """The ゆうプリR フィルタ description of the file this wizard writes."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(yupri.filter_file())
    return Response(out.getvalue().encode("cp932"), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=yupri-filter.csv"})
