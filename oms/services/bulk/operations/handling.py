"""対応状況: set (or clear) the operator-defined handling status."""

from flask_babel import lazy_gettext as _l
from wtforms import Form, SelectChoice, SelectField

from oms.models import HandlingStatus, Order, TargetState
from oms.services import masters
from oms.services.bulk.operations.base import Operation, Refusal, equal_or_both_empty
from oms.validation import coerce_optional_int

optional_int = coerce_optional_int  # SelectField coerce: ASCII digits only


class HandlingForm(Form):
    handling_status_id = SelectField(_l("Handling status"), coerce=optional_int,
                                     validate_choice=True)


class SetHandlingStatus(Operation):
    key = "handling_status"
    label = _l("Handling status")
    form = HandlingForm
    undoable = True

    def prepare_form(self, form, session):
        rows = masters.offered(session, HandlingStatus)  # active rows only
        form.handling_status_id.choices = [SelectChoice(None, _l("(none)")),
                                           *(SelectChoice(r.id, r.name) for r in rows)]

    def describe(self, session, options):
        status = session.get(HandlingStatus, options["handling_status_id"] or 0)
        return str(_l("Handling status → %(name)s", name=status.name if status else _l("(none)")))

    def refusals(self, options):
        value = options["handling_status_id"]
        return [Refusal(equal_or_both_empty(Order.handling_status_id, value),
                        str(_l("Already has this handling status.")), TargetState.skipped)]

    def plan(self, order, options, context):
        return {"handling_status_id": options["handling_status_id"]}


OPERATIONS = [SetHandlingStatus()]
