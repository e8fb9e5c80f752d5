"""注文ステータス on 出荷一覧 (seed 004): 「出荷済み」の注文を一括で「出荷待ち」に変更.

The parcel is taken back (oms.services.shipment_voids); refused once a mall knows its
number or the payment was captured.
"""

from flask_babel import lazy_gettext as _l

from oms.models import Order, OrderStatus
from oms.services import shipment_voids
from oms.services.bulk.operations.base import Operation, Refusal


class Reopen(Operation):
    key = "reopen"
    label = _l("Order status: shipped → ready to ship")
    kinds = ("shipments",)

    def describe(self, session, options):
        return str(_l("Order status: shipped → ready to ship (the shipment is voided)"))

    def refusals(self, options):
        return [
            Refusal(Order.status != OrderStatus.shipped,
                    str(_l("Only shipped orders can be changed."))),
            Refusal(shipment_voids.reported(), str(shipment_voids.REPORTED)),
            Refusal(shipment_voids.captured(), str(shipment_voids.CAPTURED)),
        ]

    def plan(self, order, options, context):
        return {"reopen": OrderStatus.ready_to_ship.value}


OPERATIONS = [Reopen()]
