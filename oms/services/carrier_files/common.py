"""What the three label-software layouts share: the export's settings, the order as the
files read it, and the checks every text cell passes (FORMATS.md §0).

A layout module (b2, ehiden, yupri) lists its columns and turns one order into cells;
text taken from the order is a `Text`, checked here: present when required, within the
layout's length (counted in CP932 bytes, as the label software counts: full-width 2,
half-width 1), and every character in CP932 / JIS levels 1–2. A character outside them is
the order's refusal naming the character and the field, or — when the operator chose it —
written as 〓; never a silent "?".
"""

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

import phonenumbers
from flask_babel import LazyString
from flask_babel import lazy_gettext as _l

from oms.csvfiles import CP932_TWINS, SUBSTITUTE
from oms.models import Order, PaymentKind
from oms.services.contact_keys import parse_phone
from oms.services.shop_shipping import ShopShipping


@dataclass(frozen=True)
class Settings:
    """One export's choices, as plain data (the job reads them from its record)."""

    carrier_name: str
    cod_limit: int | None
    slip_code: str
    cod_slip_code: str | None
    service_name: str
    ship_date: date
    # The carrier's active time slots: label → this layout's code.
    slots: dict[str, str]
    substitute: bool = False


@dataclass(frozen=True)
class Text:
    """A text cell from the order: checked before it is written."""

    value: str | None
    label: LazyString
    limit: int | None = None  # CP932 bytes
    required: bool = False


@dataclass(frozen=True)
class Problem:
    """Why an order cannot be written: `code` groups the orders, `message` is the order's."""

    code: str
    message: str


@dataclass
class Written:
    """One order as a layout writes it: its cells, or the problems that refuse it."""

    cells: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    substituted: int = 0


Cell = str | int | Text | None


def width(text: str) -> int:
    """CP932 bytes of text that encodes (〓 and other full-width characters count 2)."""
    return sum(1 if ord(ch) < 0x80 or 0xFF61 <= ord(ch) <= 0xFF9F else 2 for ch in text)


def outside_cp932(text: str) -> list[str]:
    """The distinct characters CP932 has no form for, in their order."""
    try:
        text.encode("cp932")
        return []  # the common case, in one call rather than one per character
    except UnicodeEncodeError:
        pass
    found: dict[str, None] = {}
    for char in text:
        try:
            char.encode("cp932")
        except UnicodeEncodeError:
            found[char] = None
    return list(found)


def render(cells: list[Cell], settings: Settings) -> Written:
    """The cells as text, with every Text checked (all problems, not just the first)."""
    written = Written()
    for cell in cells:
        if not isinstance(cell, Text):
            written.cells.append("" if cell is None else str(cell))
            continue
        text = " ".join((cell.value or "").split()).translate(CP932_TWINS)
        if not text:
            if cell.required:
                written.problems.append(Problem("missing", str(_l(
                    "%(field)s is missing.", field=cell.label))))
            written.cells.append("")
            continue
        missing = outside_cp932(text)
        if missing and not settings.substitute:
            written.problems.append(Problem("jis", str(_l(
                "Characters outside JIS levels 1 and 2: %(chars)s (%(field)s)",
                chars="".join(missing), field=cell.label))))
        elif missing:
            written.substituted += sum(text.count(ch) for ch in missing)
            text = "".join(SUBSTITUTE if ch in missing else ch for ch in text)
        if cell.limit is not None and width(text) > cell.limit:
            written.problems.append(Problem("too_long", str(_l(
                "%(field)s is too long (at most %(n)s full-width characters).",
                field=cell.label, n=cell.limit // 2))))
        written.cells.append(text)
    return written


def split_width(text: str, size: int) -> list[str]:
    """Text cut into pieces of at most `size` CP932 bytes, never inside a character."""
    pieces, current, used = [], "", 0
    for char in text:
        char_width = width(char)
        if used + char_width > size:
            pieces.append(current)
            current, used = "", 0
        current += char
        used += char_width
    return [*pieces, current] if current else pieces


def cut(text: str | None, size: int) -> str:
    """A descriptive text (品名) shortened to fit rather than refused."""
    pieces = split_width(" ".join((text or "").split()), size)
    return pieces[0] if pieces else ""


def postcode(value: str | None) -> str | None:
    """`NNN-NNNN`, or None when the value is not a Japanese postcode."""
    digits = "".join(ch for ch in unicodedata.normalize("NFKC", value or "") if ch.isdigit())
    return f"{digits[:3]}-{digits[3:]}" if len(digits) == 7 and digits.isascii() else None


# A number already written as the carriers print it needs no parsing (most are).
_HYPHENATED = re.compile(r"0\d{1,4}-\d{1,4}-\d{3,4}")


@lru_cache(maxsize=4096)
def phone(value: str | None) -> str:
    """A Japanese number hyphenated as the carriers print it (03-1234-5678); a number
    phonenumbers cannot place keeps its own hyphens."""
    if value and _HYPHENATED.fullmatch(value):
        return value
    number = parse_phone(value)
    if number is None:
        return unicodedata.normalize("NFKC", value or "").strip()
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)


@dataclass(frozen=True)
class Parcel:
    """One order as every layout reads it."""

    order_number: str
    name: str
    postcode: str | None
    address: str  # prefecture and address line 1
    building: str
    phone: str
    product: str
    cod: bool
    total: int
    tax: int
    slot: str | None
    delivery_date: date | None
    sender: ShopShipping


def parcel(order: Order, sender: ShopShipping) -> Parcel:
    first = next((line.product_name for line in order.lines), "")
    return Parcel(
        order_number=order.order_number, name=order.ship_name or "",
        postcode=postcode(order.ship_postcode),
        address=f"{order.ship_prefecture or ''}{order.ship_address1 or ''}",
        building=order.ship_address2 or "", phone=phone(order.ship_phone),
        product=first, cod=order.payment_method.kind is PaymentKind.cod,
        total=order.total, tax=order.tax_10 + order.tax_8, slot=order.delivery_time_slot,
        delivery_date=order.scheduled_delivery_date, sender=sender)


# Field names as the refusals name them.
RECIPIENT_NAME = _l("Recipient name on the label")
RECIPIENT_ADDRESS = _l("Recipient address")
RECIPIENT_BUILDING = _l("Recipient building")
RECIPIENT_PHONE = _l("Recipient phone")
SENDER_NAME = _l("Sender name")
SENDER_ADDRESS = _l("Sender address")
SENDER_BUILDING = _l("Sender building")
PRODUCT = _l("Product name on the label")
