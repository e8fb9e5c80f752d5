"""前払入金区分 (seed 001 §2 「前払決済の入金チェック」): record a bank transfer, postal transfer
or convenience-store payment as received (前払入金済), which lets the order leave 入金待ち."""

from flask_babel import lazy_gettext as _l

from oms.services.bulk.operations.payment_check import RecordPayment
from oms.services.payment_checks import PREPAID

OPERATIONS = [RecordPayment("prepaid_payment", _l("Prepaid payment"),
                            _l("Prepaid payment received"), PREPAID,
                            _l("Not a prepaid payment method"))]
