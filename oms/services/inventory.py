"""在庫情報ダウンロード・アップロード (seed 000 ④): the processing orders' lines with their
SKU's stock, and stock per SKU and location set in bulk from a CSV.

The download can be uploaded again as it is: its header is in the operator's language
(Japanese by default), and the upload finds the SKU, location and stock columns by their
name in any language (or by the keys `sku`, `location`, `stock`) and ignores the others.
An upload is checked first; its good rows are applied only when the operator confirms,
with every bad row listed by line.
"""

import csv
import io
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session, selectinload

from oms.csvfiles import (
    ENCODINGS,
    CsvLine,
    UploadError,
    decode_upload,
    export_cell,
    find_columns,
    nothing_usable,
    read_rows,
    shown,
)
from oms.models import Order, OrderLine, Sku, Stock, StockUpload
from oms.models.base import upsert, utcnow
from oms.services import audit
from oms.services.actor import Actor, Person
from oms.validation import INT8_MAX, parse_int

COLUMNS = {
    "order_number": _l("Order number"),
    "line_no": _l("Line no."),
    "product_code": _l("Mall product code"),
    "option": _l("Option"),
    "product_name": _l("Product name"),
    "ordered_qty": _l("Ordered quantity"),
    "sku": _l("SKU code"),
    "location": _l("Location"),
    "stock": _l("Stock"),
    "allocated": _l("Allocated"),
    "available": _l("Available"),
}
REQUIRED = ("sku", "location", "stock")


def header() -> tuple[str, ...]:
    """The download's header row, in the current language."""
    return tuple(str(label) for label in COLUMNS.values())


def required_names() -> list[str]:
    """The columns an upload needs, by their names in the current language."""
    return [str(COLUMNS[key]) for key in REQUIRED]
CHUNK = 1000
MAX_ROWS = 100_000


def download_rows(session: Session, where: list[sa.ColumnElement[bool]], encoding: str
                  ) -> Iterator[bytes]:
    """The CSV, encoded, a chunk of orders at a time (streamed to the browser)."""
    if encoding not in ENCODINGS:
        raise ValueError(f"unknown encoding {encoding!r}")
    codec = ENCODINGS[encoding]
    yield _encode([header()], codec, encoding, first=True)
    last_id = 0
    while True:
        orders = session.scalars(
            sa.select(Order).where(*where, Order.id > last_id).order_by(Order.id).limit(CHUNK)
            .options(selectinload(Order.lines).selectinload(OrderLine.sku)
                     .selectinload(Sku.stocks))).all()
        if not orders:
            return
        last_id = orders[-1].id
        yield _encode([row for order in orders for line in order.lines
                       for row in _rows(order, line)], codec, encoding)


def _rows(order: Order, line: OrderLine) -> Iterator[tuple]:
    head = (order.order_number, line.line_no, line.mall_product_code, line.mall_option,
            line.product_name, line.quantity)
    if line.sku is None:
        yield (*head, "", "", "", "", "")
        return
    for stock in line.sku.stocks or [Stock(location="main", quantity=0, allocated=0)]:
        yield (*head, line.sku.code, stock.location, stock.quantity, stock.allocated,
               stock.quantity - stock.allocated)


def _encode(rows: list[tuple], codec: str, encoding: str, first: bool = False) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for row in rows:
        writer.writerow([export_cell(cell, encoding)[0] for cell in row])
    text = out.getvalue()
    # utf-8-sig writes its BOM once, at the very start of the file.
    return text.encode(codec) if first or codec != "utf-8-sig" else text.encode("utf-8")


def check_upload(session: Session, user: Person | None, filename: str, data: bytes
                 ) -> StockUpload:
    """Read and check a stock CSV; nothing is applied yet. Raises UploadError when the
    file as a whole cannot be used (encoding, header, not one usable row)."""
    reader = read_rows(decode_upload(data))
    index = find_columns(next(reader, CsvLine(1)).cells, COLUMNS, REQUIRED)
    missing = [str(COLUMNS[key]) for key in REQUIRED if key not in index]
    if missing:
        raise UploadError(_("The header row lacks the columns: %(columns)s",
                            columns=", ".join(missing)))
    parsed: list[tuple[int, str, str, str]] = []
    errors: list[list] = []
    for count, row in enumerate(reader, 1):
        if count > MAX_ROWS:
            raise UploadError(_("More than %(n)d rows: split the file.", n=MAX_ROWS))
        if row.problem:
            errors.append([row.line, row.problem])
        elif any(cell.strip() for cell in row.cells):
            cells = [row.cells[index[key]].strip() if index[key] < len(row.cells) else ""
                     for key in REQUIRED]
            parsed.append((row.line, *cells))
    skus = _skus(session, {sku for _, sku, _, _ in parsed})
    rows, seen = [], {}
    for number, sku_code, location, stock in parsed:
        problem, quantity = _check_row(sku_code, location or "main", stock, skus)
        key = (sku_code, location or "main")
        if problem is None and key in seen:
            problem = _("The same SKU and location is already on line %(line)d.",
                        line=seen[key])
        if problem:
            errors.append([number, problem])
            continue
        seen[key] = number
        rows.append([skus[sku_code], sku_code, location or "main", quantity])
    if not rows:
        raise UploadError(nothing_usable(errors) if errors
                          else _("The file has no stock rows below its header."))
    errors.sort()
    upload = StockUpload(user_id=user.id if user else None, filename=filename[:255],
                         rows=rows, errors=errors)
    session.add(upload)
    session.flush()
    return upload


def get_upload_for(session: Session, user: Person, upload_id: int) -> StockUpload | None:
    """A checked upload its uploader (or an admin) may see and apply."""
    upload = session.get(StockUpload, upload_id)
    if upload is None or (upload.user_id != user.id and not user.is_admin):
        return None
    return upload


def _skus(session: Session, codes: set[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    codes_list = sorted(codes)
    for start in range(0, len(codes_list), 1000):
        found.update(session.execute(sa.select(Sku.code, Sku.id).where(
            Sku.code.in_(codes_list[start:start + 1000]))).all())
    return found


def _check_row(sku_code: str, location: str, stock: str, skus: dict[str, int]
               ) -> tuple[str | None, int]:
    if not sku_code:
        return _("The SKU is empty."), 0
    if sku_code not in skus:
        return _("No SKU has the code %(code)s.", code=shown(sku_code)), 0
    if len(location) > 32:
        return _("The location is longer than 32 characters."), 0
    quantity = parse_int(stock.replace(",", "").replace("，", ""), 0, INT8_MAX, typed=True)
    if quantity is None:
        return _("The stock must be a whole number of 0 or more (found %(value)s).",
                 value=shown(stock) or _("nothing")), 0
    if quantity > 10_000_000:
        return _("The stock %(value)s is too large.", value=shown(stock)), 0
    return None, quantity


def apply_upload(session: Session, upload: StockUpload, actor: Actor) -> int:
    """Set the checked stock quantities, in one statement; returns how many were set."""
    if upload.applied_at is not None:
        raise UploadError(_("This upload has already been applied."))
    rows: list[dict[str, Any]] = [{"sku_id": sku_id, "location": location, "quantity": quantity,
                                   "allocated": 0} for sku_id, _code, location, quantity
                                  in upload.rows]
    if rows:
        insert = upsert(session, Stock.__table__)
        session.execute(insert.on_conflict_do_update(
            index_elements=["sku_id", "location"],
            set_={"quantity": insert.excluded.quantity}), rows)
    upload.applied_at = utcnow()
    audit.record(session, actor, "stock.upload", entity_type="stock_upload",
                 entity_id=upload.id, new=str(len(rows)))
    session.flush()
    return len(rows)


def locations(session: Session) -> list[str]:
    """The stock locations that hold stock rows, by name."""
    return list(session.scalars(sa.select(Stock.location).distinct().order_by(Stock.location)))
