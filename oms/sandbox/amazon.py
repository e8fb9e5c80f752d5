"""Amazon-like API (SP-API Orders v0, FORMATS.md 2 and 12.1).

`GET /orders/v0/orders` lists by `LastUpdatedAfter` (or the given `AmazonOrderIds`, at
most 50) in pages of up to 100 with an opaque `NextToken`; times are ISO-8601 UTC and
amounts strings. Unlike the real API, the sandbox puts each order's items in the order
(`OrderItems`), as `includedData` does in the 2026-01-01 version. Shipping is
`confirmShipment`, which checks the carrier code (`Other` needs a `carrierName`).
"""

import base64
import json
import time

from werkzeug.wrappers import Request, Response

from oms.sandbox.dialect import (
    Call,
    Dialect,
    iso_utc,
    json_response,
    parse_iso,
    tracking_number,
)
from oms.sandbox.store import Order, SandboxError

MARKETPLACE_JP = "A1VC38T7YXB528"
CARRIER_CODES = {"Yamato Transport", "Sagawa Express", "Japan Post", "Seino Transportation",
                 "Fukuyama Transport", "Nippon Express", "Other"}
PAYMENT = {"card": "Other", "cod": "COD", "konbini": "CVS", "points": "Other"}


class Amazon(Dialect):
    kind = "amazon"
    routes = (
        ("orders/v0/orders", "GET", "get_orders"),
        ("orders/v0/orders/<order_id>", "GET", "get_order"),
        ("orders/v0/orders/<order_id>/shipmentConfirmation", "POST", "confirm_shipment"),
        ("orders/v0/orders/<order_id>/cancel", "POST", "cancel"),
    )

    def token(self, request: Request) -> str | None:
        return request.headers.get("x-amz-access-token")

    def throttled(self) -> Response:
        response = self.error(429, "QuotaExceeded",
                              "You exceeded your quota for the requested resource.")
        response.headers["x-amzn-RateLimit-Limit"] = "20.0"
        response.headers["Retry-After"] = "1"
        return response

    def get_orders(self, call: Call) -> Response:
        args = call.request.args
        if args.get("MarketplaceIds") != MARKETPLACE_JP:
            raise SandboxError(f"MarketplaceIds must be {MARKETPLACE_JP}")
        size = _int(args.get("MaxResultsPerPage", "100"), "MaxResultsPerPage")
        if not 1 <= size <= 100:
            raise SandboxError("MaxResultsPerPage must be 1 to 100")
        if ids := args.get("AmazonOrderIds"):
            wanted = ids.split(",")
            if len(wanted) > 50:
                raise SandboxError("AmazonOrderIds takes at most 50 ids")
            orders = call.store.get_many(call.account, wanted)
            return json_response({"payload": {"Orders": self._render_all(call, orders)}})
        if token := args.get("NextToken"):
            cursor = _decode(token)
        else:
            if ("LastUpdatedAfter" in args) == ("CreatedAfter" in args):
                raise SandboxError("Exactly one of CreatedAfter and LastUpdatedAfter is required")
            if "CreatedAfter" in args:
                raise SandboxError("The sandbox lists by LastUpdatedAfter only")
            lag = float(call.account.settings.get("lag_seconds") or 0)
            cursor = {"after": parse_iso(args["LastUpdatedAfter"]), "id": "",
                      "until": time.time() - lag}
        orders = call.store.updated_after(call.account, (cursor["after"], cursor["id"]),
                                          cursor["until"], size + 1)
        payload = {"Orders": self._render_all(call, orders[:size]),
                   "LastUpdatedBefore": iso_utc(cursor["until"])}
        if len(orders) > size:
            last = orders[size - 1]
            payload["NextToken"] = _encode({"after": last.updated, "id": last.order_id,
                                            "until": cursor["until"]})
        return json_response({"payload": payload})

    def get_order(self, call: Call, order_id: str) -> Response:
        order = call.store.get(call.account, order_id)
        if order is None:
            return self.error(404, "NotFound", f"Order {order_id} not found")
        return json_response({"payload": self._render_all(call, [order])[0]})

    def confirm_shipment(self, call: Call, order_id: str) -> Response:
        body = call.json()
        package = body.get("packageDetail") or {}
        carrier = package.get("carrierCode")
        if carrier not in CARRIER_CODES:
            raise SandboxError(f"carrierCode {carrier!r} is not a valid carrier code")
        if carrier == "Other" and not package.get("carrierName"):
            raise SandboxError("carrierName is required when carrierCode is Other")
        number = tracking_number(package.get("trackingNumber"), "trackingNumber")
        shipped = parse_iso(str(package.get("shipDate") or ""))
        call.store.apply(call.account, order_id, "ship", carrier=carrier,
                         name=package.get("carrierName"), number=number,
                         date=iso_utc(shipped)[:10])
        return Response(status=204)

    def cancel(self, call: Call, order_id: str) -> Response:
        call.store.apply(call.account, order_id, "cancel",
                         reason=call.json().get("cancelReason"))
        return Response(status=204)

    def _render_all(self, call: Call, orders: list[Order]) -> list[dict]:
        return call.records([render(o) for o in orders], _corrupt)


def render(order: Order) -> dict:
    doc = order.doc
    buyer, ship = doc["buyer"], doc["ship"]
    rendered = {
        "AmazonOrderId": order.order_id,
        "PurchaseDate": iso_utc(order.created),
        "LastUpdateDate": iso_utc(order.updated),
        "OrderStatus": order.status,
        "FulfillmentChannel": "MFN",
        "OrderTotal": {"CurrencyCode": "JPY", "Amount": f"{doc['total']:.2f}"},
        "PaymentMethod": PAYMENT.get(doc["payment"], "Other"),
        "PaymentMethodDetails": [doc["payment"]],
        "MarketplaceId": MARKETPLACE_JP,
        "BuyerInfo": {"BuyerEmail": buyer["email"], "BuyerName": buyer["name"]},
        "ShippingAddress": {"Name": ship["name"], "PostalCode": ship["postcode"],
                            "StateOrRegion": ship["prefecture"], "AddressLine1": ship["address1"],
                            "Phone": ship["phone"], "CountryCode": "JP"},
        "ShippingPrice": {"CurrencyCode": "JPY", "Amount": f"{doc['shipping_fee']:.2f}"},
        "OrderItems": [
            {"OrderItemId": f"{order.order_id[-7:]}{i:02d}", "SellerSKU": line["code"],
             "ASIN": "B0" + line["code"].replace("-", "")[:8].upper().ljust(8, "X"),
             "Title": line["name"], "VariationAttributes": line["option"],
             "QuantityOrdered": line["qty"],
             "ItemPrice": {"CurrencyCode": "JPY", "Amount": f"{line['price'] * line['qty']:.2f}"},
             "TaxRate": f"{line['tax_rate'] / 100:.2f}"}
            for i, line in enumerate(doc["lines"], 1)],
    }
    if doc["flags"].get("BuyerRequestedCancel"):
        rendered["BuyerRequestedCancel"] = {"IsBuyerRequestedCancel": "true",
                                            "BuyerCancelReason": "Changed my mind"}
    if doc["tracking"]:
        rendered["TrackingNumbers"] = [t["number"] for t in doc["tracking"]]
    return rendered


def _corrupt(record: dict) -> None:
    record["OrderTotal"] = {"CurrencyCode": "JPY", "Amount": "12,O00 yen"}
    record["OrderStatus"] = None


def _int(text: str, name: str) -> int:
    try:
        return int(text)
    except ValueError as error:
        raise SandboxError(f"{name} must be a number") from error


def _encode(cursor: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(cursor).encode()).decode()


def _decode(token: str) -> dict:
    try:
        cursor = json.loads(base64.urlsafe_b64decode(token.encode()))
        float(cursor["after"]), str(cursor["id"]), float(cursor["until"])
    except (ValueError, KeyError, TypeError) as error:
        raise SandboxError("Invalid NextToken") from error
    return cursor
