"""配送関連日程 (seed 004 出荷一覧): 出荷予定日 and お届け予定日 of orders in 出荷待ち."""

from datetime import date

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, Form
from wtforms.validators import Optional, ValidationError

from oms.models import Order, OrderStatus, TargetState
from oms.services.bulk.operations.base import Operation, Refusal, equal_or_both_empty
from oms.validation import DateField

ONLY_READY = _l("Only orders ready to ship can be changed.")
DELIVERY_BEFORE_SHIP = _l("The scheduled delivery date is before the scheduled ship date.")


class ShippingDatesForm(Form):
    scheduled_ship_date = DateField(_l("Scheduled ship date"), validators=[Optional()],
                                    description=_l("Leave empty to keep each order's."))
    scheduled_delivery_date = DateField(_l("Scheduled delivery date"),
                                        validators=[Optional()],
                                        description=_l("Leave empty to keep each order's."))
    # Seed 004: 定期注文マスターも同時に更新. Subscriptions come with a later issue (P6).
    update_subscriptions = BooleanField(
        _l("Also update the subscription masters"), render_kw={"disabled": True},
        description=_l("Available once subscriptions are managed here."))

    def validate_scheduled_delivery_date(self, field) -> None:
        ship = self.scheduled_ship_date.data
        if field.data and ship and field.data < ship:
            raise ValidationError(DELIVERY_BEFORE_SHIP)
        if not field.data and not ship and not self.scheduled_ship_date.errors:
            raise ValidationError(_l("Enter a scheduled ship date, a delivery date or both."))


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


class SetShippingDates(Operation):
    key = "shipping_dates"
    label = _l("Shipping-related dates")
    form = ShippingDatesForm
    undoable = True
    kinds = ("shipments",)

    def options_from(self, form):
        return {name: getattr(form, name).data.isoformat() if getattr(form, name).data else None
                for name in ("scheduled_ship_date", "scheduled_delivery_date")}

    def describe(self, session, options):
        keep = _l("unchanged")
        return str(_l("Scheduled ship date → %(ship)s, scheduled delivery date → %(delivery)s",
                      ship=options["scheduled_ship_date"] or keep,
                      delivery=options["scheduled_delivery_date"] or keep))

    def refusals(self, options):
        ship = _day(options["scheduled_ship_date"])
        delivery = _day(options["scheduled_delivery_date"])
        # With one date given, the order's other date must still come in the right order.
        crossed = (Order.scheduled_delivery_date < ship if ship and not delivery
                   else Order.scheduled_ship_date > delivery if delivery and not ship
                   else None)
        same = [equal_or_both_empty(getattr(Order, name), _day(value))
                for name, value in options.items() if value]
        refused = [Refusal(Order.status != OrderStatus.ready_to_ship, str(ONLY_READY))]
        if crossed is not None:
            refused.append(Refusal(crossed, str(DELIVERY_BEFORE_SHIP)))
        same_all = same[0] if len(same) == 1 else same[0] & same[1]
        return [*refused, Refusal(same_all, str(_l("Already so.")), TargetState.skipped)]

    def plan(self, order, options, context):
        return {name: value for name, value in options.items() if value}


OPERATIONS = [SetShippingDates()]
