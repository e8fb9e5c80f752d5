"""The order's amounts from its own lines and fees (SCOPE X5): the one way to recompute an
order's totals, for every change that moves a fee or a line (the edit screen's ラッピング
and 支払方法, 決済方法 → 代引き; 追加注文, cancel, exchange later).

Prices are tax-excluded and taxed once per order per rate, rounded down, as on import. A
wrapping of ラッピング管理 has its fee excluding tax, taxed with the lines of its rate (M8,
A22); a wrapping the list does not know (a mall's text) and the other fees (shipping,
payment) include their tax. The adjustment and the points used stay as they were.
"""

from collections import defaultdict

import sqlalchemy as sa
from sqlalchemy.orm import Session

from oms.models import LineStatus, Order, Wrapping

# The order columns a recomputation reads besides its lines: changing one recomputes.
INPUTS = frozenset({"wrapping", "wrapping_fee", "shipping_fee", "payment_fee", "discount",
                    "adjustment", "points_used"})


def recomputed(session: Session, order: Order) -> dict[str, int]:
    """subtotal, tax_10, tax_8 and total as the order's lines and fees make them now."""
    taxed: dict[int, int] = defaultdict(int)
    for line in order.lines:
        if line.status is not LineStatus.cancelled:
            taxed[line.tax_rate] += line.amount
    subtotal = sum(taxed.values())
    if rate := wrapping_tax_rate(session, order.wrapping):
        taxed[rate] += order.wrapping_fee
    tax_10, tax_8 = taxed[10] * 10 // 100, taxed[8] * 8 // 100
    total = (subtotal - order.discount + order.shipping_fee + order.payment_fee
             + order.wrapping_fee + tax_10 + tax_8 + order.adjustment - order.points_used)
    return {"subtotal": subtotal, "tax_10": tax_10, "tax_8": tax_8, "total": total}


def wrapping_tax_rate(session: Session, name: str | None) -> int | None:
    """The rate at which a wrapping of ラッピング管理 is taxed; None for no wrapping or one
    the list does not know (its fee includes the tax)."""
    if not name:
        return None
    return session.scalar(sa.select(Wrapping.tax_rate).where(Wrapping.name == name))
