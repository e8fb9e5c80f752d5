"""自動遷移 (seed 001, seed 000 ③, SCOPE P1 R1–R4): orders move on by themselves.

`moves()` is the table of automatic transitions next to workflow.TRANSITIONS: each is the
status it leaves, the status it reaches, an SQL guard and the reason written to the status
history. `advance(session, order_ids, actor)` applies them to some orders; every service
that changes what a guard reads (payment, 要対応, 出荷停止, 自動遷移, allocation) calls it in
the same transaction. `sweep()` applies them to every order, 1,000 orders per transaction,
for the time rules and to catch up (the scheduler queues it every minute, one at a time).

Only orders with 自動遷移 move; 要対応, a blacklist hit and 出荷停止 stop every automatic
move (R4). A move is one UPDATE per rule and chunk (the status counters' triggers fire per
statement), guarded again by the status it leaves and skipping rows another transaction
holds, so two sweeps at once move each order once.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from oms.labels import stored
from oms.models import (
    AllocationState,
    AuditEvent,
    BlacklistStatus,
    Customer,
    LineStatus,
    LinkResult,
    MallKind,
    Order,
    OrderLine,
    OrderStatus,
    PaymentKind,
    PaymentMethod,
    PaymentStatus,
    ReportState,
    ShipReportState,
    Shop,
    StatusHistory,
    Stock,
    StockAllocation,
    TrackingReport,
)
from oms.models.base import utcnow
from oms.models.orders import AUTO_FROM
from oms.services import allocation, app_settings, audit, line_status, masters
from oms.services.actor import AUTO, Actor
from oms.services.app_settings import WorkflowSettings
from oms.services.sql_rows import expire_loaded, insert_rows, one_of

S, P = OrderStatus, PaymentStatus
CHUNK = 1000
SYSTEM_ACTOR = Actor(None, None, None, AUTO)
PREPAID = (PaymentKind.prepaid_bank, PaymentKind.prepaid_konbini)
DEFERRED = (PaymentKind.deferred_np, PaymentKind.deferred_gmo)
# How a payment kind reads in a move's reason (「代引き 15分経過」).
KIND_SHORT = {
    PaymentKind.card: _l("Card"),
    PaymentKind.cod: _l("COD"),
    PaymentKind.prepaid_bank: _l("Bank transfer"),
    PaymentKind.prepaid_konbini: _l("Convenience store"),
    PaymentKind.deferred_np: _l("NP deferred"),
    PaymentKind.deferred_gmo: _l("GMO deferred"),
    PaymentKind.zero_yen: _l("Zero-yen"),
    PaymentKind.points: _l("Points"),
}


_NOT_DONE = (AllocationState.none, AllocationState.partial)


@dataclass(frozen=True)
class Move:
    source: OrderStatus
    target: OrderStatus
    when: sa.ColumnElement[bool]
    reason: str


def may_move() -> sa.ColumnElement[bool]:
    """R1 and R4: orders the engine may move at all (the partial index's predicate first,
    so PostgreSQL reads ix_orders_auto_advance)."""
    blacklisted = sa.select(Customer.id).where(
        Customer.id == Order.customer_id,
        Customer.blacklist_status == BlacklistStatus.blacklisted).exists()
    return sa.and_(Order.auto_advance, Order.deleted_at.is_(None),
                   Order.status.in_(tuple(s.value for s in AUTO_FROM)),
                   sa.not_(Order.needs_attention), sa.not_(Order.shipping_hold),
                   Order.blacklist_entry_id.is_(None), sa.not_(blacklisted))


def moves(session: Session, settings: WorkflowSettings, now: datetime) -> list[Move]:
    """The automatic transitions, in the order an order passes them (one pass can take an
    order several steps: paid on arrival → 入金待ち → 新規 → 引当待ち …)."""
    methods = _methods_by_kind(session)

    def paid_by(*kinds: PaymentKind) -> sa.ColumnElement[bool]:
        return Order.payment_method_id.in_([m for k in kinds for m in methods.get(k, [])])

    result = [Move(S.pending_review, S.awaiting_payment, paid_by(kind),
                   stored(_l("%(kind)s: waiting for the payment", kind=KIND_SHORT[kind])))
              for kind in PREPAID if kind in methods]
    for kind in app_settings.TIMED_KINDS:
        if kind not in methods:
            continue  # no payment method of the kind: nothing to look for
        minutes = settings.minutes_for(kind)
        due = Order.ordered_at <= now - timedelta(minutes=minutes)
        if kind is PaymentKind.card:
            # Authorized by the gateway (own shop, G1) or in the mall's word; オーソリ中
            # waits, and so does a changed card or amount (再オーソリが必要, G5).
            when = sa.and_(due, Order.payment_status.in_((P.authorized, P.captured, P.paid)),
                           sa.not_(Order.reauth_required))
            why = stored(_l("%(kind)s authorized, %(minutes)s min passed",
                            kind=KIND_SHORT[kind], minutes=minutes))
        elif kind in DEFERRED:
            when = sa.and_(due, Order.payment_status.in_((P.deferred_approved, P.paid)))
            why = stored(_l("%(kind)s credit approved", kind=KIND_SHORT[kind]))
        else:
            when = due
            why = stored(_l("%(kind)s %(minutes)s min passed", kind=KIND_SHORT[kind],
                            minutes=minutes))
        result.append(Move(S.pending_review, S.new, sa.and_(paid_by(kind), when), why))
    result.append(Move(S.awaiting_payment, S.new, Order.payment_status == P.paid,
                       stored(_l("Prepayment received"))))
    unconfirmed = _shops_without_confirm(session, settings)
    if unconfirmed:
        result.append(Move(S.new,
                           S.awaiting_allocation if settings.allocates else S.ready_to_ship,
                           Order.shop_id.in_(unconfirmed),
                           stored(_l("No order confirmation needed"))))
    result.append(Move(
        S.awaiting_allocation, S.ready_to_ship,
        sa.true() if not settings.allocates
        else Order.allocation_state.in_((AllocationState.allocated, AllocationState.forced)),
        stored(_l("Allocation off") if not settings.allocates else _l("Stock allocated"))))
    result += _after_shipping(session, paid_by)
    result.append(Move(S.awaiting_deferred_payment, S.completed, Order.payment_status == P.paid,
                       stored(_l("Deferred payment received"))))
    return result


def _after_shipping(session: Session, paid_by) -> list[Move]:
    """出荷済 onwards (seed 000 ⑤, SCOPE P2 S5). 後払い waits for its payment (後払入金待)
    once the provider accepted the 出荷報告 (SCOPE P4 G11).
    A mall collects its orders' payment: they are done (完了) once the mall has the
    tracking number, every report of theirs 報告済, so failed or pending reports stay on
    the 出荷済 tab where they are sent again. Own-shop orders with nothing to capture
    (前払, 代引き, 0円, ポイント) are done at once; own-shop cards once captured (G3)."""
    malls = [shop_id for shop_id, kind in session.execute(sa.select(Shop.id, Shop.kind))
             if kind is not MallKind.own]
    reports = sa.select(TrackingReport.id).where(TrackingReport.order_id == Order.id)
    reported = sa.and_(reports.exists(),
                       ~reports.where(TrackingReport.state != ReportState.ok).exists())
    settled = (*PREPAID, PaymentKind.cod, PaymentKind.zero_yen, PaymentKind.points)
    return [
        Move(S.shipped, S.awaiting_deferred_payment,
             sa.and_(paid_by(*DEFERRED), Order.ship_report_state == ShipReportState.ok),
             stored(_l("Shipment reported; waiting for the deferred payment"))),
        Move(S.shipped, S.completed,
             sa.and_(Order.shop_id.in_(malls), sa.not_(paid_by(*DEFERRED)), reported),
             stored(_l("Tracking number reported to the mall"))),
        Move(S.shipped, S.completed, sa.and_(Order.shop_id.not_in(malls), paid_by(*settled)),
             stored(_l("Shipped; no payment left to capture"))),
        Move(S.shipped, S.completed,
             sa.and_(Order.shop_id.not_in(malls), paid_by(PaymentKind.card),
                     Order.payment_status.in_((P.captured, P.paid))),
             stored(_l("Shipped; card payment captured"))),
    ]


def advance(session: Session, order_ids, actor: Actor | None = None) -> int:
    """Move these orders as far as the automatic transitions take them now. Flushes,
    never commits; returns how many moves were made. `actor` is who changed the input
    (the history says `auto` either way, with the reason)."""
    order_ids = sorted(set(order_ids))
    if not order_ids:
        return 0
    session.flush()
    among = one_of(session, Order.id, order_ids)
    return _pass(session, lambda q: q.where(among), len(order_ids), actor)


def sweep(session: Session, *, now: datetime | None = None,
          commit: Callable[[], None] | None = None) -> int:
    """Apply every automatic transition to every order, in transactions of CHUNK orders
    (`commit` ends each; tests pass none and keep one transaction). Returns the moves."""
    commit = commit or session.flush
    total = 0
    now = now or utcnow()
    settings = app_settings.workflow(session)
    for move in moves(session, settings, now):
        if move.source is S.awaiting_allocation and settings.allocation_mode == "auto":
            _allocate_waiting(session, commit)
        while True:
            moved = _apply(session, move, lambda q: q, CHUNK, SYSTEM_ACTOR, now)
            total += len(moved)
            commit()
            if len(moved) < CHUNK:
                break
    return total


def _pass(session: Session, narrow, limit: int, actor: Actor | None) -> int:
    """One pass of every rule over the orders `narrow` keeps, allocating (mode 自動) right
    before the rule that leaves 引当待ち."""
    now = utcnow()
    settings = app_settings.workflow(session)
    total = 0
    # Only the rules that leave a status these orders are in (or reach on the way): one
    # grouped read instead of a statement per rule.
    present = set(session.scalars(narrow(sa.select(Order.status).where(may_move())
                                         .distinct())))
    for move in moves(session, settings, now):
        if move.source not in present:
            continue
        if move.source is S.awaiting_allocation and settings.allocation_mode == "auto":
            waiting = session.scalars(narrow(
                sa.select(Order.id).where(may_move(), Order.status == S.awaiting_allocation,
                                          Order.allocation_state.in_(_NOT_DONE)))).all()
            allocation.allocate(session, waiting, actor or SYSTEM_ACTOR)
        moved = _apply(session, move, narrow, limit, actor or SYSTEM_ACTOR, now)
        if moved:
            present.add(move.target)
        total += len(moved)
    return total


def _allocate_waiting(session: Session, commit) -> None:
    """The sweep's 在庫引当 (mode 自動): orders waiting for stock, oldest first, that were
    never tried or that some stock could now serve."""
    after = None
    while True:
        query = (sa.select(Order.id, Order.ordered_at)
                 .where(may_move(), Order.status == S.awaiting_allocation,
                        Order.allocation_state.in_(_NOT_DONE),
                        _worth_trying(masters.allocation_locations(session)))
                 .order_by(Order.ordered_at, Order.id).limit(CHUNK))
        if after is not None:
            query = query.where(sa.tuple_(Order.ordered_at, Order.id) > after)
        rows = session.execute(query).all()
        if not rows:
            return
        allocation.allocate(session, [row.id for row in rows], SYSTEM_ACTOR)
        commit()
        if len(rows) < CHUNK:
            return
        after = tuple(rows[-1])


def _worth_trying(locations: list[str]) -> sa.ColumnElement[bool]:
    """Never tried (no note), forced, or some open line could now be served where the
    allocation looks (the order's location, else the priority list): an order short of
    stock is not tried again every minute for nothing."""
    servable = (
        sa.select(OrderLine.id)
        .join(Stock, Stock.sku_id == OrderLine.sku_id)
        .where(OrderLine.order_id == Order.id,
               OrderLine.status != LineStatus.cancelled,
               sa.or_(OrderLine.link_result.is_(None), OrderLine.link_result != LinkResult.fail),
               sa.or_(Stock.location == Order.stock_location,
                      sa.and_(Order.stock_location.is_(None), Stock.location.in_(locations))),
               Stock.quantity - Stock.allocated >= OrderLine.quantity,
               ~sa.select(StockAllocation.id).where(
                   StockAllocation.order_line_id == OrderLine.id,
                   StockAllocation.released_at.is_(None)).exists())
        .exists())
    return sa.or_(Order.allocation_note.is_(None), Order.force_allocation, servable)


def _apply(session: Session, move: Move, narrow, limit: int, actor: Actor,
           now: datetime) -> list[int]:
    """One UPDATE moving up to `limit` eligible orders; their history, audit and line
    statuses in the same transaction. Returns the moved ids."""
    chosen = narrow(sa.select(Order.id).where(may_move(), Order.status == move.source,
                                               move.when)
                    .order_by(Order.ordered_at, Order.id).limit(limit)
                    .with_for_update(skip_locked=True))
    moved = list(session.scalars(
        sa.update(Order).where(Order.id.in_(chosen.scalar_subquery()),
                               Order.status == move.source)
        .values(status=move.target, version=Order.version + 1, updated_at=now)
        .returning(Order.id).execution_options(synchronize_session=False)))
    if not moved:
        return []
    insert_rows(session, StatusHistory.__table__, [
        {"order_id": order_id, "from_status": move.source.value,
         "to_status": move.target.value, "user_id": None, "via": AUTO,
         "reason": move.reason, "created_at": now} for order_id in moved])
    rows = [audit.values(actor, "order.status", entity_type="order", entity_id=order_id,
                         field="status", old=move.source.value, new=move.target.value,
                         details={"reason": move.reason}) | {"created_at": now}
            for order_id in moved]
    insert_rows(session, AuditEvent.__table__, rows)
    expire_loaded(session, Order, moved)  # their status and version moved
    line_status.follow(session, moved, actor,
                       allocates=app_settings.workflow(session).allocates)
    return moved


def _methods_by_kind(session: Session) -> dict[PaymentKind, list[int]]:
    found: dict[PaymentKind, list[int]] = {}
    for method_id, kind in session.execute(sa.select(PaymentMethod.id, PaymentMethod.kind)):
        found.setdefault(kind, []).append(method_id)
    return found


def _shops_without_confirm(session: Session, settings: WorkflowSettings) -> list[int]:
    """Shops whose new orders need no 注文確認: a mall that confirms by itself (Qoo10's
    auto-confirm), and the own shop when the settings say so."""
    shops = session.execute(sa.select(Shop.id, Shop.kind, Shop.auto_confirm)).all()
    return [shop_id for shop_id, kind, auto_confirm in shops
            if auto_confirm or (kind is MallKind.own and not settings.needs_confirm(kind))]
