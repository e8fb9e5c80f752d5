"""Test data builders: each call returns a flushed model with defaults a test can override."""

import itertools
from datetime import UTC, date, datetime, timedelta

from oms.models import (
    AddressKind,
    AttentionReason,
    Customer,
    CustomerAddress,
    CustomerCard,
    CustomField,
    CustomFieldCategory,
    CustomFieldValue,
    FieldType,
    Gateway,
    HandlingStatus,
    JobState,
    LineStatus,
    LinkResult,
    MallKind,
    Notification,
    Order,
    OrderAllocation,
    OrderLine,
    OrderLink,
    OrderStatus,
    PaymentKind,
    PaymentMethod,
    PaymentStatus,
    PaymentTransaction,
    Shipment,
    Shop,
    Sku,
    Stock,
    Tag,
    TransactionKind,
    TransactionState,
)

_seq = itertools.count(1)


def linked_line(sku: Sku | None, quantity: int, *, n: int = 1, code: str | None = None,
                status: LineStatus = LineStatus.preparing) -> OrderLine:
    """An order line linked to `sku` (アイテム紐づけ OK), or a FAIL line when sku is None."""
    return OrderLine(line_no=n, mall_product_code=code or (sku.code if sku else "P-X"),
                     product_name="りんごジュース", quantity=quantity, unit_price=1000,
                     tax_rate=10, status=status, sku_id=sku.id if sku else None,
                     link_result=LinkResult.ok if sku else LinkResult.fail,
                     link_error=None if sku else "該当する商品がありません")


class Factory:
    def __init__(self, session):
        self.session = session
        self._shop: Shop | None = None
        self._method: PaymentMethod | None = None

    def shop(self, kind: MallKind = MallKind.own, **kw) -> Shop:
        n = next(_seq)
        shop = Shop(code=kw.pop("code", f"shop{n}"), name=kw.pop("name", f"Shop {n}"),
                    kind=kind, settings={}, **kw)
        self.session.add(shop)
        self.session.flush()
        return shop

    def payment_method(self, kind: PaymentKind = PaymentKind.card, **kw) -> PaymentMethod:
        n = next(_seq)
        method = PaymentMethod(code=kw.pop("code", f"pm{n}"), name=kw.pop("name", f"Card {n}"),
                               kind=kind, **kw)
        self.session.add(method)
        self.session.flush()
        return method

    def order(self, **kw) -> Order:
        if "shop" not in kw:
            self._shop = self._shop or self.shop()
            kw["shop"] = self._shop
        if "payment_method" not in kw:
            self._method = self._method or self.payment_method()
            kw["payment_method"] = self._method
        n = next(_seq)
        lines = kw.pop("lines", None)
        link_result = kw.pop("link_result", None)
        allocation_state = kw.pop("allocation_state", None)
        defaults = {
            "order_number": f"{1000000000 + n}",
            "mall_order_id": f"M-{n}",
            "status": OrderStatus.new,
            "payment_status": PaymentStatus.authorized,
            "buyer_name": "山田 太郎",
            "buyer_kana": "ヤマダ タロウ",
            "buyer_email": f"buyer{n}@example.jp",
            "buyer_phone": "090-1234-5678",
            "ship_name": "山田 太郎",
            "ship_prefecture": "東京都",
            "ordered_at": datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=n),
            "subtotal": 1000,
            "tax_10": 100,
            "total": 1100,
        }
        defaults.update(kw)
        order = Order(**defaults)
        order.lines = lines if lines is not None else [
            OrderLine(line_no=1, mall_product_code="P-1", product_name="りんごジュース",
                      quantity=1, unit_price=1000, tax_rate=10, status=LineStatus.preparing)
        ]
        self.session.add(order)
        self.session.flush()
        if link_result is not None:
            self.session.add(OrderLink(order_id=order.id, result=link_result))
            self.session.flush()
            self.session.expire(order, ["link_result"])
        if allocation_state is not None:
            self.session.add(OrderAllocation(order_id=order.id, state=allocation_state))
            self.session.flush()
            self.session.expire(order, ["allocation_state"])
        return order

    def shipment(self, order: Order, tracking_number: str = "1234-5678-9012", **kw
                 ) -> Shipment:
        """A confirmed parcel of a shipped order (what 出荷確定インポート leaves)."""
        values = {"carrier": order.carrier or "ヤマト運輸", "service": "宅急便",
                  "ship_date": date(2026, 12, 1), "shipped_at": datetime(2026, 12, 1, 3,
                                                                         tzinfo=UTC)}
        shipment = Shipment(order_id=order.id, tracking_number=tracking_number,
                            **{**values, **kw})
        self.session.add(shipment)
        self.session.flush()
        self.session.expire(order, ["shipments"])
        return shipment

    def sku(self, code: str = "S1", stock: int = 5, location: str = "main") -> Sku:
        """A SKU with `stock` units at `location`, none allocated."""
        sku = Sku(code=code, name="りんごジュース", price=1000)
        sku.stocks = [Stock(location=location, quantity=stock, allocated=0)]
        self.session.add(sku)
        self.session.flush()
        return sku

    def tag(self, name: str | None = None, **kw) -> Tag:
        tag = Tag(name=name or f"tag{next(_seq)}", **kw)
        self.session.add(tag)
        self.session.flush()
        return tag

    def handling_status(self, name: str | None = None, **kw) -> HandlingStatus:
        status = HandlingStatus(name=name or f"handling{next(_seq)}", **kw)
        self.session.add(status)
        self.session.flush()
        return status

    def attention_reason(self, name: str | None = None, **kw) -> AttentionReason:
        reason = AttentionReason(name=name or f"reason{next(_seq)}", **kw)
        self.session.add(reason)
        self.session.flush()
        return reason

    def customer(self, **kw) -> Customer:
        n = next(_seq)
        defaults = {"customer_number": f"C{n:08d}", "name": f"顧客 {n}"}
        defaults.update(kw)
        customer = Customer(**defaults)
        self.session.add(customer)
        self.session.flush()
        return customer

    def notification(self, user=None, **kw) -> Notification:
        """A job record as the notification log shows it (default: a queued export)."""
        defaults = {"kind": "order_export", "state": JobState.queued,
                        "params": {"tab": "all", "encoding": "utf8", "locale": "ja"}}
        defaults.update(kw)
        note = Notification(user_id=user.id if user else None, **defaults)
        self.session.add(note)
        self.session.flush()
        return note

    def card(self, customer, **kw) -> CustomerCard:
        """A card the customer saved (default: VISA ending 1111, valid until 2099)."""
        defaults = {"brand": "VISA", "last4": "1111", "exp_month": 1, "exp_year": 2099}
        defaults.update(kw)
        card = CustomerCard(customer_id=customer.id, **defaults)
        self.session.add(card)
        self.session.flush()
        return card

    def address(self, customer, kind: AddressKind = AddressKind.shipping, **kw
                ) -> CustomerAddress:
        defaults = {"name": customer.name, "prefecture": "大阪府", "address1": "北区1-1"}
        defaults.update(kw)
        address = CustomerAddress(customer_id=customer.id, kind=kind, **defaults)
        self.session.add(address)
        self.session.flush()
        return address

    def custom_category(self, name: str | None = None, **kw) -> CustomFieldCategory:
        category = CustomFieldCategory(name=name or f"category{next(_seq)}", **kw)
        self.session.add(category)
        self.session.flush()
        return category

    def custom_field(self, field_type: FieldType = FieldType.text, **kw) -> CustomField:
        defaults = {"name": f"field{next(_seq)}", "choices": []}
        defaults.update(kw)
        created = CustomField(field_type=field_type, **defaults)
        self.session.add(created)
        self.session.flush()
        return created

    def custom_value(self, order, custom_field, value, answer_no: int = 0) -> CustomFieldValue:
        """A stored answer, as an import may have written it (not validated)."""
        stored = CustomFieldValue(order_id=order.id, field_id=custom_field.id,
                                  answer_no=answer_no, value=value)
        self.session.add(stored)
        self.session.flush()
        return stored

    def payment_transaction(self, order, kind=TransactionKind.authorize, **kw
                            ) -> PaymentTransaction:
        """A ledger row as a payment job would have written it."""
        defaults = {"gateway": Gateway.card, "amount": order.total,
                    "state": TransactionState.succeeded,
                    "idempotency_key": f"order:{order.id}:{kind.value}:{next(_seq)}"}
        defaults.update(kw)
        row = PaymentTransaction(order_id=order.id, kind=kind, **defaults)
        self.session.add(row)
        self.session.flush()
        return row
