"""Rows of the demo orders: the order, its lines, shipment, status history, tags, and its
allocation state with the stock promised to its lines (在庫引当).

Everything an order shows follows from its planned status: the dates it has reached, how
far its payment went, its lines' status, whether it has a parcel. Rows are plain tuples in
the column order of the *_COLUMNS constants, the form both the COPY and the insert writer take.
"""

import random
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime

from oms.demo import reference as ref
from oms.demo.chance import Weighted
from oms.demo.people import Customers, People
from oms.demo.plan import DAY, JST, Plan
from oms.models import (
    AllocationState,
    LineStatus,
    LinkResult,
    MallKind,
    OrderStatus,
    PaymentKind,
    PaymentStatus,
)
from oms.services import carriers as carrier_defaults

S, P, L, PS, M = OrderStatus, PaymentKind, LineStatus, PaymentStatus, MallKind
HOUR, MINUTE = 3600.0, 60.0

ORDER_COLUMNS = (
    "id", "order_number", "shop_id", "mall_order_id", "payment_number",
    # state
    "status", "auto_advance", "payment_status", "handling_status_id", "needs_attention",
    "attention_reason_id", "shipping_hold", "fraud_check", "fraud_check_reasons",
    "device", "client_ip",
    # buyer and recipient
    "customer_id", "buyer_name", "buyer_kana", "buyer_postcode", "buyer_prefecture",
    "buyer_address1", "buyer_address2", "buyer_phone", "buyer_email",
    "ship_name", "ship_kana", "ship_postcode", "ship_prefecture", "ship_address1",
    "ship_address2", "ship_phone", "destination_country",
    # money (OrderRows._amounts), then gift, payment and shipping
    "subtotal", "discount", "points_used", "wrapping", "wrapping_fee", "shipping_fee",
    "payment_fee", "tax_10", "tax_8", "adjustment", "total",
    "paid_total", "authorized_amount", "captured_amount", "points_to_grant", "points_granted",
    "gift_product", "gift_noshi", "gift_name_print", "gift_target_product", "gift_quantity",
    "payment_method_id", "installments", "transaction_id",
    "carrier", "delivery_method", "delivery_time_slot", "stock_location",
    "shipping_list_exported_at", "ship_mail_sent",
    # timeline
    "ordered_at", "reserved_at", "authorized_at", "captured_at", "paid_at",
    "scheduled_ship_date", "shipped_at", "ship_confirmed_at", "scheduled_delivery_date",
    "delivered_at", "voided_at", "cancelled_at", "updated_at",
    "remarks1", "customer_comment", "version",
    # 決済銀行 and 入金者 of a bank transfer
    "bank_account_id", "payer_name",
)
LINE_COLUMNS = ("id", "order_id", "line_no", "mall_product_code", "mall_option", "product_name",
                "sku_id", "link_result", "link_error", "quantity", "unit_price", "tax_rate",
                "status")
SHIPMENT_COLUMNS = ("id", "order_id", "carrier", "method", "tracking_number", "shipped_at",
                    "delivered_at", "created_at")
HISTORY_COLUMNS = ("id", "order_id", "from_status", "to_status", "via", "created_at")
ORDER_TAG_COLUMNS = ("order_id", "tag_id")
ORDER_LINK_COLUMNS = ("order_id", "result")
ORDER_ALLOCATION_COLUMNS = ("order_id", "state", "note")
ALLOCATION_COLUMNS = ("id", "order_id", "order_line_id", "sku_id", "location", "quantity",
                      "forced", "allocated_at")

# The workflow steps an order in each status has been through, in order (seed 001).
STEPS = ("paid", "confirmed", "allocated", "exported", "shipped", "ship_confirmed",
         "delivered", "settled")
REACHED = {
    S.pending_review: 0, S.awaiting_payment: 0, S.new: 1, S.awaiting_allocation: 2,
    S.ready_to_ship: 3, S.shipping: 4, S.shipped: 6, S.awaiting_deferred_payment: 6,
    S.completed: 8, S.closed: 8,
}
LINE_STATUS = {
    S.pending_review: L.awaiting_payment, S.awaiting_payment: L.awaiting_payment,
    S.new: L.preparing, S.awaiting_allocation: L.preparing, S.ready_to_ship: L.ready_to_ship,
    S.shipping: L.awaiting_pickup, S.shipped: L.in_transit,
    S.awaiting_deferred_payment: L.delivered, S.completed: L.delivered, S.closed: L.delivered,
    S.cancelled: L.cancelled,
}
HANDLING = {
    S.pending_review: "未対応", S.awaiting_payment: "未対応", S.new: "未対応",
    S.awaiting_allocation: "対応中", S.ready_to_ship: "対応中", S.shipping: "対応中",
    S.shipped: "発送完了", S.awaiting_deferred_payment: "発送完了", S.completed: "配送完了",
    S.on_hold: "保留中",
}
# Chance that an order in this status needs attention, and the reasons it may have.
ATTENTION = {
    S.pending_review: (0.35, (ref.CREDIT_NG, ref.CREDIT_NG, ref.ADDRESS_PROBLEM)),
    S.awaiting_payment: (0.05, (ref.REMARKS_CHECK,)),
    S.new: (0.25, (ref.ADDRESS_PROBLEM, ref.REMARKS_CHECK, ref.BUNDLE_CHECK)),
    S.awaiting_allocation: (0.35, (ref.OUT_OF_STOCK,)),
    S.ready_to_ship: (0.05, (ref.REMARKS_CHECK, ref.BUNDLE_CHECK)),
    S.on_hold: (0.6, (ref.REMARKS_CHECK, ref.ADDRESS_PROBLEM)),
}
RARE_ATTENTION = (0.005, (ref.REMARKS_CHECK,))
# Chance of a line whose mall code matched no SKU: mostly in orders not yet allocated, and
# never in those allocated and not yet shipped (a line without a SKU cannot be allocated).
LINK_FAILURE = {S.pending_review: 0.15, S.awaiting_payment: 0.15, S.new: 0.2,
                S.awaiting_allocation: 0.3, S.ready_to_ship: 0, S.shipping: 0, S.on_hold: 0.15,
                S.cancelled: 0.05}
# Orders whose lines hold stock (stock_allocations): allocated, and not yet shipped.
HOLDING_STOCK = frozenset({S.ready_to_ship, S.shipping})
LOCATION = "main"  # where the demo allocates from (every SKU has stock there)
BEFORE_SHIPPING = frozenset({S.pending_review, S.awaiting_payment, S.new,
                             S.awaiting_allocation, S.ready_to_ship})
HOLDABLE = frozenset({S.new, S.awaiting_allocation, S.ready_to_ship})
LINE_COUNT = Weighted.of((1, 2, 3, 4, 5), (55, 25, 12, 5, 3))
QUANTITY = Weighted.of((1, 2, 3, 4, 5), (76, 17, 5, 1, 1))
FREE_SHIPPING_FROM = 5000
REPEATER_FROM = 7  # earlier orders of the customer that earn the リピーター tag


@dataclass
class Ids:
    """Database ids of the reference rows the orders point to."""

    shops: dict[str, int]  # by shop code
    methods: dict[PaymentKind, tuple[int, int]]  # id and fee
    handling: dict[str, int]
    reasons: dict[str, int]
    tags: dict[str, int]
    skus: list[tuple[int, str, str | None, int, int]]  # id, name, option, price, tax rate
    sku_codes: dict[int, str]  # by id
    mall_codes: dict[MallKind, list[str]]  # per mall, aligned with skus
    bank_accounts: list[int]  # 銀行振込の口座設定, by position


@dataclass
class Chunk:
    orders: list[tuple]
    order_lines: list[tuple]
    shipments: list[tuple]
    status_history: list[tuple]
    order_tags: list[tuple]
    order_links: list[tuple]
    order_allocations: list[tuple]
    stock_allocations: list[tuple]


def _stamp(seconds: float | None) -> datetime | None:
    return None if seconds is None else datetime.fromtimestamp(seconds, UTC)


def _jst_date(seconds: float) -> date:
    return datetime.fromtimestamp(seconds + JST, UTC).date()


class OrderRows:
    def __init__(self, rng: random.Random, ids: Ids, people: People, customers: Customers,
                 plan: Plan, now: float):
        self.rng, self.ids, self.people, self.customers = rng, ids, people, customers
        self.plan, self.now = plan, now
        self.channels = {status: self._channels(status) for status in set(plan.statuses)}
        # Best sellers first: popularity follows a shuffled order of the catalogue.
        self.popular = rng.sample(range(len(ids.skus)), len(ids.skus))
        defaults = {c[0]: c for c in carrier_defaults.DEFAULTS}
        shares = [(defaults[code], share) for code, share in ref.CARRIER_SHARES]
        self.carriers = Weighted.of((c[1] for c, _ in shares), (s for _, s in shares))
        # name -> ([service names], [slot labels]), as the defaults hold them
        self.carrier_options = {c[1]: ([s[0] for s in c[12]], [t[0] for t in c[13]])
                                for c, _ in shares}
        self.next_order_number = 1_000_000_000 + rng.randrange(1_000_000)
        self.mall_seq = dict.fromkeys(ids.shops, 0)
        self.line_id = self.shipment_id = self.allocation_id = self.showcase = 0
        self.shown: set[str] = set()

    def _once(self, feature: str) -> bool:
        """True the first time only: even a small demo shows each feature at least once."""
        first = feature not in self.shown
        self.shown.add(feature)
        return first

    def _channels(self, status: OrderStatus) -> Weighted:
        """The (shop, mall kind, payment kind) an order in this status may have."""
        allowed = ref.STATUS_PAYMENTS.get(status)
        choices, weights = [], []
        for code, _, kind, auto_confirm, share in ref.SHOPS:
            # Amazon orders and an auto-confirming Qoo10 shop never wait in "new" (seed 000).
            if status is S.new and (kind is M.amazon or auto_confirm):
                continue
            mix = ref.PAYMENT_MIX[kind]
            for method, weight in mix.items():
                if allowed is None or method in allowed:
                    choices.append((code, kind, method))
                    weights.append(share * weight / sum(mix.values()))
        return Weighted.of(choices, weights)

    def chunks(self, size: int) -> Iterator[Chunk]:
        total = len(self.plan.times)
        for start in range(0, total, size):
            chunk = Chunk([], [], [], [], [], [], [], [])
            for index in range(start, min(start + size, total)):
                self._order(index, chunk)
            yield chunk

    def _order(self, index: int, out: Chunk) -> None:
        rng, ids, plan = self.rng, self.ids, self.plan
        order_id = index + 1
        status, ordered = plan.statuses[index], plan.times[index]
        channels = self.channels[status]
        if status is S.completed and self.showcase < len(channels.items):
            # The oldest completed orders go through every shop and method once, so even a
            # small demo has each of them.
            shop, mall, kind = channels.items[self.showcase]
            self.showcase += 1
        else:
            shop, mall, kind = channels.pick(rng)
        method_id, method_fee = ids.methods[kind]
        customer = plan.customers[index]
        buyer = self.customers.buyers[customer]
        recipient = self.customers.recipients[customer]
        country = "JP"

        # --- what happened to it
        once = self._once
        hold_after_shipping = status is S.on_hold and rng.random() < 0.5
        attention_chance, reasons = ATTENTION.get(status, RARE_ATTENTION)
        reason = None
        if rng.random() < attention_chance or (status is S.on_hold and once("attention")):
            reason = rng.choice(reasons)
        # Even a small demo shows both reasons an order waits for allocation: the first
        # such order an item link failure, the next a stock shortage.
        waiting = status is S.awaiting_allocation
        unlinked_showcase = waiting and once("link failure")
        short = waiting and not unlinked_showcase and once("stock shortage")
        fails = unlinked_showcase or (rng.random() < LINK_FAILURE.get(status, 0.003)
                                      and not short)
        if fails and (status in BEFORE_SHIPPING or status is S.on_hold):
            reason = ref.UNLINKED
        credit_ng = reason == ref.CREDIT_NG and status is S.pending_review
        unlinked = (status in (S.pending_review, S.awaiting_payment) and not fails
                    and rng.random() < 0.1)
        held = ((status in HOLDABLE or (status is S.on_hold and not hold_after_shipping))
                and (once("shipping hold") or rng.random() < 0.1))
        gift = once("gift") or rng.random() < 0.03
        preorder = rng.random() < 0.015
        if gift:
            recipient = self.people.party()
        if (mall in (M.own, M.qoo10) and kind is not P.cod
                and (once("abroad") or rng.random() < 0.03)):
            recipient, country = self.people.abroad(self.customers.romans[customer])
        when = self._timeline(status, kind, mall, ordered, country != "JP", hold_after_shipping)

        # --- lines and money
        line_status = LINE_STATUS.get(status, L.preparing)
        if hold_after_shipping or "delivered" in when:
            line_status = L.delivered
        elif held and line_status in (L.preparing, L.ready_to_ship):
            line_status = L.shipping_held
        first_line = len(out.order_lines)
        sum10, sum8 = self._lines(order_id, mall, fails, unlinked, line_status, out.order_lines)
        # A gift is for the first product ordered (seed 002 ギフト情報: 対象商品, 数量).
        gift_for = (dict(zip(LINE_COLUMNS, out.order_lines[first_line], strict=True))
                    if gift else None)
        money = self._amounts(sum10, sum8, mall, kind, method_fee, gift, country,
                              recipient[3] in ref.REMOTE_PREFECTURES)
        subtotal, total = money[0], money[-1]
        comment = (rng.choice(ref.CUSTOMER_COMMENTS)
                   if reason == ref.REMARKS_CHECK or rng.random() < 0.05 else None)

        # --- dates and payment
        payment = _payment_status(kind, status, when, credit_ng)
        gateway_card = mall is M.own and kind is P.card
        shipped = when.get("shipped")
        delivered = when.get("delivered")
        updated = max(when.values()) if when else ordered + rng.uniform(30, 300)
        carrier = "日本郵便" if country != "JP" else self.carriers.pick(rng)
        methods, slots = self.carrier_options[carrier]
        delivery_method = rng.choice(methods) if country == "JP" else None
        if "exported" in when:
            self._shipment(order_id, carrier, delivery_method, when, out.shipments)
        completed = status is S.completed
        points_to_grant = subtotal // 100 if kind is not P.zero_yen else 0

        handling = HANDLING.get(status)
        if status is S.awaiting_deferred_payment and delivered:
            handling = "配送完了"
        seq = self.mall_seq[shop] = self.mall_seq[shop] + 1
        self.next_order_number += 1 + (rng.random() < 0.3)
        name = buyer[0]
        out.orders.append((
            order_id, str(self.next_order_number), ids.shops[shop],
            _mall_order_id(rng, mall, seq, ordered),
            f"{rng.randrange(10**11):011d}" if kind is P.prepaid_konbini else None,
            # A manual change turns automatic advance off (seed 001): all held orders, a few more.
            status.value, status is not S.on_hold and rng.random() > 0.03, payment.value,
            ids.handling[handling] if handling else None, reason is not None,
            ids.reasons[reason] if reason else None, held,
            ("NG" if credit_ng else "OK") if mall is M.own and kind in (P.card, *ref.DEFERRED)
            else None,
            "住所と電話番号の地域が一致しません" if credit_ng and mall is M.own else None,
            rng.choice(("pc", "smartphone", "smartphone", "tablet")) if mall is M.own else None,
            # TEST-NET-3: documentation addresses, never a real visitor's.
            f"203.0.113.{rng.randrange(1, 255)}" if mall is M.own else None,
            customer + 1, *buyer, *recipient, country,
            *money, total if payment in (PS.captured, PS.paid) else 0,
            # What our card gateway holds (a mall's card payment is the mall's).
            total if gateway_card and payment in (PS.authorized, PS.captured, PS.refunded)
            else 0,
            total if gateway_card and payment in (PS.captured, PS.refunded) else 0,
            points_to_grant, points_to_grant if completed else 0,
            "メッセージカード" if gift and rng.random() < 0.3 else None,
            rng.choice(ref.NOSHI) if gift else None, name.split()[0] if gift else None,
            gift_for and gift_for["product_name"], gift_for and gift_for["quantity"],
            method_id, (1 if rng.random() < 0.9 else rng.choice((3, 6, 10, 12)))
            if kind is P.card else None,
            f"{rng.getrandbits(128):032x}" if kind is P.card and "paid" in when else None,
            carrier, delivery_method,
            rng.choice(slots) if country == "JP" and rng.random() < 0.25 else None,
            "main" if "allocated" in when else None,
            _stamp(when.get("exported")), shipped is not None and rng.random() < 0.98,
            _stamp(ordered), _stamp(ordered) if preorder else None,
            _stamp(when.get("paid")) if kind in (P.card, *ref.DEFERRED) else None,
            _stamp(when.get("settled")) if kind is P.card else None,
            _stamp(_paid_at(kind, when, payment)),
            _jst_date(when.get("shipped") or ordered + 2 * DAY) if "allocated" in when else None,
            _stamp(shipped), _stamp(when.get("ship_confirmed")),
            _jst_date(ordered + rng.randint(3, 7) * DAY) if rng.random() < 0.15 else None,
            _stamp(delivered),
            _stamp(when.get("cancelled")) if payment is PS.voided else None,
            _stamp(when.get("cancelled")), _stamp(updated),
            rng.choice(ref.REMARKS) if rng.random() < 0.03 else None,
            comment, 1,
            *self._paying_bank(order_id, kind, payment, buyer),
        ))
        self._allocation(order_id, status, when, out.order_lines[first_line:], out, short)
        if not unlinked:
            out.order_links.append((order_id, (LinkResult.fail if fails else LinkResult.ok).value))
        # The seed "imported" each order in its current status.
        out.status_history.append((order_id, order_id, None, status.value, "import",
                                   _stamp(updated)))
        self._tags(order_id, plan.prior_orders[index], gift, preorder, reason, out.order_tags)

    def _allocation(self, order_id: int, status: OrderStatus, when: dict[str, float],
                    rows: list[tuple], out: Chunk, short: bool) -> None:
        """The order's allocation state and note, and the stock its lines hold: orders
        waiting to ship hold all of theirs; those waiting for allocation say why (a third
        have not been tried yet: allocation can be manual; `short` is always short of
        stock). Others have no row (none)."""
        if status not in HOLDING_STOCK and status is not S.awaiting_allocation:
            return
        lines = [dict(zip(LINE_COLUMNS, row, strict=True)) for row in rows]
        if status in HOLDING_STOCK:
            for line in lines:
                self.allocation_id += 1
                out.stock_allocations.append((
                    self.allocation_id, order_id, line["id"], line["sku_id"], LOCATION,
                    line["quantity"], False, _stamp(when["allocated"])))
            out.order_allocations.append((order_id, AllocationState.allocated.value, None))
            return
        failed = [line["mall_product_code"] for line in lines
                  if line["link_result"] == LinkResult.fail.value]
        if failed:
            note = f"商品が登録されていません (アイテム紐づけFAIL: {failed[0]})"
        elif short or order_id % 3:
            sku, needed = self.ids.sku_codes[lines[0]["sku_id"]], lines[0]["quantity"]
            note = f"在庫不足: {sku} 必要{needed} / 引当可能{order_id % needed}"
        else:
            return
        out.order_allocations.append((order_id, AllocationState.none.value, note))

    def _paying_bank(self, order_id: int, kind: PaymentKind, payment: PaymentStatus,
                     buyer: tuple) -> tuple[int | None, str | None]:
        """決済銀行 and 入金者 of a bank transfer that arrived: the buyer, in kana."""
        if kind is not P.prepaid_bank or payment is not PS.paid:
            return None, None
        accounts = self.ids.bank_accounts
        return accounts[order_id % len(accounts)], buyer[1]

    def _tags(self, order_id: int, prior_orders: int, gift: bool, preorder: bool,
              reason: str | None, out: list[tuple]) -> None:
        """Labels that say what the order is: most follow from its data."""
        tags, rng = self.ids.tags, self.rng
        if prior_orders >= REPEATER_FROM:
            out.append((order_id, tags[ref.REPEATER]))
        if gift:
            out.append((order_id, tags[ref.GIFT]))
        if preorder:
            out.append((order_id, tags[ref.PREORDER]))
        if reason == ref.BUNDLE_CHECK or rng.random() < 0.01:
            out.append((order_id, tags[ref.BUNDLE]))
        if reason and rng.random() < 0.4:
            out.append((order_id, tags[ref.CHECK]))

    def _amounts(self, sum10: int, sum8: int, mall: MallKind, kind: PaymentKind, fee: int,
                 gift: bool, country: str, remote: bool) -> tuple[int, ...]:
        """subtotal, discount, points_used, wrapping, wrapping_fee, shipping_fee, payment_fee,
        tax_10, tax_8, adjustment, total: prices and the wrapping's fee exclude tax, the
        other fees include it."""
        rng = self.rng
        subtotal = sum10 + sum8
        # ラッピング管理's fee excludes tax (a free sample comes unwrapped); tax is rounded
        # down once per order and rate, the wrapping's at 10%.
        wrapping_fee = ref.WRAPPING_FEE if gift and kind is not P.zero_yen else 0
        tax_10, tax_8 = (sum10 + wrapping_fee) * 10 // 100, sum8 * 8 // 100
        discount = min(subtotal, rng.choice((300, 500, 1000))) if rng.random() < 0.08 else 0
        if country != "JP":
            shipping_fee = 2500
        elif subtotal >= FREE_SHIPPING_FROM:
            shipping_fee = 0
        else:
            shipping_fee = 1100 if remote else 550
        payment_fee = fee + (110 if kind is P.cod and subtotal >= 10_000 else 0)
        adjustment = rng.choice((-300, -100, 200)) if rng.random() < 0.01 else 0
        points_used = 0
        if kind is P.zero_yen:  # a free sample: a coupon covers everything
            discount, shipping_fee, payment_fee, wrapping_fee, adjustment = (
                subtotal + tax_10 + tax_8, 0, 0, 0, 0)
        elif mall is not M.own and rng.random() < 0.12:
            points_used = min(rng.randint(1, 1000), subtotal - discount)
        payable = (subtotal - discount + shipping_fee + payment_fee + wrapping_fee + tax_10
                   + tax_8 + adjustment)
        if payable < 0:  # a correction never makes the buyer owe less than nothing
            adjustment, payable = adjustment - payable, 0
        if kind is P.points:
            points_used = payable
        return (subtotal, discount, points_used, ref.WRAPPING if wrapping_fee else None,
                wrapping_fee, shipping_fee, payment_fee, tax_10, tax_8, adjustment,
                payable - points_used)

    def _lines(self, order_id: int, mall: MallKind, fails: bool, unlinked: bool,
               status: LineStatus, out: list[tuple]) -> tuple[int, int]:
        """Append the lines; return the amounts at 10% and at 8%."""
        rng, skus, popular = self.rng, self.ids.skus, self.popular
        codes = self.ids.mall_codes[mall]
        count = LINE_COUNT.pick(rng)
        picked: list[int] = []
        while len(picked) < count:
            sku = popular[int(len(popular) * rng.random() ** 2)]
            if sku not in picked:
                picked.append(sku)
        sums = [0, 0]
        # Malls with variation options name the product and the option apart.
        options = mall in (M.rakuten, M.yahoo, M.qoo10)
        for line_no, sku in enumerate(picked, 1):
            sku_id, name, option, price, tax_rate = skus[sku]
            quantity = QUANTITY.pick(rng)
            code, result, error = codes[sku], LinkResult.ok.value, None
            if unlinked:
                sku_id, result = None, None
            elif fails and line_no == count:
                # A code the catalogue does not know: a retired item number or a mall-only set.
                code, name = rng.choice(((f"{code}-old", f"{name}【旧品番】"),
                                         (f"set-{code}", f"【セット】{name}")))
                sku_id, result, error = None, LinkResult.fail.value, ref.LINK_ERROR
            self.line_id += 1
            out.append((self.line_id, order_id, line_no, code, option if options else None, name,
                        sku_id, result, error, quantity, price, tax_rate, status.value))
            sums[tax_rate == 8] += quantity * price
        return sums[0], sums[1]

    def _timeline(self, status: OrderStatus, kind: PaymentKind, mall: MallKind,
                  ordered: float, abroad: bool, hold_after_shipping: bool) -> dict[str, float]:
        """When each workflow step happened, squeezed to fit between ordering and now."""
        rng = self.rng
        reached = REACHED.get(status, 0)
        extra = None
        if status is S.on_hold:
            reached, extra = (8 if hold_after_shipping else 2), "held"
        elif status is S.closed:
            extra = "returned"
        elif status is S.cancelled:
            # Unpaid prepayments expire after a week; others are cancelled on request.
            reached = 0 if kind in ref.PREPAID else rng.randint(1, 3)
            extra = "cancelled"
        delays = {
            "paid": _payment_delay(rng, kind),
            "confirmed": rng.uniform(MINUTE, 10 * MINUTE)
            if mall in (M.amazon, M.qoo10) else rng.uniform(10 * MINUTE, 20 * HOUR),
            "allocated": rng.uniform(MINUTE, 6 * HOUR),
            "exported": rng.uniform(HOUR, 36 * HOUR),
            "shipped": rng.uniform(HOUR, 8 * HOUR),
            "ship_confirmed": rng.uniform(10 * MINUTE, 3 * HOUR),
            "delivered": rng.uniform(4 * DAY, 10 * DAY) if abroad
            else rng.uniform(12 * HOUR, 3 * DAY),
        }
        when, at = {}, ordered
        for step in STEPS[: min(reached, 7)]:
            if delays[step] is not None:
                at += delays[step]
                when[step] = at
        optional_delivery = None
        if reached == 6:  # shipped: the parcel may or may not have arrived yet
            optional_delivery = at + delays["delivered"]
        if reached == 8:
            when["settled"] = _settled(rng, kind, when)
        if extra == "cancelled":
            when[extra] = at + (rng.uniform(7 * DAY, 8 * DAY) if kind in ref.PREPAID
                                else rng.uniform(10 * MINUTE, 2 * DAY))
        elif extra:
            when[extra] = max(when.values(), default=at) + rng.uniform(HOUR, 10 * DAY)
        # The latest step happened a little before now, not all at the same instant.
        room = (self.now - ordered) * rng.uniform(0.7, 0.98)
        last = max(when.values(), default=ordered) - ordered
        if last > room:
            scale = room / last
            when = {step: ordered + (at - ordered) * scale for step, at in when.items()}
        elif optional_delivery is not None and optional_delivery - ordered <= room:
            when["delivered"] = optional_delivery
        return when

    def _shipment(self, order_id: int, carrier: str, method: str | None, when: dict[str, float],
                  out: list[tuple]) -> None:
        """One parcel, labelled when the shipping instruction was exported."""
        self.shipment_id += 1
        out.append((self.shipment_id, order_id, carrier, method,
                    _tracking_number(self.shipment_id), _stamp(when.get("shipped")),
                    _stamp(when.get("delivered")), _stamp(when["exported"])))


def _payment_delay(rng: random.Random, kind: PaymentKind) -> float | None:
    """From ordering to the payment being secured; None where nothing happens then."""
    if kind is P.card:
        return rng.uniform(30, 5 * MINUTE)
    if kind in ref.DEFERRED:
        return rng.uniform(5 * MINUTE, 4 * HOUR)
    if kind in ref.PREPAID:
        return rng.uniform(HOUR, 3 * DAY)
    if kind is P.points:
        return rng.uniform(5, 30)
    return None


def _settled(rng: random.Random, kind: PaymentKind, when: dict[str, float]) -> float:
    """When the money was finally in: card capture soon after shipping, cash on delivery at
    the door, deferred payment when the buyer paid the invoice."""
    if kind is P.card:
        return when["ship_confirmed"] + rng.uniform(MINUTE, 12 * HOUR)
    if kind in ref.DEFERRED:
        return when["delivered"] + rng.uniform(5 * DAY, 25 * DAY)
    return when["delivered"]


def _paid_at(kind: PaymentKind, when: dict[str, float], payment: PaymentStatus) -> float | None:
    """When the buyer's money arrived, for the methods where the buyer pays us directly."""
    if payment not in (PS.paid, PS.refunded):
        return None
    if kind in ref.PREPAID or kind is P.points:
        return when.get("paid")
    if kind in ref.DEFERRED or kind is P.cod:
        return when.get("settled")
    return None


def _payment_status(kind: PaymentKind, status: OrderStatus, when: dict[str, float],
                    credit_ng: bool) -> PaymentStatus:
    if kind is P.zero_yen:
        return PS.voided if status is S.cancelled else PS.not_required
    if status is S.cancelled:
        return PS.voided
    if status is S.closed:
        return PS.refunded
    if credit_ng:
        return PS.auth_failed
    settled = "settled" in when
    if kind is P.card:
        return PS.captured if settled else PS.authorized if "paid" in when else PS.unpaid
    if kind in ref.DEFERRED:
        return PS.paid if settled else PS.deferred_approved if "paid" in when else PS.unpaid
    if kind is P.cod:
        return PS.paid if settled else PS.unpaid
    return PS.paid if "paid" in when else PS.unpaid


def _mall_order_id(rng: random.Random, mall: MallKind, seq: int, ordered: float) -> str:
    """Order ids shaped like each mall's; unique per shop because they embed the sequence."""
    if mall is M.amazon:  # 3-7-7 digits
        return f"{rng.choice((249, 250, 503))}-{rng.randrange(10**7):07d}-{seq * 7919 % 10**7:07d}"
    if mall is M.rakuten:  # shop number, date, running number
        day = time.strftime("%Y%m%d", time.gmtime(ordered + JST))
        return f"298176-{day}-{1_000_000_000 + seq * 7:010d}"
    if mall is M.yahoo:
        return f"oms-demo-{10_000_000 + seq}"
    if mall is M.qoo10:
        return f"{400_000_000 + seq * 13 % 500_000_000}"
    day = time.strftime("%Y%m%d", time.gmtime(ordered + JST))
    return f"{day}-{seq:06d}"


def _tracking_number(shipment_id: int) -> str:
    """12 digits: 11 scrambled from the shipment id (unique, as the prime factor is coprime
    to the modulus) and a mod-7 check digit, as Yamato and Sagawa print them."""
    body = 10**10 + (3_141_592_653 + shipment_id * 2_654_435_761) % (9 * 10**10)
    return f"{body}{body % 7}"

