"""出荷確定インポート (seed 001 §4, SCOPE P2 S4): a file of tracking numbers from the label
software, checked first and applied when the operator confirms (取り込む).

The check reads the file (oms.services.shipment_import_formats), finds the orders 1,000
order numbers a query and judges every row with the confirm rule (shipment_confirm.judge).
A file without one row to import is refused whole, with the first lines' reasons
(取り込み済み among them), and nothing is kept. Otherwise a ShipmentImport keeps its good
rows, each with a warning when another order carries the same number (allowed: 同梱), and
its other rows by line with the reason — kind `error`, `status` (an order in an unexpected
status), `done` (取り込み済み: skipped) or, written when applying, `apply` (the order
changed since the check). Nothing changes until 取り込む; up to DIRECT_ROWS rows apply in
the request, more in a job of the notification log.
"""

import unicodedata
from dataclasses import dataclass, replace
from datetime import date

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from oms.csvfiles import UploadError, nothing_usable, shown
from oms.models import (
    Carrier,
    Notification,
    Order,
    OrderStatus,
    ReportState,
    Shipment,
    ShipmentImport,
    TrackingReport,
    User,
)
from oms.models.base import utcnow
from oms.services import jobs, notifications, shipment_confirm
from oms.services.actor import IMPORT, JOB, Actor, Person
from oms.services.shipment_confirm import (
    CHUNK,
    Confirmation,
    Outcome,
    Verdict,
    carrier_table,
    judge,
    normal_number,
    states,
)
from oms.services.shipment_import_formats import LAYOUTS, FileRow, parse_date, read
from oms.services.sql_rows import one_of
from oms.validation import date_problem

JOB_KIND = "shipment_import"
DIRECT_ROWS = 2000  # applied in the request; more rows go to a job
JOB_CHUNK = 2000  # rows a job commits at a time
MAX_ROWS = 100_000
NUMBER_LENGTH = 32  # shipments.tracking_number
# What a tracking number may be written with (after width folding): the carrier's
# characters, and hyphens and spaces that are dropped.
_NUMBER_CHARACTERS = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz- ")


@dataclass(frozen=True)
class GoodRow:
    """A row that 取り込む will confirm, as the ShipmentImport keeps it (a JSON list)."""

    line: int
    order_id: int
    order_number: str
    number: str
    carrier: str | None
    ship_date: str | None
    warning: str | None = None

    def confirmation(self) -> Confirmation:
        return Confirmation(self.order_id, self.number, self.carrier,
                            date.fromisoformat(self.ship_date) if self.ship_date else None)


def good_rows(upload: ShipmentImport) -> list[GoodRow]:
    return [GoodRow(*row) for row in upload.rows]


def check(session: Session, user: Person | None, file_name: str, data: bytes, layout_key: str
          ) -> ShipmentImport:
    """Read and check a file; nothing is applied. Raises UploadError when the file as a
    whole cannot be used (encoding, empty, header, too many rows)."""
    layout = LAYOUTS[layout_key]
    encoding, reader = read(data, layout)
    table = carrier_table(session)
    by_code = {c.code: c for c in table.values()}
    fixed = by_code.get(layout.carrier_code or "")
    parsed: list[tuple[int, str, str, Carrier | None, date | None]] = []
    errors: list[list] = []
    for count, row in enumerate(reader, 1):
        if count > MAX_ROWS:
            raise UploadError(_("More than %(n)d rows: split the file.", n=MAX_ROWS))
        problem, values = _read_row(row, fixed, table, by_code)
        if problem:
            errors.append([row.line, problem, Verdict.error.value])
        else:
            parsed.append((row.line, *values))
    if not parsed and not errors:
        raise UploadError(_("The file has no rows below its header."))
    found = states(session, Order.order_number, (p[1] for p in parsed))
    elsewhere = _numbers_elsewhere(session, {p[2] for p in parsed})
    rows, first_line, lines_of_number = [], {}, {}
    for line, order_number, number, carrier, shipped in parsed:
        state = found.get(order_number)
        if carrier is None and state is not None:
            carrier = table.get(state.carrier or "")  # the order's own carrier
        verdict, problem = judge(state, number, carrier)
        if verdict is Verdict.ok and order_number in first_line:
            verdict, problem = Verdict.error, _(
                "The same order is already on line %(line)d.", line=first_line[order_number])
        if verdict is not Verdict.ok:
            errors.append([line, problem, verdict.value])
            continue
        first_line[order_number] = line
        lines_of_number.setdefault(number, []).append(order_number)
        rows.append(GoodRow(line, state.id, order_number, number,
                            carrier.name if carrier else None,
                            shipped.isoformat() if shipped else None))
    if not rows:  # nothing to import: refused whole, with the first lines' reasons
        raise UploadError(nothing_usable(errors))
    rows = [_with_warning(row, elsewhere, lines_of_number) for row in rows]
    errors.sort(key=lambda e: e[0])
    upload = ShipmentImport(user_id=user.id if user else None, file_name=file_name[:255],
                            format=layout.key, encoding=encoding,
                            rows=[list(vars(row).values()) for row in rows], errors=errors)
    session.add(upload)
    session.flush()
    return upload


def _read_row(row: FileRow, fixed: Carrier | None, table: dict[str, Carrier],
              by_code: dict[str, Carrier]) -> tuple[str | None, tuple]:
    """A file row's order number, tracking number, carrier and ship date, or why not."""
    if row.problem:
        return row.problem, ()
    order_number = unicodedata.normalize("NFKC", row.order)
    raw = unicodedata.normalize("NFKC", row.number)
    if not order_number:
        return _("The order number is empty."), ()
    if not raw:
        return _("The tracking number is empty."), ()
    number = normal_number(raw)
    if set(raw) - _NUMBER_CHARACTERS or not number or len(number) > NUMBER_LENGTH:
        return _("%(number)s is not a tracking number (up to %(n)d letters and digits).",
                 number=shown(raw), n=NUMBER_LENGTH), ()
    carrier = fixed
    if row.carrier:
        name = unicodedata.normalize("NFKC", row.carrier)
        carrier = table.get(name) or by_code.get(name.lower())
        if carrier is None:
            return _("No carrier is called %(name)s (配送業者管理).", name=shown(name)), ()
    try:
        shipped = parse_date(unicodedata.normalize("NFKC", row.ship_date))
    except ValueError:
        shipped = None
        problem = _("The ship date %(value)s is not a date (2026/12/01).",
                    value=shown(row.ship_date))
    else:
        problem = date_problem(shipped) if shipped else None
    if problem:
        return problem, ()
    return None, (order_number, number, carrier, shipped)


def _numbers_elsewhere(session: Session, numbers: set[str]) -> dict[str, list[str]]:
    """The orders whose live shipments already carry each number (1,000 numbers a query)."""
    found: dict[str, list[str]] = {}
    ordered = sorted(numbers)
    for start in range(0, len(ordered), CHUNK):
        for number, order_number in session.execute(
                sa.select(Shipment.tracking_number, Order.order_number)
                .join(Order, Order.id == Shipment.order_id)
                .where(one_of(session, Shipment.tracking_number, ordered[start:start + CHUNK]),
                       Shipment.voided_at.is_(None))):
            found.setdefault(number, []).append(order_number)
    return found


def _with_warning(row: GoodRow, elsewhere: dict[str, list[str]],
                  in_file: dict[str, list[str]]) -> GoodRow:
    others = sorted({*elsewhere.get(row.number, []), *in_file.get(row.number, [])}
                    - {row.order_number})
    if not others:
        return row
    return replace(row, warning=_(
        "Order %(orders)s has the same tracking number (fine when packed together).",
        orders=", ".join(others[:5]) + (" …" if len(others) > 5 else "")))


def get_for(session: Session, user: Person, import_id: int) -> ShipmentImport | None:
    """A checked import its uploader (or an admin) may see and apply."""
    upload = session.get(ShipmentImport, import_id)
    if upload is None or (upload.user_id != user.id and not user.is_admin):
        return None
    return upload


def apply(session: Session, upload: ShipmentImport, actor: Actor, user: Person | None,
          locale: str) -> Notification | None:
    """取り込む: confirm the good rows now, or record the job that will (returned) when
    there are more than DIRECT_ROWS. Raises UploadError when already applied."""
    if upload.applied_at is not None:
        raise UploadError(_("This file has already been imported."))
    upload.applied_at = utcnow()
    if len(upload.rows) > DIRECT_ROWS:
        note = jobs.start(session, JOB_KIND, user, {"import_id": upload.id, "locale": locale},
                          orders=len(upload.rows))
        upload.notification_id = note.id
        session.flush()
        return note
    confirm_rows(session, upload, good_rows(upload), replace(actor, via=IMPORT))
    session.flush()
    return None


def apply_job(session: Session, note: Notification, report) -> None:
    """The job of a large import: JOB_CHUNK rows a transaction (`report` commits)."""
    upload = session.scalar(sa.select(ShipmentImport)
                            .where(ShipmentImport.notification_id == note.id))
    if upload is None:
        return
    rows = good_rows(upload)
    notifications.mark_running(session, note, len(rows))
    user = session.get(User, note.user_id) if note.user_id else None
    actor = Actor(note.user_id, user.username if user else None, None, f"{JOB}:{note.id}")
    report(0)
    for start in range(0, len(rows), JOB_CHUNK):
        outcome = confirm_rows(session, upload, rows[start:start + JOB_CHUNK], actor)
        note.failed += len(outcome.refused)
        report(start + len(rows[start:start + JOB_CHUNK]))


def confirm_rows(session: Session, upload: ShipmentImport, rows: list[GoodRow], actor: Actor
             ) -> Outcome:
    """Confirm rows; what the rule refuses now (the order changed since the check) joins
    the import's errors with the line, kind `apply` (`done` when it was confirmed meanwhile)."""
    outcome = shipment_confirm.confirm(session, [r.confirmation() for r in rows], actor,
                                       import_id=upload.id)
    line = {(r.order_id, r.number): r.line for r in rows}
    later = [[line[(c.order_id, c.tracking_number)], problem, "apply"]
             for c, problem in outcome.refused]
    later += [[line[(c.order_id, c.tracking_number)], str(_l("Already imported.")),
               Verdict.done.value] for c in outcome.skipped]
    if later:
        upload.errors = sorted([*upload.errors, *later], key=lambda e: e[0])
    return outcome


@dataclass(frozen=True)
class Result:
    """What an applied import did, as its result page shows it."""

    confirmed: int
    by_status: dict[OrderStatus, int]
    reports: dict[ReportState, int]
    job: Notification | None


def result(session: Session, upload: ShipmentImport) -> Result:
    confirmed = session.scalar(sa.select(sa.func.count()).select_from(Shipment)
                               .where(Shipment.import_id == upload.id))
    by_status = dict(session.execute(
        sa.select(Order.status, sa.func.count()).join(Shipment, Shipment.order_id == Order.id)
        .where(Shipment.import_id == upload.id).group_by(Order.status)).all())
    reports = dict(session.execute(
        sa.select(TrackingReport.state, sa.func.count())
        .join(Shipment, Shipment.id == TrackingReport.shipment_id)
        .where(Shipment.import_id == upload.id).group_by(TrackingReport.state)).all())
    job = session.get(Notification, upload.notification_id) if upload.notification_id else None
    return Result(confirmed, by_status, reports, job)


def layout_choices() -> list[tuple[str, str]]:
    return [(layout.key, str(layout.label)) for layout in LAYOUTS.values()]
