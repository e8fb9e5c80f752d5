"""注文番号指定 (CSV) (seed 004): order numbers from column A of an uploaded CSV file.

CP932 or UTF-8, with or without BOM, with or without a header row. Every line that is not a
usable order number is reported by its line number; a line that is not valid text in the
file's encoding is reported too, never read as a silent "?".
"""

import unicodedata
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from oms.csvfiles import CsvLine, read_rows, shown
from oms.models import Order

ORDER_NUMBER_LENGTH = 10
LOOKUP_BATCH = 1000
ALLOWED_SUFFIXES = (".csv", ".txt")
REPORTED = 1000  # bad lines kept for the result page; the rest are counted


class NotACsvFile(ValueError):
    """The upload is not a CSV text file at all; the message says why."""


@dataclass
class Problem:
    line: int
    text: str
    reason: str


@dataclass
class CsvSelection:
    encoding: str
    order_ids: list[int] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    header: bool = False


@dataclass
class Report:
    """What the result page of an upload shows, kept with its selection."""

    encoding: str
    header: bool
    found: int
    problems: list[Problem]
    problem_count: int


def report(result: CsvSelection) -> dict:
    """The upload's result as stored with its selection (JSON)."""
    return {"encoding": result.encoding, "header": result.header,
            "found": len(result.order_ids), "problem_count": len(result.problems),
            "problems": [[p.line, p.text, p.reason] for p in result.problems[:REPORTED]]}


def read_report(stored: dict | None) -> Report | None:
    if not stored:
        return None
    return Report(stored["encoding"], stored["header"], stored["found"],
                  [Problem(*p) for p in stored["problems"]], stored["problem_count"])


def _decode_lines(data: bytes) -> tuple[str, list[str | None]]:
    """The file's encoding and its lines; None for a line not valid in that encoding.

    CP932 trail bytes never take the values of CR or LF, so splitting the bytes into lines
    first is safe in both encodings."""
    if data.startswith(b"\xef\xbb\xbf"):
        encoding, data = "utf-8", data[3:]
    else:
        try:
            data.decode("utf-8")
            encoding = "utf-8"
        except UnicodeDecodeError:
            encoding = "cp932"
    lines: list[str | None] = []
    for raw in data.replace(b"\r\n", b"\n").replace(b"\r", b"\n").split(b"\n"):
        try:
            lines.append(raw.decode(encoding))
        except UnicodeDecodeError:
            lines.append(None)
    if lines and lines[-1] == "":
        lines.pop()
    return encoding, lines


def _column_a(line: str) -> tuple[str, str | None]:
    """The first cell of a line, or why the line cannot be read."""
    row = next(read_rows(line), CsvLine(1))
    if row.problem:
        return "", row.problem
    return (unicodedata.normalize("NFKC", row.cells[0]).strip() if row.cells else ""), None


def parse(session: Session, file_name: str, data: bytes) -> CsvSelection:
    if not file_name.lower().endswith(ALLOWED_SUFFIXES):
        raise NotACsvFile(str(_l("Choose a CSV file (.csv or .txt).")))
    if b"\0" in data:
        raise NotACsvFile(str(_l("This file is not a CSV text file.")))
    encoding, lines = _decode_lines(data)
    result = CsvSelection("UTF-8" if encoding == "utf-8" else "Shift_JIS (CP932)")
    first_line: dict[str, int] = {}
    for number, line in enumerate(lines, start=1):
        if line is None:
            result.problems.append(Problem(number, "", str(_l(
                "Not readable as %(encoding)s text (an invalid byte).",
                encoding=result.encoding))))
            continue
        value, problem = _column_a(line)
        if problem:
            result.problems.append(Problem(number, "", problem))
            continue
        if not value:
            continue
        if not (value.isascii() and value.isdigit() and len(value) == ORDER_NUMBER_LENGTH):
            if number == 1 and not any(ch.isdigit() for ch in value):
                result.header = True  # a title such as 注文番号
            else:
                result.problems.append(Problem(number, shown(value), str(_l(
                    "Not an order number (10 digits)."))))
            continue
        if value in first_line:
            result.problems.append(Problem(number, value, str(_l(
                "Duplicate of line %(line)d.", line=first_line[value]))))
            continue
        first_line[value] = number
    found = _lookup(session, list(first_line))
    for value, number in first_line.items():
        if value in found:
            result.order_ids.append(found[value])
        else:
            result.problems.append(Problem(number, value, str(_l("No such order."))))
    result.problems.sort(key=lambda p: p.line)
    return result


def _lookup(session: Session, numbers: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for start in range(0, len(numbers), LOOKUP_BATCH):
        batch = numbers[start:start + LOOKUP_BATCH]
        found.update(session.execute(
            sa.select(Order.order_number, Order.id)
            .where(Order.order_number.in_(batch), Order.deleted_at.is_(None))).all())
    return found
