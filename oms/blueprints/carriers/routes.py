"""設定 > 配送業者管理 (admins): carriers, their services and time slots."""

from collections.abc import Callable

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from oms import labels
from oms.access import Access, access, current_actor
from oms.blueprints.carriers import bp
from oms.blueprints.carriers.forms import CarrierForm, ServiceForm, SlotForm, SpecForm
from oms.blueprints.common import EmptyForm, get_or_404
from oms.extensions import db
from oms.models import Carrier, CarrierService, CarrierTimeSlot
from oms.services import carrier_settings, carriers

# A kind of row under a carrier: its model and its form.
PARTS = {"services": (CarrierService, ServiceForm), "slots": (CarrierTimeSlot, SlotForm)}
ACTIONS = {"deactivate": False, "reactivate": True, "delete": None}


@bp.route("/")
@access(Access.admin)
def index():
    """The carriers in order, with their services and time slots. How many orders use one
    is counted on its own page: over every order, that is a scan too slow for a list."""
    return render_template("carriers/index.html", labels=labels,
                           carriers=carriers.listed(db.session, active_only=False))


def _carrier_page(carrier_id: int | None = None):
    return redirect(url_for(".edit", carrier_id=carrier_id) if carrier_id
                    else url_for(".index"), 303)


def _saved(form: SpecForm, save: Callable) -> bool:
    """Validate and save the form, putting the service's refusals beside its fields."""
    if request.method != "POST" or not form.validate():
        return False
    try:
        save(form.spec())
    except carrier_settings.SettingsRefused as refused:
        for name, message in refused.errors.items():
            form[name].errors = [*form[name].errors, message]
        return False
    return True


def _status() -> int:
    return 422 if request.method == "POST" else 200


@bp.route("/new", methods=["GET", "POST"])
@access(Access.admin)
def new():
    """Add a carrier."""
    carriers.ensure_defaults(db.session)
    form = CarrierForm(formdata=request.form if request.method == "POST" else None)
    if _saved(form, lambda spec: carrier_settings.create_carrier(db.session, spec,
                                                                 current_actor())):
        flash(_("The carrier was saved."), "success")
        return _carrier_page()
    return render_template("carriers/form.html", form=form, carrier=None), _status()


@bp.route("/<int:carrier_id>", methods=["GET", "POST"])
@access(Access.admin)
def edit(carrier_id: int):
    """One carrier: its codes, and its services and time slots with their usage."""
    carrier = get_or_404(Carrier, carrier_id)
    form = (CarrierForm() if request.method == "POST"
            else CarrierForm(formdata=None, obj=carrier))
    if _saved(form, lambda spec: carrier_settings.update_carrier(db.session, carrier, spec,
                                                                 current_actor())):
        flash(_("The carrier was saved."), "success")
        return _carrier_page(carrier.id)
    return render_template("carriers/form.html", form=form, carrier=carrier,
                           usage=carrier_settings.usage(db.session, carrier),
                           confirm_form=EmptyForm(formdata=None)), _status()


def _part(kind: str):
    part = PARTS.get(kind)
    if part is None:
        abort(404)
    return part


@bp.route("/<int:carrier_id>/<kind>/new", methods=["GET", "POST"])
@access(Access.admin)
def new_part(carrier_id: int, kind: str):
    """Add a service or a time slot to the carrier."""
    carrier, (_model, form_class) = get_or_404(Carrier, carrier_id), _part(kind)
    form = form_class(formdata=request.form if request.method == "POST" else None)
    if _saved(form, lambda spec: carrier_settings.add_part(db.session, carrier, spec,
                                                           current_actor())):
        flash(_("Saved."), "success")
        return _carrier_page(carrier.id)
    return render_template("carriers/part_form.html", form=form, carrier=carrier, kind=kind,
                           row=None), _status()


@bp.route("/<int:carrier_id>/<kind>/<int:row_id>", methods=["GET", "POST"])
@access(Access.admin)
def edit_part(carrier_id: int, kind: str, row_id: int):
    """Change a service or a time slot."""
    model, form_class = _part(kind)
    row = get_or_404(model, row_id, carrier_id=carrier_id)
    form = form_class() if request.method == "POST" else form_class(formdata=None, obj=row)
    if _saved(form, lambda spec: carrier_settings.update_part(db.session, row, spec,
                                                              current_actor())):
        flash(_("Saved."), "success")
        return _carrier_page(carrier_id)
    return render_template("carriers/part_form.html", form=form, carrier=row.carrier,
                           kind=kind, row=row), _status()


@bp.post("/<int:carrier_id>/<action>")
@access(Access.admin)
def carrier_action(carrier_id: int, action: str):
    """Deactivate, reactivate or delete a carrier."""
    carrier = get_or_404(Carrier, carrier_id)
    return _act(carrier, action, carrier_id if action != "delete" else None)


@bp.post("/<int:carrier_id>/<kind>/<int:row_id>/<action>")
@access(Access.admin)
def part_action(carrier_id: int, kind: str, row_id: int, action: str):
    """Deactivate, reactivate or delete a service or a time slot."""
    return _act(get_or_404(_part(kind)[0], row_id, carrier_id=carrier_id), action,
                carrier_id)


def _act(row, action: str, back_to: int | None):
    if action not in ACTIONS:
        abort(404)
    if not EmptyForm().validate():
        abort(400)
    actor = current_actor()
    if action == "delete":
        try:
            carrier_settings.delete(db.session, row, actor)
        except carrier_settings.SettingsRefused as refused:
            flash(refused.errors["delete"], "error")
            return _carrier_page(row.carrier_id if not isinstance(row, Carrier) else row.id)
        flash(_("Deleted."), "success")
        return _carrier_page(back_to)
    carrier_settings.set_active(db.session, row, ACTIONS[action], actor)
    carrier = row if isinstance(row, Carrier) else row.carrier
    in_use = carrier_settings.usage(db.session, carrier).of(row)
    if ACTIONS[action]:
        flash(_("Reactivated: it is offered again."), "success")
    else:
        flash(_("Deactivated: it is no longer offered. The %(n)d orders that use it keep "
                "it.", n=in_use), "success")
    return _carrier_page(back_to)
