"""Each sandbox mall kind's native statuses, order ids and rules for seller and buyer events.

Statuses are the malls' own (FORMATS.md 2, 3, 9, 10): Amazon's v0 OrderStatus names,
Rakuten's orderProgress codes, Qoo10's ShippingStat codes plus its claim states, and
Yahoo's OrderStatus-ShipStatus pairs. A buyer's cancel request is a flag on Amazon
(`BuyerRequestedCancel`) but a status everywhere else.
"""

import time
from dataclasses import dataclass, field
from typing import Any

# event -> {from status: (to status, flag to set or None)}
Transitions = dict[str, dict[str, tuple[str, str | None]]]


@dataclass(frozen=True)
class Kind:
    name: str
    statuses: tuple[str, ...]
    transitions: Transitions
    # The first status of an order paid at once / not paid yet.
    paid_status: str
    unpaid_status: str
    buyer_events: tuple[str, ...] = ("pay", "cancel_request")
    id_format: str = "{seq}"
    max_lines: int = 3
    extra: dict[str, Any] = field(default_factory=dict)

    def first_status(self, payment: str) -> str:
        return self.unpaid_status if payment == "konbini" else self.paid_status

    def order_id(self, seq: int, now: float) -> str:
        day = time.strftime("%Y%m%d", time.gmtime(now + 9 * 3600))
        return self.id_format.format(seq=seq, day=day, a=seq * 7919 % 10**7)

    def events_from(self, event: str) -> list[tuple[str, tuple[str, str | None]]]:
        return list(self.transitions.get(event, {}).items())

    def apply(self, order, event: str, details: dict[str, Any]) -> bool:
        """Change the order; False when the event changes nothing (a repeated call).

        Raises SandboxError when the order's status does not allow the event."""
        from oms.sandbox.store import SandboxError

        rule = self.transitions.get(event)
        if rule is None:
            raise SandboxError(f"{event} is not possible at this mall")
        if order.status not in rule:
            if any(to == order.status and flag is None for to, flag in rule.values()):
                if event == "ship":  # another parcel of a shipped order: one more row
                    _add_tracking(order.doc, details)
                    return True
                return False  # already there
            raise SandboxError(f"order {order.order_id} is {order.status}: cannot {event}", 409)
        to, flag = rule[order.status]
        if flag:
            if order.doc["flags"].get(flag):
                return False
            order.doc["flags"][flag] = True
        order.status = to
        if event == "ship":
            _add_tracking(order.doc, details)
        if event == "cancel":
            order.doc["flags"]["cancel_reason"] = details.get("reason") or "seller"
        return True


def _add_tracking(doc: dict[str, Any], details: dict[str, Any]) -> None:
    """Every shipping call adds a row, as the malls do: a call sent twice shows twice."""
    doc["tracking"].append({
        "carrier": details.get("carrier") or "", "name": details.get("name"),
        "number": details.get("number") or "",
        "date": details.get("date") or time.strftime("%Y-%m-%d")})


def _table(pairs: dict[str, tuple[tuple[str, ...], str, str | None]]) -> Transitions:
    return {event: dict.fromkeys(sources, (to, flag))
            for event, (sources, to, flag) in pairs.items()}


AMAZON = Kind(
    name="amazon",
    statuses=("PendingAvailability", "Pending", "Unshipped", "PartiallyShipped", "Shipped",
              "InvoiceUnconfirmed", "Canceled", "Unfulfillable"),
    # Amazon has no separate "new": an authorised order is Unshipped at once (seed 000).
    transitions=_table({
        "pay": (("Pending",), "Unshipped", None),
        "ship": (("Unshipped", "PartiallyShipped"), "Shipped", None),
        "cancel": (("Pending", "Unshipped"), "Canceled", None),
        "cancel_request": (("Unshipped",), "Unshipped", "BuyerRequestedCancel"),
    }),
    paid_status="Unshipped",
    unpaid_status="Pending",
    id_format="249-{a:07d}-{seq:07d}",
)

RAKUTEN = Kind(
    name="rakuten",
    statuses=("100", "200", "300", "400", "500", "600", "700", "800", "900"),
    transitions=_table({
        "pay": (("200",), "100", None),
        "confirm": (("100",), "300", None),
        "ship": (("300",), "500", None),
        "cancel": (("100", "200", "300", "800"), "900", None),
        "cancel_request": (("100", "300"), "800", None),
        "return_request": (("500",), "400", None),
        "complete": (("500",), "700", None),
    }),
    paid_status="100",
    unpaid_status="200",
    buyer_events=("pay", "cancel_request", "return_request"),
    id_format="298176-{day}-{seq:010d}",
)

QOO10 = Kind(
    name="qoo10",
    # ShippingStat 1-5, and the claim states GetClaimInfo would report.
    statuses=("1", "2", "3", "4", "5", "CancelRequest", "Cancelled", "ReturnRequest", "Returned"),
    transitions=_table({
        "pay": (("1",), "2", None),
        "confirm": (("2",), "3", None),
        "ship": (("2", "3"), "4", None),
        "deliver": (("4",), "5", None),
        "cancel": (("1", "2", "3", "CancelRequest"), "Cancelled", None),
        "cancel_request": (("2", "3"), "CancelRequest", None),
        "return_request": (("4", "5"), "ReturnRequest", None),
    }),
    paid_status="2",
    unpaid_status="1",
    buyer_events=("pay", "cancel_request", "return_request"),
    id_format="{seq:09d}",
    max_lines=1,  # a Qoo10 order number carries one item
)

YAHOO = Kind(
    name="yahoo",
    # OrderStatus (1 予約中, 2 処理中, 3 保留, 4 キャンセル, 5 完了) with, while 処理中,
    # the ShipStatus (0 出荷不可, 1 出荷可, 2 出荷処理中, 3 出荷完了); "2-new" = not yet seen.
    statuses=("1", "2-new", "2-0", "2-1", "2-2", "2-3", "3", "4", "5"),
    transitions=_table({
        "pay": (("2-0",), "2-new", None),
        "confirm": (("2-new",), "2-1", None),
        "ship": (("2-1", "2-2"), "2-3", None),
        "complete": (("2-3",), "5", None),
        "cancel": (("1", "2-new", "2-0", "2-1", "2-2", "3"), "4", None),
        "cancel_request": (("2-new", "2-0", "2-1"), "3", None),
        "return_request": (("2-3", "5"), "3", None),
    }),
    paid_status="2-new",
    unpaid_status="2-0",
    buyer_events=("pay", "cancel_request", "return_request"),
    id_format="oms-sandbox-{seq:08d}",
)

KINDS = {k.name: k for k in (AMAZON, RAKUTEN, QOO10, YAHOO)}
