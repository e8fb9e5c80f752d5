"""Input that the database can hold, checked where it enters (issue 9, "No 500 on any input").

One place for the classes of bad input every route meets:

- control characters (NUL and friends): refused for a whole request by `refuse_control_
  characters` (a before_request hook), whether they come in a form field, a query string,
  a path or an upload's file name; CSV cells are checked by `oms.csvfiles`;
- numbers: ASCII digits within the range of the column they go to (`parse_int`,
  `arg_id`, `page`, `coerce_int` for select choices; a list's checked rows are read by
  `oms.services.list_controls.parse_ids`); a number a person types
  may also come in full-width digits (`IntegerField`, `DecimalField`). Never
  `str.isdigit()`, `int()` or `Decimal()` alone: they take "²", "٣", NaN or 1e999;
- dates: within DATE_MIN..DATE_MAX (`DateField`, `DateTimeLocalField`, `date_problem`), so
  that moving one to UTC or adding a day never leaves the calendar;
- path parameters: `<int:...>` and `<bigid:...>` (CONVERTERS) match only ids that their
  column can hold, so a larger one is a 404 and never reaches a query.
"""

import re
from datetime import date, datetime
from decimal import Decimal

import wtforms
from flask import request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict
from werkzeug.routing import IntegerConverter
from wtforms.validators import ValidationError

INT2_MAX = 2**15 - 1  # PostgreSQL smallint
INT4_MIN, INT4_MAX = -(2**31), 2**31 - 1  # PostgreSQL integer
INT8_MIN, INT8_MAX = -(2**63), 2**63 - 1  # PostgreSQL bigint, SQLite INTEGER
# Ids: an integer column, or a bigint one (BigId: orders and what grows with them).
# PostgreSQL casts a parameter to its column's type, so a larger id is an error there.
ID_MAX, BIGID_MAX = INT4_MAX, INT8_MAX
DATE_MIN, DATE_MAX = date(1900, 1, 1), date(2999, 12, 31)
# Far beyond any real list (the largest page size times this stays a small OFFSET).
MAX_PAGE = 100_000

# C0 controls but tab, line feed and carriage return; DEL; C1 controls.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_INTEGER = re.compile(r"[+-]?[0-9]{1,20}")
_DECIMAL = re.compile(r"[+-]?[0-9]{1,15}(\.[0-9]{1,15})?")
# Typed numbers may come in full-width digits from a Japanese input method.
_FULL_WIDTH = str.maketrans("０１２３４５６７８９－＋．", "0123456789-+.")


def has_control(text: str) -> bool:
    return _CONTROL.search(text) is not None


def parse_int(text: str | None, minimum: int = INT4_MIN, maximum: int = INT4_MAX, *,
              typed: bool = False) -> int | None:
    """The integer `text` spells in ASCII digits, if it lies within [minimum, maximum];
    else None. `typed`: a person typed it, so full-width digits count as well."""
    if text is None:
        return None
    text = text.strip()
    if typed:
        text = text.translate(_FULL_WIDTH)
    if not _INTEGER.fullmatch(text):
        return None
    number = int(text)
    return number if minimum <= number <= maximum else None


def arg_id(args: MultiDict, name: str, maximum: int = ID_MAX) -> int | None:
    """An id from a query string or form, None when absent or not an id."""
    return parse_int(args.get(name), 1, maximum)


def coerce_int(value) -> int:
    """SelectField coerce for integer choices: ASCII digits only ("٣" is not 3 here)."""
    if isinstance(value, int):
        return value
    number = parse_int(value if isinstance(value, str) else None, INT8_MIN, INT8_MAX)
    if number is None:
        raise ValueError(f"not an integer: {value!r}")
    return number


def coerce_optional_int(value) -> int | None:
    """coerce_int, with the empty choice as None."""
    return None if value in (None, "", "None") else coerce_int(value)


def page(args: MultiDict, name: str = "page") -> int:
    """A page number: 1 unless the argument is one between 1 and MAX_PAGE."""
    return parse_int(args.get(name), 1, MAX_PAGE) or 1


def date_problem(value: date | None) -> str | None:
    if value is None or DATE_MIN <= value <= DATE_MAX:
        return None
    return _("Enter a date between %(first)s and %(last)s.",
             first=DATE_MIN.isoformat(), last=DATE_MAX.isoformat())


# ----------------------------------------------------------------------- WTForms fields

class IntegerField(wtforms.IntegerField):
    """A whole number in half-width (or full-width) digits, within the range of the column
    it is stored in (PostgreSQL integer unless told otherwise). With `full_width=False`
    only ASCII digits are taken."""

    def __init__(self, label=None, validators=None, *, minimum: int = INT4_MIN,
                 maximum: int = INT4_MAX, full_width: bool = True, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.minimum, self.maximum, self.full_width = minimum, maximum, full_width

    def process_formdata(self, valuelist):
        if not valuelist or not valuelist[0].strip():
            self.data = None
            return
        self.data = parse_int(valuelist[0], self.minimum, self.maximum, typed=self.full_width)
        if self.data is None:
            bounds = {"min": f"{self.minimum:,}", "max": f"{self.maximum:,}"}
            raise ValueError(
                _l("Enter a whole number from %(min)s to %(max)s.", **bounds) if self.full_width
                else _l("Enter a whole number from %(min)s to %(max)s in half-width digits "
                        "(0-9).", **bounds))


class DecimalField(wtforms.DecimalField):
    """A decimal number in digits (half- or full-width) with an optional point; Decimal()
    itself would also take NaN, Infinity, 1e999 and other scripts' digits ("٣")."""

    def process_formdata(self, valuelist):
        if not valuelist or not valuelist[0].strip():
            self.data = None
            return
        text = valuelist[0].strip().translate(_FULL_WIDTH)
        if not _DECIMAL.fullmatch(text):
            self.data = None
            raise ValueError(_l("Enter a number in digits, such as 2.5."))
        self.data = Decimal(text)


class _InCalendar:
    def __call__(self, form, field):
        value = field.data.date() if isinstance(field.data, datetime) else field.data
        if problem := date_problem(value):
            raise ValidationError(problem)


class DateField(wtforms.DateField):
    """A date between DATE_MIN and DATE_MAX."""

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, [*(validators or ()), _InCalendar()], **kwargs)


class DateTimeLocalField(wtforms.DateTimeLocalField):
    """A local date and time between DATE_MIN and DATE_MAX."""

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, [*(validators or ()), _InCalendar()], **kwargs)


# ----------------------------------------------------------------------- requests

class IdConverter(IntegerConverter):
    """`<int:...>` in routes: an id of an integer column, else no match (a 404)."""

    largest = ID_MAX

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", self.largest)
        super().__init__(map, *args, **kwargs)


class BigIdConverter(IdConverter):
    """`<bigid:...>`: an id of a bigint column (BigId)."""

    largest = BIGID_MAX


CONVERTERS = {"int": IdConverter, "bigid": BigIdConverter}


# The bodies werkzeug parses into request.form and request.files; of any other it parses
# nothing, so there is nothing more to look at (and a GET skips the parser).
_FORM_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})


def _request_texts():
    yield request.path
    yield from _keys_and_values(request.args)
    if request.mimetype in _FORM_TYPES:
        yield from _keys_and_values(request.form)
        for key, upload in request.files.items(multi=True):
            yield key
            yield upload.filename or ""


def _keys_and_values(values):
    for key, value in values.items(multi=True):
        yield key
        yield value


def refuse_control_characters():
    """before_request: a request carrying control characters (NUL, escape, ...) anywhere
    in its path, query string, form or file names is refused before any view runs."""
    if any(has_control(text) for text in _request_texts()):
        from oms.errors import render_error

        return render_error(400, _(
            "The input contains control characters (such as NUL) that cannot be stored. "
            "Remove them and try again."))
    return None
