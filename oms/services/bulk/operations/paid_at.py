"""入金日時 (seed 001 「一括更新>受注情報>入金日時」): set when the payment arrived, or clear it."""

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import lazy_gettext as _l
from wtforms import Form, RadioField, SelectChoice
from wtforms.validators import Optional

from oms.formatting import local_time
from oms.models import Order, TargetState
from oms.services.bulk.fields import timestamp
from oms.services.bulk.operations.base import Operation, Refusal, equal_or_both_empty
from oms.validation import DateTimeLocalField

# A browser sends datetime-local without seconds; with them when typed.
FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"]


def paid_at_field(description=None) -> DateTimeLocalField:
    return DateTimeLocalField(_l("Paid at"), [Optional()], format=FORMATS,
                              description=description)


def utc_option(local: datetime | None) -> str | None:
    """A time typed in the form (OMS_TZ) as the option kept on the job: UTC, ISO 8601."""
    if local is None:
        return None
    return timestamp(local.replace(tzinfo=ZoneInfo(current_app.config["OMS_TZ"])))


def shown(option: str) -> str:
    return local_time(datetime.fromisoformat(option))


class PaidAtForm(Form):
    action = RadioField(_l("Paid at"), default="set",
                        choices=[SelectChoice("set", _l("Set")),
                                 SelectChoice("clear", _l("Clear"))])
    paid_at = paid_at_field()

    def validate(self, extra_validators=None):
        # Here, not as a field validator: Optional() ends the field's chain when empty.
        if not super().validate(extra_validators):
            return False
        if self.action.data == "set" and self.paid_at.data is None:
            self.paid_at.errors.append(_l("Enter the date and time."))
            return False
        return True


class SetPaidAt(Operation):
    key = "paid_at"
    label = _l("Paid at")
    form = PaidAtForm
    undoable = True

    def options_from(self, form):
        return {"paid_at": utc_option(form.paid_at.data) if form.action.data == "set" else None}

    def describe(self, session, options):
        if options["paid_at"] is None:
            return str(_l("Paid at → clear"))
        return str(_l("Paid at → %(time)s", time=shown(options["paid_at"])))

    def refusals(self, options):
        value = options["paid_at"] and datetime.fromisoformat(options["paid_at"])
        return [Refusal(equal_or_both_empty(Order.paid_at, value), str(_l("Already so.")),
                        TargetState.skipped)]

    def plan(self, order, options, context):
        return {"paid_at": options["paid_at"]}


OPERATIONS = [SetPaidAt()]
