"""Normalised keys for matching people (DESIGN.md: NFKC for width, jaconv for kana,
phonenumbers (JP) for phone formats, lower-cased e-mail)."""

import unicodedata
from dataclasses import dataclass

import jaconv
import phonenumbers
from phonenumbers import PhoneNumberType

MOBILE_TYPES = frozenset({PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE})


@dataclass(frozen=True)
class PhoneKey:
    e164: str
    mobile: bool


def parse_phone(raw: str | None) -> phonenumbers.PhoneNumber | None:
    """A possible Japanese (or +-prefixed) number, whatever its width and punctuation."""
    text = unicodedata.normalize("NFKC", raw or "").strip()
    try:
        number = phonenumbers.parse(text, "JP") if text else None
    except phonenumbers.NumberParseException:
        return None
    return number if number and phonenumbers.is_possible_number(number) else None


def phone_key(raw: str | None) -> PhoneKey | None:
    """The number in E.164 and whether it is a mobile, or None when it is no number.

    "090-1234-5678", "０９０（１２３４）５６７８" and "+81 90 1234 5678" give one key.
    """
    number = parse_phone(raw)
    if number is None:
        return None
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return PhoneKey(e164, phonenumbers.number_type(number) in MOBILE_TYPES)


def email_key(raw: str | None) -> str | None:
    text = unicodedata.normalize("NFKC", raw or "").strip().lower()
    return text if "@" in text else None


def name_key(raw: str | None) -> str:
    """Width, spaces and hiragana/katakana differences removed: for display matching."""
    text = unicodedata.normalize("NFKC", raw or "")
    return jaconv.hira2kata("".join(text.split()))
