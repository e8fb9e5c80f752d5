"""出荷一覧 (配送管理, seed 004): the orders being shipped, by 出荷待ち / 出荷中 / 出荷済.

Rows are plain tuples of the shown columns, in 出荷予定日 order (the index
`ix_orders_status_scheduled_ship_date_id`); the page's latest parcels and their mall
reports come in one more query. One parser serves the screen and the bulk selection made
from it, so a whole-search bulk update acts on exactly what the list showed.
"""

import math
import unicodedata
from dataclasses import dataclass, field, fields, replace
from datetime import date, datetime, timedelta
from urllib.parse import parse_qsl, urlencode
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict

from oms import validation
from oms.models import (
    Order,
    OrderStatus,
    ReportState,
    Shipment,
    Shop,
    TrackingReport,
)
from oms.models.base import utcnow
from oms.services import carriers, order_search, tracking_reports
from oms.services.order_search import ResultPage, _choice, _date, _day_start, _number, _prefix

S = OrderStatus
# The tabs, in the order of the work (seed 001 4.「出荷待」・「出荷中」, 5.「出荷済」).
TABS = (S.ready_to_ship, S.shipping, S.shipped)
PER_PAGE_CHOICES = order_search.PER_PAGE_CHOICES
# Date ranges: (query prefix, column, whether the column is a time of day).
RANGES = {
    "ship": (Order.scheduled_ship_date, False),
    "delivery": (Order.scheduled_delivery_date, False),
    "confirmed": (Order.ship_confirmed_at, True),
}
RANGE_LABELS = {
    "ship": _l("Scheduled ship date"),
    "delivery": _l("Scheduled delivery date"),
    "confirmed": _l("Ship-confirmed date"),
}


@dataclass(frozen=True)
class ShipmentSearch:
    status: OrderStatus = S.ready_to_ship
    tracking: str = ""
    carrier: str | None = None
    shop_id: int | None = None
    ship_from: date | None = None
    ship_to: date | None = None
    delivery_from: date | None = None
    delivery_to: date | None = None
    confirmed_from: date | None = None
    confirmed_to: date | None = None
    direction: str = "asc"
    per_page: int = 50
    page: int = 1

    @property
    def has_filters(self) -> bool:
        neutral = ShipmentSearch(status=self.status, direction=self.direction,
                                 per_page=self.per_page, page=self.page)
        return self != neutral

    def query_args(self, **changes) -> dict[str, str]:
        """The query string that reproduces this search (defaults left out but the tab)."""
        search, default = replace(self, **changes), ShipmentSearch()
        args = {}
        for f in fields(search):
            value = getattr(search, f.name)
            if value == getattr(default, f.name) and f.name != "status":
                continue
            args[f.name] = value.isoformat() if isinstance(value, date) else str(
                getattr(value, "value", value))
        return args

    def query_string(self, **changes) -> str:
        return urlencode(self.query_args(**changes))


@dataclass
class ParsedSearch:
    search: ShipmentSearch
    errors: dict[str, str] = field(default_factory=dict)


def parse(session: Session, args: MultiDict) -> ParsedSearch:
    """A search from query arguments; a bad value is dropped and reported by field."""
    errors: dict[str, str] = {}
    shop_ids = set(session.scalars(sa.select(Shop.id)))
    carrier_names = {c.name for c in carriers.listed(session, active_only=False)}
    ranges: dict[str, date | None] = {}
    for name in RANGES:
        start, end = _date(args, f"{name}_from", errors), _date(args, f"{name}_to", errors)
        if start and end and start > end:
            errors[f"{name}_to"] = str(_l("The end date is before the start date."))
            end = None
        ranges |= {f"{name}_from": start, f"{name}_to": end}
    search = ShipmentSearch(
        status=_choice(args, "status", errors, TABS, _l("Not a status of this list."),
                       OrderStatus) or S.ready_to_ship,
        tracking=unicodedata.normalize("NFKC", args.get("tracking") or "").strip()[:32],
        carrier=_choice(args, "carrier", errors, carrier_names, _l("Unknown carrier.")),
        shop_id=_choice(args, "shop_id", errors, shop_ids, _l("Unknown shop."), _number()),
        direction="desc" if args.get("direction") == "desc" else "asc",
        per_page=_choice(args, "per_page", errors, PER_PAGE_CHOICES,
                         _l("Choose 25, 50, 100 or 200."), _number()) or 50,
        page=_choice(args, "page", errors, None, _l("Not a page number."),
                     _number(validation.MAX_PAGE)) or 1,
        **ranges,
    )
    return ParsedSearch(search, errors)


def search_problems(session: Session, search_query: str) -> list[str]:
    """What is wrong with a stored search a bulk update would run (see order_search)."""
    args = MultiDict(parse_qsl(search_query))
    problems = list(parse(session, args).errors.values())
    if set(args) - {f.name for f in fields(ShipmentSearch)}:
        problems.append(str(_l("Unknown search conditions.")))
    return problems


def tracking_condition(text: str) -> sa.ColumnElement[bool]:
    """Orders with a parcel whose number starts with `text` (voided ones too: a number
    taken back stays findable). The pattern index on shipments serves the prefix."""
    prefixes = {_prefix(text), _prefix(carriers.digits(text))} - {"%"}
    return Order.id.in_(sa.select(Shipment.order_id).where(
        sa.or_(*(Shipment.tracking_number.like(p, escape="\\") for p in prefixes))))


def conditions(search: ShipmentSearch, tz: ZoneInfo, *, with_status: bool = True
               ) -> list[sa.ColumnElement[bool]]:
    where: list[sa.ColumnElement[bool]] = [Order.deleted_at.is_(None)]
    where.append(Order.status == search.status if with_status else Order.status.in_(TABS))
    if search.tracking:
        where.append(tracking_condition(search.tracking))
    if search.carrier:
        where.append(Order.carrier == search.carrier)
    if search.shop_id:
        where.append(Order.shop_id == search.shop_id)
    for name, (column, timed) in RANGES.items():
        start, end = getattr(search, f"{name}_from"), getattr(search, f"{name}_to")
        if start:
            where.append(column >= (_day_start(start, tz) if timed else start))
        if end:
            where.append(column < _day_start(end + timedelta(days=1), tz) if timed
                         else column <= end)
    return where


def target_conditions(session: Session, search_query: str, tz: ZoneInfo
                      ) -> list[sa.ColumnElement[bool]]:
    """Every order of a stored search: what a whole-search bulk update acts on."""
    return conditions(parse(session, MultiDict(parse_qsl(search_query))).search, tz)


def tab_counts(session: Session, search: ShipmentSearch, tz: ZoneInfo) -> dict[OrderStatus, int]:
    """Per tab; without filters the trigger-kept counters the order list's sub-tabs read,
    so both screens always show the same numbers (SCOPE P2 check 9)."""
    if not search.has_filters:
        stored = order_search.stored_status_counts(session)
        return {s: stored.get(s, 0) for s in TABS}
    rows = dict(session.execute(
        sa.select(Order.status, sa.func.count())
        .where(*conditions(search, tz, with_status=False)).group_by(Order.status)).all())
    return {s: rows.get(s, 0) for s in TABS}


@dataclass(frozen=True)
class Row:
    id: int
    order_number: str
    shop_name: str
    shop_kind: str
    ship_name: str
    carrier: str | None
    service: str | None
    time_slot: str | None
    ship_date: date | None
    delivery_date: date | None
    exported_at: datetime | None
    shipping_hold: bool
    tracking_number: str | None = None
    report: str | None = None  # a REPORT key: pending, stale, ok, failed


ROW_COLUMNS = (Order.id, Order.order_number, Shop.name, Shop.kind, Order.ship_name,
               Order.carrier, Order.delivery_method, Order.delivery_time_slot,
               Order.scheduled_ship_date, Order.scheduled_delivery_date,
               Order.shipping_list_exported_at, Order.shipping_hold)
# A search matching fewer orders is sorted whole (see order_search.SORT_ALL_MATCHES_BELOW).
SORT_ALL_MATCHES_BELOW = order_search.SORT_ALL_MATCHES_BELOW


def _page_ids(session: Session, search: ShipmentSearch, where, total: int, page: int
              ) -> list[int]:
    keys = [Order.scheduled_ship_date, Order.id]
    query = sa.select(Order.id).where(*where)
    if total < SORT_ALL_MATCHES_BELOW or search.tracking:
        # A rare match: sorting the matches beats walking the date index hoping to meet
        # them; OFFSET 0 keeps the planner from merging the two.
        inner = query.add_columns(Order.scheduled_ship_date.label("k")).offset(0).subquery()
        query, keys = sa.select(inner.c.id), [inner.c.k, inner.c.id]
    order = [k.desc() if search.direction == "desc" else k.asc() for k in keys]
    return list(session.scalars(query.order_by(*order)
                                .offset((page - 1) * search.per_page).limit(search.per_page)))


def fetch_page(session: Session, search: ShipmentSearch, total: int, tz: ZoneInfo
               ) -> ResultPage:
    pages = max(1, math.ceil(total / search.per_page))
    page = min(search.page, pages)
    ids = _page_ids(session, search, conditions(search, tz), total, page)
    if not ids:
        return ResultPage([], page, search.per_page, total)
    rows = {r[0]: r for r in session.execute(
        sa.select(*ROW_COLUMNS).join(Shop, Shop.id == Order.shop_id).where(Order.id.in_(ids)))}
    parcels = latest_parcels(session, ids)
    return ResultPage([_row(rows[i], parcels.get(i, (None, None))) for i in ids if i in rows],
                      page, search.per_page, total)


def _row(columns, parcel) -> Row:
    values = list(columns)
    values[3] = values[3].value  # the shop's kind, for its badge
    return Row(*values, *parcel)


# Worst first: what a row shows when a parcel was reported through several channels.
_SEVERITY = ("failed", "stale", "pending", "ok")


def latest_parcels(session: Session, order_ids: list[int]
                   ) -> dict[int, tuple[str | None, str | None]]:
    """order id -> (tracking number, report key) of its latest parcel not taken back."""
    stale_before = utcnow() - tracking_reports.STALE_AFTER
    rows = session.execute(
        sa.select(Shipment.order_id, Shipment.id, Shipment.tracking_number,
                  TrackingReport.state, TrackingReport.requested_at)
        .outerjoin(TrackingReport, TrackingReport.shipment_id == Shipment.id)
        .where(Shipment.order_id.in_(order_ids), Shipment.voided_at.is_(None))
        .order_by(Shipment.order_id, Shipment.id.desc())).all()
    found: dict[int, tuple[int, str | None, str | None]] = {}
    for order_id, shipment_id, number, state, requested_at in rows:
        kept = found.get(order_id)
        if kept is not None and kept[0] != shipment_id:
            continue  # an older parcel
        key = _report_key(state, requested_at, stale_before)
        if kept is not None and kept[2] is not None and (
                key is None or _SEVERITY.index(kept[2]) <= _SEVERITY.index(key)):
            continue
        found[order_id] = (shipment_id, number, key)
    return {order_id: (number, key) for order_id, (_, number, key) in found.items()}


def _report_key(state: ReportState | None, requested_at: datetime | None,
                stale_before: datetime) -> str | None:
    if state is None:
        return None
    if state is ReportState.pending and requested_at < stale_before:
        return "stale"
    return state.value
