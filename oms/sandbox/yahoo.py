"""Yahoo!ショッピング-like API (store API, FORMATS.md 10; JSON here, XML at Yahoo).

Bearer token plus `SellerId`. `orderList` filters by `LastUpdateTimeFrom/To`
(`yyyyMMddHHmmss`, Japan time) with offset paging (`Start` from 1, `Result` up to 100);
`orderInfo` returns one order. A new order is 処理中 and not yet seen (`IsSeen` false);
注文確認 marks it seen; the ShipStatus follows the order to 出荷完了.
"""

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

REQUEST_TIME = "%Y%m%d%H%M%S"
ANSWER_TIME = "%Y-%m-%dT%H:%M:%S+09:00"
BASE = "ShoppingWebService/V1/"
CARRIERS = {"1", "2", "3", "4", "5", "6", "99"}  # ShipCompanyCode (FORMATS.md 11)
PAY = {"card": "payment_a1", "cod": "payment_d1", "konbini": "payment_b1", "points": "payment_a16"}


class Yahoo(Dialect):
    kind = "yahoo"
    routes = (
        (BASE + "orderList", "POST", "order_list"),
        (BASE + "orderInfo", "POST", "order_info"),
        (BASE + "orderStatusChange", "POST", "status_change"),
        (BASE + "orderShipStatusChange", "POST", "ship_status_change"),
    )

    def token(self, request: Request) -> str | None:
        header = request.headers.get("Authorization", "")
        return header[7:] if header.startswith("Bearer ") else None

    def error(self, status: int, code: str, message: str) -> Response:
        return json_response({"Error": {"Code": f"od{status:05d}", "Message": message}}, status)

    def throttled(self) -> Response:
        return self.error(429, "", "Too many requests")

    def order_list(self, call: Call) -> Response:
        body = call.json()
        condition = body.get("Condition") or {}
        start = parse_jst(condition.get("LastUpdateTimeFrom"), REQUEST_TIME)
        end = parse_jst(condition.get("LastUpdateTimeTo"), REQUEST_TIME)
        first = int(body.get("Start", 1))
        size = int(body.get("Result", 100))
        if first < 1 or not 1 <= size <= 100:
            raise SandboxError("Start must be 1 or more and Result 1 to 100")
        orders = call.store.updated_after(call.account, (start, ""), end, first - 1 + size + 1)
        page = orders[first - 1:first - 1 + size]
        return json_response({"Result": {"Status": "OK", "Search": {
            "TotalCount": len(orders) if len(orders) <= first - 1 + size else first + size,
            "OrderInfo": call.records([render(o) for o in page], _corrupt)}}})

    def order_info(self, call: Call) -> Response:
        order = call.store.get(call.account, str(call.json().get("OrderId", "")))
        if order is None:
            return self.error(404, "", "The order does not exist")
        return json_response({"Result": {"Status": "OK",
                                         "OrderInfo": call.records([render(order)], _corrupt)[0]}})

    def status_change(self, call: Call) -> Response:
        body = call.json()
        status = body.get("OrderStatus")
        if status == 2 and body.get("IsSeen"):
            event = "confirm"
        elif status == 4:
            event = "cancel"
        else:
            raise SandboxError("OrderStatus 2 with IsSeen, or 4 with a CancelReason")
        call.store.apply(call.account, str(body.get("OrderId", "")), event,
                         reason=body.get("CancelReason"))
        return json_response({"Result": {"Status": "OK"}})

    def ship_status_change(self, call: Call) -> Response:
        body = call.json()
        if body.get("ShipStatus") != 3:
            raise SandboxError("ShipStatus must be 3 (出荷完了) with ShipInvoiceNumber1")
        if str(body.get("ShipCompanyCode")) not in CARRIERS:
            raise SandboxError(f"ShipCompanyCode {body.get('ShipCompanyCode')!r} is unknown")
        call.store.apply(call.account, str(body.get("OrderId", "")), "ship",
                         carrier=str(body["ShipCompanyCode"]),
                         number=tracking_number(body.get("ShipInvoiceNumber1"),
                                                "ShipInvoiceNumber1"),
                         date=ship_date(body.get("ShipDate"), "ShipDate", "%Y%m%d"))
        return json_response({"Result": {"Status": "OK"}})


def render(order: Order) -> dict:
    doc = order.doc
    order_status, _, ship_status = order.status.partition("-")
    return {
        "OrderId": order.order_id,
        "OrderTime": jst(order.created, ANSWER_TIME),
        "LastUpdateTime": jst(order.updated, ANSWER_TIME),
        "OrderStatus": int(order_status),
        "IsSeen": ship_status != "new",
        "ShipStatus": 1 if ship_status == "new" else int(ship_status or 0),
        "PayMethod": PAY.get(doc["payment"], "payment_a1"),
        "TotalPrice": doc["total"], "ShipCharge": doc["shipping_fee"],
        "BillName": doc["buyer"]["name"], "BillMailAddress": doc["buyer"]["email"],
        "BillPhoneNumber": doc["buyer"]["phone"], "BillZipCode": doc["buyer"]["postcode"],
        "BillPrefecture": doc["buyer"]["prefecture"], "BillAddress1": doc["buyer"]["address1"],
        "ShipName": doc["ship"]["name"], "ShipPhoneNumber": doc["ship"]["phone"],
        "ShipZipCode": doc["ship"]["postcode"], "ShipPrefecture": doc["ship"]["prefecture"],
        "ShipAddress1": doc["ship"]["address1"],
        "ShipInvoiceNumber1": doc["tracking"][-1]["number"] if doc["tracking"] else "",
        "BuyerComments": doc.get("note", ""),
        "Item": [{"LineId": i, "ItemId": line["code"], "SubCode": line["code"],
                  "Title": line["name"], "ItemOption": line["option"], "Quantity": line["qty"],
                  "UnitPrice": line["price"], "ItemTaxRatio": line["tax_rate"]}
                 for i, line in enumerate(doc["lines"], 1)],
    }


def _corrupt(record: dict) -> None:
    record["OrderStatus"] = "processing"
    record["Item"] = "none"
