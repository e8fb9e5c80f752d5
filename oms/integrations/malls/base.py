"""What every mall adapter gives the OMS: orders in one mall-neutral shape, and the calls
the OMS makes (confirm, ship, cancel). Adapters know formats and protocols only."""

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar

from oms.integrations.malls.errors import MallDataError
from oms.integrations.malls.http import MallHttp
from oms.models.orders import OrderStatus
from oms.models.payments import PaymentKind
from oms.services.carriers import MallCarrier


@dataclass(frozen=True)
class Party:
    name: str
    kana: str | None = None
    email: str | None = None
    phone: str | None = None
    postcode: str | None = None
    prefecture: str | None = None
    address1: str | None = None


@dataclass(frozen=True)
class MallLine:
    product_code: str
    option: str | None
    name: str
    quantity: int
    unit_price: int  # yen, tax excluded
    tax_rate: int


@dataclass(frozen=True)
class MallOrder:
    mall_order_id: str
    status: str  # the mall's status, as the adapter's `statuses` names it
    ordered_at: datetime
    updated_at: datetime | None  # None where the mall keeps no update time (Rakuten)
    buyer: Party
    ship_to: Party
    payment: PaymentKind
    shipping_fee: int
    total: int
    lines: tuple[MallLine, ...]
    note: str | None = None
    package_id: str | None = None  # the mall's 送付先 (Rakuten basketId)


@dataclass(frozen=True)
class Problem:
    """An order the mall answered about but that cannot be used, and why."""

    mall_order_id: str | None
    message: str


@dataclass
class Batch:
    orders: list[MallOrder] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


class MallAdapter:
    """One mall account. Subclasses implement the listing and the calls."""

    kind: ClassVar[str]
    # The mall's statuses: code -> how the mall names it (shown when mapping statuses).
    statuses: ClassVar[dict[str, str]]
    # What each status means in our workflow unless the shop maps it otherwise.
    default_map: ClassVar[dict[str, OrderStatus]]
    # How many orders one refresh call can ask for.
    batch_size: ClassVar[int] = 1
    # Whether the mall has a 注文確認 step of its own (Amazon has none: new = processing).
    confirms: ClassVar[bool] = False

    def __init__(self, http: MallHttp, settings: dict[str, Any]):
        self.http = http
        self.settings = settings

    @staticmethod
    def headers(credentials: str) -> dict[str, str]:
        raise NotImplementedError

    def changed_since(self, since: datetime, now: datetime) -> Iterator[Batch]:
        """New and changed orders since `since`, a batch per mall call."""
        raise NotImplementedError

    def fetch(self, mall_order_ids: list[str]) -> Batch:
        """The orders asked for (at most batch_size); unknown ones come back as problems."""
        raise NotImplementedError

    def confirm(self, mall_order_id: str) -> None:
        """注文確認 at the mall; nothing to do where `confirms` is False."""

    def ship(self, mall_order_id: str, carrier: MallCarrier, tracking_number: str,
             shipped_on: date) -> str | None:
        """Tell the mall a parcel left: the carrier as this mall names it (resolved from
        配送業者管理 before the call), the number as digits. Sent once (a lost answer
        raises MallUnavailable: read back with `tracking` before sending again). Returns
        the mall's id of the parcel where it has one (Rakuten shippingDetailId)."""
        raise NotImplementedError

    def tracking(self, mall_order_id: str) -> dict[str, str | None]:
        """Read-back: the tracking numbers the mall holds for the order, each with the
        mall's id of the parcel (or None)."""
        raise NotImplementedError

    def cancel(self, mall_order_id: str, reason: str) -> None:
        raise NotImplementedError

    def close(self) -> None:
        self.http.close()

    # --- helpers for subclasses -----------------------------------------------------
    def parse_all(self, records: Iterable[Any], parse: Callable[[dict], MallOrder],
                  id_of: Callable[[dict], Any]) -> Batch:
        """Parse each record; a record that cannot be read becomes a problem, not a crash."""
        batch = Batch()
        for record in records:
            try:
                if not isinstance(record, dict):
                    raise MallDataError(f"an order is not an object: {str(record)[:80]}")
                order = parse(record)
                if order.status not in self.statuses:
                    raise MallDataError(f"unknown status {order.status!r}")
                batch.orders.append(order)
            except (MallDataError, KeyError, TypeError, ValueError, IndexError,
                    AttributeError) as error:
                ident = id_of(record) if isinstance(record, dict) else None
                batch.problems.append(Problem(str(ident) if ident else None,
                                              f"unreadable order data: {_describe(error)}"))
        return batch


def _describe(error: Exception) -> str:
    if isinstance(error, KeyError):
        return f"missing {error}"
    return str(error) or type(error).__name__


def yen(value: Any) -> int:
    """Whole yen from a number or a string such as "1234.00"; anything else is bad data."""
    try:
        amount = Decimal(str(value))
    except InvalidOperation as error:
        raise MallDataError(f"not an amount: {value!r}") from error
    if amount != amount.to_integral_value() or not amount.is_finite():
        raise MallDataError(f"not a whole yen amount: {value!r}")
    return int(amount)


def text(value: Any, limit: int) -> str | None:
    """Optional text cut to the column's size (malls send longer names than we keep)."""
    if value is None or value == "":
        return None
    return str(value)[:limit]


def required(value: Any, what: str) -> str:
    if value is None or str(value).strip() == "":
        raise MallDataError(f"{what} is missing")
    return str(value)
