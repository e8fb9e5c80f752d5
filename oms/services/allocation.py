"""在庫引当 (seed 001 §3, SCOPE P1 R10–R13): promise stock to order lines, FIFO.

Each line is allocated whole, from the first location (the order's 在庫ロケーション, else
the settings' priority) that still has the whole quantity, or not at all; the order is
受注引当済 when every line is. 強制引当 allocates linked lines regardless of stock.

A run is a fixed number of statements however many lines it covers: lock the orders, read
their open lines, lock the stock rows they need (ordered by id, so two runs never deadlock
and never promise the same unit), decide in memory in order-date order, then write the
allocation rows, the stock totals and the orders' states in one statement each.
`stocks.allocated` is always the sum of the active allocation rows.
"""

from collections import defaultdict
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from oms.database import write_lock
from oms.labels import stored
from oms.models import (
    AllocationState,
    AuditEvent,
    LineStatus,
    LinkResult,
    Order,
    OrderAllocation,
    OrderLine,
    OrderStatus,
    Sku,
    Stock,
    StockAllocation,
)
from oms.models.base import upsert, utcnow
from oms.services import audit, masters
from oms.services.actor import Actor
from oms.services.sql_rows import expire_loaded, insert_rows, update_rows

A = AllocationState
NOTE_LENGTH = 300
# Orders allocation acts on: waiting for it, or moved on by hand before it finished.
ALLOCATABLE = (OrderStatus.awaiting_allocation, OrderStatus.ready_to_ship)
# Moving back to these (or cancelling, deleting) gives the stock back (R12).
RELEASING = frozenset({OrderStatus.pending_review, OrderStatus.awaiting_payment,
                       OrderStatus.new, OrderStatus.cancelled})


@dataclass
class AllocationOutcome:
    state: AllocationState
    note: str | None = None


@dataclass
class _Order:
    id: int
    location: str | None
    forced: bool
    lines: int = 0
    allocated: int = 0
    any_forced: bool = False
    reasons: list[str] = field(default_factory=list)

    def outcome(self) -> AllocationOutcome:
        if self.lines and self.allocated == self.lines:
            return AllocationOutcome(A.forced if self.any_forced else A.allocated)
        state = A.partial if self.allocated else A.none
        note = " / ".join(self.reasons)
        if len(note) > NOTE_LENGTH:
            note = note[:NOTE_LENGTH - 1] + "…"
        return AllocationOutcome(state, note or None)


def allocate(session: Session, order_ids, actor: Actor) -> dict[int, AllocationOutcome]:
    """Allocate what can be of these orders' open lines (orders in 引当待ち or 出荷待ち;
    others are left out of the result). Flushes; never commits."""
    session.flush()
    write_lock(session)
    orders = {row.id: _Order(row.id, row.stock_location, row.force_allocation)
              for row in session.execute(
                  sa.select(Order.id, Order.stock_location, Order.force_allocation)
                  .where(Order.id.in_(list(order_ids)), Order.deleted_at.is_(None),
                         Order.status.in_(ALLOCATABLE))
                  .order_by(Order.id).with_for_update())}
    if not orders:
        return {}
    lines = _open_lines(session, list(orders), orders)
    locations = masters.allocation_locations(session)
    _add_forced_stock_rows(session, lines, orders, locations)
    stocks = _locked_stocks(session, {line.sku_id for line in lines if line.sku_id})
    now = utcnow()
    rows = []
    for line in lines:
        order = orders[line.order_id]
        where = [order.location] if order.location else locations
        promised = _promise(line, order, where, stocks)
        if promised is None:
            continue
        location, forced = promised
        order.allocated += 1
        order.any_forced |= forced
        rows.append({"order_id": order.id, "order_line_id": line.id, "sku_id": line.sku_id,
                     "location": location, "quantity": line.quantity, "forced": forced,
                     "allocated_at": now, "released_at": None})
    outcomes = {order_id: order.outcome() for order_id, order in orders.items()}
    if rows:
        insert_rows(session, StockAllocation.__table__, rows)
        _write_stock_totals(session, stocks)
        _audit(session, actor, "order.allocate",
               {row["order_id"]: outcomes[row["order_id"]].state.value for row in rows}, now)
    _write_states(session, outcomes)
    return outcomes


def release(session: Session, order_ids, actor: Actor, *, forced_only: bool = False) -> int:
    """Give back the stock promised to these orders (all of it, or only what 強制引当
    promised). Returns how many allocation rows were released."""
    order_ids = list(order_ids)
    if not order_ids:
        return 0
    write_lock(session)
    active = [StockAllocation.order_id.in_(order_ids), StockAllocation.released_at.is_(None)]
    if forced_only:
        active.append(StockAllocation.forced)
    rows = session.execute(sa.select(StockAllocation.id, StockAllocation.order_id,
                                     StockAllocation.sku_id, StockAllocation.location,
                                     StockAllocation.quantity).where(*active)).all()
    if not rows:
        return 0
    stocks = _locked_stocks(session, {row.sku_id for row in rows})
    for row in rows:
        stocks[row.sku_id, row.location].promise(-row.quantity)
    session.execute(sa.update(StockAllocation)
                    .where(StockAllocation.id.in_([row.id for row in rows]))
                    .values(released_at=utcnow()).execution_options(synchronize_session=False))
    _write_stock_totals(session, stocks)
    released = sorted({row.order_id for row in rows})
    states = _states_from_rows(session, released)
    _audit(session, actor, "order.release_allocation",
           {order_id: states[order_id].state.value for order_id in released}, utcnow())
    _write_states(session, states)
    return len(rows)


def set_forced(session: Session, order: Order, forced: bool, actor: Actor) -> None:
    """強制引当する (R11): ticked, allocate every linked line regardless of stock; unticked
    before 出荷中, give back what was forced."""
    if order.force_allocation == forced:
        return
    audit.record(session, actor, "order.force_allocation", entity_type="order",
                 entity_id=order.id, field="force_allocation", old=order.force_allocation,
                 new=forced)
    order.force_allocation = forced
    session.flush()
    if forced:
        allocate(session, [order.id], actor)
    elif order.status in ALLOCATABLE:
        release(session, [order.id], actor, forced_only=True)
    session.expire(order, ["allocation_state", "allocation_note"])


def released_by(status: OrderStatus) -> bool:
    return status in RELEASING


# --- reading


@dataclass
class _Line:
    id: int
    order_id: int
    sku_id: int | None
    sku_code: str | None
    quantity: int
    link_result: LinkResult | None
    link_error: str | None
    product_code: str


def _open_lines(session: Session, order_ids: list[int], orders: dict[int, _Order]
                ) -> list[_Line]:
    """Every line of the orders, in FIFO order; counts them per order, and returns those
    not yet allocated."""
    allocated = sa.select(StockAllocation.order_line_id).where(
        StockAllocation.order_line_id == OrderLine.id,
        StockAllocation.released_at.is_(None)).exists()
    rows = session.execute(
        sa.select(OrderLine.id, OrderLine.order_id, OrderLine.sku_id, Sku.code,
                  OrderLine.quantity, OrderLine.link_result, OrderLine.link_error,
                  OrderLine.mall_product_code, allocated.label("done"))
        .join(Order, Order.id == OrderLine.order_id)
        .outerjoin(Sku, Sku.id == OrderLine.sku_id)
        .where(OrderLine.order_id.in_(order_ids), OrderLine.status != LineStatus.cancelled,
               OrderLine.quantity > 0)
        .order_by(Order.ordered_at, Order.id, OrderLine.line_no)).all()
    open_lines = []
    for row in rows:
        order = orders[row.order_id]
        order.lines += 1
        if row.done:
            order.allocated += 1
        else:
            open_lines.append(_Line(row.id, row.order_id, row.sku_id, row.code, row.quantity,
                                    row.link_result, row.link_error, row.mall_product_code))
    return open_lines


@dataclass
class _Stock:
    id: int
    quantity: int
    allocated: int
    changed: bool = False

    def promise(self, quantity: int) -> None:
        self.allocated += quantity
        self.changed = True


def _locked_stocks(session: Session, sku_ids: set[int]) -> dict[tuple[int, str], _Stock]:
    """The stock rows of these SKUs, locked, as plain values (written back in one
    statement by _write_stock_totals)."""
    if not sku_ids:
        return {}
    rows = session.execute(sa.select(Stock.id, Stock.sku_id, Stock.location, Stock.quantity,
                                     Stock.allocated)
                           .where(Stock.sku_id.in_(sorted(sku_ids)))
                           .order_by(Stock.id).with_for_update())
    return {(row.sku_id, row.location): _Stock(row.id, row.quantity, row.allocated)
            for row in rows}


# --- deciding


def _promise(line: _Line, order: _Order, where: list[str],
             stocks: dict[tuple[int, str], Stock]) -> tuple[str, bool] | None:
    """(location, forced) for the line, or None with the reason noted on the order."""
    if line.sku_id is None or line.link_result is LinkResult.fail:
        order.reasons.append(stored(_l(
            "Product not registered (item link FAIL: %(code)s)", code=line.product_code)))
        return None
    for location in where:
        stock = stocks.get((line.sku_id, location))
        if stock is not None and stock.quantity - stock.allocated >= line.quantity:
            stock.promise(line.quantity)
            return location, False
    if order.forced:
        stocks[line.sku_id, where[0]].promise(line.quantity)
        return where[0], True
    available = max((stocks[line.sku_id, loc].quantity - stocks[line.sku_id, loc].allocated
                     for loc in where if (line.sku_id, loc) in stocks), default=0)
    order.reasons.append(stored(_l(
        "Out of stock: %(sku)s needed %(needed)s / available %(available)s",
        sku=line.sku_code, needed=line.quantity, available=max(available, 0))))
    return None


# --- writing


def _audit(session: Session, actor: Actor, action: str, states: dict[int, str], now) -> None:
    insert_rows(session, AuditEvent.__table__, [
        audit.values(actor, action, entity_type="order", entity_id=order_id,
                     field="allocation_state", new=state) | {"created_at": now}
        for order_id, state in states.items()])


def _add_forced_stock_rows(session: Session, lines: list[_Line], orders: dict[int, _Order],
                           locations: list[str]) -> None:
    """強制引当 may promise an item never stocked: it needs a (zero) stock row to count
    against, shown with negative availability."""
    wanted = {(line.sku_id, orders[line.order_id].location or locations[0]) for line in lines
              if orders[line.order_id].forced and line.sku_id is not None}
    if wanted:
        session.execute(upsert(session, Stock.__table__)
                        .values([{"sku_id": sku, "location": loc, "quantity": 0, "allocated": 0}
                                 for sku, loc in sorted(wanted)])
                        .on_conflict_do_nothing(index_elements=["sku_id", "location"]))


def _write_stock_totals(session: Session, stocks: dict[tuple[int, str], _Stock]) -> None:
    """The locked stock rows' new totals, in one statement."""
    changed = [stock for stock in stocks.values() if stock.changed]
    if not changed:
        return
    update_rows(session, Stock.__table__,
                [{"id": stock.id, "allocated": stock.allocated} for stock in changed],
                match=("id",))
    expire_loaded(session, Stock, [stock.id for stock in changed], ["allocated"])


def _write_states(session: Session, outcomes: dict[int, AllocationOutcome]) -> None:
    """Store each order's allocation state and note beside the order (OrderAllocation):
    no order row is rewritten, and an operator's open edit of the order is not refused
    for it. Nothing allocated and nothing to say is no row."""
    current = {row.order_id: (row.state, row.note) for row in session.execute(
        sa.select(OrderAllocation.order_id, OrderAllocation.state, OrderAllocation.note)
        .where(OrderAllocation.order_id.in_(list(outcomes))))}
    changed = [order_id for order_id, outcome in outcomes.items()
               if current.get(order_id, (A.none, None)) != (outcome.state, outcome.note)]
    if not changed:
        return
    session.execute(sa.delete(OrderAllocation)
                    .where(OrderAllocation.order_id.in_([i for i in changed if i in current]))
                    .execution_options(synchronize_session=False))
    rows = [{"order_id": order_id, "state": outcomes[order_id].state,
             "note": outcomes[order_id].note} for order_id in changed
            if (outcomes[order_id].state, outcomes[order_id].note) != (A.none, None)]
    if rows:
        insert_rows(session, OrderAllocation.__table__, rows)
    expire_loaded(session, Order, changed, ["allocation_state", "allocation_note"])


def _states_from_rows(session: Session, order_ids: list[int]) -> dict[int, AllocationOutcome]:
    """The orders' states from their active allocation rows (after a release)."""
    counts = defaultdict(lambda: [0, 0, False])
    for order_id, lines in session.execute(
            sa.select(OrderLine.order_id, sa.func.count())
            .where(OrderLine.order_id.in_(order_ids),
                   OrderLine.status != LineStatus.cancelled, OrderLine.quantity > 0)
            .group_by(OrderLine.order_id)):
        counts[order_id][0] = lines
    for order_id, allocated, forced in session.execute(
            sa.select(StockAllocation.order_id, sa.func.count(),
                      sa.func.max(sa.case((StockAllocation.forced, 1), else_=0)))
            .where(StockAllocation.order_id.in_(order_ids),
                   StockAllocation.released_at.is_(None))
            .group_by(StockAllocation.order_id)):
        counts[order_id][1:] = [allocated, bool(forced)]
    outcomes = {}
    for order_id in order_ids:
        lines, allocated, forced = counts[order_id]
        if lines and allocated == lines:
            outcomes[order_id] = AllocationOutcome(A.forced if forced else A.allocated)
        else:
            outcomes[order_id] = AllocationOutcome(A.partial if allocated else A.none)
    return outcomes


