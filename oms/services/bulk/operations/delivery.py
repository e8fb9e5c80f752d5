"""配送方法 (seed 004): change the carrier, the delivery method and the delivery time slot,
chosen from 配送業者管理; the method and the slot must be the carrier's."""

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from wtforms import Form, SelectField
from wtforms.validators import InputRequired

from oms.models import Carrier, Order, OrderStatus, PaymentKind, PaymentMethod, TargetState
from oms.services import carriers
from oms.services.bulk.operations.base import Operation, Refusal, equal_or_both_empty
from oms.services.delivery_choices import GroupedSelectField, carrier_options, part_options

# From shipping on, the parcel is with the carrier: its method can no longer change.
FIXED = (OrderStatus.shipping, OrderStatus.shipped, OrderStatus.awaiting_deferred_payment,
         OrderStatus.completed, OrderStatus.cancelled, OrderStatus.closed)
_FIELDS = ("carrier", "delivery_method", "delivery_time_slot")


class DeliveryForm(Form):
    carrier = SelectField(_l("Carrier"), validators=[InputRequired()])
    delivery_method = GroupedSelectField(_l("Delivery method"), validators=[InputRequired()])
    delivery_time_slot = GroupedSelectField(_l("Delivery time slot"), default="",
                                            description=_l("Empty: no preference."))
    offered: tuple[Carrier, ...] = ()  # set by prepare_form

    def validate(self, extra_validators=None):
        if not super().validate(extra_validators):
            return False
        carrier = next((c for c in self.offered if c.name == self.carrier.data), None)
        problems = carriers.delivery_problems(carrier, self.delivery_method.data,
                                              self.delivery_time_slot.data)
        for name, message in problems.items():
            self[name].errors.append(message)
        return not problems


class SetDelivery(Operation):
    key = "delivery"
    label = _l("Delivery method")
    form = DeliveryForm
    undoable = True
    kinds = ("orders", "shipments")

    def prepare_form(self, form, session):
        form.offered = tuple(carriers.listed(session))
        form.carrier.choices = carrier_options(form.offered, None, "—")
        form.delivery_method.choices = part_options(form.offered, "services", "—")
        form.delivery_time_slot.choices = part_options(form.offered, "time_slots",
                                                       _l("No preference"))
        form.delivery_method.group = form.delivery_time_slot.group = form.carrier.data

    def options_from(self, form):
        return {"carrier": form.carrier.data, "delivery_method": form.delivery_method.data,
                "delivery_time_slot": form.delivery_time_slot.data or None}

    def describe(self, session, options):
        return str(_l("Carrier → %(carrier)s, delivery method → %(method)s, time slot → "
                      "%(slot)s", carrier=options.get("carrier") or "—",
                      method=options["delivery_method"],
                      slot=options["delivery_time_slot"] or _l("no preference")))

    def refusals(self, options):
        changes = self._changes(options)
        same = sa.and_(*(equal_or_both_empty(getattr(Order, name), value)
                         for name, value in changes.items()))
        guards = [
            Refusal(Order.status.in_(FIXED), str(_l("Already shipped, cancelled or closed."))),
            Refusal(same, str(_l("Already so.")), TargetState.skipped),
        ]
        if "carrier" in changes:  # seed 002: with 0円決済 the carrier cannot be changed
            zero_yen = sa.select(PaymentMethod.id).where(
                PaymentMethod.kind == PaymentKind.zero_yen)
            guards.append(Refusal(
                Order.payment_method_id.in_(zero_yen)
                & ~equal_or_both_empty(Order.carrier, changes["carrier"]),
                str(_l("With zero-yen payment the carrier cannot be changed."))))
        return guards

    def plan(self, order, options, context):
        return self._changes(options)

    @staticmethod
    def _changes(options) -> dict:
        """A job recorded before carriers were chosen here changes no carrier."""
        return {name: options[name] for name in _FIELDS if name in options}


OPERATIONS = [SetDelivery()]
