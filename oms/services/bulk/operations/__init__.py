"""The registry of bulk operations: every module of this package that defines OPERATIONS.

Adding an operation is adding a module here (see base.Operation for what it declares).
"""

import importlib
import pkgutil
from functools import cache

from oms.services.actor import Person
from oms.services.bulk.operations.base import Operation


@cache
def registry() -> dict[str, Operation]:
    found: dict[str, Operation] = {}
    for module_info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        for operation in getattr(module, "OPERATIONS", ()):
            assert operation.key not in found, f"two bulk operations named {operation.key}"
            found[operation.key] = operation
    return found


def get(key: str | None) -> Operation | None:
    return registry().get(key or "")


def allowed(operation: Operation, user: Person) -> bool:
    return user.is_admin or not operation.admin_only


def choices_for(user: Person, kind: str = "orders") -> list[Operation]:
    """The operations the wizard of a list (`kind`) offers this user, in ORDER's order."""
    listed = [op for op in registry().values()
              if op.listed and kind in op.kinds and allowed(op, user)]
    return sorted(listed, key=lambda op: ORDER.index(op.key) if op.key in ORDER else len(ORDER))


# Seed 004's table order, then 受注進捗区分 and the working flags; the payment checks
# (seed 001 一括更新) follow the status.
ORDER = [
    "status", "prepaid_payment", "deferred_payment", "paid_at", "card_payment",
    "deferred_reauthorize", "ship_report_again", "handling_status",
    "needs_attention", "shipping_hold", "tags",
    "customer_comment", "reply_to_customer", "remarks1", "remarks2", "linkage_text",
    # 出荷一覧 (seed 004) offers 配送関連日程, 注文ステータス and 配送方法, in this order.
    "shipping_dates", "reopen",
    # Seed 004's payment operations.
    "cod",
    "delivery", "ship_mail", "blacklist", "delete",
]
