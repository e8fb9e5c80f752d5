"""後払入金区分 (seed 001 §6 「後払決済の入金チェック」): record a deferred payment (NP, GMO)
as received (後払入金済), which completes the order."""

from flask_babel import lazy_gettext as _l

from oms.services.bulk.operations.payment_check import RecordPayment
from oms.services.payment_checks import DEFERRED

OPERATIONS = [RecordPayment("deferred_payment", _l("Deferred payment"),
                            _l("Deferred payment received"), DEFERRED,
                            _l("Not a deferred payment method"))]
