"""The order list's search: parsing, conditions, tab counts and pages at a million orders.

One parser serves the list screen, presets and the jobs that act on "every order of this
search", so what an operator sees selected is exactly what a job will touch.
"""

import math
import unicodedata
from dataclasses import dataclass, field, fields
from datetime import UTC, date, datetime, time, timedelta
from functools import cache, cached_property
from urllib.parse import parse_qsl, urlencode
from zoneinfo import ZoneInfo

import jaconv
import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict

from oms import validation
from oms.models import (
    TABS,
    AllocationState,
    HandlingStatus,
    LinkResult,
    MallKind,
    Order,
    OrderAllocation,
    OrderStatus,
    OrderStatusCount,
    PaymentMethod,
    PaymentStatus,
    Shipment,
    Shop,
    Tag,
    order_tags,
)
from oms.services import blacklist, item_links, order_rows
from oms.services.list_cache import ListCache
from oms.services.order_rows import ListRow
from oms.services.report_progress import Progress, progress_condition

PER_PAGE_CHOICES = (25, 50, 100, 200)
DATE_BASES = {
    "ordered_at": _l("Order date"),
    "updated_at": _l("Updated date"),
    "cancelled_at": _l("Cancelled date"),
    "shipped_at": _l("Shipped date"),
    "ship_confirmed_at": _l("Ship-confirmed date"),
    "delivered_at": _l("Delivery date"),
}
SORTS = {
    "ordered_at": _l("Order date"),
    "updated_at": _l("Updated date"),
    "total": _l("Total"),
    "order_number": _l("Order number"),
}
# Bookkeeping rows beyond this many are folded into one row per status on read.
COMPACT_AFTER = 500


@dataclass(frozen=True)
class OrderSearch:
    tab: str = "all"
    status: OrderStatus | None = None
    date_basis: str = "ordered_at"
    date_from: date | None = None
    date_to: date | None = None
    shop_id: int | None = None
    mall: MallKind | None = None
    country: str | None = None
    link_result: LinkResult | None = None
    payment_method_id: int | None = None
    payment_status: PaymentStatus | None = None
    handling_status_id: int | None = None
    tag_id: int | None = None
    needs_attention: bool | None = None
    shipping_hold: bool | None = None
    allocation_state: AllocationState | None = None
    tracking_report: Progress | None = None  # 荷物番号報告 (出荷済 tab)
    blacklist: bool = False
    q: str = ""
    sort: str = "ordered_at"
    direction: str = "desc"
    per_page: int = 50
    page: int = 1

    @property
    def has_filters(self) -> bool:
        """True when anything beyond tab, status, sort and paging narrows the search."""
        neutral = OrderSearch(tab=self.tab, status=self.status, sort=self.sort,
                              direction=self.direction, per_page=self.per_page, page=self.page)
        return self != neutral

    def query_args(self, **changes) -> dict[str, str]:
        """The query string that reproduces this search (defaults left out), with some
        conditions changed. Built for every link of the list, so without a new search."""
        if unknown := changes.keys() - _DEFAULTS.keys():
            raise TypeError(f"Not search conditions: {', '.join(sorted(unknown))}")
        args = {}
        for name, default in _DEFAULTS.items():
            value = changes[name] if name in changes else getattr(self, name)
            if value == default and name != "tab":
                continue
            if isinstance(value, bool):
                value = "1" if value else "0"
            elif isinstance(value, date):
                value = value.isoformat()
            elif hasattr(value, "value"):
                value = value.value
            args[name] = str(value)
        return args

    def query_string(self, **changes) -> str:
        return urlencode(self.query_args(**changes))


_DEFAULTS = {f.name: f.default for f in fields(OrderSearch)}


@dataclass
class ParsedSearch:
    search: OrderSearch
    errors: dict[str, str] = field(default_factory=dict)


def _choice(args, name, errors, allowed, message, convert=str):
    raw = (args.get(name) or "").strip()
    if not raw:
        return None
    try:
        value = convert(raw)
    except (ValueError, KeyError):
        errors[name] = str(message)
        return None
    if allowed is not None and value not in allowed:
        errors[name] = str(message)
        return None
    return value


def _date(args, name, errors):
    raw = (args.get(name) or "").strip()
    if not raw:
        return None
    try:
        value = date.fromisoformat(raw.replace("/", "-"))
    except ValueError:
        errors[name] = str(_l("Not a valid date (use YYYY-MM-DD)."))
        return None
    if problem := validation.date_problem(value):
        errors[name] = problem
        return None
    return value


def _number(maximum: int = validation.ID_MAX):
    """A converter for _choice: ASCII digits from 1 to `maximum`, else ValueError."""
    def convert(raw: str) -> int:
        number = validation.parse_int(raw, 1, maximum)
        if number is None:
            raise ValueError(raw)
        return number
    return convert


def _flag(args, name, errors):
    raw = (args.get(name) or "").strip()
    if raw in ("", "any"):
        return None
    if raw in ("1", "0"):
        return raw == "1"
    errors[name] = str(_l("Choose yes or no."))
    return None


@dataclass(frozen=True)
class FilterChoices:
    """(id, name) of what the search's selects offer; a search may name only these."""

    shops: list[tuple[int, str]]
    payment_methods: list[tuple[int, str]]
    handling_statuses: list[tuple[int, str]]
    tags: list[tuple[int, str]]

    @cached_property
    def ids(self) -> tuple[set[int], ...]:
        """The ids of each list, in the order of the fields."""
        return tuple({i for i, _name in rows} for rows in (
            self.shops, self.payment_methods, self.handling_statuses, self.tags))


CHOICES = ListCache([Shop, PaymentMethod, HandlingStatus, Tag])
_CHOICE_ORDER = ((Shop, Shop.id), (PaymentMethod, PaymentMethod.id),
                 (HandlingStatus, HandlingStatus.position), (Tag, Tag.name))


def filter_choices(session: Session) -> FilterChoices:
    """The process's copy, shared by its requests: read, never changed."""
    return CHOICES.rows(session, FilterChoices, lambda: FilterChoices(*(
        [(i, name) for i, name in session.execute(sa.select(model.id, model.name)
                                                  .order_by(order_by))]
        for model, order_by in _CHOICE_ORDER)))


def parse(session: Session, args: MultiDict,
          choices: FilterChoices | None = None) -> ParsedSearch:
    """Read a search from query arguments. Unknown or malformed values are dropped from
    the search and reported per field, so a bad value never widens or breaks a list.
    `choices` saves reading them again when the caller shows them too."""
    # The first value of each name, as MultiDict.get reads it; a plain dict's get makes
    # no exception for each of the twenty names a search leaves out.
    args = args.to_dict()
    errors: dict[str, str] = {}
    choices = choices or filter_choices(session)
    shop_ids, payment_ids, handling_ids, tag_ids = choices.ids
    tab = args.get("tab") or "all"
    if tab not in TABS:
        errors["tab"] = str(_l("Unknown status tab."))
        tab = "all"
    status = _choice(args, "status", errors, set(TABS[tab]), _l("Not a status of this tab."),
                     OrderStatus)
    date_from = _date(args, "date_from", errors)
    date_to = _date(args, "date_to", errors)
    if date_from and date_to and date_from > date_to:
        errors["date_to"] = str(_l("The end date is before the start date."))
        date_to = None
    country = (args.get("country") or "").strip().upper() or None
    if country and (len(country) != 2 or not country.isalpha()):
        errors["country"] = str(_l("Use a two-letter country code such as JP or US."))
        country = None
    per_page = _choice(args, "per_page", errors, PER_PAGE_CHOICES,
                       _l("Choose 25, 50, 100 or 200."), _number()) or 50
    page = _choice(args, "page", errors, None, _l("Not a page number."),
                   _number(validation.MAX_PAGE)) or 1
    search = OrderSearch(
        tab=tab,
        status=status,
        date_basis=_choice(args, "date_basis", errors, DATE_BASES,
                           _l("Unknown date basis.")) or "ordered_at",
        date_from=date_from,
        date_to=date_to,
        shop_id=_choice(args, "shop_id", errors, shop_ids, _l("Unknown shop."), _number()),
        mall=_choice(args, "mall", errors, None, _l("Unknown mall."), MallKind),
        country=country,
        link_result=_choice(args, "link_result", errors, None, _l("Choose OK or FAIL."),
                            LinkResult),
        payment_method_id=_choice(args, "payment_method_id", errors, payment_ids,
                                  _l("Unknown payment method."), _number()),
        payment_status=_choice(args, "payment_status", errors, None,
                               _l("Unknown payment status."), PaymentStatus),
        handling_status_id=_choice(args, "handling_status_id", errors, handling_ids,
                                   _l("Unknown handling status."), _number()),
        tag_id=_choice(args, "tag_id", errors, tag_ids, _l("Unknown tag."), _number()),
        needs_attention=_flag(args, "needs_attention", errors),
        shipping_hold=_flag(args, "shipping_hold", errors),
        allocation_state=_choice(args, "allocation_state", errors, None,
                                 _l("Unknown allocation state."), AllocationState),
        tracking_report=_choice(args, "tracking_report", errors, None,
                                _l("Unknown tracking report state."), Progress),
        blacklist=args.get("blacklist") == "1",
        q=unicodedata.normalize("NFKC", args.get("q") or "").strip()[:100],
        sort=_choice(args, "sort", errors, SORTS, _l("Unknown sort.")) or "ordered_at",
        direction="asc" if args.get("direction") == "asc" else "desc",
        per_page=per_page,
        page=max(page, 1),
    )
    return ParsedSearch(search, errors)


def search_problems(session: Session, search_query: str) -> list[str]:
    """What is wrong with a search that an action over "every order of the search" or a
    job will run: parse() drops a bad value, which for a list only shows more, but would
    make a job act on more orders than the operator asked for."""
    args = MultiDict(parse_qsl(search_query))
    problems = list(parse(session, args).errors.values())
    if unknown := sorted(set(args) - {f.name for f in fields(OrderSearch)}):
        problems.append(str(_l("Unknown search conditions: %(names)s",
                               names=", ".join(name[:40] for name in unknown[:5]))))
    return problems


def _day_start(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time.min, tzinfo=tz).astimezone(UTC)


def text_condition(q: str) -> sa.ColumnElement[bool]:
    """Free text: identifiers, e-mail and phone by exact or prefix match; names and kana
    by partial match (prefix for one or two characters, where trigrams cannot help).

    Every alternative is served by its own index: conditions on orders are OR-ed (the
    database combines their index scans), and tracking numbers, which live on shipments,
    are united by id, since an OR with a sub-query would make it read every order.
    """
    compact = q.replace(" ", "").replace("\u3000", "")
    digits = "".join(ch for ch in compact if "0" <= ch <= "9")
    if "@" in q:
        return sa.func.lower(Order.buyer_email).like(_prefix(q.lower()), escape="\\")
    mall_id = Order.mall_order_id.like(_prefix(compact), escape="\\")
    if digits and len(digits) == len(compact.replace("-", "")):
        on_orders = sa.select(Order.id).where(sa.or_(
            mall_id,
            Order.order_number.like(_prefix(digits), escape="\\"),
            sa.func.replace(Order.buyer_phone, "-", "").like(_prefix(digits), escape="\\"),
        ))
        on_shipments = sa.select(Shipment.order_id).where(
            Shipment.tracking_number.like(_prefix(digits), escape="\\"))
        return Order.id.in_(sa.union(on_orders, on_shipments))
    kana = jaconv.hira2kata(compact)
    pattern = _prefix if len(compact) < 3 else _partial
    return sa.or_(
        mall_id,
        sa.func.replace(Order.buyer_name, " ", "").like(pattern(compact), escape="\\"),
        sa.func.replace(Order.buyer_kana, " ", "").like(pattern(kana), escape="\\"),
    )


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _prefix(text: str) -> str:
    return _escape(text) + "%"


def _partial(text: str) -> str:
    return "%" + _escape(text) + "%"


def conditions(search: OrderSearch, tz: ZoneInfo, *, with_tab: bool = True
               ) -> list[sa.ColumnElement[bool]]:
    """SQL conditions of a search; `with_tab=False` leaves out the tab and status, for
    counting every tab of the same search in one grouped query."""
    where: list[sa.ColumnElement[bool]] = [Order.deleted_at.is_(None)]
    if with_tab:
        if search.status:
            where.append(Order.status == search.status)
        elif search.tab != "all":
            where.append(Order.tab == search.tab)
    basis = getattr(Order, search.date_basis)
    if search.date_from:
        where.append(basis >= _day_start(search.date_from, tz))
    if search.date_to:
        where.append(basis < _day_start(search.date_to + timedelta(days=1), tz))
    if search.shop_id:
        where.append(Order.shop_id == search.shop_id)
    if search.mall:
        where.append(Order.shop_id.in_(sa.select(Shop.id).where(Shop.kind == search.mall)))
    if search.country:
        where.append(Order.destination_country == search.country)
    if search.link_result:
        where.append(item_links.has_link_result(search.link_result))
    if search.payment_method_id:
        where.append(Order.payment_method_id == search.payment_method_id)
    if search.payment_status:
        where.append(Order.payment_status == search.payment_status)
    if search.handling_status_id:
        where.append(Order.handling_status_id == search.handling_status_id)
    if search.tag_id:
        where.append(Order.id.in_(
            sa.select(order_tags.c.order_id).where(order_tags.c.tag_id == search.tag_id)))
    if search.needs_attention is not None:
        where.append(Order.needs_attention.is_(search.needs_attention))
    if search.shipping_hold is not None:
        where.append(Order.shipping_hold.is_(search.shipping_hold))
    if search.allocation_state:
        # Allocation concerns the orders being processed: kept to that tab, so the tab
        # counts read its orders only.
        where += [Order.tab == "processing", _allocation_condition(search.allocation_state)]
    if search.tracking_report:
        # Reports concern shipped orders: kept to that tab, like allocation above.
        where += [Order.tab == "done", progress_condition(search.tracking_report)]
    if search.blacklist:
        where.append(blacklist.flag_condition())
    if search.q:
        where.append(text_condition(search.q))
    return where


def _allocation_condition(state: AllocationState) -> sa.ColumnElement[bool]:
    """The orders in allocation state `state`, as semi-joins on order_allocations (its
    (state, order_id) index, or the order side, whichever is cheaper). Not allocated is
    no row, or a row that only says why."""
    if state is AllocationState.none:
        return ~sa.exists().where(OrderAllocation.order_id == Order.id,
                                  OrderAllocation.state != AllocationState.none)
    return sa.exists().where(OrderAllocation.order_id == Order.id,
                             OrderAllocation.state == state)


@dataclass
class TabCounts:
    by_status: dict[OrderStatus, int]

    def tab(self, key: str) -> int:
        return sum(self.by_status.get(s, 0) for s in TABS[key])

    def status(self, status: OrderStatus) -> int:
        return self.by_status.get(status, 0)


def tab_counts(session: Session, search: OrderSearch, tz: ZoneInfo) -> TabCounts:
    """Counts for every tab and status of the search, in one query. Without filters the
    trigger-kept counters answer, so the busiest screens never count a million rows."""
    if not search.has_filters:
        return TabCounts(stored_status_counts(session))
    session.flush()  # run as Core, as order_rows.load_page
    rows = session.connection().execute(
        sa.select(Order.status, sa.func.count())
        .where(*conditions(search, tz, with_tab=False))
        .group_by(Order.status)
    )
    return TabCounts(dict(rows.all()))


# Built once: a statement keeps its cache key, and this one is read on every list page.
_STORED_COUNTS = (
    sa.select(OrderStatusCount.status, sa.func.sum(OrderStatusCount.n), sa.func.count())
    .group_by(OrderStatusCount.status))


def stored_status_counts(session: Session) -> dict[OrderStatus, int]:
    session.flush()  # run as Core, as order_rows.load_page
    rows = session.connection().execute(_STORED_COUNTS).all()
    if sum(r[2] for r in rows) > COMPACT_AFTER:
        compact_status_counts(session.get_bind())
    return {order_rows.STATUS[status]: int(n) for status, n, _rows in rows if n}


def compact_status_counts(engine) -> None:
    """Fold the counter rows into one per status, in its own short transaction."""
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text(
                "WITH gone AS (DELETE FROM order_status_counts RETURNING status, n) "
                "INSERT INTO order_status_counts (status, n) "
                "SELECT status, sum(n) FROM gone GROUP BY status"))
        else:
            sums = conn.execute(sa.text(
                "SELECT status, sum(n) FROM order_status_counts GROUP BY status")).all()
            conn.execute(sa.text("DELETE FROM order_status_counts"))
            for status, n in sums:
                conn.execute(sa.text("INSERT INTO order_status_counts (status, n) "
                                     "VALUES (:s, :n)"), {"s": status, "n": n})


@dataclass
class ResultPage:
    rows: list[ListRow]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    def nearby(self, width: int = 2) -> list[int]:
        pages = {1, self.pages, *range(self.page - width, self.page + width + 1)}
        return sorted(p for p in pages if 1 <= p <= self.pages)


# When a search has few matches, or a date range on another date than the one it sorts
# by, a page is cut from the whole, sorted set of matches. Otherwise PostgreSQL may walk
# the sort's index expecting to meet matches early, which a rare match or a filter
# correlated with the sort (last year's shipping dates, in order-date order) turns into
# a walk through most of the orders.
SORT_ALL_MATCHES_BELOW = 10_000


def _page_query(search: OrderSearch, where: list[sa.ColumnElement[bool]], total: int
                ) -> tuple[sa.Select, list[str]]:
    """The ids of the search with their sort keys, in its order; and the keys' names."""
    column = getattr(Order, search.sort)
    keys = [column] if search.sort == "order_number" else [column, Order.id]
    names = [f"k{i}" for i in range(len(keys))]
    query = sa.select(Order.id, *(k.label(n) for k, n in zip(keys, names, strict=True))) \
        .where(*where)
    ranged = bool(search.date_from or search.date_to) and search.date_basis != search.sort
    if not _walks_exactly(search) and (total < SORT_ALL_MATCHES_BELOW or ranged):
        # OFFSET 0 keeps the planner from merging the inner query into the sorted one.
        inner = query.offset(0).subquery()
        query, keys = sa.select(*inner.c), [inner.c[n] for n in names]
    return query.order_by(*_directed(search, keys)), names


def _walks_exactly(search: OrderSearch) -> bool:
    """A tab alone, or a status alone in order-date order, has an index in the sort's
    order whose every entry matches (orders (tab, key, id) and (status, ordered_at, id)):
    walking it meets the page at once, where sorting a tab's few thousand matches took
    ten times as long."""
    return not search.has_filters and (search.status is None or search.sort == "ordered_at")


def _directed(search: OrderSearch, keys: list) -> list[sa.ColumnElement]:
    return [k.asc() if search.direction == "asc" else k.desc() for k in keys]


def matching_ids(search: OrderSearch, tz: ZoneInfo) -> sa.Select:
    """Ids of every order of the search (select-all, jobs over a search)."""
    return sa.select(Order.id).where(*conditions(search, tz))


def fetch_page(session: Session, search: OrderSearch, total: int, tz: ZoneInfo) -> ResultPage:
    """One page of the search in one statement: its ids from an ordered index scan, as a
    sub-query that their rows are joined to."""
    pages = max(1, math.ceil(total / search.per_page))
    page = min(search.page, pages)
    if _walks_exactly(search):
        statement = _tab_page(OrderSearch(tab=search.tab, status=search.status,
                                          sort=search.sort, direction=search.direction))
    else:
        statement = _page_statement(search, conditions(search, tz), total)
    rows = order_rows.load_page(session, statement, {
        "page_size": search.per_page, "page_start": (page - 1) * search.per_page})
    return ResultPage(rows, page, search.per_page, total)


@cache
def _tab_page(search: OrderSearch) -> sa.Select:
    """The page statement of a tab or status alone, built once per process: such a
    statement knows its cache key once made, where building and keying a new one cost a
    third of the page's own SQL time. (A tab alone has no dates, so no time zone; and it
    walks its index whatever its total.)"""
    return _page_statement(search, conditions(search, UTC), 0)


def _page_statement(search: OrderSearch, where: list[sa.ColumnElement[bool]], total: int
                    ) -> sa.Select:
    """The page's rows, for the parameters page_size and page_start."""
    ids, keys = _page_query(search, where, total)
    ids = ids.offset(sa.bindparam("page_start")).limit(sa.bindparam("page_size")).subquery()
    return order_rows.page_statement(ids, _directed(search, [ids.c[k] for k in keys]))


def query_with(session: Session, search_query: str, **changes) -> str:
    """A stored search's query string with some conditions changed (page 1), e.g. the
    FAIL orders of the search a link job ran over: `link_result=LinkResult.fail`."""
    search = parse(session, MultiDict(parse_qsl(search_query))).search
    return search.query_string(page=1, **changes)


def target_conditions(session: Session, search_query: str, order_ids: list[int] | None,
                      tz: ZoneInfo) -> list[sa.ColumnElement[bool]]:
    """The orders an action acts on: the checked ones, or every order of the search."""
    if order_ids:
        return [Order.id.in_(order_ids), Order.deleted_at.is_(None)]
    return conditions(parse(session, MultiDict(parse_qsl(search_query))).search, tz)
