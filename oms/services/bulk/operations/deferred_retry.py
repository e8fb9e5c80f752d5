"""一括再与信 and 一括再出荷報告 (seed 004; SCOPE P4 G9, G12): deferred payments (NP, GMO)
sent to the provider again with the next file.

* 一括再与信: 与信NG orders awaiting confirmation start their registration again
  (oms.services.deferred.reregistration) and appear, flagged, in the next 取引登録 export.
  NP re-authorises only the NG999 verdict (seed 004); GMO's NG may be sent again. The
  other providers seed 004 names (DSK, スコア, サブスク後払いECO) are not modelled and are
  refused by name.
* 一括再出荷報告: orders whose 出荷報告 came back NG are pending again, so the next 配送伝票
  export carries them (NP, NP wiz and GMO).
"""

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from oms.models import (
    Order,
    OrderStatus,
    PaymentKind,
    PaymentMethod,
    PaymentStatus,
    ShipReportState,
    TargetState,
)
from oms.services.bulk.operations.base import Operation, Refusal

DEFERRED = (PaymentKind.deferred_np, PaymentKind.deferred_gmo)
NP_REAUTHORIZABLE = "NG999"


def _paid_with(*kinds: PaymentKind) -> sa.ColumnElement[bool]:
    return Order.payment_method_id.in_(sa.select(PaymentMethod.id)
                                       .where(PaymentMethod.kind.in_(kinds)))


def _not_deferred() -> Refusal:
    return Refusal(~_paid_with(*DEFERRED), str(_l(
        "Only NP and GMO deferred payments can be sent again (DSK, Score and Subscription "
        "deferred ECO are not supported).")))


class ReauthorizeDeferred(Operation):
    key = "deferred_reauthorize"
    label = _l("Bulk re-authorization (deferred payment)")

    def refusals(self, options):
        return [
            _not_deferred(),
            Refusal(Order.payment_status != PaymentStatus.auth_failed,
                    str(_l("The credit check is not NG."))),
            Refusal(_paid_with(PaymentKind.deferred_np)
                    & sa.func.coalesce(Order.deferred_reason, "").op("<>")(NP_REAUTHORIZABLE),
                    str(_l("NP re-authorization is only for orders with NG999."))),
            Refusal(Order.status != OrderStatus.pending_review,
                    str(_l("Only an order awaiting confirmation can be registered again."))),
        ]

    def plan(self, order, options, context):
        return {"deferred_reregister": PaymentStatus.unpaid.value}


class ReportShipmentAgain(Operation):
    key = "ship_report_again"
    label = _l("Bulk shipment report again (deferred payment)")

    def refusals(self, options):
        return [
            _not_deferred(),
            Refusal(Order.ship_report_state == ShipReportState.pending,
                    str(_l("Already waiting to be reported.")), TargetState.skipped),
            Refusal(Order.ship_report_state != ShipReportState.ng,
                    str(_l("The shipment report is not NG."))),
        ]

    def plan(self, order, options, context):
        return {"ship_report_state": ShipReportState.pending.value}


OPERATIONS = [ReauthorizeDeferred(), ReportShipmentAgain()]
