"""What the demo orders are before any row is built: when each was placed, its status, its buyer.

Statuses come first and dates follow from them, so a small demo still shows every tab:
open statuses get as many orders as a shop of that size would hold there (a few hours or
days of work), with a floor so that even a few hundred orders fill each tab, and they are
placed in the last days; finished orders spread over two years of slowly growing sales.
"""

import random
from dataclasses import dataclass

from oms.demo.chance import Weighted
from oms.models import OrderStatus

S = OrderStatus
DAY = 86_400.0
HISTORY_DAYS = 730
JST = 9 * 3600

# Open statuses: about how many days of orders wait there, and the age (days) of one that
# waits there: mean of an exponential, and the cap.
OPEN = {
    S.pending_review: (0.2, 0.3, 3),
    S.awaiting_payment: (0.4, 1.5, 10),
    S.new: (0.6, 0.5, 4),
    S.awaiting_allocation: (0.4, 0.8, 8),
    S.ready_to_ship: (0.5, 0.6, 5),
    S.shipping: (0.4, 0.8, 5),
    S.shipped: (2.5, 2.5, 20),
    S.awaiting_deferred_payment: (1.2, 10, 60),
    S.on_hold: (None, 25, 365),  # a share of all orders instead: ON_HOLD_SHARE
}
# Share of all orders, and the youngest such order (days): the rest are completed.
SETTLED = {S.cancelled: (0.035, 0.5), S.closed: (0.012, 14)}
COMPLETED_MIN_AGE = 4
ON_HOLD_SHARE = 0.004

# Orders by hour of day (JST): lunch and the evening are busy, the night is quiet.
HOURLY = Weighted.of(range(24), (3, 2, 1, 1, 1, 1, 2, 3, 4, 5, 6, 7, 9, 8, 7, 7, 7, 7, 8, 9,
                                   11, 12, 10, 6))
REPEAT_REGULARS = 0.1  # share of repeat orders from the first 1% of customers


def status_counts(total: int) -> dict[OrderStatus, int]:
    """How many orders get each status; every status has at least one when total >= 12."""
    floor = max(1, min(25, total // 80))
    # Sales grow over the two years: today's rate is a third above the average.
    daily = total / HISTORY_DAYS * 4 / 3
    counts = {s: max(floor, round(days * daily)) for s, (days, _, _) in OPEN.items() if days}
    counts[S.on_hold] = max(floor, round(ON_HOLD_SHARE * total))
    counts.update({s: max(floor, round(share * total)) for s, (share, _) in SETTLED.items()})
    while counts and sum(counts.values()) > total - 1:  # tiny demos: shrink the biggest
        biggest = max(counts, key=counts.get)
        counts[biggest] -= 1
        if counts[biggest] == 0:
            del counts[biggest]
    counts[S.completed] = total - sum(counts.values())
    return {s: counts[s] for s in OrderStatus if counts.get(s)}


@dataclass
class Plan:
    """Per order, in order of placing (the ids follow it): time, status, customer."""

    times: list[float]  # ordered_at, seconds since the epoch
    statuses: list[OrderStatus]
    customers: list[int]  # index into the customer list
    prior_orders: bytearray  # how many orders that customer placed before (capped)
    first_orders: list[float]  # per customer: when they first ordered


def plan(rng: random.Random, total: int, now: float) -> Plan:
    pairs = []
    for status, count in status_counts(total).items():
        pairs.extend((now - _age(rng, status, now), status) for _ in range(count))
    pairs.sort(key=lambda pair: pair[0])
    customers, prior, first_orders = _assign_customers(rng, [t for t, _ in pairs])
    return Plan([t for t, _ in pairs], [s for _, s in pairs], customers, prior, first_orders)


def _age(rng: random.Random, status: OrderStatus, now: float) -> float:
    """Seconds between placing an order in this status and now."""
    if status in OPEN:
        _, mean, cap = OPEN[status]
        return 300 + min(rng.expovariate(1 / mean), cap) * DAY
    min_days = SETTLED[status][1] if status in SETTLED else COMPLETED_MIN_AGE
    while True:
        # Inverse of the distribution whose density grows linearly to twice its start.
        days = HISTORY_DAYS * (2 - (1 + 3 * rng.random()) ** 0.5)
        placed = now - days * DAY
        # Keep the day, move the time to a plausible hour of that day in Japan.
        midnight = (placed + JST) // DAY * DAY - JST
        hour = HOURLY.pick(rng)
        placed = midnight + hour * 3600 + rng.random() * 3600
        if now - placed >= min_days * DAY:
            return now - placed



def _assign_customers(rng: random.Random, times: list[float]
                      ) -> tuple[list[int], bytearray, list[float]]:
    """About one customer per three orders; every customer orders at least once, and some
    come back again and again (the earliest ones most, having had the longest time)."""
    total = len(times)
    wanted = max(1, round(total / 3)) if total else 0
    customers, prior, first_orders, placed = [], bytearray(total), [], []
    for i, placed_at in enumerate(times):
        made = len(first_orders)
        if made == 0 or rng.random() * (total - i) < wanted - made:
            index = made
            first_orders.append(placed_at)
            placed.append(0)
        elif rng.random() < REPEAT_REGULARS:
            index = rng.randrange(max(1, made // 100))
        else:
            index = rng.randrange(made)
        customers.append(index)
        prior[i] = min(placed[index], 255)
        placed[index] += 1
    return customers, prior, first_orders
