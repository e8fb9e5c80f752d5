"""出荷指示エクスポート (seed 001 §4, SCOPE P2 S1–S3): which orders of a selection go to the
label software's file, why the others are refused, and the file's rows.

`decide` is the one rule, used alike by the wizard's preview and by the job that writes
the file (oms.services.shipping_export_step): 出荷待ち orders only (with 再出力, orders
already exported stay eligible in 出荷中), none on 出荷停止, allocated while allocation is
on, no FAIL item link, a Japanese postcode, every text field present, within the layout's
length and in JIS levels 1–2 (or 〓 when chosen), a 代引 amount the carrier collects, and a
time slot the carrier offers. Orders already exported are skipped unless 再出力 is ticked.
"""

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session, selectinload

from oms import labels
from oms.models import (
    AllocationState,
    Carrier,
    CarrierService,
    LinkResult,
    Notification,
    Order,
    OrderStatus,
    PaymentKind,
    ShippingExport,
    TargetState,
)
from oms.services import app_settings, carriers, jobs, shop_shipping
from oms.services.actor import Person
from oms.services.carrier_files import LAYOUTS, Layout
from oms.services.carrier_files.common import Problem, Settings, parcel, render
from oms.services.marketplace_jobs import freeze

KIND = "shipping_export"
CHUNK = 2000
SAMPLE_ROWS = 5
NAMED_PER_REASON = 50
ALLOCATED = (AllocationState.allocated, AllocationState.forced)
# How the preview heads each group of refusals.
REASONS = {
    "status": _l("Not awaiting shipment"),
    "hold": _l("Shipping on hold"),
    "allocation": _l("Stock not allocated"),
    "link": _l("Item link FAIL"),
    "postcode": _l("Postcode"),
    "missing": _l("Missing field"),
    "too_long": _l("Field too long"),
    "jis": _l("Characters outside JIS levels 1 and 2"),
    "cod": _l("Cash on delivery"),
    "slot": _l("Time slot"),
}


@dataclass(frozen=True)
class Choice:
    """The wizard's step 1: what file to write, for which shipping date."""

    carrier_id: int
    service_id: int
    ship_date: date
    encoding: str = "cp932"
    reprint: bool = False
    substitute: bool = False

    def params(self) -> dict:
        return {"carrier_id": self.carrier_id, "service_id": self.service_id,
                "ship_date": self.ship_date.isoformat(), "encoding": self.encoding,
                "reprint": self.reprint, "substitute": self.substitute}

    @classmethod
    def from_params(cls, params: dict) -> "Choice":
        return cls(params["carrier_id"], params["service_id"],
                   date.fromisoformat(params["ship_date"]), params["encoding"],
                   params["reprint"], params["substitute"])


@dataclass(frozen=True)
class Plan:
    """A Choice resolved against 配送業者管理: the layout and the settings its rows use."""

    carrier: Carrier
    service: CarrierService
    layout: Layout
    settings: Settings
    choice: Choice
    allocates: bool


class ChoiceError(ValueError):
    """The choice cannot make a file; the message says why."""


def exportable_carriers(session: Session) -> list[Carrier]:
    """Active carriers that have label software, with their services and slots."""
    return [c for c in carriers.listed(session) if c.file_format in LAYOUTS]


def plan(session: Session, choice: Choice) -> Plan:
    carrier = session.get(Carrier, choice.carrier_id)
    if carrier is None or carrier.file_format not in LAYOUTS:
        raise ChoiceError(str(_l("Choose a carrier that has label software.")))
    service = session.get(CarrierService, choice.service_id)
    if service is None or service.carrier_id != carrier.id:
        raise ChoiceError(str(_l("Choose a slip type of %(carrier)s.", carrier=carrier.name)))
    layout = LAYOUTS[carrier.file_format]
    if choice.encoding not in layout.encodings:
        raise ChoiceError(str(_l("This label software reads only Shift_JIS (CP932) files.")))
    slots = {slot.label: getattr(slot, layout.slot_code) for slot in carrier.time_slots
             if slot.active and getattr(slot, layout.slot_code)}
    settings = Settings(carrier.name, carrier.cod_limit, service.slip_code,
                        service.cod_slip_code, service.name, choice.ship_date, slots,
                        substitute=choice.substitute)
    return Plan(carrier, service, layout, settings, choice,
                app_settings.workflow(session).allocates)


@dataclass
class Decision:
    """One order: its row (cells), or why it is refused; `exported`: skipped because it
    was exported before and 再出力 is not ticked."""

    order_id: int
    order_number: str
    cells: list[str] | None = None
    problems: list[Problem] = field(default_factory=list)
    exported: bool = False
    substituted: int = 0

    @property
    def reason(self) -> str:
        return " / ".join(p.message for p in self.problems)


def _order_problems(order: Order, p: Plan) -> list[Problem]:
    """S1's refusals that do not depend on how the layout writes the cells."""
    problems = []
    eligible = order.status is OrderStatus.ready_to_ship or (
        p.choice.reprint and order.shipping_list_exported_at is not None
        and order.status is OrderStatus.shipping)
    if not eligible:
        problems.append(Problem("status", str(_l(
            "Not awaiting shipment (now %(status)s).",
            status=labels.ORDER_STATUS[order.status]))))
    if order.shipping_hold:
        problems.append(Problem("hold", str(_l("Shipping is on hold."))))
    if p.allocates and order.allocation_state not in ALLOCATED:
        problems.append(Problem("allocation", str(_l("Stock is not allocated."))))
    if order.link_result is LinkResult.fail:
        problems.append(Problem("link", str(_l("An item could not be linked (FAIL)."))))
    if order.payment_method.kind is PaymentKind.cod:
        problems += _cod_problems(order.total, p)
    slot = order.delivery_time_slot
    if slot and slot not in p.settings.slots:
        problems.append(Problem("slot", str(_l(
            "%(carrier)s has no time slot %(slot)s.", carrier=p.carrier.name, slot=slot))))
    return problems


def _cod_problems(amount: int, p: Plan) -> list[Problem]:
    if not p.service.cod_slip_code or p.carrier.cod_limit is None:
        return [Problem("cod", str(_l("%(service)s cannot collect cash on delivery.",
                                      service=p.service.name)))]
    if amount <= 0:
        return [Problem("cod", str(_l("The cash on delivery amount is 0 yen.")))]
    if amount > p.carrier.cod_limit:
        return [Problem("cod", str(_l(
            "The cash on delivery amount %(amount)s yen is above %(carrier)s's limit of "
            "%(limit)s yen.", amount=f"{amount:,}", carrier=p.carrier.name,
            limit=f"{p.carrier.cod_limit:,}")))]
    return []


def decide(orders: list[Order], p: Plan) -> list[Decision]:
    """Each order's row or refusal (orders loaded by `load`)."""
    senders: dict[int, shop_shipping.ShopShipping] = {}
    decisions = []
    for order in orders:
        decision = Decision(order.id, order.order_number)
        decisions.append(decision)
        if order.shipping_list_exported_at is not None and not p.choice.reprint:
            decision.exported = True
            continue
        if order.shop_id not in senders:
            senders[order.shop_id] = shop_shipping.for_shop(order.shop)
        item = parcel(order, senders[order.shop_id])
        decision.problems = _order_problems(order, p)
        if item.postcode is None:
            decision.problems.append(Problem("postcode", str(_l(
                "The postcode is missing or not 7 digits."))))
        written = render(p.layout.cells(item, p.settings), p.settings)
        decision.problems += written.problems
        if not decision.problems:
            decision.cells, decision.substituted = written.cells, written.substituted
    return decisions


def load(session: Session, where: list[sa.ColumnElement[bool]], *, lock: bool = False
         ) -> Iterator[list[Order]]:
    """The selected orders by id, CHUNK at a time, with what `decide` reads."""
    last_id = 0
    while True:
        query = (sa.select(Order).where(*where, Order.id > last_id).order_by(Order.id)
                 .limit(CHUNK)
                 .options(selectinload(Order.lines), selectinload(Order.shipments),
                          selectinload(Order.payment_method), selectinload(Order.shop)))
        orders = session.scalars(query.with_for_update(of=Order) if lock else query).all()
        if not orders:
            return
        last_id = orders[-1].id
        yield list(orders)


@dataclass
class Preview:
    """Step 2: how many orders the file will hold, the refusals by reason (orders named,
    up to NAMED_PER_REASON each), and the first rows as they will be written."""

    to_export: int = 0
    exported: int = 0
    refused: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    refused_counts: dict[str, int] = field(default_factory=dict)
    sample: list[list[str]] = field(default_factory=list)
    substituted: int = 0

    def add(self, decisions: list[Decision]) -> None:
        for d in decisions:
            if d.exported:
                self.exported += 1
            elif d.cells is None:
                for code in dict.fromkeys(problem.code for problem in d.problems):
                    self.refused_counts[code] = self.refused_counts.get(code, 0) + 1
                    named = self.refused.setdefault(code, [])
                    if len(named) < NAMED_PER_REASON:
                        named.append((d.order_number, " / ".join(
                            pr.message for pr in d.problems if pr.code == code)))
            else:
                self.to_export += 1
                self.substituted += d.substituted
                if len(self.sample) < SAMPLE_ROWS:
                    self.sample.append(d.cells)

    def groups(self) -> list[tuple[str, int, list[tuple[str, str]]]]:
        return [(str(REASONS[code]), self.refused_counts[code], named)
                for code, named in self.refused.items()]


def preview(session: Session, where: list[sa.ColumnElement[bool]], p: Plan) -> Preview:
    result = Preview()
    for orders in load(session, where):
        result.add(decide(orders, p))  # the session holds read rows weakly: flat memory
    return result


def start(session: Session, user: Person | None, p: Plan, where: list[sa.ColumnElement[bool]],
          orders: int, ip: str | None, locale: str) -> Notification:
    """出力 over `orders` selected orders: the job record, its targets frozen now (the
    selection as confirmed), and the 出荷指示 history row; the job writes the file."""
    note = jobs.start(session, KIND, user, {**p.choice.params(), "ip": ip, "locale": locale},
                      orders=orders, lanes=jobs.parallel_lanes(session) if orders > CHUNK else 1)
    note.total = freeze(session, note, sa.select(
        sa.literal(note.id), Order.id, sa.literal(TargetState.pending.value), sa.null())
        .where(*where))
    session.add(ShippingExport(id=note.id, carrier_id=p.carrier.id, service_id=p.service.id,
                               format=p.carrier.file_format.value, ship_date=p.choice.ship_date,
                               encoding=p.choice.encoding, reprint=p.choice.reprint,
                               created_by_id=user.id if user else None))
    session.flush()
    return note

