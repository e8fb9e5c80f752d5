"""Qoo10-like API (QAPI, FORMATS.md 9).

Form POSTs to `.../ebayjapan.qapi/<Method>` with the `GiosisCertificationKey` header.
Every answer is HTTP 200 with a `ResultCode` (0 = OK), throttling included (-999).
`GetShippingInfo_v3` has no paging: more than 500 hits is an error that asks for a
shorter period. Dates are `yyyyMMddHHmmss` in requests and `yyyy-MM-dd HH:mm:ss` in
answers, Japan time. `search_condition` 1 = order date, 2 = payment date, 3 = last change
(the sandbox's stand-in for GetClaimInfo, so claims show up as changes). A Qoo10 order
number carries one item.
"""

from werkzeug.wrappers import Request, Response

from oms.sandbox.dialect import Call, Dialect, json_response, jst, parse_jst, tracking_number
from oms.sandbox.store import Order, SandboxError

REQUEST_TIME = "%Y%m%d%H%M%S"
ANSWER_TIME = "%Y-%m-%d %H:%M:%S"
MAX_HITS = 500
PREFIX = "GMKT.INC.Front.QAPIService/ebayjapan.qapi/"
PAYMENT = {"card": "Credit Card", "cod": "Cash on delivery", "konbini": "Convenience Store",
           "points": "Qpoint"}
CLAIMS = {"CancelRequest", "Cancelled", "ReturnRequest", "Returned"}
# QSM carrier names (FORMATS.md 9 and 11).
CARRIERS = {"ヤマト宅急便", "佐川急便", "ゆうパック", "西濃運輸", "福山通運", "日本通運", "その他"}


def _result(code: int, message: str, result=None) -> Response:
    body = {"ResultCode": code, "ResultMsg": message}
    if result is not None:
        body["ResultObject"] = result
    return json_response(body)


class Qoo10(Dialect):
    kind = "qoo10"
    routes = (
        (PREFIX + "ShippingBasic.GetShippingInfo_v3", "POST", "shipping_info"),
        (PREFIX + "ShippingBasic.GetShippingAndClaimInfoByOrderNo_V2", "POST", "by_order_no"),
        (PREFIX + "ShippingBasic.SetSellerCheckYN_V2", "POST", "seller_check"),
        (PREFIX + "ShippingBasic.SetSendingInfo", "POST", "sending_info"),
        (PREFIX + "Claim.SetCancelProcess", "POST", "cancel"),
    )

    def token(self, request: Request) -> str | None:
        return request.headers.get("GiosisCertificationKey")

    def error(self, status: int, code: str, message: str) -> Response:
        # Qoo10 answers 200 whatever happened; the ResultCode says what.
        codes = {401: -10001, 404: -10002, 409: -10005}
        return _result(codes.get(status, -10000 if status < 500 else -99999), message)

    def throttled(self) -> Response:
        return _result(-999, "Too many requests. Please try again later.")

    def shipping_info(self, call: Call) -> Response:
        form = call.request.form
        start = parse_jst(form.get("search_Sdate"), REQUEST_TIME)
        end = parse_jst(form.get("search_Edate"), REQUEST_TIME)
        condition = form.get("search_condition", "1")
        if condition not in ("1", "2", "3"):
            raise SandboxError("search_condition must be 1, 2 or 3")
        if condition == "3":
            orders = call.store.updated_after(call.account, (start, ""), end, MAX_HITS + 1)
        else:
            _, orders = call.store.created_between(call.account, start, end + 1, MAX_HITS + 1)
        if stat := form.get("ShippingStat"):
            orders = [o for o in orders if o.status == stat]
        if len(orders) > MAX_HITS:
            return _result(-10003, "Too many results. Please narrow the search period.")
        return _result(0, "Success", call.records([render(o) for o in orders], _corrupt))

    def by_order_no(self, call: Call) -> Response:
        order = call.store.get(call.account, call.request.form.get("OrderNo", ""))
        if order is None:
            return _result(-10002, "The order does not exist.")
        return _result(0, "Success", call.records([render(order)], _corrupt))

    def seller_check(self, call: Call) -> Response:
        call.store.apply(call.account, call.request.form.get("OrderNo", ""), "confirm")
        return _result(0, "Success")

    def sending_info(self, call: Call) -> Response:
        form = call.request.form
        if form.get("ShippingCorp") not in CARRIERS:
            raise SandboxError(f"ShippingCorp {form.get('ShippingCorp')!r} is not a QSM carrier")
        call.store.apply(call.account, form.get("OrderNo", ""), "ship",
                         carrier=form["ShippingCorp"],
                         number=tracking_number(form.get("TrackingNo"), "TrackingNo"))
        return _result(0, "Success")

    def cancel(self, call: Call) -> Response:
        form = call.request.form
        call.store.apply(call.account, form.get("OrderNo", ""), "cancel",
                         reason=form.get("SellerMemo"))
        return _result(0, "Success")


def render(order: Order) -> dict:
    doc = order.doc
    line = doc["lines"][0]
    claim = order.status if order.status in CLAIMS else ""
    return {
        "OrderNo": order.order_id, "PackNo": order.order_id,
        "ShippingStatus": "" if claim else order.status, "ClaimStatus": claim,
        "OrderDate": jst(order.created, ANSWER_TIME),
        "PaymentDate": "" if order.status == "1" else jst(order.created, ANSWER_TIME),
        "ChangeDate": jst(order.updated, ANSWER_TIME),
        "Buyer": doc["buyer"]["name"], "BuyerEmail": doc["buyer"]["email"],
        "BuyerTel": doc["buyer"]["phone"],
        "Receiver": doc["ship"]["name"], "ReceiverTel": doc["ship"]["phone"],
        "zipCode": doc["ship"]["postcode"],
        "ShippingAddr": f"{doc['ship']['prefecture']} {doc['ship']['address1']}",
        "SellerItemCode": line["code"], "Option": line["option"], "ItemTitle": line["name"],
        "OrderQty": line["qty"], "OrderPrice": line["price"], "TaxRate": line["tax_rate"],
        "ShippingRate": doc["shipping_fee"], "Total": doc["total"],
        "PaymentMethod": PAYMENT.get(doc["payment"], "Credit Card"),
        "ShippingCorp": doc["tracking"][-1]["carrier"] if doc["tracking"] else "",
        "TrackingNo": doc["tracking"][-1]["number"] if doc["tracking"] else "",
    }


def _corrupt(record: dict) -> None:
    record["Total"] = "N/A"
    record["OrderNo"] = ""
