"""Amazon SP-API Orders v0 (FORMATS.md 2)."""

from collections.abc import Iterator
from datetime import date, datetime
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
MARKETPLACE_JP = "A1VC38T7YXB528"
CANCEL_REQUESTED = "BuyerRequestedCancel"
PAYMENTS = {"COD": PaymentKind.cod, "CVS": PaymentKind.prepaid_konbini}


class AmazonAdapter(MallAdapter):
    kind = "amazon"
    statuses: ClassVar[dict[str, str]] = {
        "PendingAvailability": "PendingAvailability (予約注文)",
        "Pending": "Pending (支払い未承認)",
        "Unshipped": "Unshipped (未出荷)",
        "PartiallyShipped": "PartiallyShipped (一部出荷済み)",
        "Shipped": "Shipped (出荷済み)",
        "InvoiceUnconfirmed": "InvoiceUnconfirmed (請求書未確認)",
        "Canceled": "Canceled (キャンセル)",
        "Unfulfillable": "Unfulfillable (出荷不能)",
        CANCEL_REQUESTED: "Unshipped + BuyerRequestedCancel (購入者キャンセル依頼)",
    }
    # Amazon has no "new": an authorised order is already being processed (seed 000).
    default_map: ClassVar[dict[str, OrderStatus]] = {
        "PendingAvailability": S.pending_review, "Pending": S.pending_review,
        "Unshipped": S.awaiting_allocation, "PartiallyShipped": S.shipping,
        "Shipped": S.shipped, "InvoiceUnconfirmed": S.shipped, "Canceled": S.cancelled,
        "Unfulfillable": S.on_hold, CANCEL_REQUESTED: S.on_hold,
    }
    batch_size = 50

    @staticmethod
    def headers(credentials: str) -> dict[str, str]:
        return {"x-amz-access-token": credentials}

    def changed_since(self, since: datetime, now: datetime) -> Iterator[Batch]:
        params = {"MarketplaceIds": MARKETPLACE_JP, "MaxResultsPerPage": 100,
                  "LastUpdatedAfter": since.isoformat().replace("+00:00", "Z")}
        while True:
            payload = self._get("orders/v0/orders", params)
            yield self._batch(payload.get("Orders"))
            token = payload.get("NextToken")
            if not token:
                return
            params = {"MarketplaceIds": MARKETPLACE_JP, "NextToken": token}

    def fetch(self, mall_order_ids: list[str]) -> Batch:
        payload = self._get("orders/v0/orders", {"MarketplaceIds": MARKETPLACE_JP,
                                                 "AmazonOrderIds": ",".join(mall_order_ids)})
        batch = self._batch(payload.get("Orders"))
        found = {o.mall_order_id for o in batch.orders} | {p.mall_order_id for p in batch.problems}
        batch.problems += [Problem(i, "Amazon does not know this order.")
                           for i in mall_order_ids if i not in found]
        return batch

    def ship(self, mall_order_id: str, carrier: MallCarrier, tracking_number: str,
             shipped_on: date) -> str | None:
        package = {"packageReferenceId": "1", "carrierCode": carrier.code,
                   "trackingNumber": digits(tracking_number),
                   "shipDate": f"{shipped_on.isoformat()}T00:00:00Z", "orderItems": []}
        if carrier.name:
            package["carrierName"] = carrier.name
        self._check(self.http.request(
            "POST", f"orders/v0/orders/{mall_order_id}/shipmentConfirmation",
            json={"marketplaceId": MARKETPLACE_JP, "packageDetail": package},
            repeatable=False))
        return package["packageReferenceId"]

    def tracking(self, mall_order_id: str) -> dict[str, str | None]:
        payload = self._get(f"orders/v0/orders/{mall_order_id}", {})
        return dict.fromkeys((str(n) for n in payload.get("TrackingNumbers") or []), "1")

    def cancel(self, mall_order_id: str, reason: str) -> None:
        self._check(self.http.request("POST", f"orders/v0/orders/{mall_order_id}/cancel",
                                      json={"cancelReason": reason}))

    # ---------------------------------------------------------------------------------
    def _get(self, path: str, params: dict) -> dict:
        response = self._check(self.http.request("GET", path, params=params))
        payload = _json(response).get("payload")
        if not isinstance(payload, dict):
            raise MallDataError("Amazon's answer has no payload")
        return payload

    def _check(self, response: httpx.Response) -> httpx.Response:
        if response.is_success:
            return response
        try:
            message = response.json()["errors"][0]["message"]
        except (ValueError, KeyError, IndexError, TypeError):
            message = response.text[:200]
        raise MallRefused(f"Amazon: {message} (HTTP {response.status_code})")

    def _batch(self, records) -> Batch:
        if not isinstance(records, list):
            raise MallDataError("Amazon's answer has no order list")
        return self.parse_all(records, _parse, lambda r: r.get("AmazonOrderId"))


def _json(response: httpx.Response) -> dict:
    try:
        body = response.json()
    except ValueError as error:
        raise MallDataError(f"Amazon's answer is not JSON: {response.text[:80]!r}") from error
    if not isinstance(body, dict):
        raise MallDataError("Amazon's answer is not an object")
    return body


def _parse(record: dict) -> MallOrder:
    status = required(record.get("OrderStatus"), "OrderStatus")
    if (record.get("BuyerRequestedCancel") or {}).get("IsBuyerRequestedCancel") == "true":
        status = CANCEL_REQUESTED
    address = record.get("ShippingAddress") or {}
    buyer = record.get("BuyerInfo") or {}
    ship_to = Party(name=text(address.get("Name"), 100) or "-",
                    phone=text(address.get("Phone"), 20),
                    postcode=text(address.get("PostalCode"), 8),
                    prefecture=text(address.get("StateOrRegion"), 8),
                    address1=text(address.get("AddressLine1"), 200))
    lines = []
    for item in record["OrderItems"]:
        quantity = int(item["QuantityOrdered"])
        amount = yen(item["ItemPrice"]["Amount"])
        if quantity <= 0 or amount % quantity:
            raise MallDataError(f"item {item.get('SellerSKU')}: price and quantity disagree")
        lines.append(MallLine(
            product_code=required(item.get("SellerSKU"), "SellerSKU")[:64],
            option=text(item.get("VariationAttributes"), 100), name=text(item.get("Title"), 200)
            or "-", quantity=quantity, unit_price=amount // quantity,
            tax_rate=round(float(item.get("TaxRate", "0.10")) * 100)))
    if not lines:
        raise MallDataError("the order has no items")
    return MallOrder(
        mall_order_id=required(record.get("AmazonOrderId"), "AmazonOrderId"),
        status=status,
        ordered_at=datetime.fromisoformat(record["PurchaseDate"].replace("Z", "+00:00")),
        updated_at=datetime.fromisoformat(record["LastUpdateDate"].replace("Z", "+00:00")),
        buyer=Party(name=text(buyer.get("BuyerName"), 100) or ship_to.name,
                    email=text(buyer.get("BuyerEmail"), 254)),
        ship_to=ship_to,
        payment=PAYMENTS.get(record.get("PaymentMethod"), PaymentKind.card),
        shipping_fee=yen((record.get("ShippingPrice") or {}).get("Amount", 0)),
        total=yen(record["OrderTotal"]["Amount"]),
        lines=tuple(lines),
    )
