"""与信結果インポート and 出荷報告結果インポート (seed 001 §1, §5; SCOPE P4 G8, G11): a file
from NP / GMO, checked first and applied when the operator confirms (取り込む).

The check reads the file (oms.services.deferred_files), finds the orders 1,000 keys a query
(注文番号 for 与信結果, the provider's transaction id for 出荷報告結果) with their last
registration or report in the ledger, and judges each row: a code the provider does not
send, an unknown order, an order of another provider, a second row for one order, or one
not awaiting this result is a bad row with the reason; a result already recorded for the
same registration is 取り込み済み (`done`), so importing one file twice changes nothing. A
file without one row to import is refused whole, with the first lines' reasons, and
nothing is kept.

取り込む applies the good rows set-based (up to DIRECT_ROWS in the request, more in a job of
the notification log, JOB_CHUNK rows a transaction): one UPDATE per verdict, the ledger's
result rows and the registrations they close in one statement each, then the workflow
moves the orders (与信済 → 新規; 出荷報告 OK → 後払入金待).

* 与信結果: NP 00 / GMO OK → 与信済; 10 / 保留 → 与信保留 + 要対応 「与信保留」 with the hold
  reasons; 20 / NG → 与信NG + 要対応 「与信NG」 with the NG reason (NG999 …); 40 / 審査中 →
  stays 与信待ち (the verdict says 審査中).
* 出荷報告結果: OK → 出荷報告 ok; NG → ng with the provider's message.
"""

from collections import defaultdict
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from oms.csvfiles import UploadError, nothing_usable, shown
from oms.models import (
    AuditEvent,
    DeferredFile,
    DeferredImport,
    DeferredResult,
    Gateway,
    Notification,
    Order,
    PaymentMethod,
    PaymentStatus,
    PaymentTransaction,
    ShipReportState,
    TransactionKind,
    TransactionState,
    User,
)
from oms.models.base import utcnow
from oms.services import attention_reasons, audit, auto_advance, jobs, notifications
from oms.services.actor import IMPORT, JOB, Actor, Person
from oms.services.deferred import HOLD_REASON, NG_REASON
from oms.services.deferred_export import KINDS, provider_name
from oms.services.deferred_files import CREDIT_CODES, LAYOUTS, SHIP_CODES, read_results
from oms.services.sql_rows import expire_loaded, insert_rows, one_of, update_rows

JOB_KIND = "deferred_import"
DIRECT_ROWS = 2000  # applied in the request; more rows go to a job
JOB_CHUNK = 2000  # rows a job commits at a time
KEYS_PER_QUERY = 1000
MAX_ROWS = 100_000
REASON_LENGTH = 64  # orders.deferred_reason
MESSAGE_LENGTH = 500
ERROR, UNKNOWN, DONE = "error", "unknown", "done"


@dataclass(frozen=True)
class GoodRow:
    line: int
    order_id: int
    order_number: str
    code: str
    ref: str
    reason: str
    opened_id: int  # the ledger row (registration or report) this result answers


@dataclass(frozen=True)
class _Found:
    order_id: int
    order_number: str
    kind: object
    opened_id: int | None
    opened_state: TransactionState | None


def good_rows(upload: DeferredImport) -> list[GoodRow]:
    return [GoodRow(*row) for row in upload.rows]


def result_key(upload_file: DeferredFile, opened_id: int, code: str) -> str:
    kind = (TransactionKind.deferred_result if upload_file is DeferredFile.credit
            else TransactionKind.ship_report_result)
    return f"{kind.value}:{opened_id}:{code}"


def check(session: Session, user: Person | None, file_name: str, data: bytes,
          gateway: Gateway, upload_file: DeferredFile) -> DeferredImport:
    """Read and judge a result file; nothing is applied. Raises UploadError when the file
    as a whole cannot be used."""
    layout = LAYOUTS[gateway, upload_file]
    lines = read_results(data, layout)
    if not lines:
        raise UploadError(_("The file has no rows below its header."))
    if len(lines) > MAX_ROWS:
        raise UploadError(_("More than %(n)d rows: split the file.", n=MAX_ROWS))
    credit = upload_file is DeferredFile.credit
    codes = CREDIT_CODES[gateway] if credit else SHIP_CODES
    found = _orders(session, upload_file, {line.key for line in lines if line.key})
    done_keys = _recorded(session, [result_key(upload_file, f.opened_id, line.code)
                                    for line in lines
                                    if (f := found.get(line.key)) and f.opened_id])
    rows, errors, first_line = [], [], {}
    for line in lines:
        kind, problem = ERROR, None
        order = found.get(line.key)
        if line.problem:
            problem = line.problem
        elif not line.key:
            problem = _("The order key is empty.")
        elif line.code not in codes:
            problem = _("%(code)s is not a result %(provider)s sends (%(codes)s).",
                        code=shown(line.code) or "—", provider=provider_name(gateway),
                        codes=" / ".join(codes))
        elif order is None:
            kind = UNKNOWN
            problem = (_("No order has the order number %(key)s.", key=shown(line.key))
                       if credit else
                       _("No order has the transaction id %(key)s.", key=shown(line.key)))
        elif order.kind is not KINDS[gateway]:
            problem = _("Order %(number)s does not pay with %(provider)s.",
                        number=order.order_number, provider=provider_name(gateway))
        elif order.order_id in first_line:
            problem = _("The same order is already on line %(line)d.",
                        line=first_line[order.order_id])
        elif order.opened_id and result_key(upload_file, order.opened_id,
                                            line.code) in done_keys:
            kind, problem = DONE, _("Already imported.")
        elif order.opened_state is not TransactionState.pending:
            problem = (_("Order %(number)s is not awaiting a credit result.",
                         number=order.order_number) if credit else
                       _("Order %(number)s is not awaiting a shipment report result.",
                         number=order.order_number))
        elif credit and codes[line.code] is DeferredResult.ok and not line.ref:
            problem = _("An approved row needs the provider's transaction id.")
        if problem:
            errors.append([line.line, problem, kind])
            continue
        first_line[order.order_id] = line.line
        rows.append([line.line, order.order_id, order.order_number, line.code,
                     line.ref[:64], line.reason[:MESSAGE_LENGTH], order.opened_id])
    if not rows:  # nothing to import (a file imported before among them): refused whole
        raise UploadError(nothing_usable(errors))
    upload = DeferredImport(file=upload_file, gateway=gateway,
                            user_id=user.id if user else None, file_name=file_name[:255],
                            rows=rows, errors=errors)
    session.add(upload)
    session.flush()
    return upload


def _orders(session: Session, upload_file: DeferredFile, keys: set[str]) -> dict[str, _Found]:
    """The orders of the file's keys, each with its last registration (or report)."""
    credit = upload_file is DeferredFile.credit
    key_column = Order.order_number if credit else Order.deferred_ref
    opened = (TransactionKind.deferred_register if credit else TransactionKind.ship_report)
    last = (sa.select(sa.func.max(PaymentTransaction.id))
            .where(PaymentTransaction.order_id == Order.id, PaymentTransaction.kind == opened)
            .correlate(Order).scalar_subquery())
    found: dict[str, _Found] = {}
    ordered = sorted(keys)
    for start in range(0, len(ordered), KEYS_PER_QUERY):
        query = (sa.select(key_column, Order.id, Order.order_number, PaymentMethod.kind,
                           PaymentTransaction.id, PaymentTransaction.state)
                 .join(PaymentMethod, PaymentMethod.id == Order.payment_method_id)
                 .outerjoin(PaymentTransaction, PaymentTransaction.id == last)
                 .where(one_of(session, key_column, ordered[start:start + KEYS_PER_QUERY]),
                        Order.deleted_at.is_(None)))
        for key, *values in session.execute(query):
            found[key] = _Found(*values)
    return found


def _recorded(session: Session, keys: list[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(keys), KEYS_PER_QUERY):
        found.update(session.scalars(sa.select(PaymentTransaction.idempotency_key).where(
            one_of(session, PaymentTransaction.idempotency_key,
                   keys[start:start + KEYS_PER_QUERY]))))
    return found


def get_for(session: Session, user: Person, import_id: int) -> DeferredImport | None:
    """A checked import its uploader (or an admin) may see and apply."""
    upload = session.get(DeferredImport, import_id)
    if upload is None or (upload.user_id != user.id and not user.is_admin):
        return None
    return upload


def apply(session: Session, upload: DeferredImport, actor: Actor, user: Person | None,
          locale: str) -> Notification | None:
    """取り込む: the rows now, or record the job that will (returned) when there are more
    than DIRECT_ROWS. Raises UploadError when already applied."""
    if upload.applied_at is not None:
        raise UploadError(_("This file has already been imported."))
    upload.applied_at = utcnow()
    rows = good_rows(upload)
    if len(rows) > DIRECT_ROWS:
        note = jobs.start(session, JOB_KIND, user, {"import_id": upload.id, "locale": locale},
                          orders=len(rows))
        upload.notification_id = note.id
        session.flush()
        return note
    apply_rows(session, upload, rows, Actor(actor.user_id, actor.username, actor.ip, IMPORT))
    session.flush()
    return None


def apply_job(session: Session, note: Notification, report) -> None:
    """The job of a large file: JOB_CHUNK rows a transaction (`report` commits). A re-run
    skips the rows whose result is already recorded."""
    upload = session.scalar(sa.select(DeferredImport)
                            .where(DeferredImport.notification_id == note.id))
    if upload is None:
        return
    rows = good_rows(upload)
    notifications.mark_running(session, note, len(rows))
    user = session.get(User, note.user_id) if note.user_id else None
    actor = Actor(note.user_id, user.username if user else None, None, f"{JOB}:{note.id}")
    report(0)
    for start in range(0, len(rows), JOB_CHUNK):
        chunk = rows[start:start + JOB_CHUNK]
        done = _recorded(session, [result_key(upload.file, r.opened_id, r.code) for r in chunk])
        chunk = [r for r in chunk if result_key(upload.file, r.opened_id, r.code) not in done]
        if chunk:
            apply_rows(session, upload, chunk, actor)
        report(start + len(rows[start:start + JOB_CHUNK]))


def apply_rows(session: Session, upload: DeferredImport, rows: list[GoodRow],
               actor: Actor) -> None:
    if upload.file is DeferredFile.credit:
        _apply_credit(session, upload, rows, actor)
    else:
        _apply_ship(session, upload, rows, actor)


def _apply_credit(session: Session, upload: DeferredImport, rows: list[GoodRow],
                  actor: Actor) -> None:
    codes = CREDIT_CODES[upload.gateway]
    by_verdict: dict[DeferredResult, list[GoodRow]] = defaultdict(list)
    for row in rows:
        by_verdict[codes[row.code]].append(row)
    status = {DeferredResult.ok: PaymentStatus.deferred_approved,
              DeferredResult.hold: PaymentStatus.deferred_hold,
              DeferredResult.ng: PaymentStatus.auth_failed,
              DeferredResult.review: PaymentStatus.deferred_registered}
    attention = {DeferredResult.hold: HOLD_REASON, DeferredResult.ng: NG_REASON}
    for verdict, chosen in by_verdict.items():
        values = [{"id": r.order_id, "payment_status": status[verdict].value,
                   "deferred_result": verdict.value,
                   "deferred_reason": None if verdict is DeferredResult.ok
                   else r.reason[:REASON_LENGTH] or None}
                  | ({"deferred_ref": r.ref} if r.ref else {})
                  for r in chosen]
        also = {}
        if verdict in attention:
            also = {"needs_attention": True, "attention_reason_id":
                    attention_reasons.named(session, attention[verdict]).id}
        _update_orders(session, values, also)
    final = {DeferredResult.ok: TransactionState.succeeded,
             DeferredResult.ng: TransactionState.failed}
    _record(session, upload, rows, actor, TransactionKind.deferred_result,
            lambda r: codes[r.code] in final,
            lambda r: final.get(codes[r.code], TransactionState.succeeded))
    _audit(session, rows, actor, "payment_status",
           lambda r: status[codes[r.code]].value, upload)
    approved = [r.order_id for r in by_verdict[DeferredResult.ok]]
    if approved:
        # An approval after a hold: the 与信保留 要対応 is settled, so the order may move on.
        hold = attention_reasons.named(session, HOLD_REASON).id
        session.execute(sa.update(Order).where(one_of(session, Order.id, approved),
                                               Order.attention_reason_id == hold)
                        .values(needs_attention=False, attention_reason_id=None)
                        .execution_options(synchronize_session=False))
    auto_advance.advance(session, approved, actor)


def _apply_ship(session: Session, upload: DeferredImport, rows: list[GoodRow],
                actor: Actor) -> None:
    for ok in (True, False):
        chosen = [r for r in rows if SHIP_CODES[r.code] is ok]
        if chosen:
            _update_orders(session, [
                {"id": r.order_id, "ship_report_state":
                 (ShipReportState.ok if ok else ShipReportState.ng).value,
                 "ship_report_error": None if ok else (r.reason or "NG")[:MESSAGE_LENGTH]}
                for r in chosen], {})
    _record(session, upload, rows, actor, TransactionKind.ship_report_result,
            lambda r: True,
            lambda r: TransactionState.succeeded if SHIP_CODES[r.code]
            else TransactionState.failed)
    _audit(session, rows, actor, "ship_report_state",
           lambda r: "ok" if SHIP_CODES[r.code] else "ng", upload)
    auto_advance.advance(session, [r.order_id for r in rows if SHIP_CODES[r.code]], actor)


def _update_orders(session: Session, values: list[dict], also: dict) -> None:
    """Each order's own values (one statement per set of columns: rows with and without
    the provider's id), plus `also` for all."""
    parts: dict[tuple, list[dict]] = defaultdict(list)
    for value in values:
        parts[tuple(value)].append(value)
    now = utcnow()
    for part in parts.values():
        update_rows(session, Order.__table__, part, match=("id",),
                    also={**also, "version": Order.__table__.c.version + 1, "updated_at": now})
    expire_loaded(session, Order, [v["id"] for v in values])


def _record(session: Session, upload: DeferredImport, rows: list[GoodRow], actor: Actor,
            kind: TransactionKind, closes, state_of) -> None:
    """The ledger's result rows, and the registrations (reports) they close."""
    now = utcnow()
    insert_rows(session, PaymentTransaction.__table__, [
        {"order_id": r.order_id, "kind": kind.value, "gateway": upload.gateway.value,
         "amount": 0, "state": state_of(r).value,
         "idempotency_key": result_key(upload.file, r.opened_id, r.code),
         "external_ref": r.ref or None, "result_code": r.code,
         "message": r.reason or None, "user_id": actor.user_id, "user_name": actor.username,
         "via": actor.via, "notification_id": None, "created_at": now, "finished_at": now}
        for r in rows])
    closing = [{"id": r.opened_id, "state": state_of(r).value, "result_code": r.code,
                "finished_at": now} for r in rows if closes(r)]
    if closing:
        update_rows(session, PaymentTransaction.__table__, closing, match=("id",))


def _audit(session: Session, rows: list[GoodRow], actor: Actor, field: str, new_of,
           upload: DeferredImport) -> None:
    now = utcnow()
    insert_rows(session, AuditEvent.__table__, [
        audit.values(actor, f"order.{field}", entity_type="order", entity_id=r.order_id,
                     field=field, new=new_of(r),
                     details={"import_id": upload.id, "code": r.code, "line": r.line})
        | {"created_at": now} for r in rows])


@dataclass(frozen=True)
class Summary:
    """What a checked or applied file holds, by result code, for its page."""

    by_code: dict[str, int]
    errors: dict[str, int]


def summary(upload: DeferredImport) -> Summary:
    by_code: dict[str, int] = defaultdict(int)
    for row in upload.rows:
        by_code[row[3]] += 1
    errors: dict[str, int] = defaultdict(int)
    for error in upload.errors:
        errors[error[2]] += 1
    return Summary(dict(by_code), dict(errors))
