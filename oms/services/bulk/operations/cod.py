"""決済方法 (seed 004): switch orders whose credit check failed to cash on delivery, before
they ship (oms.services.cod_change)."""

from flask_babel import lazy_gettext as _l

from oms.models import Order, PaymentStatus
from oms.services import cod_change, payment_methods
from oms.services.bulk.fields import Refused
from oms.services.bulk.operations.base import Operation, Refusal


class SwitchToCod(Operation):
    key = "cod"
    label = _l("Payment method → cash on delivery")

    def describe(self, session, options):
        cod = payment_methods.cod_method(session)
        name = cod.name if cod else str(_l("Cash on delivery"))
        return str(_l("Payment method → %(method)s (the cash-on-delivery change mail follows)",
                      method=name))

    def refusals(self, options):
        return [
            Refusal(Order.status.in_(cod_change.SHIPPING_OR_LATER), str(cod_change.TOO_LATE)),
            Refusal(Order.payment_status != PaymentStatus.auth_failed,
                    str(cod_change.NOT_DECLINED)),
        ]

    def chunk_context(self, session, job_id, order_ids, options):
        return payment_methods.cod_method(session)

    def plan(self, order, options, context):
        if context is None:
            raise Refused(str(cod_change.NO_COD))
        return {"cod_method": context.id}


OPERATIONS = [SwitchToCod()]
