"""The files 出荷確定インポート reads (FORMATS.md §4–§6): each label software's issued-data
export, and a generic CSV. CP932 or UTF-8 with or without BOM; a header row is optional
in every layout (a first row naming a known column is the header, and then columns are
found by name; otherwise by position).

Layouts, columns 1-based:
- B2クラウド 発行済みデータ (Yamato): 1 お客様管理番号 (our 注文番号), 4 伝票番号 (12 digits),
  5 出荷予定日 — the issue layout read back (FORMATS §4).
- e飛伝II 発行済みデータ (Sagawa), assumed: the export names its columns
  お客様管理ナンバー and お問い合せ送り状No (the 42-column layout only carries the first,
  FORMATS §5); without a header, 1 お客様管理ナンバー, 2 お問い合せ送り状No.
- ゆうプリR 発行結果 (Japan Post): the product's フィルタ decides the layout (FORMATS §6),
  so columns are found by the names 管理番号 (お客様側管理番号) and 追跡番号 (お問い合せ番号);
  without a header, 1 管理番号, 2 追跡番号.
- Generic: 注文番号, 配送伝票番号, 配送業者 (a carrier's name or code), 出荷日; 1–4 without
  a header.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from itertools import chain

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l

from oms.csvfiles import CsvLine, UploadError, header_key, read_rows, read_upload


@dataclass(frozen=True)
class Layout:
    key: str
    label: LazyString
    carrier_code: str | None  # the carrier the software prints for; None: read per row
    names: dict[str, tuple[str, ...]]  # header names of each field it has
    positions: dict[str, int]  # 0-based columns without a header

    def header_columns(self, cells: list[str]) -> dict[str, int]:
        """Where each field is, when `cells` is a header row naming any (else empty)."""
        keys = [header_key(cell) for cell in cells]
        found = {}
        for name, aliases in self.names.items():
            wanted = {header_key(alias) for alias in aliases}
            index = next((i for i, key in enumerate(keys) if key in wanted), None)
            if index is not None:
                found[name] = index
        return found


LAYOUTS = {layout.key: layout for layout in (
    Layout("generic", _l("Generic CSV (order number, tracking number, carrier, ship date)"),
           None,
           {"order": ("注文番号", "受注番号", "Order number", "order_number"),
            "number": ("配送伝票番号", "伝票番号", "送り状番号", "Tracking number",
                       "tracking_number"),
            "carrier": ("配送業者", "Carrier", "carrier"),
            "ship_date": ("出荷日", "発送日", "Ship date", "ship_date")},
           {"order": 0, "number": 1, "carrier": 2, "ship_date": 3}),
    Layout("b2", _l("Yamato B2 Cloud issued data"), "yamato",
           {"order": ("お客様管理番号",), "number": ("伝票番号", "送り状番号"),
            "ship_date": ("出荷予定日",)},
           {"order": 0, "number": 3, "ship_date": 4}),
    Layout("ehiden2", _l("Sagawa e-Hiden II issued data"), "sagawa",
           {"order": ("お客様管理ナンバー", "お客様管理番号"),
            "number": ("お問い合せ送り状No", "お問合せ送り状No", "お問い合わせ送り状No",
                       "送り状No", "送り状番号")},
           {"order": 0, "number": 1}),
    Layout("yupri", _l("Japan Post Yu-Pri R issue result"), "japanpost",
           {"order": ("お客様側管理番号", "管理番号"),
            "number": ("追跡番号", "お問い合せ番号", "お問い合わせ番号", "問合せ番号")},
           {"order": 0, "number": 1}),
)}


@dataclass(frozen=True)
class FileRow:
    """One data row as the file has it (cells stripped); `problem` when unreadable."""

    line: int
    order: str = ""
    number: str = ""
    carrier: str = ""
    ship_date: str = ""
    problem: str | None = None


def read(data: bytes, layout: Layout) -> tuple[str, Iterator[FileRow]]:
    """The file's encoding ("utf8" or "cp932") and its data rows. Raises UploadError for
    a file that cannot be read at all (encoding, empty, a header without the columns)."""
    text, encoding = read_upload(data)
    lines = read_rows(text)
    first = next(lines, None)
    while first is not None and not first.problem and not any(c.strip() for c in first.cells):
        first = next(lines, None)
    if first is None:
        raise UploadError(str(_l("The file is empty.")))
    columns = layout.header_columns(first.cells)
    if columns and not {"order", "number"} <= set(columns):
        missing = [layout.names[f][0] for f in ("order", "number") if f not in columns]
        raise UploadError(str(_l("The header row lacks the columns: %(columns)s",
                                 columns=", ".join(missing))))
    if not columns:
        columns = layout.positions
        return encoding, _rows([first], lines, columns)
    return encoding, _rows([], lines, columns)


def _rows(head: list[CsvLine], rest: Iterator[CsvLine], columns: dict[str, int]
          ) -> Iterator[FileRow]:
    for row in chain(head, rest):
        if row.problem:
            yield FileRow(row.line, problem=row.problem)
        elif any(cell.strip() for cell in row.cells):
            yield FileRow(row.line, **{
                name: row.cells[index].strip() if index < len(row.cells) else ""
                for name, index in columns.items()})


def parse_date(text: str) -> date | None:
    """出荷日 as the files write it: 2026/12/01, 2026-12-01 or 20261201 (ValueError else)."""
    if not text:
        return None
    if not text.isascii():
        raise ValueError(text)
    text = text.replace("/", "-")
    if len(text) == 8 and text.isdigit():
        text = f"{text[:4]}-{text[4:6]}-{text[6:]}"
    if len(text) != 10:
        raise ValueError(text)
    return date.fromisoformat(text)
