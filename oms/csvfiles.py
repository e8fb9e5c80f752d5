"""CSV text rules shared by every export and import: encodings, formula neutralising, and
header names that read the same in every language, and reading uploaded rows so that one
bad line is one reported line, never a failed upload."""

import csv
import io
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field

from flask_babel import force_locale
from flask_babel import gettext as _

from oms.validation import has_control

CP932_TWINS = str.maketrans(
    {
        "\u301c": "\uff5e",  # WAVE DASH -> FULLWIDTH TILDE
        "\u2016": "\u2225",  # DOUBLE VERTICAL LINE -> PARALLEL TO
        "\u2212": "\uff0d",  # MINUS SIGN -> FULLWIDTH HYPHEN-MINUS
        "\u00a2": "\uffe0",
        "\u00a3": "\uffe1",
        "\u00ac": "\uffe2",
    }
)
# The conventional visible substitute in Japanese systems (geta mark), never a silent "?".
SUBSTITUTE = "〓"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\0")
ENCODINGS = {"cp932": "cp932", "utf8": "utf-8-sig"}


def neutralise(text: str) -> str:
    """Stop spreadsheet formulas in human-facing exports (text cells only)."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def to_cp932(text: str) -> tuple[str, int]:
    """Text that encodes as CP932, and how many characters had to be substituted."""
    text = text.translate(CP932_TWINS)
    try:
        text.encode("cp932")
        return text, 0
    except UnicodeEncodeError:
        pass
    out, replaced = [], 0
    for char in text:
        try:
            char.encode("cp932")
            out.append(char)
        except UnicodeEncodeError:
            out.append(SUBSTITUTE)
            replaced += 1
    return "".join(out), replaced


def export_cell(value, encoding: str) -> tuple[object, int]:
    """One cell of a human-facing export: numbers as they are, text neutralised."""
    if value is None:
        return "", 0
    if isinstance(value, int) and not isinstance(value, bool):
        return value, 0
    text = neutralise(str(value))
    return to_cp932(text) if encoding == "cp932" else (text, 0)


class UploadError(ValueError):
    """An uploaded file that cannot be read at all; the message says why."""


def decode_upload(data: bytes) -> str:
    """Text of an uploaded CSV: UTF-8 with or without BOM, else CP932 (Shift_JIS), both
    strictly, so a wrong guess is an error and never mojibake (RELIABILITY.md D 5.2.2)."""
    return read_upload(data)[0]


def read_upload(data: bytes) -> tuple[str, str]:
    """Text of an uploaded CSV and the encoding it was in (a key of ENCODINGS)."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    for key, encoding in (("utf8", "utf-8"), ("cp932", "cp932")):
        try:
            return data.decode(encoding), key
        except UnicodeDecodeError:
            continue
    raise UploadError(_("The file is neither UTF-8 nor Shift_JIS (CP932) text."))


# A file written in one language is read back in any: headers are matched in these.
HEADER_LOCALES = ("ja", "en")


def header_key(cell: str) -> str:
    """A header cell as it is compared: width folded, spaces trimmed, case ignored."""
    return unicodedata.normalize("NFKC", cell).strip().lower()


def header_names(key: str, label) -> set[str]:
    """Every header that names a column: its key and its label in each language."""
    names = {key}
    for locale in HEADER_LOCALES:
        with force_locale(locale):
            names.add(str(label))
    return {header_key(name) for name in names}


def find_columns(header: list[str], columns: dict[str, object], wanted) -> dict[str, int]:
    """Where each wanted column is in a header row, by key or label in any language;
    the columns not found are left out."""
    keys = [header_key(cell) for cell in header]
    found = {}
    for key in wanted:
        names = header_names(key, columns[key])
        index = next((i for i, cell in enumerate(keys) if cell in names), None)
        if index is not None:
            found[key] = index
    return found


# The csv module refuses longer cells (csv.field_size_limit(), 131,072 by default).
FIELD_LIMIT = csv.field_size_limit()
SHOWN_CHARACTERS = 40


@dataclass
class CsvLine:
    """One row of an uploaded CSV: its cells, or why the row cannot be read."""

    line: int  # the line of the file the row starts on
    cells: list[str] = field(default_factory=list)
    problem: str | None = None


def read_rows(text: str) -> Iterator[CsvLine]:
    """The rows of CSV text. A row that cannot be read (a cell beyond the csv module's
    field limit, control characters such as NUL) comes with its problem instead of its
    cells, and reading goes on with the next line."""
    reader = csv.reader(io.StringIO(text))
    last = 0
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            if "field larger than field limit" in str(error):
                problem = _("A cell is longer than %(n)s characters.", n=f"{FIELD_LIMIT:,}")
            else:
                problem = _("This line is not readable as CSV.")
            row = CsvLine(last + 1, problem=problem)
        else:
            row = CsvLine(last + 1, cells)
            if any(has_control(cell) for cell in cells):
                row = CsvLine(last + 1, problem=_(
                    "This line contains control characters (such as NUL)."))
        last = reader.line_num
        yield row


def nothing_usable(errors: list[list]) -> str:
    """The refusal of a file without one good row, naming the first bad lines
    (`errors`: [line, problem, ...] lists)."""
    first = "; ".join(_("line %(line)d: %(problem)s", line=error[0], problem=error[1])
                      for error in sorted(errors, key=lambda e: e[0])[:5])
    return _("No row of the file can be used (%(n)d bad lines; the first: %(errors)s)",
             n=len(errors), errors=first)


def shown(text: str) -> str:
    """A cell as a message quotes it: long ones cut short."""
    return text if len(text) <= SHOWN_CHARACTERS else text[:SHOWN_CHARACTERS] + "…"
