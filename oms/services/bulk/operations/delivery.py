"""配送方法 (seed 004): change the delivery method and the delivery time slot."""

from typing import ClassVar

from flask_babel import lazy_gettext as _l
from wtforms import Form, StringField
from wtforms.validators import InputRequired, Length

from oms.models import Order, OrderStatus, TargetState
from oms.services.bulk.operations.base import Operation, Refusal, equal_or_both_empty

# Suggestions offered in the form; any text the carrier understands is accepted.
METHODS = ("宅急便", "ネコポス", "飛脚宅配便", "ゆうパック", "ゆうパケット")
TIME_SLOTS = ("午前中", "14-16時", "16-18時", "18-20時", "19-21時")
# From shipping on, the parcel is with the carrier: its method can no longer change.
FIXED = (OrderStatus.shipping, OrderStatus.shipped, OrderStatus.awaiting_deferred_payment,
         OrderStatus.completed, OrderStatus.cancelled, OrderStatus.closed)


class DeliveryForm(Form):
    delivery_method = StringField(_l("Delivery method"),
                                  validators=[InputRequired(), Length(max=32)])
    delivery_time_slot = StringField(_l("Delivery time slot"), validators=[Length(max=16)],
                                     description=_l("Leave empty for no preference."))


class SetDelivery(Operation):
    key = "delivery"
    label = _l("Delivery method")
    form = DeliveryForm
    undoable = True
    kinds = ("orders", "shipments")
    suggestions: ClassVar[dict[str, tuple[str, ...]]] = {
        "delivery_method": METHODS, "delivery_time_slot": TIME_SLOTS}

    def options_from(self, form):
        return {"delivery_method": form.delivery_method.data.strip(),
                "delivery_time_slot": (form.delivery_time_slot.data or "").strip() or None}

    def describe(self, session, options):
        return str(_l("Delivery method → %(method)s, time slot → %(slot)s",
                      method=options["delivery_method"],
                      slot=options["delivery_time_slot"] or _l("no preference")))

    def refusals(self, options):
        same = (equal_or_both_empty(Order.delivery_method, options["delivery_method"])
                & equal_or_both_empty(Order.delivery_time_slot, options["delivery_time_slot"]))
        return [
            Refusal(Order.status.in_(FIXED), str(_l("Already shipped, cancelled or closed."))),
            Refusal(same, str(_l("Already so.")), TargetState.skipped),
        ]

    def plan(self, order, options, context):
        return {"delivery_method": options["delivery_method"],
                "delivery_time_slot": options["delivery_time_slot"]}


OPERATIONS = [SetDelivery()]
