"""出荷完了メールステータス変更 (seed 004): marking the mail as sent before shipment means the
shipment import sends none."""

from flask_babel import lazy_gettext as _l
from wtforms import Form, RadioField, SelectChoice

from oms.models import Order, TargetState
from oms.services.bulk.operations.base import Operation, Refusal
from oms.services.bulk.operations.delivery import FIXED


class ShipMailForm(Form):
    sent = RadioField(_l("Shipment-complete mail"), default="sent", choices=[
        SelectChoice("sent", _l("Mark as sent (no mail at shipment)")),
        SelectChoice("unsent", _l("Mark as not sent (mail at shipment)")),
    ])


class SetShipMail(Operation):
    key = "ship_mail"
    label = _l("Shipment-complete mail status")
    form = ShipMailForm
    undoable = True

    def describe(self, session, options):
        if options["sent"] == "sent":
            return str(_l("Shipment-complete mail → sent"))
        return str(_l("Shipment-complete mail → not sent"))

    def refusals(self, options):
        sent = options["sent"] == "sent"
        return [
            Refusal(Order.status.in_(FIXED), str(_l(
                "Only before shipment: the order is already shipped, cancelled or closed."))),
            Refusal(Order.ship_mail_sent.is_(sent), str(_l("Already so.")), TargetState.skipped),
        ]

    def plan(self, order, options, context):
        return {"ship_mail_sent": options["sent"] == "sent"}


OPERATIONS = [SetShipMail()]
