"""配送業者管理: the carrier table every screen, file and mall report reads.

The defaults are FORMATS.md 11's crosswalk; they are installed the first time the table
is read empty, so a fresh database, the demo and every test start with them.
Partner codes marked uncertain there can be corrected by an admin.
"""

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session, selectinload

from oms.models import Carrier, CarrierFormat, CarrierService, CarrierTimeSlot, MallKind
from oms.services.list_cache import ListCache

F = CarrierFormat
# (code, name, format, amazon code, rakuten, qoo10, yahoo, np, tracking url, pattern, hint,
#  cod limit, services [(name, slip, cod slip)], slots [(label, b2, e飛伝, ゆうプリ)])
_YAMATO_SLOTS = [("午前中", "0812", None, None), ("14-16時", "1416", None, None),
                 ("16-18時", "1618", None, None), ("18-20時", "1820", None, None),
                 ("19-21時", "1921", None, None)]
DEFAULTS = [
    ("yamato", "ヤマト運輸", F.b2, "Yamato Transport", "1001", "ヤマト宅急便", "1", "59010",
     "https://toi.kuronekoyamato.co.jp/cgi-bin/tneko?number01={number}", r"\d{12}", "12桁",
     300_000, [("宅急便", "0", "2"), ("宅急便コンパクト", "8", "9"), ("ネコポス", "7", None)],
     _YAMATO_SLOTS),
    ("sagawa", "佐川急便", F.ehiden2, "Sagawa Express", "1002", "佐川急便", "2", "50000",
     "https://k2k.sagawa-exp.co.jp/p/web/okurijosearch.do?okurijoNo={number}", r"\d{12}",
     "12桁", 300_000, [("飛脚宅配便", "000", "000")],
     [("午前中", None, "01", None), ("12-14時", None, "12", None),
      ("14-16時", None, "14", None), ("16-18時", None, "16", None),
      ("18-21時", None, "04", None)]),
    ("japanpost", "日本郵便", F.yupri, "Japan Post", "1003", "ゆうパック", "3", "59041",
     "https://trackings.post.japanpost.jp/services/srv/search/direct?reqCodeNo1={number}",
     r"\d{11,12}", "11〜12桁", 300_000, [("ゆうパック", "0", "2"), ("ゆうパケット", "9", None)],
     [("午前中", None, None, "51"), ("12-14時", None, None, "52"),
      ("14-16時", None, None, "53"), ("16-18時", None, None, "54"),
      ("18-20時", None, None, "55"), ("19-21時", None, None, "56")]),
    ("seino", "西濃運輸", F.none, "Seino Transportation", "1004", "西濃運輸", "4", "59030",
     "https://track.seino.co.jp/cgi-bin/gnpquery.pgm?GNPNO1={number}", r"\d{10}", "10桁",
     None, [("カンガルー便", "-", None)], []),
    ("fukuyama", "福山通運", F.none, "Fukuyama Transport", "1006", "福山通運", "5", "59060",
     "https://corp.fukutsu.co.jp/situation/tracking_no_hunt/{number}", r"\d{10,12}",
     "10〜12桁", None, [("福山便", "-", None)], []),
    ("nittsu", "日本通運", F.none, "Nippon Express", "1021", "日本通運", "6", "59020",
     None, None, None, None, [("日通宅配便", "-", None)], []),
    ("other", "その他", F.none, "Other", "1000", "その他", "99", "55555",
     None, None, None, None, [], []),
]


def ensure_defaults(session: Session) -> None:
    if session.scalar(sa.select(Carrier.id).limit(1)) is not None:
        return
    for position, (code, name, fmt, amazon, rakuten, qoo10, yahoo, np, url, pattern, hint,
                   cod_limit, services, slots) in enumerate(DEFAULTS):
        session.add(Carrier(
            code=code, name=name, file_format=fmt, amazon_code=amazon,
            amazon_name=name if amazon == "Other" else None, rakuten_code=rakuten,
            qoo10_name=qoo10, yahoo_code=yahoo, np_code=np, tracking_url=url,
            tracking_pattern=pattern, tracking_hint=hint, cod_limit=cod_limit,
            position=position, active=True,
            services=[CarrierService(name=s, slip_code=slip, cod_slip_code=cod, position=i,
                                     active=True)
                      for i, (s, slip, cod) in enumerate(services)],
            time_slots=[CarrierTimeSlot(label=label, b2_code=b2, ehiden_code=eh,
                                        yupri_code=yp, position=i, active=True)
                        for i, (label, b2, eh, yp) in enumerate(slots)]))
    session.flush()


def listed(session: Session, *, active_only: bool = True) -> list[Carrier]:
    """Carriers in the admin's order, with their services and slots loaded."""
    ensure_defaults(session)
    query = (sa.select(Carrier).order_by(Carrier.position, Carrier.id)
             .options(selectinload(Carrier.services), selectinload(Carrier.time_slots)))
    if active_only:
        query = query.where(Carrier.active)
    return list(session.scalars(query))


@dataclass(frozen=True)
class ServiceChoice:
    name: str
    active: bool


@dataclass(frozen=True)
class SlotChoice:
    label: str
    active: bool


@dataclass(frozen=True)
class Choice:
    """A carrier as the edit screen's selects offer it: a copy, kept per process."""

    name: str
    active: bool
    services: tuple[ServiceChoice, ...]
    time_slots: tuple[SlotChoice, ...]


CHOICES = ListCache([Carrier, CarrierService, CarrierTimeSlot])


def for_choices(session: Session) -> list[Choice]:
    """Every carrier (inactive ones too) as `listed` orders them, with its services and
    slots, from the process's copy while none has changed anywhere (list_cache)."""
    def load() -> list[Choice]:
        return [Choice(c.name, c.active,
                       tuple(ServiceChoice(s.name, s.active) for s in c.services),
                       tuple(SlotChoice(t.label, t.active) for t in c.time_slots))
                for c in listed(session, active_only=False)]

    return CHOICES.rows(session, Carrier, load)


def by_name(session: Session, name: str | None) -> Carrier | None:
    """The carrier an order names (orders keep the name as text), or None."""
    if not name:
        return None
    ensure_defaults(session)
    return session.scalar(sa.select(Carrier).where(Carrier.name == name))


def choices(current: str | None, names: list[str]) -> list[str]:
    """Active names, plus the value an order already holds even if since deactivated."""
    return names if not current or current in names else [*names, current]


def delivery_problems(carrier: Carrier | None, service: str | None,
                      slot: str | None) -> dict[str, Any]:
    """Why a service or a time slot does not go with the carrier: field name → message
    (lazy text), empty when they do. A carrier not in the table (a name a mall sent) is
    not checked."""
    if carrier is None:
        return {}
    problems = {}
    if service and service not in {s.name for s in carrier.services}:
        problems["delivery_method"] = _l("%(carrier)s has no delivery method %(name)s.",
                                        carrier=carrier.name, name=service)
    if slot and slot not in {t.label for t in carrier.time_slots}:
        problems["delivery_time_slot"] = _l("%(carrier)s has no delivery time %(label)s.",
                                           carrier=carrier.name, label=slot)
    return problems


@dataclass(frozen=True)
class MallCarrier:
    """How one mall names a carrier: what an adapter sends (resolved before the call)."""

    code: str
    name: str | None = None


def for_mall(carrier: Carrier | None, kind: MallKind) -> MallCarrier:
    if carrier is None:
        return {MallKind.amazon: MallCarrier("Other", "その他"),
                MallKind.rakuten: MallCarrier("1000"),
                MallKind.qoo10: MallCarrier("その他"),
                MallKind.yahoo: MallCarrier("99")}.get(kind, MallCarrier(""))
    match kind:
        case MallKind.amazon:
            return MallCarrier(carrier.amazon_code,
                               carrier.amazon_name or carrier.name
                               if carrier.amazon_code == "Other" else None)
        case MallKind.rakuten:
            return MallCarrier(carrier.rakuten_code)
        case MallKind.qoo10:
            return MallCarrier(carrier.qoo10_name or carrier.name)
        case MallKind.yahoo:
            return MallCarrier(carrier.yahoo_code or "99")
    return MallCarrier(carrier.code, carrier.name)


def digits(tracking_number: str) -> str:
    """Tracking numbers go to malls and patterns as digits and letters only (FORMATS.md 11)."""
    return "".join(ch for ch in tracking_number if ch.isascii() and ch.isalnum())


def number_fits(carrier: Carrier | None, tracking_number: str) -> bool:
    """Whether a number has the carrier's form (no pattern: any number fits)."""
    if carrier is None or not carrier.tracking_pattern:
        return True
    return re.fullmatch(carrier.tracking_pattern, digits(tracking_number)) is not None


TRACKING_URLS = ListCache([Carrier])


def tracking_link(session: Session, carrier_name: str | None,
                  tracking_number: str | None) -> str | None:
    """The carrier's page for a tracking number (the carriers' URLs kept per process)."""
    if not carrier_name or not tracking_number:
        return None
    def load() -> list[tuple[str, str]]:
        # Without installing the defaults: the pages that show links only read.
        if session.scalar(sa.select(Carrier.id).limit(1)) is None:
            return [(row[1], row[8]) for row in DEFAULTS if row[8]]
        return [(name, url) for name, url in session.execute(
            sa.select(Carrier.name, Carrier.tracking_url).where(Carrier.tracking_url != ""))]

    urls = TRACKING_URLS.rows(session, Carrier, load)
    url = next((url for name, url in urls if name == carrier_name), None)
    return url.replace("{number}", quote(digits(tracking_number))) if url else None
