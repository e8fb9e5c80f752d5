"""要対応 + 理由: flag orders as needing attention with a reason, or clear the flag."""

from flask_babel import lazy_gettext as _l
from wtforms import Form, RadioField, SelectChoice, SelectField, ValidationError

from oms.models import AttentionReason, Order, TargetState
from oms.services import masters
from oms.services.bulk.operations.base import Operation, Refusal
from oms.services.bulk.operations.handling import optional_int


class AttentionForm(Form):
    flag = RadioField(_l("Needs attention"), default="on",
                      choices=[SelectChoice("on", _l("Set")),
                               SelectChoice("off", _l("Clear"))])
    reason_id = SelectField(_l("Reason"), coerce=optional_int)

    def validate_reason_id(self, field):
        if self.flag.data == "on" and field.data is None:
            raise ValidationError(_l("Choose a reason."))


class SetAttention(Operation):
    key = "needs_attention"
    label = _l("Needs attention")
    form = AttentionForm
    undoable = True
    allowed_while_waiting = True

    def prepare_form(self, form, session):
        rows = masters.offered(session, AttentionReason)  # active rows only
        form.reason_id.choices = [SelectChoice(None, "—"),
                                  *(SelectChoice(r.id, r.name) for r in rows)]

    def options_from(self, form):
        on = form.flag.data == "on"
        return {"flag": form.flag.data, "reason_id": form.reason_id.data if on else None}

    def describe(self, session, options):
        if options["flag"] != "on":
            return str(_l("Needs attention → clear"))
        reason = session.get(AttentionReason, options["reason_id"] or 0)
        return str(_l("Needs attention → set (%(reason)s)", reason=reason.name if reason else "—"))

    def refusals(self, options):
        if options["flag"] == "on":
            same = Order.needs_attention.is_(True) & (
                Order.attention_reason_id == options["reason_id"])
        else:
            same = Order.needs_attention.is_(False)
        return [Refusal(same, str(_l("Already so.")), TargetState.skipped)]

    def plan(self, order, options, context):
        on = options["flag"] == "on"
        return {"needs_attention": on, "attention_reason_id": options["reason_id"] if on else None}


OPERATIONS = [SetAttention()]
