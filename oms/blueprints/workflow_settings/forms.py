"""The form of 設定 > 受注管理設定 (自動処理設定): one field per setting of
`app_settings.WorkflowSettings`, the minutes one per timed payment kind."""

from dataclasses import replace

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField
from wtforms.validators import InputRequired

from oms import labels
from oms.blueprints.orders.detail_forms import options
from oms.models import MallKind
from oms.services.app_settings import ALLOCATION_MODES, MAX_MINUTES, TIMED_KINDS, WorkflowSettings
from oms.validation import IntegerField

# What each 在庫引当 mode does (seed 001 §3), shown under its radio button.
ALLOCATION_MODE = {
    "auto": (_l("Automatic"), _l(
        "The automatic processing allocates stock to orders awaiting allocation, oldest "
        "first; an order whose every line is allocated moves on to Ready to ship.")),
    "manual": (_l("Manual"), _l(
        "Stock is allocated only when you press Allocate stock on the order list.")),
    "off": (_l("Do not allocate"), _l(
        "No stock is allocated: orders skip Awaiting allocation and go from New straight to "
        "Ready to ship.")),
}
OWN = MallKind.own.value


def _minutes_field(name: str) -> str:
    return f"minutes_{name}"


class WorkflowForm(FlaskForm):
    allocation_mode = RadioField(
        _l("Stock allocation"), choices=options((mode, ALLOCATION_MODE[mode][0])
                                                for mode in ALLOCATION_MODES),
        validators=[InputRequired(_l("Choose how stock is allocated."))])
    confirm_own = BooleanField(_l("Orders of our own shop wait in New for Confirm order"))

    def minutes(self):
        """(payment kind, its field) for each timed kind, in the order of TIMED_KINDS."""
        return [(kind, self[_minutes_field(kind.value)]) for kind in TIMED_KINDS]

    def settings(self, current: WorkflowSettings) -> WorkflowSettings:
        """The settings as submitted; groups the form does not show are kept."""
        return replace(
            current, allocation_mode=self.allocation_mode.data,
            new_after_minutes=current.new_after_minutes
            | {kind.value: field.data for kind, field in self.minutes()},
            require_confirm=current.require_confirm | {OWN: self.confirm_own.data})


for _kind in TIMED_KINDS:
    setattr(WorkflowForm, _minutes_field(_kind.value), IntegerField(
        labels.PAYMENT_KIND[_kind],
        [InputRequired(_l("Enter 0 to %(max)s.", max=format(MAX_MINUTES, ",")))],
        minimum=0, maximum=MAX_MINUTES, full_width=False))


def form_data(settings: WorkflowSettings) -> dict:
    """What the form shows for stored settings."""
    return {
        "allocation_mode": settings.allocation_mode,
        "confirm_own": settings.require_confirm.get(OWN, True),
        **{_minutes_field(kind.value): settings.minutes_for(kind) for kind in TIMED_KINDS},
    }
