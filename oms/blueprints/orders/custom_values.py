"""An order's custom field answers (seed 002 カスタム項目), with +/- answer sets and the
update button for stored values that no longer fit their field."""

from flask import flash, request
from flask_babel import gettext as _

from oms.access import Access, access, current_actor
from oms.blueprints.orders import bp
from oms.blueprints.orders.detail import back_to_detail, get_order, render_panel
from oms.blueprints.orders.detail_forms import LockedForm
from oms.extensions import db
from oms.models import Order
from oms.services import custom_field_values, order_edit


def _render(order: Order, draft, form: LockedForm, status: int = 200, **context):
    return render_panel("orders/custom_fields.html", status, order=order, draft=draft,
                        form=form, **context)


def _locked(form: LockedForm, order: Order) -> LockedForm:
    """The form carrying the order's version and its latest audit row, as shown now."""
    form.version.data = str(order.version)
    form.audit_mark.data = str(order_edit.latest_audit_id(db.session, order))
    return form


@bp.get("/<order_number>/custom-fields")
@access(Access.operator)
def custom_fields_edit(order_number: str):
    """Answer the custom fields of an order; + and - add and remove answer sets."""
    order = get_order(order_number)
    return _render(order, custom_field_values.stored_draft(db.session, order),
                   _locked(LockedForm(formdata=None), order))


@bp.post("/<order_number>/custom-fields")
@access(Access.operator)
def custom_fields_save(order_number: str):
    """Save the answers, or add/remove an answer set and show the form again."""
    order = get_order(order_number)
    form = LockedForm()
    draft = custom_field_values.submitted_draft(db.session, order, request.form)
    if not form.validate():
        return _render(order, draft, form, 422)
    if custom_field_values.apply_action(draft, request.form.get("action", "save")):
        return _render(order, draft, form)
    custom_field_values.validate(draft)
    if draft.has_errors:
        return _render(order, draft, form, 422)
    try:
        changed = custom_field_values.save(db.session, order, draft, current_actor(),
                                           version=form.version_number())
    except order_edit.EditConflict:
        return _conflict(order_number, draft, form)
    flash(_("The custom fields were saved (%(n)d changes).", n=changed), "success")
    return back_to_detail(order, "custom-fields")


def _conflict(order_number: str, draft, form: LockedForm):
    """Someone saved the order meanwhile: the form again, with what they changed."""
    db.session.rollback()
    order = get_order(order_number)
    events = order_edit.changes_since(db.session, order, form.mark_number())
    return _render(order, draft, _locked(form, order), 409, conflict=events)
