"""Yahoo!ショッピング store API (FORMATS.md 10): orderList by last-update time with
offset paging, orderInfo per order, status and ship-status changes."""

from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone
from typing import ClassVar

import httpx

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
REQUEST_TIME = "%Y%m%d%H%M%S"
BASE = "ShoppingWebService/V1/"
PAGE = 100
PAYMENTS = {"payment_d1": PaymentKind.cod, "payment_b1": PaymentKind.prepaid_konbini,
            "payment_a16": PaymentKind.points, "payment_c1": PaymentKind.prepaid_bank}


class YahooAdapter(MallAdapter):
    kind = "yahoo"
    statuses: ClassVar[dict[str, str]] = {
        "1": "1 予約中", "2-new": "2 処理中 (未確認)", "2-0": "2 処理中 / 出荷不可",
        "2-1": "2 処理中 / 出荷可", "2-2": "2 処理中 / 出荷処理中", "2-3": "2 処理中 / 出荷完了",
        "3": "3 保留", "4": "4 キャンセル", "5": "5 完了",
    }
    default_map: ClassVar[dict[str, OrderStatus]] = {
        "1": S.pending_review, "2-new": S.new, "2-0": S.awaiting_payment,
        "2-1": S.awaiting_allocation, "2-2": S.ready_to_ship, "2-3": S.shipped,
        "3": S.on_hold, "4": S.cancelled, "5": S.completed,
    }
    confirms = True

    @staticmethod
    def headers(credentials: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {credentials}"}

    @property
    def seller_id(self) -> str:
        return str(self.settings.get("seller_id") or "sandbox")

    def changed_since(self, since: datetime, now: datetime) -> Iterator[Batch]:
        start = 1
        while True:
            body = self._post("orderList", {
                "SellerId": self.seller_id, "Start": start, "Result": PAGE,
                "Condition": {"LastUpdateTimeFrom": since.astimezone(JST).strftime(REQUEST_TIME),
                              # Whole seconds: round up so the last second is included.
                              "LastUpdateTimeTo": (now + timedelta(seconds=1)).astimezone(JST)
                              .strftime(REQUEST_TIME)}})
            records = ((body.get("Result") or {}).get("Search") or {}).get("OrderInfo")
            if not isinstance(records, list):
                raise MallDataError("Yahoo's answer has no OrderInfo list")
            yield self.parse_all(records, _parse, lambda r: r.get("OrderId"))
            if len(records) < PAGE:
                return
            start += PAGE

    def fetch(self, mall_order_ids: list[str]) -> Batch:
        (mall_order_id,) = mall_order_ids
        response = self._request("orderInfo", {"SellerId": self.seller_id,
                                               "OrderId": mall_order_id})
        if response.status_code == 404:
            return Batch(problems=[Problem(mall_order_id, f"Yahoo: {_message(response)}")])
        record = (self._answer(response).get("Result") or {}).get("OrderInfo")
        return self.parse_all([record], _parse, lambda r: r.get("OrderId"))

    def confirm(self, mall_order_id: str) -> None:
        self._post("orderStatusChange", {"SellerId": self.seller_id, "OrderId": mall_order_id,
                                         "OrderStatus": 2, "IsSeen": True})

    def ship(self, mall_order_id: str, carrier: MallCarrier, tracking_number: str,
             shipped_on: date) -> str | None:
        self._post("orderShipStatusChange", {
            "SellerId": self.seller_id, "OrderId": mall_order_id, "ShipStatus": 3,
            "ShipCompanyCode": carrier.code, "ShipInvoiceNumber1": digits(tracking_number),
            "ShipDate": shipped_on.strftime("%Y%m%d")}, repeatable=False)
        return None

    def tracking(self, mall_order_id: str) -> dict[str, str | None]:
        record = (self._post("orderInfo", {"SellerId": self.seller_id,
                                           "OrderId": mall_order_id}).get("Result")
                  or {}).get("OrderInfo") or {}
        number = record.get("ShipInvoiceNumber1") if isinstance(record, dict) else None
        return {str(number): None} if number else {}

    def cancel(self, mall_order_id: str, reason: str) -> None:
        self._post("orderStatusChange", {"SellerId": self.seller_id, "OrderId": mall_order_id,
                                         "OrderStatus": 4, "CancelReason": reason})

    # ---------------------------------------------------------------------------------
    def _request(self, method: str, body: dict, *, repeatable: bool = True
                 ) -> httpx.Response:
        return self.http.request("POST", BASE + method, json=body, repeatable=repeatable)

    def _post(self, method: str, body: dict, *, repeatable: bool = True) -> dict:
        return self._answer(self._request(method, body, repeatable=repeatable))

    def _answer(self, response: httpx.Response) -> dict:
        if not response.is_success:
            raise MallRefused(f"Yahoo: {_message(response)} (HTTP {response.status_code})")
        try:
            body = response.json()
        except ValueError as error:
            raise MallDataError(f"Yahoo's answer is not JSON: {response.text[:80]!r}") from error
        if not isinstance(body, dict):
            raise MallDataError("Yahoo's answer is not an object")
        return body


def _message(response: httpx.Response) -> str:
    try:
        return response.json()["Error"]["Message"]
    except (ValueError, KeyError, TypeError):
        return response.text[:200]


def _status(record: dict) -> str:
    order_status = int(record["OrderStatus"])
    if order_status != 2:
        return str(order_status)
    if not record.get("IsSeen") and int(record.get("ShipStatus", 1)) != 0:
        return "2-new"
    return f"2-{int(record['ShipStatus'])}"


def _parse(record: dict) -> MallOrder:
    def party(prefix: str) -> Party:
        return Party(name=text(record.get(f"{prefix}Name"), 100) or "-",
                     email=text(record.get(f"{prefix}MailAddress"), 254),
                     phone=text(record.get(f"{prefix}PhoneNumber"), 20),
                     postcode=text(record.get(f"{prefix}ZipCode"), 8),
                     prefecture=text(record.get(f"{prefix}Prefecture"), 8),
                     address1=text(record.get(f"{prefix}Address1"), 200))

    lines = tuple(
        MallLine(product_code=required(item.get("SubCode") or item.get("ItemId"), "ItemId")[:64],
                 option=text(item.get("ItemOption"), 100), name=text(item.get("Title"), 200)
                 or "-", quantity=int(item["Quantity"]), unit_price=yen(item["UnitPrice"]),
                 tax_rate=int(item.get("ItemTaxRatio") or 10))
        for item in record["Item"])
    if not lines:
        raise MallDataError("the order has no items")
    return MallOrder(
        mall_order_id=required(record.get("OrderId"), "OrderId"),
        status=_status(record),
        ordered_at=datetime.fromisoformat(record["OrderTime"]),
        updated_at=datetime.fromisoformat(record["LastUpdateTime"]),
        buyer=party("Bill"),
        ship_to=party("Ship"),
        payment=PAYMENTS.get(record.get("PayMethod"), PaymentKind.card),
        shipping_fee=yen(record.get("ShipCharge") or 0),
        total=yen(record["TotalPrice"]),
        lines=lines,
        note=text(record.get("BuyerComments"), 2000),
    )
