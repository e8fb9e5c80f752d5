from flask import current_app, flash, redirect, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from oms import labels
from oms.access import Access, access
from oms.blueprints.orders import bp
from oms.blueprints.orders.forms import ExportForm
from oms.extensions import db
from oms.htmx import render_page
from oms.models import TABS
from oms.services import jobs as job_service
from oms.services import orders


def _tab() -> str:
    tab = request.args.get("tab", "all")
    return tab if tab in TABS else "all"


@bp.route("/")
@access(Access.operator)
def index():
    """List orders of one status tab, newest first."""
    tab = _tab()
    page = request.args.get("page", 1, type=int) or 1
    result = orders.list_orders(db.session, tab=tab, page=page,
                                per_page=current_app.config["ORDERS_PER_PAGE"])
    return render_page(
        "orders/index.html", "results", "order-results",
        tab=tab, tabs=list(TABS), result=result, labels=labels,
        export_form=ExportForm(tab=tab, formdata=None),
    )


@bp.post("/export")
@access(Access.operator)
def export():
    """Start the order information download for a tab."""
    form = ExportForm()
    if not form.validate():
        flash(_("Choose a status tab and an encoding."), "error")
        return redirect(url_for("orders.index"), 303)
    note = job_service.start(
        db.session, "order_export", current_user,
        {"tab": form.tab.data, "encoding": form.encoding.data, "locale": str(get_locale())},
    )
    if note.error:
        flash(_("The download could not be started: %(error)s", error=note.error), "error")
    else:
        flash(_("The order information download has started."), "info")
    return redirect(url_for("notifications.show", notification_id=note.id), 303)
