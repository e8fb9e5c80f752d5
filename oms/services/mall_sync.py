"""Orders from the malls: import new ones, refresh known ones, follow the mall's status.

Import is an idempotent upsert keyed by UNIQUE(shop_id, mall_order_id): new orders go in
with INSERT ... ON CONFLICT DO NOTHING, so two workers importing the same page never
duplicate an order (the loser of a race updates instead). An answer older than the one
already stored (a duplicate delivery, an out-of-order update time) changes nothing.

Status rule: the mall leads for 保留 / キャンセル済 / クローズ済 (seed 000 ⑥⑦⑧) and for
payment (waiting -> new or processing); everything after that is our own workflow, so a
mall that lags behind us is not followed. When the mall says something our workflow cannot
reach (cancelled, but we shipped), the order goes on hold with a needs-attention reason
instead of being overwritten.

Lines follow the mall too (quantities, product codes and options, lines added or removed)
until the goods are going out: before 出荷 the lines are replaced, the amounts computed as
on import and the items linked again; from then on a change is a conflict, held the same way.

One bad record never blocks an import: every value is checked against its column before
anything is written (PostgreSQL refuses a NUL or an overlong string that SQLite would keep),
and should the database still refuse a chunk, its orders go in one savepoint each. A record
that cannot be stored is a failure on the shop's page with the mall's id and the reason.
"""

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from oms import labels
from oms.access import Actor
from oms.integrations.malls import (
    Batch,
    MallAdapter,
    MallError,
    MallLine,
    MallOrder,
    MallRefused,
    Problem,
)
from oms.models import (
    TABS,
    AttentionReason,
    LineStatus,
    MallOrderState,
    MallSyncFailure,
    NumberCounter,
    Order,
    OrderLine,
    OrderStatus,
    PaymentKind,
    PaymentMethod,
    PaymentStatus,
    Shop,
    ShopSync,
    StatusHistory,
)
from oms.models.base import upsert, utcnow
from oms.services import audit, blacklist, item_links, malls
from oms.services.storable import problems, shown, text_problem
from oms.services.workflow import TRANSITIONS, change_status

S = OrderStatus
MALL_LED = frozenset({S.on_hold, S.cancelled, S.closed})
PROGRESS = {status: rank for rank, tab in enumerate(("waiting", "new", "processing", "done"))
            for status in TABS[tab]}
# An AttentionReason is operator data, named in the operators' language like the others.
CONFLICT_REASON = "モール状態の不一致"
IMPORT_CHUNK = 1000  # orders written per statement set and commit
OVERLAP = timedelta(minutes=5)  # re-read a little before the watermark: clocks and lag
FIRST_IMPORT_DAYS = 30
NUMBER_SERIES = "order_number"
# Imported orders are numbered from here up, clear of hand-made and demo numbers.
FIRST_IMPORTED_NUMBER = 2_000_000_000


@dataclass
class SyncResult:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    conflicts: int = 0
    failed: int = 0
    # mall order ids to confirm at the mall (shops that confirm automatically)
    to_confirm: list[str] = field(default_factory=list)
    # outcome per mall order id: None when done, else the reason it was not
    outcomes: dict[str, str | None] = field(default_factory=dict)


def import_actor(notification_id: int | None = None) -> Actor:
    return Actor(None, None, None, f"job:{notification_id}" if notification_id else "import")


def import_batch(session: Session, shop: Shop, batch: Batch, *,
                 notification_id: int | None = None, action: str = "import") -> SyncResult:
    """Insert the new orders of a batch, update the known ones; problems are recorded."""
    result = SyncResult()
    problem_ids = [p.mall_order_id for p in batch.problems
                   if p.mall_order_id and _id_problem(p.mall_order_id) is None]
    problem_orders = _known(session, shop.id, problem_ids) if problem_ids else {}
    for problem in batch.problems:
        known_order = problem_orders.get(problem.mall_order_id)
        record_failure(session, shop.id, problem.mall_order_id, action, problem.message,
                       order_id=known_order[0] if known_order else None,
                       notification_id=notification_id)
        result.failed += 1
        if problem.mall_order_id:
            result.outcomes[problem.mall_order_id] = problem.message
    latest: dict[str, MallOrder] = {}
    for order in batch.orders:  # a page may repeat an order (duplicate delivery)
        seen = latest.get(order.mall_order_id)
        if seen is None or _newer(order, seen):
            latest[order.mall_order_id] = order
    failed = _Failed(session, shop.id, action, notification_id, result)
    for mall_id in list(latest):  # an id that cannot even be looked up
        if problem := _id_problem(mall_id):
            failed(mall_id, problem)
            del latest[mall_id]
    if not latest:
        return result
    statuses = malls.status_map(shop)
    known = _known(session, shop.id, list(latest))
    fresh = [o for mall_id, o in latest.items() if mall_id not in known]
    if fresh:
        _insert(session, shop, fresh, statuses, result, failed)
        if any(o.mall_order_id not in result.outcomes for o in fresh):
            known = _known(session, shop.id, list(latest))  # another worker was first
    actor = import_actor(notification_id)
    # One look at the lines of the whole batch, rather than one query per order.
    lines_moved = _lines_moved(session, {
        known[mall_id][0]: o for mall_id, o in latest.items()
        if mall_id not in result.outcomes and _may_have_new_lines(known[mall_id][1], o)})
    todo = [(mall_id, mall_order, *known[mall_id]) for mall_id, mall_order in latest.items()
            if mall_id not in result.outcomes]
    unstorable = _update_problems([(mall_order, order_id in lines_moved)
                                   for _mall_id, mall_order, order_id, _state in todo])
    for index, (mall_id, mall_order, order_id, state) in enumerate(todo):
        if index in unstorable:
            failed(mall_id, unstorable[index], order_id=order_id)
            continue
        _update(session, shop, order_id, state, mall_order, statuses, actor, result,
                lines_moved=order_id in lines_moved, notification_id=notification_id)
        result.outcomes[mall_id] = None
    session.flush()
    return result


@dataclass
class _Failed:
    """Records a mall order that could not be used: on the shop's page and in the result."""

    session: Session
    shop_id: int
    action: str
    notification_id: int | None
    result: SyncResult

    def __call__(self, mall_id: str, message: str, *, order_id: int | None = None) -> None:
        record_failure(self.session, self.shop_id, mall_id, self.action, message,
                       order_id=order_id, notification_id=self.notification_id)
        self.result.failed += 1
        self.result.outcomes[mall_id] = message


# --- values that cannot be stored ---------------------------------------------------

ORDERS, LINES, STATES = Order.__table__, OrderLine.__table__, MallOrderState.__table__
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


def _unstorable(problem: str) -> str:
    return _("The order cannot be stored as the mall sent it: %(problem)s", problem=problem)


def _id_problem(mall_order_id: str) -> str | None:
    problem = text_problem(mall_order_id, MALL_ID_LENGTH)
    return problem and _unstorable(f"{COLUMN_LABELS['mall_order_id']}: {problem}")


def _problems(checks: list[tuple[sa.Table, list[dict], list[int]]]) -> dict[int, str]:
    """Index of each record with a value that cannot be stored -> why. Each check is a
    table, rows for it, and the record each row belongs to; the first problem counts."""
    found: dict[int, str] = {}
    for table, rows, owners in checks:
        for row_index, problem in problems(table, rows, COLUMN_LABELS).items():
            found.setdefault(owners[row_index], _unstorable(problem))
    return found


def _lines_check(line_lists: list[list[dict]], owners: list[int]
                 ) -> tuple[sa.Table, list[dict], list[int]]:
    rows, line_owners = [], []
    for owner, lines in zip(owners, line_lists, strict=True):
        rows += lines
        line_owners += [owner] * len(lines)
    return LINES, rows, line_owners


def _new_order_problems(prepared: list[tuple[MallOrder, dict, list[dict]]]) -> dict[int, str]:
    """The new orders (mall order, order row, line rows) that cannot be stored, and why."""
    every = list(range(len(prepared)))
    return _problems([
        (ORDERS, [row for _order, row, _lines in prepared], every),
        _lines_check([lines for _order, _row, lines in prepared], every),
        (STATES, [_state_values(mall_order) for mall_order, _row, _lines in prepared], every),
    ])


def _update_problems(items: list[tuple[MallOrder, bool]]) -> dict[int, str]:
    """What following the mall would write to known orders (mall order, whether its lines
    moved) that their columns cannot hold: the status at the mall, and the lines and the
    amounts when those moved."""
    moved = [index for index, (_order, lines) in enumerate(items) if lines]
    return _problems([
        (STATES, [_state_values(mall_order) for mall_order, _lines in items],
         list(range(len(items)))),
        _lines_check([_line_values(items[i][0], S.new) for i in moved], moved),
        (ORDERS, [_amounts(items[i][0]) for i in moved], moved),
    ])


def _state_values(mall_order: MallOrder) -> dict:
    return {"mall_status": mall_order.status, "mall_updated_at": mall_order.updated_at}


def _newer(a: MallOrder, b: MallOrder) -> bool:
    return a.updated_at is not None and (b.updated_at is None or a.updated_at > b.updated_at)


def _known(session: Session, shop_id: int, mall_ids: list[str]
           ) -> dict[str, tuple[int, MallOrderState | None]]:
    rows = session.execute(
        sa.select(Order.mall_order_id, Order.id, MallOrderState)
        .outerjoin(MallOrderState, MallOrderState.order_id == Order.id)
        .where(Order.shop_id == shop_id, Order.mall_order_id.in_(mall_ids)))
    return {mall_id: (order_id, state) for mall_id, order_id, state in rows}


# --- new orders ---------------------------------------------------------------------

@dataclass
class _NewOrder:
    mall_order: MallOrder
    row: dict
    lines: list[dict]


def _insert(session: Session, shop: Shop, orders: list[MallOrder],
            statuses: dict[str, OrderStatus], result: SyncResult, failed: _Failed) -> None:
    numbers = reserve_numbers(session, len(orders))
    methods = _payment_methods(session)
    now = utcnow()
    prepared = []
    for number, mall_order in zip(numbers, orders, strict=True):
        status = _first_status(shop, statuses[mall_order.status])
        prepared.append((mall_order, _order_row(shop, mall_order, status, str(number), methods,
                                                now), _line_values(mall_order, status)))
    unstorable = _new_order_problems(prepared)
    new = []
    for index, (mall_order, row, lines) in enumerate(prepared):
        if index in unstorable:
            failed(mall_order.mall_order_id, unstorable[index])
        else:
            new.append(_NewOrder(mall_order, row, lines))
    if not new:
        return
    try:
        with session.begin_nested():
            created = _write_new(session, new, now)
    except Exception as error:
        if not _refused_record(error):
            raise
        # A value the checks let through: one savepoint per order finds the bad ones.
        created = []
        for item in new:
            try:
                with session.begin_nested():
                    created += _write_new(session, [item], now)
            except Exception as refused:
                if not _refused_record(refused):
                    raise
                failed(item.mall_order.mall_order_id, _unstorable(_database_reason(refused)))
    mapped = {item.mall_order.mall_order_id: statuses[item.mall_order.status] for item in new}
    for mall_id, status in created:
        if status != mapped[mall_id]:  # confirmed here on the mall's behalf
            result.to_confirm.append(mall_id)
        result.outcomes[mall_id] = None
    result.inserted += len(created)


def _write_new(session: Session, new: list[_NewOrder], now: datetime) -> list[tuple[str, S]]:
    """Insert checked orders with their lines, mall states and first history rows; returns
    (mall order id, status) of those that went in (another worker may have been first)."""
    rows = [item.row for item in new]
    insert = upsert(session, ORDERS)
    # A plain executemany (no RETURNING: the driver pipelines one small statement instead
    # of building a huge one). The rows that went in carry the numbers reserved above, so
    # they are ours; an order another worker inserted first keeps its own number.
    session.execute(insert.on_conflict_do_nothing(index_elements=["shop_id", "mall_order_id"]),
                    rows)
    created = session.execute(
        sa.select(Order.id, Order.mall_order_id, Order.status)
        .where(Order.order_number.in_([row["order_number"] for row in rows]))).all()
    if not created:
        return []
    by_mall_id = {item.mall_order.mall_order_id: item for item in new}
    lines, states, history = [], [], []
    for order_id, mall_id, status in created:
        item = by_mall_id[mall_id]
        lines += [{"order_id": order_id, **values, "status": values["status"].value}
                  for values in item.lines]
        states.append({"order_id": order_id, **_state_values(item.mall_order),
                       "fetched_at": now})
        history.append({"order_id": order_id, "from_status": None, "to_status": status,
                        "via": "import", "created_at": now})
    # Core inserts of plain rows: the ORM's bulk path costs more than the database.
    session.execute(LINES.insert(), lines)
    session.execute(STATES.insert(), states)
    session.execute(StatusHistory.__table__.insert(), history)
    # A blacklisted orderer who buys again through a mall is flagged on arrival.
    blacklist.flag_orders(session, [order_id for order_id, _mall_id, _status in created])
    return [(mall_id, S(status)) for _order_id, mall_id, status in created]


def _refused_record(error: Exception) -> bool:
    """Whether the database (or its driver) refused a value of the rows, rather than
    failing as a whole (a lost connection, a bug): only the former is one record's fault."""
    if isinstance(error, sa.exc.DBAPIError):
        return isinstance(error, sa.exc.IntegrityError | sa.exc.DataError)
    return isinstance(error, sa.exc.StatementError | OverflowError | ValueError)


def _database_reason(error: Exception) -> str:
    """The database's reason in one line, without the statement or its parameters."""
    cause = getattr(error, "orig", None) or error
    return shown(str(cause).strip().splitlines()[0] if str(cause).strip() else
                 type(cause).__name__, 300)


def _first_status(shop: Shop, mapped: OrderStatus) -> OrderStatus:
    """A shop that confirms automatically (Qoo10, seed 000 ③) skips New."""
    return S.awaiting_allocation if mapped is S.new and shop.auto_confirm else mapped


def _line_values(mall_order: MallOrder, status: OrderStatus) -> list[dict]:
    """The order's lines as the mall lists them, for an order in `status`."""
    line_status = (LineStatus.awaiting_payment if PROGRESS.get(status) == 0
                   else LineStatus.cancelled if status is S.cancelled
                   else LineStatus.preparing)
    return [{"line_no": n, "mall_product_code": line.product_code, "mall_option": line.option,
             "product_name": line.name, "quantity": line.quantity,
             "unit_price": line.unit_price, "tax_rate": line.tax_rate, "status": line_status}
            for n, line in enumerate(mall_order.lines, 1)]


def _amounts(mall_order: MallOrder) -> dict[str, int]:
    subtotal = sum(line.quantity * line.unit_price for line in mall_order.lines)
    # Tax rounded once per order per rate (DESIGN.md); the mall's total is the truth and
    # any difference (coupons, points, rounding) is kept as an adjustment.
    tax = {rate: sum(ln.quantity * ln.unit_price for ln in mall_order.lines
                     if ln.tax_rate == rate) * rate // 100 for rate in (8, 10)}
    computed = subtotal + tax[8] + tax[10] + mall_order.shipping_fee
    return {"subtotal": subtotal, "tax_8": tax[8], "tax_10": tax[10],
            "shipping_fee": mall_order.shipping_fee, "total": mall_order.total,
            "adjustment": mall_order.total - computed}


def _order_row(shop: Shop, mall_order: MallOrder, status: OrderStatus, number: str,
               methods: dict[PaymentKind, int], now: datetime) -> dict:
    buyer, ship = mall_order.buyer, mall_order.ship_to
    return {
        "order_number": number, "shop_id": shop.id, "mall_order_id": mall_order.mall_order_id,
        "status": status.value, "auto_advance": True,
        "payment_status": _payment_status(mall_order.payment, status).value,
        "needs_attention": False, "shipping_hold": False,
        "buyer_name": buyer.name, "buyer_kana": buyer.kana, "buyer_email": buyer.email,
        "buyer_phone": buyer.phone, "buyer_postcode": buyer.postcode,
        "buyer_prefecture": buyer.prefecture, "buyer_address1": buyer.address1,
        "ship_name": ship.name, "ship_kana": ship.kana, "ship_phone": ship.phone,
        "ship_postcode": ship.postcode, "ship_prefecture": ship.prefecture,
        "ship_address1": ship.address1, "destination_country": "JP",
        **_amounts(mall_order),
        "payment_method_id": methods[mall_order.payment],
        "ordered_at": mall_order.ordered_at, "updated_at": now,
        "cancelled_at": now if status is S.cancelled else None,
        "customer_comment": mall_order.note, "version": 1,
    }


def _payment_status(kind: PaymentKind, status: OrderStatus) -> PaymentStatus:
    if PROGRESS.get(status) == 0 or kind is PaymentKind.cod:
        return PaymentStatus.unpaid
    if kind is PaymentKind.card:
        return PaymentStatus.authorized
    return PaymentStatus.paid


def _payment_methods(session: Session) -> dict[PaymentKind, int]:
    """Our payment method for each kind a mall reports, created when none exists yet."""
    found: dict[PaymentKind, int] = {}
    for method_id, kind in session.execute(
            sa.select(PaymentMethod.id, PaymentMethod.kind).order_by(PaymentMethod.id)):
        found.setdefault(kind, method_id)
    for kind in PaymentKind:
        if kind not in found:
            method = PaymentMethod(code=f"mall-{kind.value}", name=kind.value, kind=kind)
            session.add(method)
            session.flush()
            found[kind] = method.id
    return found


def reserve_numbers(session: Session, count: int) -> range:
    """`count` unused order numbers. On PostgreSQL in a transaction of their own, so
    concurrent importers do not queue behind each other's open transaction (gaps are fine)."""
    bind = session.get_bind()
    if bind.dialect.name == "postgresql":
        with bind.engine.begin() as conn:
            return _reserve(conn, count)
    return _reserve(session.connection(), count)


def _reserve(conn, count: int) -> range:
    table = NumberCounter.__table__
    stored = conn.scalar(sa.select(table.c.value).where(table.c.name == NUMBER_SERIES))
    if stored is None:
        highest = conn.scalar(sa.select(sa.func.max(Order.__table__.c.order_number)))
        start = max(FIRST_IMPORTED_NUMBER, int(highest) + 1 if highest and highest.isdigit()
                    else 0)
        insert = upsert(conn, table)
        conn.execute(insert.values(name=NUMBER_SERIES, value=start).on_conflict_do_nothing())
    end = conn.scalar(sa.update(table).where(table.c.name == NUMBER_SERIES)
                      .values(value=table.c.value + count).returning(table.c.value))
    return range(end - count, end)


# --- known orders -------------------------------------------------------------------

def _update(session: Session, shop: Shop, order_id: int, state: MallOrderState | None,
            mall_order: MallOrder, statuses: dict[str, OrderStatus], actor: Actor,
            result: SyncResult, *, lines_moved: bool = False,
            notification_id: int | None = None) -> None:
    """Apply what changed at the mall. `lines_moved`: the mall lists other lines than we
    have (checked again here, under the order's lock)."""
    if state is not None and not _changed(state, mall_order) and not lines_moved:
        result.unchanged += 1
        return
    order = session.get(Order, order_id, with_for_update=True, populate_existing=True)
    if state is None:
        state = MallOrderState(order_id=order_id, mall_status=mall_order.status)
        session.add(state)
        status_changed = True
    else:
        session.refresh(state)
        status_changed = _changed(state, mall_order)
    lines_changed = lines_moved and _our_keys(order.lines) != _mall_keys(mall_order.lines)
    if not (status_changed or lines_changed):  # another worker got there first
        result.unchanged += 1
        return
    if status_changed:
        conflict = follow_mall(session, shop, order, statuses[mall_order.status], actor)
        result.conflicts += conflict
    if lines_changed and order.status is not S.cancelled:  # cancelled lines stay as they are
        result.conflicts += follow_mall_lines(session, shop, order, mall_order, actor,
                                              notification_id=notification_id)
    state.mall_status = mall_order.status
    state.mall_updated_at = mall_order.updated_at or state.mall_updated_at
    state.fetched_at = utcnow()
    result.updated += 1


def _may_have_new_lines(state: MallOrderState | None, mall_order: MallOrder) -> bool:
    """A mall that keeps update times moves them with the lines, though maybe within the
    same (whole) second; one without (Rakuten) may have changed any order it lists."""
    return (state is None or mall_order.updated_at is None or state.mall_updated_at is None
            or mall_order.updated_at >= state.mall_updated_at)


# What a line change is: product code, option, quantity, price and tax rate, in order
# (not the product name, which a mall may reword).
def _mall_keys(lines: Iterable[MallLine]) -> list[tuple]:
    return [(ln.product_code, ln.option or None, ln.quantity, ln.unit_price, ln.tax_rate)
            for ln in lines]


def _our_keys(lines: Iterable[OrderLine]) -> list[tuple]:
    return [(ln.mall_product_code, ln.mall_option or None, ln.quantity, ln.unit_price,
             ln.tax_rate) for ln in lines]


def _lines_moved(session: Session, mall_orders: dict[int, MallOrder]) -> set[int]:
    """Which of these orders have other lines at the mall than here: one query for all."""
    if not mall_orders:
        return set()
    ours: dict[int, list] = defaultdict(list)
    for line in session.execute(
            sa.select(OrderLine.order_id, OrderLine.mall_product_code, OrderLine.mall_option,
                      OrderLine.quantity, OrderLine.unit_price, OrderLine.tax_rate)
            .join(Order, Order.id == OrderLine.order_id)
            # A cancelled order's lines stay as they were cancelled.
            .where(OrderLine.order_id.in_(list(mall_orders)), Order.status != S.cancelled)
            .order_by(OrderLine.order_id, OrderLine.line_no)):
        ours[line.order_id].append(line)
    return {order_id for order_id, lines in ours.items()
            if _our_keys(lines) != _mall_keys(mall_orders[order_id].lines)}


def follow_mall_lines(session: Session, shop: Shop, order: Order, mall_order: MallOrder,
                      actor: Actor, *, notification_id: int | None = None) -> bool:
    """Take the mall's lines while the goods have not gone out: replace the lines,
    recompute the amounts as on import and link the items again. Later, the change is a
    conflict for an operator (on hold, needs attention, the mall's lines recorded).
    Returns True when it conflicted."""
    if not _lines_settled(order):
        before = _describe_lines(_our_keys(order.lines))
        order.lines = [OrderLine(**values) for values in _line_values(mall_order, order.status)]
        for name, value in _amounts(mall_order).items():
            setattr(order, name, value)
        audit.record(session, actor, "order.lines", entity_type="order", entity_id=order.id,
                     field="lines", old=before, new=_describe_lines(_mall_keys(mall_order.lines)))
        session.flush()
        item_links.link_order(session, order)
        return False
    at_mall = _describe_lines(_mall_keys(mall_order.lines))
    if _conflict_recorded(session, order.id, at_mall):
        return False  # told once; an operator's decision since then stands
    _hold_for_attention(session, order, actor)
    record_failure(session, shop.id, order.mall_order_id, "lines", _(
        "The mall changed the items after shipping began; they were not applied. "
        "At the mall: %(lines)s", lines=at_mall), order_id=order.id,
        notification_id=notification_id)
    return True


# From 出荷中 on the parcel is packed or gone. A registered shipment counts too: the
# warehouse may be picking its lines (and the shipment refers to them).
SHIPPING_OR_LATER = frozenset({S.shipping, S.shipped, S.awaiting_deferred_payment,
                               S.completed, S.closed})


def _lines_settled(order: Order) -> bool:
    return (order.status in SHIPPING_OR_LATER or order.shipped_at is not None
            or bool(order.shipments))


def _describe_lines(keys: list[tuple]) -> str:
    return "; ".join(f"{code}{f' ({option})' if option else ''} ×{quantity} @{price}"
                     for code, option, quantity, price, _rate in keys)


def _conflict_recorded(session: Session, order_id: int, at_mall: str) -> bool:
    """Whether the last line conflict recorded for the order is about these same lines."""
    last = session.scalar(
        sa.select(MallSyncFailure.message)
        .where(MallSyncFailure.order_id == order_id, MallSyncFailure.action == "lines")
        .order_by(MallSyncFailure.id.desc()).limit(1))
    return last is not None and at_mall in last


def _changed(state: MallOrderState, mall_order: MallOrder) -> bool:
    """Newer than what we have. Some malls keep whole seconds only, so within the same
    second a different status counts as newer too."""
    if mall_order.updated_at is None or state.mall_updated_at is None:
        return mall_order.status != state.mall_status
    if mall_order.updated_at == state.mall_updated_at:
        return mall_order.status != state.mall_status
    return mall_order.updated_at > state.mall_updated_at


def follow_mall(session: Session, shop: Shop, order: Order, target: OrderStatus,
                actor: Actor) -> bool:
    """Move the order as the mall's status says, by the rule in the module docstring.
    Returns True when it conflicted and went on hold for an operator instead."""
    current = order.status
    target = _first_status(shop, target) if current in TABS["waiting"] else target
    if target is current:
        return False
    if target in MALL_LED:
        if target in TRANSITIONS[current]:
            _move(session, order, target, actor)
            return False
        _hold_for_attention(session, order, actor)
        return True
    if PROGRESS.get(target, -1) > PROGRESS.get(current, 99):
        path = [target] if target in TRANSITIONS[current] else [S.new, target]
        if all(b in TRANSITIONS[a] for a, b in zip([current, *path], path, strict=False)):
            for step in path:
                _move(session, order, step, actor)
            order.payment_status = _payment_status(order.payment_method.kind, order.status)
    return False


def _move(session: Session, order: Order, to: OrderStatus, actor: Actor) -> None:
    change_status(session, order, to, actor, manual=False)
    if to is S.cancelled:
        order.cancelled_at = order.cancelled_at or utcnow()
        for line in order.lines:
            line.status = LineStatus.cancelled


def _hold_for_attention(session: Session, order: Order, actor: Actor) -> None:
    if S.on_hold in TRANSITIONS[order.status]:
        change_status(session, order, S.on_hold, actor, manual=False)
    order.needs_attention = True
    order.attention_reason = _conflict_reason(session)


def _conflict_reason(session: Session) -> AttentionReason:
    reason = session.scalar(sa.select(AttentionReason).where(
        AttentionReason.name == CONFLICT_REASON))
    if reason is None:
        position = session.scalar(sa.select(sa.func.max(AttentionReason.position))) or 0
        reason = AttentionReason(name=CONFLICT_REASON, position=position + 1)
        session.add(reason)
        session.flush()
    return reason


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


# --- polling and refreshing ---------------------------------------------------------

def poll(session: Session, shop: Shop, adapter: MallAdapter, now: datetime,
         commit: Callable[[], None]) -> SyncResult:
    """Read what changed at the mall since the last poll. `commit` is called after each
    batch, so a failure later keeps what was already imported."""
    sync = session.get(ShopSync, shop.id) or ShopSync(shop_id=shop.id, inserted=0, updated=0)
    session.add(sync)
    sync.started_at, sync.error = now, None
    since = (sync.watermark - OVERLAP if sync.watermark
             else now - timedelta(days=int((shop.settings or {}).get("import_days")
                                           or FIRST_IMPORT_DAYS)))
    total = SyncResult()
    try:
        for batch in _ahead(_joined(adapter.changed_since(since, now))):
            _add(total, import_batch(session, shop, batch))
            commit()
        for mall_order_id in total.to_confirm:
            confirm_at_mall(session, shop, adapter, mall_order_id)
        sync.watermark = now
        sync.succeeded_at = utcnow()
    except MallError as error:
        session.rollback()
        sync = session.get(ShopSync, shop.id) or ShopSync(shop_id=shop.id)
        session.add(sync)
        sync.error = str(error)
    sync.finished_at = utcnow()
    sync.inserted, sync.updated = total.inserted, total.updated
    commit()
    return total


def _joined(batches: Iterator[Batch]) -> Iterator[Batch]:
    """The mall's pages joined into chunks of about IMPORT_CHUNK orders: one set of
    statements and one commit per chunk instead of per page."""
    pending = Batch()
    for batch in batches:
        pending.orders += batch.orders
        pending.problems += batch.problems
        if len(pending.orders) >= IMPORT_CHUNK:
            yield pending
            pending = Batch()
    if pending.orders or pending.problems:
        yield pending


def _ahead(batches: Iterator[Batch]) -> Iterator[Batch]:
    """Fetch the next chunk from the mall in a thread while this one is written, so the
    database and the mall's latency overlap. The thread touches only the adapter."""
    with ThreadPoolExecutor(1, thread_name_prefix="mall-fetch") as pool:
        upcoming = pool.submit(next, batches, None)
        while (batch := upcoming.result()) is not None:
            upcoming = pool.submit(next, batches, None)
            yield batch


def confirm_at_mall(session: Session, shop: Shop, adapter: MallAdapter, mall_order_id: str,
                    *, order_id: int | None = None, notification_id: int | None = None
                    ) -> str | None:
    """注文確認 at the mall. None when the mall has the order confirmed, also when it had
    already (a job run again, a retry after a lost answer); else the mall's message, which
    is recorded as a failure."""
    try:
        adapter.confirm(mall_order_id)
        return None
    except MallRefused as error:
        # A mall refuses to confirm an order it has moved past confirmation: that is done.
        if _confirmed_at_mall(shop, adapter, mall_order_id):
            return None
        message = str(error)
    except MallError as error:
        message = str(error)
    record_failure(session, shop.id, mall_order_id, "confirm", message, order_id=order_id,
                   notification_id=notification_id)
    return message


def _confirmed_at_mall(shop: Shop, adapter: MallAdapter, mall_order_id: str) -> bool:
    """Whether the mall has the order in processing or later, in our terms."""
    try:
        batch = adapter.fetch([mall_order_id])
    except MallError:
        return False
    statuses = malls.status_map(shop)
    return any(o.mall_order_id == mall_order_id
               and PROGRESS.get(statuses[o.status], -1) > PROGRESS[S.new]
               for o in batch.orders)


def _add(total: SyncResult, part: SyncResult) -> None:
    for name in ("inserted", "updated", "unchanged", "conflicts", "failed"):
        setattr(total, name, getattr(total, name) + getattr(part, name))
    total.to_confirm += part.to_confirm
    total.outcomes.update(part.outcomes)


def refresh(session: Session, shop: Shop, adapter: MallAdapter, orders: list[Order], *,
            notification_id: int | None = None) -> dict[int, str | None]:
    """注文更新: read these orders of one shop from the mall again and apply what changed.
    Returns each order's outcome: None when done, else the reason (the mall's message)."""
    outcomes: dict[int, str | None] = {}
    chunks = [{o.mall_order_id: o.id for o in orders[start:start + adapter.batch_size]}
              for start in range(0, len(orders), adapter.batch_size)]

    def fetched() -> Iterator[Batch]:
        for chunk in chunks:
            try:
                yield adapter.fetch(list(chunk))
            except MallError as error:
                yield Batch(problems=[Problem(mall_id, str(error)) for mall_id in chunk])

    for chunk, batch in zip(chunks, _ahead(fetched()), strict=True):
        result = import_batch(session, shop, batch, notification_id=notification_id,
                              action="refresh")
        for mall_id, order_id in chunk.items():
            outcomes[order_id] = result.outcomes.get(
                mall_id, _("The mall did not answer about this order."))
    session.flush()
    return outcomes


def refresh_order(session: Session, order: Order,
                  open_adapter: Callable[[Shop], MallAdapter]) -> str | None:
    """⑮ 注文更新 for one order: None when done, else why not (in words for the operator).
    Waiting orders are left to the scheduled import (seed 000 ②: only confirming and
    linking are allowed there)."""
    if order.status in TABS["waiting"]:
        return _("Waiting orders can only be confirmed or linked.")
    try:
        adapter = open_adapter(order.shop)
    except malls.NotConnected as error:
        return str(error)
    try:
        return refresh(session, order.shop, adapter, [order])[order.id]
    finally:
        adapter.close()
