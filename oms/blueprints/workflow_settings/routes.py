from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from oms.access import Access, access, current_actor
from oms.blueprints.workflow_settings import bp
from oms.blueprints.workflow_settings.forms import ALLOCATION_MODE, WorkflowForm, form_data
from oms.extensions import db
from oms.services import app_settings, inventory, masters


@bp.route("/", methods=["GET", "POST"])
@access(Access.admin)
def edit():
    """受注管理設定 (自動処理設定): allocation, minutes to 新規, 注文確認 (the locations
    allocation tries are shown; 在庫ロケーション管理 keeps them)."""
    current = app_settings.workflow(db.session)
    if request.method == "GET":
        return _page(WorkflowForm(formdata=None, data=form_data(current)), 200)
    form = WorkflowForm()
    if not form.validate():
        return _page(form, 422)
    if app_settings.save_workflow(db.session, form.settings(current), current_actor()):
        flash(_("The workflow settings were saved."), "success")
    else:
        flash(_("Nothing was changed."), "info")
    return redirect(url_for(".edit"), 303)


def _page(form: WorkflowForm, status: int):
    return render_template("workflow_settings/edit.html", form=form, modes=ALLOCATION_MODE,
                           stock_locations=inventory.locations(db.session),
                           allocation_locations=masters.allocation_locations(db.session)), status
