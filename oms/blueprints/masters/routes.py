"""設定 > the lists orders pick from (oms.services.masters): one list/edit screen for all."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from oms import labels
from oms.access import Access, access, current_actor
from oms.blueprints.common import EmptyForm, get_or_404
from oms.blueprints.masters import bp
from oms.blueprints.masters.forms import FORMS
from oms.extensions import db
from oms.htmx import render_page
from oms.services import masters

LIST = "master-list"  # the element htmx swaps after a row action


def _master(slug: str) -> masters.Master:
    if slug not in masters.MASTERS:
        abort(404)
    return masters.MASTERS[slug]


def _list_page(master: masters.Master, status: int = 200, errors: dict | None = None):
    rows = masters.rows(db.session, master)
    blank = FORMS[master.slug](formdata=None)
    headings = [(name, blank[name].label.text) for name in master.columns]
    return render_page("masters/index.html", "rows", LIST, master=master, rows=rows,
                       headings=headings,
                       labels=labels, confirm_form=EmptyForm(formdata=None),
                       errors=errors or {}), status


def _back(master: masters.Master):
    return redirect(url_for(".index", slug=master.slug), 303)


@bp.route("/<slug>/")
@access(Access.admin)
def index(slug: str):
    """One list: its rows, active or not, with their actions."""
    return _list_page(_master(slug))


def _form_page(master: masters.Master, form, row):
    """Show the row's form, or save it and go back to the list."""
    if request.method == "POST" and form.validate():
        try:
            if row is None:
                masters.create(db.session, master, form.values(), current_actor())
            else:
                masters.update(db.session, master, row, form.values(), current_actor())
        except masters.MasterRefused as refused:
            for name, message in refused.errors.items():
                form[name].errors = [*form[name].errors, message]
        else:
            flash(_("%(list)s: saved.", list=master.title), "success")
            return _back(master)
    status = 422 if request.method == "POST" else 200
    return render_template("masters/form.html", master=master, form=form, row=row), status


@bp.route("/<slug>/new", methods=["GET", "POST"])
@access(Access.admin)
def new(slug: str):
    """Add a row."""
    master = _master(slug)
    form_class = FORMS[slug]
    return _form_page(master, form_class() if request.method == "POST"
                      else form_class(formdata=None), None)


@bp.route("/<slug>/<int:item_id>/edit", methods=["GET", "POST"])
@access(Access.admin)
def edit(slug: str, item_id: int):
    """Change a row."""
    master = _master(slug)
    row = get_or_404(master.model, item_id)
    form = FORMS[slug]() if request.method == "POST" else FORMS[slug](formdata=None, obj=row)
    return _form_page(master, form, row)


@bp.post("/<slug>/<int:item_id>/deactivate")
@access(Access.admin)
def deactivate(slug: str, item_id: int):
    """Stop offering the row; the orders using it keep it."""
    return _set_active(slug, item_id, False,
                       _("Deactivated: it is no longer offered; the orders using it keep it."))


@bp.post("/<slug>/<int:item_id>/reactivate")
@access(Access.admin)
def reactivate(slug: str, item_id: int):
    """Offer the row again."""
    return _set_active(slug, item_id, True, _("Reactivated: it is offered again."))


def _set_active(slug: str, item_id: int, active: bool, message: str):
    master = _master(slug)
    row = get_or_404(master.model, item_id)
    if not EmptyForm().validate():
        abort(400)
    masters.set_active(db.session, master, row, active, current_actor())
    flash(message, "success")
    return _back(master)


@bp.post("/<slug>/<int:item_id>/delete")
@access(Access.admin)
def delete(slug: str, item_id: int):
    """Delete a row no order uses; one in use is refused with the count."""
    master = _master(slug)
    row = get_or_404(master.model, item_id)
    if not EmptyForm().validate():
        abort(400)
    try:
        masters.delete(db.session, master, row, current_actor())
    except masters.MasterRefused as refused:
        return _list_page(master, 422, {row.id: refused.errors[""]})
    flash(_("Deleted."), "success")
    return _back(master)
