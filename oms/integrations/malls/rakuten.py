"""Rakuten RakutenPayOrderAPI (FORMATS.md 3a).

Rakuten cannot list orders by update time: a poll searches the order-date windows of the
last `lookback_days` again (63-day windows, split further above 15,000 hits) and reads
every order with getOrder, 100 at a time; the OMS skips the ones whose status is unchanged.
"""

import base64
from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone
from typing import ClassVar

from oms.integrations.malls.base import (
    Batch,
    MallAdapter,
    MallLine,
    MallOrder,
    Party,
    Problem,
    required,
    text,
    yen,
)
from oms.integrations.malls.errors import MallDataError, MallRefused
from oms.models.orders import OrderStatus
from oms.models.payments import PaymentKind
from oms.services.carriers import MallCarrier, digits

S = OrderStatus
JST = timezone(timedelta(hours=9))
TIME = "%Y-%m-%dT%H:%M:%S%z"
WINDOW = timedelta(days=63)
MAX_HITS = 15_000
PAGE = 1000
PAYMENTS = {1: PaymentKind.card, 2: PaymentKind.cod, 8: PaymentKind.points,
            9: PaymentKind.prepaid_bank, 13: PaymentKind.prepaid_konbini,
            14: PaymentKind.prepaid_konbini}
DEFAULT_LOOKBACK_DAYS = 14


class RakutenAdapter(MallAdapter):
    kind = "rakuten"
    statuses: ClassVar[dict[str, str]] = {
        "100": "100 注文確認待ち", "200": "200 楽天処理中", "300": "300 発送待ち",
        "400": "400 変更確定待ち", "500": "500 発送済", "600": "600 支払手続き中",
        "700": "700 支払手続き済", "800": "800 キャンセル確定待ち", "900": "900 キャンセル確定",
    }
    default_map: ClassVar[dict[str, OrderStatus]] = {
        "100": S.new, "200": S.awaiting_payment, "300": S.awaiting_allocation,
        "400": S.on_hold, "500": S.shipped, "600": S.shipped, "700": S.completed,
        "800": S.on_hold, "900": S.cancelled,
    }
    batch_size = 100
    confirms = True

    @staticmethod
    def headers(credentials: str) -> dict[str, str]:
        return {"Authorization": "ESA " + base64.b64encode(credentials.encode()).decode()}

    def changed_since(self, since: datetime, now: datetime) -> Iterator[Batch]:
        lookback = int(self.settings.get("lookback_days") or DEFAULT_LOOKBACK_DAYS)
        start = min(since, now - timedelta(days=lookback))
        numbers: list[str] = []
        while start < now:
            end = min(start + WINDOW, now)
            numbers += self._search(start, end)
            start = end
        for i in range(0, len(numbers), self.batch_size):
            yield self.fetch(numbers[i:i + self.batch_size])

    def _search(self, start: datetime, end: datetime) -> list[str]:
        numbers, page = [], 1
        while True:
            body = self._post("searchOrder/", {
                "dateType": 1, "startDatetime": start.astimezone(JST).strftime(TIME),
                "endDatetime": end.astimezone(JST).strftime(TIME),
                "PaginationRequestModel": {"requestRecordsAmount": PAGE, "requestPage": page}})
            paging = body.get("PaginationResponseModel") or {}
            if int(paging.get("totalRecordsAmount") or 0) > MAX_HITS:
                middle = start + (end - start) / 2  # too many to read: halve the window
                return self._search(start, middle) + self._search(middle, end)
            found = body.get("orderNumberList") or []
            numbers += [str(n) for n in found]
            if page >= int(paging.get("totalPages") or 0) or not found:
                return numbers
            page += 1

    def fetch(self, mall_order_ids: list[str]) -> Batch:
        body = self._post("getOrder/", {"orderNumberList": mall_order_ids, "version": 7})
        models = body.get("OrderModelList")
        if not isinstance(models, list):
            raise MallDataError("Rakuten's answer has no OrderModelList")
        batch = self.parse_all(models, _parse, lambda m: m.get("orderNumber"))
        batch.problems += [Problem(m.get("orderNumber"), f"Rakuten: {m.get('message')}")
                           for m in _errors(body) if m.get("orderNumber")]
        return batch

    def confirm(self, mall_order_id: str) -> None:
        self._refuse_on_error(self._post("confirmOrder/", {"orderNumberList": [mall_order_id]}))

    def ship(self, mall_order_id: str, carrier: MallCarrier, tracking_number: str,
             shipped_on: date) -> str | None:
        number = digits(tracking_number)
        package = self._package(mall_order_id)
        if number in (held := _rows(package)):
            return held[number]  # the basket read says it is there already
        self._refuse_on_error(self._post("updateOrderShipping/", {
            "orderNumber": mall_order_id,
            "BasketidModelList": [{"basketId": package["basketId"], "ShippingModelList": [{
                "deliveryCompany": carrier.code, "shippingNumber": number,
                "shippingDate": shipped_on.isoformat()}]}]}, repeatable=False))
        # Rakuten answers without the row's id: read it back for later corrections.
        return self.tracking(mall_order_id).get(number)

    def tracking(self, mall_order_id: str) -> dict[str, str | None]:
        return _rows(self._package(mall_order_id))

    def _package(self, mall_order_id: str) -> dict:
        body = self._post("getOrder/", {"orderNumberList": [mall_order_id], "version": 7})
        self._refuse_on_error(body)
        try:
            package = body["OrderModelList"][0]["PackageModelList"][0]
        except (KeyError, IndexError, TypeError) as error:
            raise MallDataError("Rakuten's order has no basket to ship") from error
        if not isinstance(package, dict) or package.get("basketId") is None:
            raise MallDataError("Rakuten's order has no basket to ship")
        return package

    def cancel(self, mall_order_id: str, reason: str) -> None:
        self._refuse_on_error(self._post("cancelOrder/", {
            "orderNumber": mall_order_id, "inventoryRestoreType": 1,
            "changeReasonDetailApply": reason}))

    # ---------------------------------------------------------------------------------
    def _post(self, method: str, body: dict, *, repeatable: bool = True) -> dict:
        response = self.http.request("POST", f"es/2.0/order/{method}", json=body,
                                     repeatable=repeatable)
        try:
            answer = response.json()
        except ValueError as error:
            raise MallDataError(f"Rakuten's answer is not JSON: {response.text[:80]!r}") from error
        if not isinstance(answer, dict):
            raise MallDataError("Rakuten's answer is not an object")
        if not response.is_success:
            messages = _errors(answer)
            message = messages[0].get("message") if messages else response.text[:200]
            raise MallRefused(f"Rakuten: {message} (HTTP {response.status_code})")
        return answer

    def _refuse_on_error(self, body: dict) -> None:
        if messages := _errors(body):
            raise MallRefused(f"Rakuten: {messages[0].get('message')}")


def _rows(package: dict) -> dict[str, str | None]:
    """The basket's shipping rows: number -> shippingDetailId."""
    rows = package.get("ShippingModelList") or []
    return {str(row["shippingNumber"]): (None if row.get("shippingDetailId") is None
                                         else str(row["shippingDetailId"])[:64])
            for row in rows if isinstance(row, dict) and row.get("shippingNumber")}


def _errors(body: dict) -> list[dict]:
    return [m for m in body.get("MessageModelList") or []
            if isinstance(m, dict) and m.get("messageType") == "ERROR"]


def _parse(model: dict) -> MallOrder:
    orderer = model["OrdererModel"]
    package = model["PackageModelList"][0]
    sender = package.get("SenderModel") or orderer

    def party(p: dict) -> Party:
        name = f"{p.get('familyName', '')} {p.get('firstName', '')}".strip()
        postcode = f"{p.get('zipCode1', '')}-{p.get('zipCode2', '')}".strip("-")
        return Party(name=name[:100] or "-", email=text(p.get("emailAddress"), 254),
                     phone=text(p.get("phoneNumber1"), 20), postcode=text(postcode, 8),
                     prefecture=text(p.get("prefecture"), 8),
                     address1=text(f"{p.get('city', '')}{p.get('subAddress', '')}", 200))

    lines = []
    for item in package["ItemModelList"]:
        sku = (item.get("SkuModelList") or [{}])[0]
        lines.append(MallLine(
            product_code=required(sku.get("merchantDefinedSkuId") or item.get("manageNumber"),
                                  "manageNumber")[:64],
            option=text(sku.get("skuInfo"), 100), name=text(item.get("itemName"), 200) or "-",
            quantity=int(item["units"]), unit_price=yen(item["price"]),
            tax_rate=round(float(item.get("taxRate", 0.1)) * 100)))
    if not lines:
        raise MallDataError("the order has no items")
    settlement = int((model.get("SettlementModel") or {}).get("settlementMethodCode") or 1)
    return MallOrder(
        mall_order_id=required(model.get("orderNumber"), "orderNumber"),
        status=str(int(model["orderProgress"])),
        ordered_at=datetime.strptime(model["orderDatetime"], TIME),
        updated_at=None,
        buyer=party(orderer),
        ship_to=party(sender),
        payment=PAYMENTS.get(settlement, PaymentKind.card),
        shipping_fee=yen(model.get("postagePrice") or 0),
        # requestPrice stays -9999 until Rakuten fixes the amount: totalPrice is the order's.
        total=yen(model["totalPrice"]),
        lines=tuple(lines),
        note=text(model.get("remarks"), 2000),
        package_id=text(package.get("basketId"), 32),
    )
