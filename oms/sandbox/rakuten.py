"""Rakuten-like API (RakutenPayOrderAPI, FORMATS.md 3a and 12.2).

POST JSON with `Authorization: ESA Base64(serviceSecret:licenseKey)`. `searchOrder` finds
order numbers by order date only (windows of at most 63 days, pages of at most 1,000, no
more than 15,000 hits per search, and no "updated since"); `getOrder` returns up to 100
orders with a per-order `MessageModelList`; times are `+0900`; `requestPrice` is -9999
until the amount is fixed; `updateOrderShipping` takes Rakuten's carrier codes.
"""

import base64
import binascii

from werkzeug.wrappers import Request, Response

from oms.sandbox.dialect import (
    Call,
    Dialect,
    json_response,
    jst,
    parse_jst,
    ship_date,
    tracking_number,
)
from oms.sandbox.store import Order, SandboxError

TIME = "%Y-%m-%dT%H:%M:%S%z"
MAX_WINDOW_DAYS = 63
MAX_HITS = 15_000
CARRIERS = {str(code) for code in range(1000, 1032)}
SETTLEMENT = {"card": (1, "クレジットカード"), "cod": (2, "代金引換"),
              "konbini": (13, "コンビニ前払"), "points": (8, "ポイント")}


def _message(kind: str, code: str, text: str, order_number: str | None = None) -> dict:
    message = {"messageType": kind, "messageCode": code, "message": text}
    if order_number:
        message["orderNumber"] = order_number
    return message


class Rakuten(Dialect):
    kind = "rakuten"
    routes = (
        ("es/2.0/order/searchOrder/", "POST", "search_order"),
        ("es/2.0/order/getOrder/", "POST", "get_order"),
        ("es/2.0/order/confirmOrder/", "POST", "confirm_order"),
        ("es/2.0/order/updateOrderShipping/", "POST", "update_shipping"),
        ("es/2.0/order/cancelOrder/", "POST", "cancel_order"),
    )

    def token(self, request: Request) -> str | None:
        header = request.headers.get("Authorization", "")
        if not header.startswith("ESA "):
            return None
        try:
            return base64.b64decode(header[4:], validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return None

    def error(self, status: int, code: str, message: str) -> Response:
        return json_response({"MessageModelList": [_message("ERROR", code, message)]}, status)

    def throttled(self) -> Response:
        return json_response({"Results": {"errorCode": "GA0004", "message": "Too Many Requests"}},
                             429)

    def search_order(self, call: Call) -> Response:
        body = call.json()
        if body.get("dateType") != 1:
            raise SandboxError("dateType: the sandbox searches by order date (1) only")
        start = parse_jst(body.get("startDatetime"), TIME)
        end = parse_jst(body.get("endDatetime"), TIME)
        if not 0 <= end - start <= MAX_WINDOW_DAYS * 86400:
            raise SandboxError("endDatetime must be within 63 days after startDatetime")
        paging = body.get("PaginationRequestModel") or {}
        size = int(paging.get("requestRecordsAmount", 30))
        page = int(paging.get("requestPage", 1))
        if not 1 <= size <= 1000 or page < 1:
            raise SandboxError("requestRecordsAmount must be 1 to 1000, requestPage 1 or more")
        offset = (page - 1) * size
        total, orders = call.store.created_between(
            call.account, start, end + 1, max(0, min(size, MAX_HITS - offset)), offset)
        shown = min(total, MAX_HITS)
        return json_response({
            "MessageModelList": [_message("INFO", "ORDER_EXT_API_SEARCH_ORDER_INFO_101",
                                          "注文検索に成功しました。")],
            "orderNumberList": [o.order_id for o in orders],
            "PaginationResponseModel": {"totalRecordsAmount": total, "totalPages":
                                        -(-shown // size), "requestPage": page},
        })

    def get_order(self, call: Call) -> Response:
        numbers = call.json().get("orderNumberList") or []
        if not isinstance(numbers, list) or not 1 <= len(numbers) <= 100:
            raise SandboxError("orderNumberList takes 1 to 100 order numbers")
        found = {o.order_id: o for o in call.store.get_many(call.account, numbers)}
        messages = [_message("ERROR", "ORDER_EXT_API_GET_ORDER_ERROR_009",
                             "注文番号が存在しません。", n) for n in numbers if n not in found]
        models = call.records([render(found[n]) for n in numbers if n in found], _corrupt)
        return json_response({"MessageModelList": messages, "OrderModelList": models})

    def confirm_order(self, call: Call) -> Response:
        messages = []
        for number in call.json().get("orderNumberList") or []:
            messages.append(self._apply(call, number, "confirm"))
        return json_response({"MessageModelList": messages})

    def update_shipping(self, call: Call) -> Response:
        body = call.json()
        number = body.get("orderNumber")
        for basket in body.get("BasketidModelList") or []:
            for shipping in basket.get("ShippingModelList") or []:
                if str(shipping.get("deliveryCompany")) not in CARRIERS:
                    raise SandboxError(f"deliveryCompany {shipping.get('deliveryCompany')!r} "
                                       "is not a Rakuten carrier code")
                message = self._apply(
                    call, number, "ship", carrier=str(shipping["deliveryCompany"]),
                    number=tracking_number(shipping.get("shippingNumber"), "shippingNumber"),
                    date=ship_date(shipping.get("shippingDate"), "shippingDate", "%Y-%m-%d"))
                if message["messageType"] == "ERROR":
                    return json_response({"MessageModelList": [message]})
        return json_response({"MessageModelList": [
            _message("INFO", "ORDER_EXT_API_UPDATE_ORDERSHIPPING_INFO_101",
                     "発送情報の更新に成功しました。", number)]})

    def cancel_order(self, call: Call) -> Response:
        body = call.json()
        return json_response({"MessageModelList": [
            self._apply(call, body.get("orderNumber"), "cancel",
                        reason=body.get("changeReasonDetailApply"))]})

    def _apply(self, call: Call, order_number, event: str, **details) -> dict:
        number = str(order_number)
        try:
            call.store.apply(call.account, number, event, **details)
        except SandboxError as error:
            return _message("ERROR", "ORDER_EXT_API_ERROR", error.message, number)
        return _message("INFO", "ORDER_EXT_API_INFO_101", "処理に成功しました。", number)


def render(order: Order) -> dict:
    doc = order.doc
    buyer = doc["buyer"]
    family, _, given = buyer["name"].partition(" ")
    zip1, _, zip2 = buyer["postcode"].partition("-")
    settlement = SETTLEMENT.get(doc["payment"], (1, "クレジットカード"))
    fixed = order.status not in ("100", "200")
    return {
        "orderNumber": order.order_id,
        "orderProgress": int(order.status),
        "orderDatetime": jst(order.created, TIME),
        "goodsPrice": doc["goods"],
        "postagePrice": doc["shipping_fee"],
        "goodsTax": doc["tax8"] + doc["tax10"],
        "totalPrice": doc["total"],
        # Not fixed until the shop confirms the order (FORMATS.md 3a: -9999 sentinels).
        "requestPrice": doc["total"] if fixed else -9999,
        "OrdererModel": {
            "familyName": family, "firstName": given, "emailAddress": buyer["email"],
            "phoneNumber1": buyer["phone"], "zipCode1": zip1, "zipCode2": zip2,
            "prefecture": buyer["prefecture"], "city": "", "subAddress": buyer["address1"]},
        "SettlementModel": {"settlementMethodCode": settlement[0],
                            "settlementMethod": settlement[1]},
        "remarks": doc.get("note", ""),
        "PackageModelList": [{
            "basketId": 1,
            "SenderModel": {"familyName": family, "firstName": given, "zipCode1": zip1,
                            "zipCode2": zip2, "prefecture": doc["ship"]["prefecture"],
                            "subAddress": doc["ship"]["address1"],
                            "phoneNumber1": doc["ship"]["phone"]},
            "ItemModelList": [
                {"itemDetailId": i, "itemName": line["name"], "manageNumber": line["code"],
                 "price": line["price"], "units": line["qty"], "taxRate": line["tax_rate"] / 100,
                 "SkuModelList": [{"merchantDefinedSkuId": line["code"],
                                   "skuInfo": line["option"]}]}
                for i, line in enumerate(doc["lines"], 1)],
            "ShippingModelList": [
                {"shippingDetailId": i, "shippingNumber": t["number"],
                 "deliveryCompany": t["carrier"], "shippingDate": t["date"]}
                for i, t in enumerate(doc["tracking"], 1)],
        }],
    }


def _corrupt(model: dict) -> None:
    model["orderProgress"] = "発送待ち"
    model["PackageModelList"] = None
