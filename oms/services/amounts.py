"""The order's amounts from its own lines and fees (SCOPE X5): one helper for every change
that moves a fee or a line (代引き change now; 追加注文, cancel, exchange, wrapping later).

Prices are tax-excluded and taxed once per order per rate, rounded down, as on import;
fees (shipping, payment, wrapping) include their tax; the adjustment and the points used
stay as they were.
"""

from collections import defaultdict

from oms.models import LineStatus, Order


def recomputed(order: Order) -> dict[str, int]:
    """subtotal, tax_10, tax_8 and total as the order's lines and fees make them now."""
    by_rate: dict[int, int] = defaultdict(int)
    for line in order.lines:
        if line.status is not LineStatus.cancelled:
            by_rate[line.tax_rate] += line.amount
    subtotal = sum(by_rate.values())
    tax_10, tax_8 = by_rate[10] * 10 // 100, by_rate[8] * 8 // 100
    total = (subtotal - order.discount + order.shipping_fee + order.payment_fee
             + order.wrapping_fee + tax_10 + tax_8 + order.adjustment - order.points_used)
    return {"subtotal": subtotal, "tax_10": tax_10, "tax_8": tax_8, "total": total}
