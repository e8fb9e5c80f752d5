"""The form of 設定 > 受注管理設定 (自動処理設定): one field per setting of
`app_settings.WorkflowSettings`, the minutes one per timed payment kind."""

from dataclasses import replace

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, TextAreaField
from wtforms.validators import InputRequired, Length, ValidationError

from oms import labels
from oms.blueprints.orders.detail_forms import options
from oms.models import MallKind
from oms.services.app_settings import ALLOCATION_MODES, MAX_MINUTES, TIMED_KINDS, WorkflowSettings
from oms.validation import IntegerField

MAX_LOCATIONS = 50
LOCATION_MAX = 32  # stocks.location

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
    locations = TextAreaField(
        _l("Stock locations, in the order allocation tries them"),
        [Length(max=MAX_LOCATIONS * (LOCATION_MAX + 2))],
        description=_l("One location code per line; the first with enough stock is used."),
        render_kw={"rows": 4})

    def validate_locations(self, field) -> None:
        codes = location_codes(field.data)
        if not codes:
            raise ValidationError(_l("Enter at least one location."))
        if len(codes) > MAX_LOCATIONS:
            raise ValidationError(_l("Enter at most %(n)d locations.", n=MAX_LOCATIONS))
        if too_long := [code for code in codes if len(code) > LOCATION_MAX]:
            raise ValidationError(_l("%(code)s is longer than %(n)d characters.",
                                     code=too_long[0], n=LOCATION_MAX))
        if len(set(codes)) != len(codes):
            twice = next(code for code in codes if codes.count(code) > 1)
            raise ValidationError(_l("%(code)s is listed twice.", code=twice))

    def minutes(self):
        """(payment kind, its field) for each timed kind, in the order of TIMED_KINDS."""
        return [(kind, self[_minutes_field(kind.value)]) for kind in TIMED_KINDS]

    def settings(self, current: WorkflowSettings) -> WorkflowSettings:
        """The settings as submitted; groups the form does not show are kept."""
        return replace(
            current, allocation_mode=self.allocation_mode.data,
            new_after_minutes=current.new_after_minutes
            | {kind.value: field.data for kind, field in self.minutes()},
            require_confirm=current.require_confirm | {OWN: self.confirm_own.data},
            allocation_locations=location_codes(self.locations.data))


for _kind in TIMED_KINDS:
    setattr(WorkflowForm, _minutes_field(_kind.value), IntegerField(
        labels.PAYMENT_KIND[_kind],
        [InputRequired(_l("Enter 0 to %(max)s.", max=format(MAX_MINUTES, ",")))],
        minimum=0, maximum=MAX_MINUTES, full_width=False))


def location_codes(text: str | None) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def form_data(settings: WorkflowSettings) -> dict:
    """What the form shows for stored settings."""
    return {
        "allocation_mode": settings.allocation_mode,
        "confirm_own": settings.require_confirm.get(OWN, True),
        "locations": "\n".join(settings.allocation_locations),
        **{_minutes_field(kind.value): settings.minutes_for(kind) for kind in TIMED_KINDS},
    }
