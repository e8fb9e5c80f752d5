"""後払い exports (seed 001 §1 「確認待ち」, §5 「出荷済」; SCOPE P4 G7, G11): NP / GMO
取引登録 from 確認待ち, and 配送伝票 from 出荷済, for a selection of orders.

`decide` is the one rule, used alike by the preview and by the job that writes the file
(oms.services.deferred_export_step):

* 取引登録 (G7): 確認待ち orders paying with the provider's method and not registered
  (決済状況 未入金: an NG order comes back through 一括再与信), with the buyer's and
  destination's name, postcode, address and phone, names CP932 can write, and goods lines
  adding up to the total. An order registered before (一括再与信) is flagged.
* 配送伝票 (G11): 出荷済 orders paying with the provider's method, credit approved (the
  provider's transaction id known), a parcel with a tracking number and its shipped date
  (else seed 002's sentence), a carrier with the provider's code, not reported already
  (出荷報告 済, or sent and its result not in yet).
"""

from collections.abc import Iterator
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session, selectinload

from oms import labels
from oms.models import (
    DeferredFile,
    Gateway,
    Notification,
    Order,
    OrderStatus,
    PaymentKind,
    PaymentStatus,
    PaymentTransaction,
    ShipReportState,
    TargetState,
    TransactionKind,
    TransactionState,
)
from oms.services import carriers, jobs
from oms.services.actor import Person
from oms.services.deferred_files import LAYOUTS, Layout, credit_rows, encoded, goods
from oms.services.marketplace_jobs import freeze
from oms.services.sql_rows import one_of

KIND = "deferred_export"
CHUNK = 1000
SAMPLE_ROWS = 5
NAMED_PER_REASON = 50
KINDS = {Gateway.np: PaymentKind.deferred_np, Gateway.gmo: PaymentKind.deferred_gmo}
SLIP_SENTENCE = "後払いで実売上を立てる場合は、配送伝票番号と発送完了日の登録が必要です。"
SLIP_NO_LENGTH = 20
REASONS = {
    "method": _l("Another payment method"),
    "status": _l("Not in the right status"),
    "registered": _l("Already registered"),
    "missing": _l("Missing field"),
    "amount": _l("Goods lines do not add up"),
    "characters": _l("Characters outside Shift_JIS"),
    "credit": _l("Credit not approved"),
    "slip": _l("No tracking number or shipped date"),
    "carrier": _l("No carrier code"),
    "reported": _l("Already reported"),
}


def provider_name(gateway: Gateway) -> str:
    return "NP後払い" if gateway is Gateway.np else "GMO後払い"


@dataclass(frozen=True)
class Choice:
    gateway: Gateway
    file: DeferredFile

    @property
    def layout(self) -> Layout:
        return LAYOUTS[self.gateway, self.file]

    def params(self) -> dict:
        return {"gateway": self.gateway.value, "file": self.file.value}

    @classmethod
    def from_params(cls, params: dict) -> "Choice":
        return cls(Gateway(params["gateway"]), DeferredFile(params["file"]))


@dataclass
class Decision:
    """One order: its file rows and the ledger's amount, or why it is refused;
    `again`: registered before (一括再与信)."""

    order_id: int
    order_number: str
    rows: list[list] | None = None
    amount: int = 0
    problems: list[tuple[str, str]] = field(default_factory=list)
    again: bool = False
    text: str = ""

    @property
    def reason(self) -> str:
        return " / ".join(message for _code, message in self.problems)


def _method_problem(order: Order, choice: Choice) -> tuple[str, str] | None:
    method = order.payment_method
    if method.kind is not KINDS[choice.gateway]:
        return ("method", str(_l("Not paid with %(provider)s (%(method)s).",
                                 provider=provider_name(choice.gateway), method=method.name)))
    return None


def _credit_problems(order: Order, items) -> list[tuple[str, str]]:
    problems = []
    if order.status is not OrderStatus.pending_review:
        problems.append(("status", str(_l("Not awaiting confirmation (now %(status)s).",
                                          status=labels.ORDER_STATUS[order.status]))))
    if order.payment_status is PaymentStatus.auth_failed:
        problems.append(("registered", str(_l(
            "Credit NG: re-register it with bulk re-authorization first."))))
    elif order.payment_status is not PaymentStatus.unpaid:
        problems.append(("registered", str(_l(
            "Already registered (now %(status)s).",
            status=labels.PAYMENT_STATUS[order.payment_status]))))
    missing = [str(name) for name, value in (
        (_l("Buyer name"), order.buyer_name), (_l("Buyer postcode"), order.buyer_postcode),
        (_l("Buyer address"), order.buyer_address1), (_l("Buyer phone"), order.buyer_phone),
        (_l("Recipient name"), order.ship_name), (_l("Recipient postcode"), order.ship_postcode),
        (_l("Recipient address"), order.ship_address1)) if not (value or "").strip()]
    if missing:
        problems.append(("missing", str(_l("Missing: %(fields)s.", fields=", ".join(missing)))))
    total = sum(item.price * item.quantity for item in items)
    if total != order.total:
        problems.append(("amount", str(_l(
            "The goods lines add up to %(sum)s yen, not the billed %(total)s yen.",
            sum=f"{total:,}", total=f"{order.total:,}"))))
    return problems


def _ship_problems(order: Order, choice: Choice, codes: dict[str, str | None],
                   open_reports: set[int]) -> tuple[list[tuple[str, str]], list | None]:
    problems = []
    if order.status is not OrderStatus.shipped:
        problems.append(("status", str(_l("Not shipped (now %(status)s).",
                                          status=labels.ORDER_STATUS[order.status]))))
    if order.ship_report_state is ShipReportState.ok or order.id in open_reports:
        problems.append(("reported", str(_l("The shipment was already reported to %(provider)s.",
                                            provider=provider_name(choice.gateway)))))
    if not order.deferred_ref or order.payment_status not in (PaymentStatus.deferred_approved,
                                                              PaymentStatus.paid):
        problems.append(("credit", str(_l("The credit check is not approved."))))
    live = [s for s in order.shipments if s.voided_at is None]
    parcel = live[-1] if live else None
    slip = "".join(ch for ch in (parcel.tracking_number or "") if ch.isdigit()) if parcel else ""
    shipped_at = (parcel.shipped_at if parcel else None) or order.shipped_at
    if not slip or shipped_at is None or len(slip) > SLIP_NO_LENGTH:
        problems.append(("slip", SLIP_SENTENCE))
    code = codes.get(parcel.carrier) if parcel else None
    if parcel and not code:
        problems.append(("carrier", str(_l(
            "%(carrier)s has no %(provider)s carrier code (配送業者管理).",
            carrier=parcel.carrier, provider=provider_name(choice.gateway)))))
    if problems:
        return problems, None
    row = [order.deferred_ref, code, slip]
    if choice.gateway is Gateway.gmo:
        row.append(f"{shipped_at:%Y/%m/%d}")
    return [], [row]


def carrier_codes(session: Session, gateway: Gateway) -> dict[str, str | None]:
    """Each carrier's name → the provider's code for it (FORMATS §7 pd_company_code)."""
    return {c.name: c.np_code if gateway is Gateway.np else c.gmo_code
            for c in carriers.listed(session, active_only=False)}


def registered_before(session: Session, order_ids: list[int]) -> set[int]:
    return set(session.scalars(
        sa.select(PaymentTransaction.order_id).distinct()
        .where(one_of(session, PaymentTransaction.order_id, order_ids),
               PaymentTransaction.kind == TransactionKind.deferred_register)))


def open_ship_reports(session: Session, order_ids: list[int]) -> set[int]:
    """Orders whose 配送伝票 went out and whose result is not in yet."""
    return set(session.scalars(
        sa.select(PaymentTransaction.order_id)
        .where(one_of(session, PaymentTransaction.order_id, order_ids),
               PaymentTransaction.kind == TransactionKind.ship_report,
               PaymentTransaction.state == TransactionState.pending)))


def decide(session: Session, orders: list[Order], choice: Choice) -> list[Decision]:
    """Each order's rows or refusal (orders loaded by `load`)."""
    ids = [o.id for o in orders]
    credit = choice.file is DeferredFile.credit
    before = registered_before(session, ids) if credit else set()
    codes = {} if credit else carrier_codes(session, choice.gateway)
    reports = set() if credit else open_ship_reports(session, ids)
    decisions = []
    for order in orders:
        decision = Decision(order.id, order.order_number, amount=order.total,
                            again=order.id in before)
        decisions.append(decision)
        if problem := _method_problem(order, choice):
            decision.problems.append(problem)
            continue
        if credit:
            items = goods(order)
            decision.problems = _credit_problems(order, items)
            rows = credit_rows(choice.layout, order, items)
        else:
            decision.problems, rows = _ship_problems(order, choice, codes, reports)
        if decision.problems:
            continue
        text, missing = encoded(rows)
        if text is None:
            decision.problems.append(("characters", str(_l(
                "Characters Shift_JIS cannot write: %(chars)s", chars=" ".join(missing)))))
        else:
            decision.rows, decision.text = rows, text
    return decisions


def load(session: Session, where: list[sa.ColumnElement[bool]], choice: Choice, *,
         lock: bool = False) -> Iterator[list[Order]]:
    """The selected orders by id, CHUNK at a time, with what `decide` reads for the file."""
    parts = (Order.lines if choice.file is DeferredFile.credit else Order.shipments)
    last_id = 0
    while True:
        query = (sa.select(Order).where(*where, Order.id > last_id).order_by(Order.id)
                 .limit(CHUNK)
                 .options(selectinload(parts), selectinload(Order.payment_method)))
        orders = session.scalars(query.with_for_update(of=Order) if lock else query).all()
        if not orders:
            return
        last_id = orders[-1].id
        yield list(orders)


@dataclass
class Preview:
    to_export: int = 0
    again: list[str] = field(default_factory=list)  # order numbers registered before
    refused: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    refused_counts: dict[str, int] = field(default_factory=dict)
    sample: list[list] = field(default_factory=list)

    def add(self, decisions: list[Decision]) -> None:
        for d in decisions:
            if d.rows is None:
                for code in dict.fromkeys(code for code, _message in d.problems):
                    self.refused_counts[code] = self.refused_counts.get(code, 0) + 1
                    named = self.refused.setdefault(code, [])
                    if len(named) < NAMED_PER_REASON:
                        named.append((d.order_number, " / ".join(
                            m for c, m in d.problems if c == code)))
                continue
            self.to_export += 1
            if d.again and len(self.again) < NAMED_PER_REASON:
                self.again.append(d.order_number)
            if len(self.sample) < SAMPLE_ROWS:
                self.sample += d.rows[:SAMPLE_ROWS - len(self.sample)]

    def groups(self) -> list[tuple[str, int, list[tuple[str, str]]]]:
        return [(str(REASONS[code]), self.refused_counts[code], named)
                for code, named in self.refused.items()]


def preview(session: Session, where: list[sa.ColumnElement[bool]], choice: Choice) -> Preview:
    result = Preview()
    for orders in load(session, where, choice):
        result.add(decide(session, orders, choice))
    return result


def start(session: Session, user: Person | None, choice: Choice,
          where: list[sa.ColumnElement[bool]], orders: int, ip: str | None,
          locale: str) -> Notification:
    """出力: the job record with its targets frozen now; the job writes the file."""
    note = jobs.start(session, KIND, user, {**choice.params(), "ip": ip, "locale": locale},
                      orders=orders)
    note.total = freeze(session, note, sa.select(
        sa.literal(note.id), Order.id, sa.literal(TargetState.pending.value), sa.null())
        .where(*where))
    session.flush()
    return note
