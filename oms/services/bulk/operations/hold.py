"""出荷停止 (seed 004): put orders on shipping hold or release them."""

from flask_babel import lazy_gettext as _l
from wtforms import Form, RadioField, SelectChoice

from oms.models import Order, TargetState
from oms.services.bulk.operations.base import Operation, Refusal

SHIPPED_TABS = ("done", "cancelled", "closed")


class HoldForm(Form):
    hold = RadioField(_l("Shipping hold"), default="on",
                      choices=[SelectChoice("on", _l("Hold shipping")),
                               SelectChoice("off", _l("Release the hold"))])


class SetShippingHold(Operation):
    key = "shipping_hold"
    label = _l("Shipping hold")
    form = HoldForm
    undoable = True

    def describe(self, session, options):
        if options["hold"] == "on":
            return str(_l("Shipping hold → on"))
        return str(_l("Shipping hold → off"))

    def refusals(self, options):
        on = options["hold"] == "on"
        refused = [Refusal(Order.shipping_hold.is_(on), str(_l("Already so.")),
                           TargetState.skipped)]
        if on:
            refused.append(Refusal(Order.tab.in_(SHIPPED_TABS),
                                   str(_l("Already shipped, cancelled or closed."))))
        return refused

    def plan(self, order, options, context):
        return {"shipping_hold": options["hold"] == "on"}


OPERATIONS = [SetShippingHold()]
