"""出荷確定 (seed 001 §4, SCOPE P2 S4, S5, S8): an order's parcel got its tracking number.

The one service behind 出荷確定インポート (oms.services.shipment_import), a number saved on
the edit screen (oms.services.order_edit) and the tests. For each (order, number, carrier,
ship date) it fills the Shipment the 出荷指示 export made, or adds one; stamps the order
出荷確定日 (now) and 発送完了日 (when empty); sends the lines out (配送中); and moves 自動
orders from 出荷待ち or 出荷中 to 出荷済 (手動 orders keep their status, R1). A few
statements per 1,000 orders: no ORM load per order.

`judge` is the rule a row must pass, shared with the import's check, so what the check page
promises is what applying does; applying twice changes nothing (a number an order already
carries is skipped).

What later issues hang on here:
- 荷物番号報告 (S6/S7): `tracking_reports.request` gets the new shipments;
- 出荷完了メール (P3 M5, S8): the system mail queued for the orders whose mail is not marked
  sent (`mail.queue_system_mail` marks them), sent by its job after the commit;
- payment capture and deferred-payment ship reports (P4, issue 12): their guards on
  出荷済 → 完了 live in auto_advance.moves().
"""

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from oms import labels
from oms.models import (
    AuditEvent,
    Carrier,
    ConversionEvent,
    MailEvent,
    Order,
    OrderStatus,
    Shipment,
    StatusHistory,
)
from oms.models.base import utcnow
from oms.services import (
    audit,
    auto_advance,
    carriers,
    conversions,
    line_status,
    mail,
    tracking_reports,
)
from oms.services.actor import Actor
from oms.services.payments import automatic
from oms.services.sql_rows import expire_loaded, insert_rows, one_of, update_rows

S = OrderStatus
SHIPPABLE = (S.ready_to_ship, S.shipping)
# Where a confirmed order may have gone since (自動: 出荷済 and on).
SHIPPED = (S.shipped, S.awaiting_deferred_payment, S.completed)
CHUNK = 1000


class Verdict(StrEnum):
    ok = "ok"
    done = "done"        # the order already carries this number: skipped (取り込み済み)
    status = "status"    # the order is not awaiting shipment
    error = "error"


@dataclass(frozen=True)
class Confirmation:
    """One parcel to confirm. `carrier` is a carrier's name (None: the order's)."""

    order_id: int
    tracking_number: str
    carrier: str | None = None
    ship_date: date | None = None


@dataclass(frozen=True)
class OrderState:
    """What the rule reads of an order: its status, flags and live shipments."""

    id: int
    order_number: str
    status: OrderStatus
    auto_advance: bool
    shipping_hold: bool
    carrier: str | None
    delivery_method: str | None
    ship_mail_sent: bool
    numbers: tuple[str, ...] = ()
    # A live shipment without a number: the one the 出荷指示 export made, to be filled.
    open_shipment: int | None = None


@dataclass
class Outcome:
    confirmed: list[int] = field(default_factory=list)      # order ids
    shipment_ids: list[int] = field(default_factory=list)
    shipped: list[int] = field(default_factory=list)        # moved to 出荷済
    skipped: list[Confirmation] = field(default_factory=list)
    refused: list[tuple[Confirmation, str]] = field(default_factory=list)


def normal_number(text: str) -> str:
    """A tracking number as stored and compared: width folded, hyphens and spaces dropped
    (FORMATS 11)."""
    return carriers.digits(unicodedata.normalize("NFKC", text))


def states(session: Session, column, keys: Iterable, *, lock: bool = False) -> dict:
    """The state of the (not deleted) orders whose `column` (Order.id or
    Order.order_number) is one of `keys`, by key; 1,000 keys a query."""
    keys = sorted(set(keys))
    found: dict = {}
    for start in range(0, len(keys), CHUNK):
        batch = keys[start:start + CHUNK]
        query = (sa.select(Order.id, Order.order_number, Order.status, Order.auto_advance,
                           Order.shipping_hold, Order.carrier, Order.delivery_method,
                           Order.ship_mail_sent)
                 .where(one_of(session, column, batch), Order.deleted_at.is_(None))
                 .order_by(Order.id))
        rows = session.execute(query.with_for_update() if lock else query).all()
        shipments: dict[int, list] = {}
        for order_id, shipment_id, number in session.execute(
                sa.select(Shipment.order_id, Shipment.id, Shipment.tracking_number)
                .where(one_of(session, Shipment.order_id, [r.id for r in rows]),
                       Shipment.voided_at.is_(None)).order_by(Shipment.id)):
            shipments.setdefault(order_id, []).append((shipment_id, number))
        for row in rows:
            live = shipments.get(row.id, [])
            state = OrderState(
                *row, numbers=tuple(n for _, n in live if n),
                open_shipment=next((i for i, n in live if not n), None))
            found[row.id if column is Order.id else row.order_number] = state
    return found


def carrier_table(session: Session) -> dict[str, Carrier]:
    """Every carrier (active or not: orders keep old names) by name."""
    return {c.name: c for c in carriers.listed(session, active_only=False)}


def judge(state: OrderState | None, number: str, carrier: Carrier | None
          ) -> tuple[Verdict, str | None]:
    """Whether a parcel may be confirmed for the order, and if not, why."""
    if state is None:
        return Verdict.error, str(_l("No order has this order number."))
    if number in state.numbers:
        return Verdict.done, str(_l("Already imported."))
    if state.status in SHIPPED:
        if not state.numbers:
            return Verdict.error, str(_l(
                "Already shipped without a tracking number: enter it on the order's edit "
                "screen."))
        return Verdict.error, str(_l("Already shipped with another tracking number "
                                     "(%(number)s).", number=", ".join(state.numbers)))
    if state.status not in SHIPPABLE:
        return Verdict.status, str(_l(
            "Neither awaiting shipment nor shipping (now %(status)s).",
            status=labels.ORDER_STATUS[state.status]))
    if state.shipping_hold:
        return Verdict.error, str(_l("Shipping is on hold for this order."))
    if state.numbers:
        return Verdict.error, str(_l("The order already has tracking number %(number)s.",
                                     number=", ".join(state.numbers)))
    if not carriers.number_fits(carrier, number):
        return Verdict.error, pattern_problem(carrier)
    return Verdict.ok, None


def pattern_problem(carrier: Carrier | None) -> str:
    """「伝票番号の形式が違います（12桁）」, with the carrier's hint."""
    if carrier is not None and carrier.tracking_hint:
        return str(_l("The tracking number is not in the carrier's form (%(hint)s).",
                      hint=carrier.tracking_hint))
    return str(_l("The tracking number is not in the carrier's form."))


def confirm(session: Session, rows: list[Confirmation], actor: Actor, *,
            import_id: int | None = None) -> Outcome:
    """Confirm these parcels, 1,000 orders a step, in the caller's transaction (flushes,
    never commits). Rows the rule refuses are returned with the reason."""
    outcome = Outcome()
    table = carrier_table(session)
    for start in range(0, len(rows), CHUNK):
        _confirm_chunk(session, rows[start:start + CHUNK], actor, import_id, table, outcome)
    return outcome


def _confirm_chunk(session: Session, rows: list[Confirmation], actor: Actor,
                   import_id: int | None, table: dict[str, Carrier], outcome: Outcome) -> None:
    session.flush()
    found = states(session, Order.id, (r.order_id for r in rows), lock=True)
    accepted: list[tuple[Confirmation, OrderState]] = []
    seen: set[int] = set()
    for row in rows:
        state = found.get(row.order_id)
        carrier_name = row.carrier or (state.carrier if state else None)
        verdict, problem = judge(state, row.tracking_number, table.get(carrier_name or ""))
        if verdict is Verdict.ok and row.order_id in seen:
            verdict, problem = Verdict.error, str(_l("The same order is confirmed twice."))
        if verdict is Verdict.done:
            outcome.skipped.append(row)
        elif verdict is not Verdict.ok:
            outcome.refused.append((row, problem or ""))
        else:
            seen.add(row.order_id)
            accepted.append((row, state))
    if not accepted:
        return
    now = utcnow()
    shipment_ids = _write_shipments(session, accepted, import_id, now)
    order_ids = [state.id for _, state in accepted]
    # One row version per order (each rewrites every index of the wide orders table): the
    # stamps, the carrier when the order had none, and 出荷済 for 自動 orders (R1; the
    # rows are locked, so auto_advance is as read).
    update_rows(session, Order.__table__,
                [{"id": state.id, "carrier": state.carrier or row.carrier}
                 for row, state in accepted], match=("id",),
                also={"status": sa.case((Order.auto_advance, S.shipped.value),
                                        else_=Order.status),
                      "ship_confirmed_at": now,
                      "shipped_at": sa.func.coalesce(Order.shipped_at, now),
                      "version": Order.version + 1, "updated_at": now})
    moving = [state for _, state in accepted if state.auto_advance]
    _record(session, accepted, moving, actor, import_id, now)
    expire_loaded(session, Order, order_ids)
    line_status.send_out(session, order_ids, actor)
    outcome.confirmed += order_ids
    outcome.shipment_ids += shipment_ids
    outcome.shipped += [s.id for s in moving]
    tracking_reports.request(session, shipment_ids, actor)
    # 売上 on entering 出荷済 (seed 001 §5): the job goes in with this change.
    automatic.capture_shipped(session, [s.id for s in moving])
    conversions.notify(session, [s.id for s in moving], ConversionEvent.shipped, actor)
    mail.queue_system_mail(session, MailEvent.ship_complete,
                           [state.id for _, state in accepted if not state.ship_mail_sent], actor)
    auto_advance.advance(session, [s.id for s in moving], actor)


def _write_shipments(session: Session, accepted: list[tuple[Confirmation, OrderState]],
                     import_id: int | None, now) -> list[int]:
    """Fill the export's shipments, add the others; returns their ids."""
    def values(row: Confirmation, state: OrderState) -> dict:
        return {"tracking_number": row.tracking_number,
                "carrier": row.carrier or state.carrier or "", "shipped_at": now,
                "import_id": import_id}

    fills = [{"id": state.open_shipment, **values(row, state)}
             for row, state in accepted if state.open_shipment]
    if fills:
        update_rows(session, Shipment.__table__, fills, match=("id",))
        dated = [{"id": state.open_shipment, "ship_date": row.ship_date}
                 for row, state in accepted if state.open_shipment and row.ship_date]
        if dated:
            update_rows(session, Shipment.__table__, dated, match=("id",))
        expire_loaded(session, Shipment, [f["id"] for f in fills])
    new = [{"order_id": state.id, **values(row, state), "service": state.delivery_method,
            "ship_date": row.ship_date, "created_at": now}
           for row, state in accepted if not state.open_shipment]
    made = insert_rows(session, Shipment.__table__, new, returning=("id",)) if new else []
    return [f["id"] for f in fills] + [r.id for r in made]


def _record(session: Session, accepted: list[tuple[Confirmation, OrderState]],
            moving: list[OrderState], actor: Actor, import_id: int | None, now) -> None:
    """Status history and audit rows, one INSERT each."""
    reason = labels.stored(_l("Shipment confirmed"))
    if moving:
        insert_rows(session, StatusHistory.__table__, [
            {"order_id": s.id, "from_status": s.status.value, "to_status": S.shipped.value,
             "user_id": actor.user_id, "via": actor.via, "reason": reason, "created_at": now}
            for s in moving])
    rows = [audit.values(actor, "order.ship_confirm", entity_type="order", entity_id=state.id,
                         field="tracking_number", new=row.tracking_number,
                         details={"import_id": import_id, "carrier": row.carrier})
            for row, state in accepted]
    rows += [audit.values(actor, "order.status", entity_type="order", entity_id=s.id,
                          field="status", old=s.status.value, new=S.shipped.value,
                          details={"reason": reason}) for s in moving]
    insert_rows(session, AuditEvent.__table__, [r | {"created_at": now} for r in rows])
