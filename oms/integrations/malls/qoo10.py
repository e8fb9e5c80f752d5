"""Qoo10 QAPI (FORMATS.md 9): form POSTs, an HTTP 200 with a ResultCode for everything,
no paging (a too-large period is split in half), one item per order number."""

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
PREFIX = "GMKT.INC.Front.QAPIService/ebayjapan.qapi/"
REQUEST_TIME = "%Y%m%d%H%M%S"
ANSWER_TIME = "%Y-%m-%d %H:%M:%S"
THROTTLED, TOO_MANY, NOT_FOUND = -999, -10003, -10002
PAYMENTS = {"Cash on delivery": PaymentKind.cod, "Convenience Store": PaymentKind.prepaid_konbini,
            "Qpoint": PaymentKind.points, "Bank Transfer": PaymentKind.prepaid_bank}


class Qoo10Adapter(MallAdapter):
    kind = "qoo10"
    statuses: ClassVar[dict[str, str]] = {
        "1": "1 入金待ち", "2": "2 配送要請", "3": "3 配送準備", "4": "4 配送中", "5": "5 配送完了",
        "CancelRequest": "キャンセル要請", "Cancelled": "キャンセル完了",
        "ReturnRequest": "返品要請", "Returned": "返品完了",
    }
    default_map: ClassVar[dict[str, OrderStatus]] = {
        "1": S.awaiting_payment, "2": S.new, "3": S.awaiting_allocation, "4": S.shipped,
        "5": S.completed, "CancelRequest": S.on_hold, "Cancelled": S.cancelled,
        "ReturnRequest": S.on_hold, "Returned": S.closed,
    }
    confirms = True

    @staticmethod
    def headers(credentials: str) -> dict[str, str]:
        return {"GiosisCertificationKey": credentials}

    def changed_since(self, since: datetime, now: datetime) -> Iterator[Batch]:
        yield from self._window(since, now)

    def _window(self, start: datetime, end: datetime) -> Iterator[Batch]:
        code, body = self._call("ShippingBasic.GetShippingInfo_v3", {
            "search_condition": "3", "search_Sdate": _request_time(start),
            # Whole seconds: round the end up so nothing of its last second is left out.
            "search_Edate": _request_time(end + timedelta(seconds=1))}, allow=(TOO_MANY,))
        if code == TOO_MANY and end - start > timedelta(seconds=2):
            middle = start + (end - start) / 2
            yield from self._window(start, middle)
            yield from self._window(middle, end)
            return
        if code == TOO_MANY:
            raise MallRefused("Qoo10: too many orders changed within one second")
        yield self._batch(body.get("ResultObject"))

    def fetch(self, mall_order_ids: list[str]) -> Batch:
        (mall_order_id,) = mall_order_ids
        code, body = self._call("ShippingBasic.GetShippingAndClaimInfoByOrderNo_V2",
                                {"OrderNo": mall_order_id}, allow=(NOT_FOUND,))
        if code == NOT_FOUND:
            return Batch(problems=[Problem(mall_order_id, f"Qoo10: {body.get('ResultMsg')}")])
        return self._batch(body.get("ResultObject"))

    def confirm(self, mall_order_id: str) -> None:
        self._call("ShippingBasic.SetSellerCheckYN_V2", {
            "OrderNo": mall_order_id,
            "EstShipDt": (datetime.now(JST) + timedelta(days=1)).strftime("%Y%m%d")})

    def ship(self, mall_order_id: str, carrier: MallCarrier, tracking_number: str,
             shipped_on: date) -> str | None:
        self._call("ShippingBasic.SetSendingInfo", {
            "OrderNo": mall_order_id, "ShippingCorp": carrier.code,
            "TrackingNo": digits(tracking_number)}, repeatable=False)
        return None

    def tracking(self, mall_order_id: str) -> dict[str, str | None]:
        _code, body = self._call("ShippingBasic.GetShippingAndClaimInfoByOrderNo_V2",
                                 {"OrderNo": mall_order_id})
        records = body.get("ResultObject") or []
        return {str(r["TrackingNo"]): None for r in records
                if isinstance(r, dict) and r.get("TrackingNo")}

    def cancel(self, mall_order_id: str, reason: str) -> None:
        self._call("Claim.SetCancelProcess", {"OrderNo": mall_order_id, "SellerMemo": reason})

    # ---------------------------------------------------------------------------------
    def _call(self, method: str, form: dict, allow: tuple[int, ...] = (), *,
              repeatable: bool = True) -> tuple[int, dict]:
        response = self.http.request("POST", PREFIX + method,
                                     data={**form, "returnType": "application/json"},
                                     retry_if=_throttled, repeatable=repeatable)
        body = _json(response)
        try:
            code = int(body.get("ResultCode"))
        except (TypeError, ValueError) as error:
            raise MallDataError("Qoo10's answer has no ResultCode") from error
        if code != 0 and code not in allow:
            raise MallRefused(f"Qoo10: {body.get('ResultMsg')} (ResultCode {code})")
        return code, body

    def _batch(self, records) -> Batch:
        if not isinstance(records, list):
            raise MallDataError("Qoo10's answer has no order list")
        return self.parse_all(records, _parse, lambda r: r.get("OrderNo"))


def _throttled(response: httpx.Response) -> bool:
    """Qoo10 throttles with HTTP 200 and ResultCode -999: retried like a 429."""
    try:
        return response.json().get("ResultCode") == THROTTLED
    except (ValueError, AttributeError):
        return False


def _json(response: httpx.Response) -> dict:
    try:
        body = response.json()
    except ValueError as error:
        raise MallDataError(f"Qoo10's answer is not JSON: {response.text[:80]!r}") from error
    if not isinstance(body, dict):
        raise MallDataError("Qoo10's answer is not an object")
    return body


def _request_time(moment: datetime) -> str:
    return moment.astimezone(JST).strftime(REQUEST_TIME)


def _answer_time(value: str) -> datetime:
    return datetime.strptime(value, ANSWER_TIME).replace(tzinfo=JST)


def _parse(record: dict) -> MallOrder:
    quantity = int(record["OrderQty"])
    prefecture, _, address = str(record.get("ShippingAddr") or "").partition(" ")
    return MallOrder(
        mall_order_id=required(record.get("OrderNo"), "OrderNo"),
        status=record.get("ClaimStatus") or required(record.get("ShippingStatus"),
                                                     "ShippingStatus"),
        ordered_at=_answer_time(record["OrderDate"]),
        updated_at=_answer_time(record["ChangeDate"]),
        buyer=Party(name=text(record.get("Buyer"), 100) or "-",
                    email=text(record.get("BuyerEmail"), 254),
                    phone=text(record.get("BuyerTel"), 20)),
        ship_to=Party(name=text(record.get("Receiver"), 100) or "-",
                      phone=text(record.get("ReceiverTel"), 20),
                      postcode=text(record.get("zipCode"), 8), prefecture=text(prefecture, 8),
                      address1=text(address, 200)),
        payment=PAYMENTS.get(record.get("PaymentMethod"), PaymentKind.card),
        shipping_fee=yen(record.get("ShippingRate") or 0),
        total=yen(record["Total"]),
        lines=(MallLine(product_code=required(record.get("SellerItemCode"),
                                              "SellerItemCode")[:64],
                        option=text(record.get("Option"), 100),
                        name=text(record.get("ItemTitle"), 200) or "-", quantity=quantity,
                        unit_price=yen(record["OrderPrice"]),
                        tax_rate=int(record.get("TaxRate") or 10)),),
    )
