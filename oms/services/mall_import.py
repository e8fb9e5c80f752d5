"""Orders from the malls into ours: new ones inserted, known ones handed on to follow
their mall (oms.services.mall_follow).

Import is an idempotent upsert keyed by UNIQUE(shop_id, mall_order_id): new orders go in
with INSERT ... ON CONFLICT DO NOTHING, so two workers importing the same page never
duplicate an order (the loser of a race updates instead). An answer older than the one
already stored (a duplicate delivery, an out-of-order update time) changes nothing.

One bad record never blocks an import: records that cannot be stored are failures
(oms.services.mall_failures), and should the database still refuse a chunk, its orders go
in one savepoint each.
"""

import re
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from oms.integrations.malls import Batch, MallOrder
from oms.models import (
    ConversionEvent,
    MailEvent,
    MallOrderState,
    NumberCounter,
    Order,
    OrderStatus,
    Shop,
    StatusHistory,
)
from oms.models.base import upsert, utcnow
from oms.services import blacklist, conversions, mail, malls
from oms.services.actor import Actor
from oms.services.mall_failures import (
    id_problem,
    new_order_problems,
    record_failure,
    unstorable,
    update_problems,
)
from oms.services.mall_follow import lines_moved, may_have_new_lines, update_known
from oms.services.mall_rows import (
    LINES,
    ORDERS,
    STATES,
    S,
    first_status,
    line_values,
    order_row,
    payment_methods,
    state_values,
)
from oms.services.storable import shown

NUMBER_SERIES = "order_number"
# Imported orders are numbered from here up, clear of hand-made and demo numbers.
FIRST_IMPORTED_NUMBER = 2_000_000_000
# The ご注文受付 system mail goes to orders that arrive open: a shop's first import brings
# its history, whose shipped or cancelled orders are no news to their customers.
RECEIVED_ON_ARRIVAL = (S.pending_review, S.awaiting_payment, S.new, S.awaiting_allocation,
                       S.ready_to_ship)


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
                   if p.mall_order_id and id_problem(p.mall_order_id) is None]
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
        if problem := id_problem(mall_id):
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
    moved = lines_moved(session, {
        known[mall_id][0]: o for mall_id, o in latest.items()
        if mall_id not in result.outcomes and may_have_new_lines(known[mall_id][1], o)})
    todo = [(mall_id, mall_order, *known[mall_id]) for mall_id, mall_order in latest.items()
            if mall_id not in result.outcomes]
    bad = update_problems([(mall_order, order_id in moved)
                                   for _mall_id, mall_order, order_id, _state in todo])
    for index, (mall_id, mall_order, order_id, state) in enumerate(todo):
        if index in bad:
            failed(mall_id, bad[index], order_id=order_id)
            continue
        update_known(session, shop, order_id, state, mall_order, statuses, actor, result,
                lines_moved=order_id in moved, notification_id=notification_id)
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


def _newer(a: MallOrder, b: MallOrder) -> bool:
    return a.updated_at is not None and (b.updated_at is None or a.updated_at > b.updated_at)


def _known(session: Session, shop_id: int, mall_ids: list[str]
           ) -> dict[str, tuple[int, MallOrderState | None]]:
    rows = session.execute(
        sa.select(Order.mall_order_id, Order.id, MallOrderState)
        .outerjoin(MallOrderState, MallOrderState.order_id == Order.id)
        .where(Order.shop_id == shop_id, Order.mall_order_id.in_(mall_ids)))
    return {mall_id: (order_id, state) for mall_id, order_id, state in rows}


@dataclass
class _NewOrder:
    mall_order: MallOrder
    row: dict
    lines: list[dict]


def _insert(session: Session, shop: Shop, orders: list[MallOrder],
            statuses: dict[str, OrderStatus], result: SyncResult, failed: _Failed) -> None:
    numbers = reserve_numbers(session, len(orders))
    methods = payment_methods(session)
    now = utcnow()
    prepared = []
    for number, mall_order in zip(numbers, orders, strict=True):
        status = first_status(shop, statuses[mall_order.status])
        prepared.append((mall_order, order_row(shop, mall_order, status, str(number), methods,
                                                now), line_values(mall_order, status)))
    bad = new_order_problems(prepared)
    new = []
    for index, (mall_order, row, lines) in enumerate(prepared):
        if index in bad:
            failed(mall_order.mall_order_id, bad[index])
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
                failed(item.mall_order.mall_order_id, unstorable(_database_reason(refused)))
    mapped = {item.mall_order.mall_order_id: statuses[item.mall_order.status] for item in new}
    conversions.notify(session, [order_id for order_id, _mall_id, _status in created],
                       ConversionEvent.order_created, import_actor())
    # One job for the batch's new orders, when ご注文受付 is on (it is off by default).
    mail.queue_system_mail(session, MailEvent.order_received, [
        order_id for order_id, _mall_id, status in created if status in RECEIVED_ON_ARRIVAL],
        import_actor())
    for _order_id, mall_id, status in created:
        if status != mapped[mall_id]:  # confirmed here on the mall's behalf
            result.to_confirm.append(mall_id)
        result.outcomes[mall_id] = None
    result.inserted += len(created)


def _write_new(session: Session, new: list[_NewOrder], now: datetime
               ) -> list[tuple[int, str, S]]:
    """Insert checked orders with their lines, mall states and first history rows; returns
    (order id, mall order id, status) of those that went in (another worker may have been
    first)."""
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
        states.append({"order_id": order_id, **state_values(item.mall_order),
                       "fetched_at": now})
        history.append({"order_id": order_id, "from_status": None, "to_status": status,
                        "via": "import", "created_at": now})
    # Core inserts of plain rows: the ORM's bulk path costs more than the database.
    session.execute(LINES.insert(), lines)
    session.execute(STATES.insert(), states)
    session.execute(StatusHistory.__table__.insert(), history)
    # A blacklisted orderer who buys again through a mall is flagged on arrival.
    blacklist.flag_orders(session, [order_id for order_id, _mall_id, _status in created])
    return [(order_id, mall_id, S(status)) for order_id, mall_id, status in created]


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
        numeric = highest is not None and re.fullmatch(r"[0-9]+", highest)
        start = max(FIRST_IMPORTED_NUMBER, int(highest) + 1 if numeric else 0)
        insert = upsert(conn, table)
        conn.execute(insert.values(name=NUMBER_SERIES, value=start).on_conflict_do_nothing())
    end = conn.scalar(sa.update(table).where(table.c.name == NUMBER_SERIES)
                      .values(value=table.c.value + count).returning(table.c.value))
    return range(end - count, end)
