"""The order list's controls on the web: what a pressed control acts on (the rule is
oms.services.list_controls), and the page that says so before a whole search is acted on."""

from dataclasses import replace
from urllib.parse import parse_qsl
from zoneinfo import ZoneInfo

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from oms import labels, validation
from oms.access import Access, access
from oms.blueprints.orders import bp
from oms.blueprints.orders.forms import ExportForm, SelectionForm
from oms.extensions import db
from oms.models import BulkSelection, SelectionSource
from oms.services import list_controls, order_search
from oms.services.bulk import selection


def tz() -> ZoneInfo:
    return ZoneInfo(current_app.config["OMS_TZ"])


def url_args(query: str) -> MultiDict:
    return MultiDict(parse_qsl(query))


def back_to_list(search: str | None):
    return redirect(url_for("orders.index") + (f"?{search}" if search else ""), 303)


def _leave(search: str, message: str):
    flash(message, "error")
    abort(back_to_list(search))


def chosen(key: str, form: SelectionForm) -> list_controls.Target:
    """The orders the control `key` acts on, from the list form. A refusal goes back to
    the list with the reason, and a whole search the operator has not agreed to goes to
    the page that says so (both end the request with their redirect)."""
    search = form.search.data or ""
    if not form.validate():
        _leave("" if form.search.errors else search,
               form.refusal(_("The form could not be read. Reload the list and try again.")))
    try:
        target = list_controls.choose(db.session, key, scope=form.scope.data, search=search,
                                      checked=request.form.getlist("order_id"), tz=tz())
    except list_controls.Refused as refusal:
        _leave(search, str(refusal))
    if target.to_confirm:
        encoding = form.encoding.data if "encoding" in form else None
        abort(redirect(url_for("orders.act", control=key, search=search or None,
                               checked=target.checked or None, encoding=encoding), 303))
    if target.whole_search:
        flash(target.message(), "info")
    return target


def keep_selection(key: str, kind: str | None = None) -> BulkSelection:
    """What the list control `key` acts on (checked rows or the whole search), kept as the
    signed-in user's selection of `kind` for the pages that follow."""
    target = chosen(key, SelectionForm())
    if target.whole_search:
        kept = selection.from_search(db.session, current_user, target.search, tz())
    else:
        kept = selection.from_ids(db.session, current_user, target.order_ids or [],
                                  SelectionSource.selected)
    if kind is not None:
        kept.kind = kind
    return kept


def own_selection(values, kind: str | None = None) -> BulkSelection | None:
    """The user's kept selection named by `values["selection"]`, if it is of `kind`."""
    found = selection.get_own(db.session, current_user, validation.arg_id(values, "selection"))
    return found if found is not None and (kind is None or found.kind == kind) else None


def selection_lost(**list_args):
    flash(_("This selection is no longer available: select the orders again."), "error")
    return redirect(url_for("orders.index", **list_args), 303)


@bp.get("/act/<control>")
@access(Access.operator)
def act(control: str):
    """Before a control acts on a whole search: how many orders that is, and a button."""
    if control not in list_controls.CONTROLS:
        abort(404)
    search = request.args.get("search", "")[:2000]
    try:
        target = list_controls.choose(db.session, control, scope="selected", search=search,
                                      checked=[], tz=tz())
    except list_controls.Refused as refusal:
        _leave(search, str(refusal))
    checked = min(max(request.args.get("checked", 0, type=int), 0), list_controls.MAX_SELECTED)
    form = ExportForm(formdata=None, encoding=request.args.get("encoding") or "cp932")
    return render_template("orders/act.html", target=replace(target, checked=checked),
                           search=search, form=form, labels=labels,
                           parsed=order_search.parse(db.session, url_args(search)).search)
