"""Whether values from outside fit the columns they are written to.

PostgreSQL refuses a NUL character, a string longer than its VARCHAR, an integer beyond its
column's range; SQLite stores all of them. Checking rows against the table's own column
types before writing makes one bad record a clear, per-record failure on both databases,
instead of a statement that fails for a whole batch (or a value that only one database
keeps). The checks are compiled once per table and column set: a few comparisons a value.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from operator import attrgetter, itemgetter

import sqlalchemy as sa
from flask_babel import gettext as _

from oms.models.base import UTCDateTime

INTEGER_RANGES = {
    sa.SmallInteger: (-(2**15), 2**15 - 1),
    sa.BigInteger: (-(2**63), 2**63 - 1),
    sa.Integer: (-(2**31), 2**31 - 1),
}
# What a text column can hold besides its length: no NUL, and only characters that have a
# UTF-8 form (a lone surrogate from "\ud800" in JSON has none).
Check = Callable[[object], str | None]


def shown(value: object, limit: int = 80) -> str:
    """A value as a message may quote it: control characters escaped, cut to `limit`."""
    text = value if isinstance(value, str) else repr(value)
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    text = "".join(c if c.isprintable() or c == " " else repr(c)[1:-1] for c in text)
    return text if len(text) <= limit else f"{text[:limit]}…"


def text_problem(value: object, length: int | None) -> str | None:
    """Why a text value cannot be stored in a column of `length` characters, or None."""
    if not isinstance(value, str):
        return _("not text: %(value)s", value=shown(value))
    if "\x00" in value:
        return _("contains a NUL character: %(value)s", value=shown(value))
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return _("contains a character that has no UTF-8 form: %(value)s",
                     value=shown(value))
    if length is not None and len(value) > length:
        return _("is %(n)d characters long, at most %(limit)d fit: %(value)s",
                 n=len(value), limit=length, value=shown(value))
    return None


def _text(length: int | None) -> Check:
    return lambda value: text_problem(value, length)


def _integer(low: int, high: int) -> Check:
    lowest, highest = f"{low:,}", f"{high:,}"

    def check(value: object) -> str | None:
        if not isinstance(value, int):
            return _("not a whole number: %(value)s", value=shown(value))
        if not low <= value <= high:
            return _("%(value)s is out of range (%(low)s to %(high)s)", value=value,
                     low=lowest, high=highest)
        return None
    return check


def _timestamp(value: object) -> str | None:
    if not isinstance(value, datetime) or value.tzinfo is None:
        return _("not a time with a zone: %(value)s", value=shown(value))
    try:
        value.astimezone(UTC)
    except OverflowError:
        return _("is outside the calendar: %(value)s", value=shown(value))
    return None


def _choice(allowed: frozenset[str]) -> Check:
    def check(value: object) -> str | None:
        key = getattr(value, "value", value)
        return None if key in allowed else _("unknown value: %(value)s", value=shown(value))
    return check


def _check_for(column: sa.Column) -> Check | None:
    kind = column.type
    if column.computed is not None:
        return None
    if isinstance(kind, sa.Enum):
        return _choice(frozenset(kind.enums))
    if isinstance(kind, sa.String):  # also Text
        return _text(kind.length)
    if isinstance(kind, UTCDateTime):
        return _timestamp
    for base, (low, high) in INTEGER_RANGES.items():
        if isinstance(kind, base):
            return _integer(low, high)
    return None  # booleans, JSON, dates: the writers give these as Python values


@dataclass(frozen=True)
class _Plan:
    """The checks of one table for rows with one set of columns."""

    texts: tuple[tuple[str, int], ...]             # column, length (0: unlimited)
    integers: tuple[tuple[str, int, int], ...]     # column, lowest, highest
    choices: tuple[tuple[str, frozenset], ...]     # enum columns, their values
    timestamps: tuple[str, ...]
    required: frozenset[str]                       # NOT NULL columns
    checks: dict[str, tuple[bool, Check | None]]   # every column, one value at a time

    def suspects(self, rows: list[dict]) -> set[str]:
        """The columns in which some value may not fit, judged a column at a time with
        the interpreter's own loops: for a batch whose values all fit, a few operations
        a column, whatever the number of rows."""
        found = set()
        columns = {name: list(map(itemgetter(name), rows)) for name in self.checks}
        present = {}
        for name, values in columns.items():
            nones = values.count(None)
            if nones and name in self.required:
                found.add(name)
            present[name] = [v for v in values if v is not None] if nones else values
        for name, length in self.texts:
            values = present[name]
            if not values:
                continue
            if set(map(type, values)) != {str}:
                found.add(name)
                continue
            joined = "\n".join(values)
            if "\x00" in joined or (length and max(map(len, values)) > length):
                found.add(name)
            elif not joined.isascii():
                try:
                    joined.encode("utf-8")  # a lone surrogate has no UTF-8 form
                except UnicodeEncodeError:
                    found.add(name)
        for name, low, high in self.integers:
            values = present[name]
            if values and (not set(map(type, values)) <= {int, bool}
                           or min(values) < low or max(values) > high):
                found.add(name)
        for name, allowed in self.choices:
            if not {getattr(v, "value", v) for v in set(present[name])} <= allowed:
                found.add(name)
        for name in self.timestamps:
            values = present[name]
            if values and (set(map(type, values)) != {datetime}
                           or None in set(map(attrgetter("tzinfo"), values))
                           or _timestamp(min(values)) or _timestamp(max(values))):
                found.add(name)
        return found


@cache
def _plan(table: sa.Table, columns: tuple[str, ...]) -> _Plan:
    texts, integers, choices, timestamps, required, checks = [], [], [], [], [], {}
    for name in columns:
        column = table.c[name]
        kind, check = column.type, _check_for(column)
        if not column.nullable:
            required.append(name)
        if check is None:
            pass
        elif isinstance(kind, sa.Enum):
            choices.append((name, frozenset(kind.enums)))
        elif isinstance(kind, sa.String):
            texts.append((name, kind.length or 0))
        elif isinstance(kind, sa.Integer):
            integers.append((name, *_range(kind)))
        elif isinstance(kind, UTCDateTime):
            timestamps.append(name)
        if check is not None or not column.nullable:
            checks[name] = (not column.nullable, check)
    return _Plan(tuple(texts), tuple(integers), tuple(choices), tuple(timestamps),
                 frozenset(required), checks)


def _range(kind: sa.Integer) -> tuple[int, int]:
    return next(limits for base, limits in INTEGER_RANGES.items() if isinstance(kind, base))


def _value_problem(plan: _Plan, name: str, value: object) -> str | None:
    required, check = plan.checks[name]
    if value is None:
        return _("has no value") if required else None
    return check(value) if check is not None else None


def problems(table: sa.Table, rows: list[dict], labels: dict | None = None) -> dict[int, str]:
    """For each row (by index) with a value its column in `table` cannot hold: the first
    such value, in words. The rows have the same columns (one writer built them); they are
    checked together, a column at a time, and only a column with a suspect value is looked
    at row by row."""
    if not rows:
        return {}
    columns = tuple(rows[0])
    plan = _plan(table, columns)
    suspects = plan.suspects(rows)
    if not suspects:
        return {}
    found: dict[int, str] = {}
    for index, row in enumerate(rows):
        for name in columns:
            if name in suspects and (problem := _value_problem(plan, name, row[name])):
                found[index] = f"{(labels or {}).get(name, name)}: {problem}"
                break
    return found


def row_problem(table: sa.Table, row: dict, labels: dict | None = None) -> str | None:
    """The first value of `row` that its column in `table` cannot hold, in words, or None."""
    return problems(table, [row], labels).get(0)
