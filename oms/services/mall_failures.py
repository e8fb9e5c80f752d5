"""What could not be done with a mall's order, recorded on the shop's page with the mall's
id and the reason; and the checks that find a mall record that cannot be stored.

One bad record never blocks an import: every value is checked against its column before
anything is written (PostgreSQL refuses a NUL or an overlong string that SQLite would keep).
A record that cannot be stored is a failure with the mall's id and the reason.
"""

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from oms import labels
from oms.integrations.malls import MallOrder
from oms.models import MallSyncFailure
from oms.services.mall_rows import LINES, ORDERS, STATES, S, amounts, line_values, state_values
from oms.services.storable import problems, shown, text_problem

MALL_ID_LENGTH = ORDERS.c.mall_order_id.type.length
# The columns an imported order fills, named as the screens name them.
COLUMN_LABELS = {
    **labels.ORDER_FIELD,
    "mall_order_id": _l("Mall order ID"), "mall_status": _l("Status"),
    "mall_updated_at": _l("Updated at"), "ordered_at": _l("Ordered at"),
    "customer_comment": _l("Customer comment"), "subtotal": _l("Subtotal"),
    "shipping_fee": _l("Shipping fee"), "total": _l("Total"), "adjustment": _l("Adjustment"),
    "tax_8": _l("Tax 8%"), "tax_10": _l("Tax 10%"), "product_name": _l("Product"),
    "mall_product_code": _l("Product code"), "mall_option": _l("Option"),
    "quantity": _l("Quantity"), "unit_price": _l("Unit price"), "tax_rate": _l("Tax rate"),
    "line_no": _l("Line"),
}


def record_failure(session: Session, shop_id: int, mall_order_id: str | None, action: str,
                   message: str, *, order_id: int | None = None,
                   notification_id: int | None = None) -> None:
    """Record a failure; the mall's id and message as they can be stored and shown (a NUL
    escaped, an overlong id cut: the message quotes the whole of it)."""
    if mall_order_id is not None:
        mall_order_id = shown(mall_order_id, MALL_ID_LENGTH - 1)
    session.add(MallSyncFailure(shop_id=shop_id, mall_order_id=mall_order_id,
                                order_id=order_id, notification_id=notification_id,
                                action=action, message=shown(message, 2000)))


def unstorable(problem: str) -> str:
    return _("The order cannot be stored as the mall sent it: %(problem)s", problem=problem)


def id_problem(mall_order_id: str) -> str | None:
    problem = text_problem(mall_order_id, MALL_ID_LENGTH)
    return problem and unstorable(f"{COLUMN_LABELS['mall_order_id']}: {problem}")


def _problems(checks: list[tuple[sa.Table, list[dict], list[int]]]) -> dict[int, str]:
    """Index of each record with a value that cannot be stored -> why. Each check is a
    table, rows for it, and the record each row belongs to; the first problem counts."""
    found: dict[int, str] = {}
    for table, rows, owners in checks:
        for row_index, problem in problems(table, rows, COLUMN_LABELS).items():
            found.setdefault(owners[row_index], unstorable(problem))
    return found


def _lines_check(line_lists: list[list[dict]], owners: list[int]
                 ) -> tuple[sa.Table, list[dict], list[int]]:
    rows, line_owners = [], []
    for owner, lines in zip(owners, line_lists, strict=True):
        rows += lines
        line_owners += [owner] * len(lines)
    return LINES, rows, line_owners


def new_order_problems(prepared: list[tuple[MallOrder, dict, list[dict]]]) -> dict[int, str]:
    """The new orders (mall order, order row, line rows) that cannot be stored, and why."""
    every = list(range(len(prepared)))
    return _problems([
        (ORDERS, [row for _order, row, _lines in prepared], every),
        _lines_check([lines for _order, _row, lines in prepared], every),
        (STATES, [state_values(mall_order) for mall_order, _row, _lines in prepared], every),
    ])


def update_problems(items: list[tuple[MallOrder, bool]]) -> dict[int, str]:
    """What following the mall would write to known orders (mall order, whether its lines
    moved) that their columns cannot hold: the status at the mall, and the lines and the
    amounts when those moved."""
    moved = [index for index, (_order, lines) in enumerate(items) if lines]
    return _problems([
        (STATES, [state_values(mall_order) for mall_order, _lines in items],
         list(range(len(items)))),
        _lines_check([line_values(items[i][0], S.new) for i in moved], moved),
        (ORDERS, [amounts(items[i][0]) for i in moved], moved),
    ])
