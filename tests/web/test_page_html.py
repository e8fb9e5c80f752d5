"""The list, a tab and the detail page render byte for byte as recorded (the speed work
must change how pages are built, never what they show).

The recorded pages are in tests/web/golden/. After a deliberate change to one of these
pages, record them again with OMS_RECORD_PAGES=1 and review the diff like any other code.
"""

import os
import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from oms.models import (
    AllocationState,
    BlacklistStatus,
    LineStatus,
    LinkResult,
    MallKind,
    Order,
    OrderAllocation,
    OrderLine,
    OrderStatus,
    PaymentKind,
    PaymentStatus,
)

GOLDEN = Path(__file__).parent / "golden"
# What differs between two renderings of the same data: the session's CSRF token.
VOLATILE = (re.compile(r'(name="csrf[-_]token" (?:content|value)=")[^"]+'),
            re.compile(r'(value=")[^"]{60,}(")'))


def _lines(n: int) -> list[OrderLine]:
    return [OrderLine(line_no=i, mall_product_code=f"P-{i}", product_name=f"商品 {i} <b>&",
                      quantity=i, unit_price=1000 * i, tax_rate=10 if i % 2 else 8,
                      status=LineStatus.preparing) for i in range(1, n + 1)]


@pytest.fixture
def orders(factory, session):
    rakuten = factory.shop(MallKind.rakuten, code="rakuten1", name="楽天ショップ")
    own = factory.shop(MallKind.own, code="own1", name="自社サイト")
    card = factory.payment_method(PaymentKind.card, code="card", name="クレジットカード")
    cod = factory.payment_method(PaymentKind.cod, code="cod", name="代金引換")
    packing = factory.handling_status("梱包中")
    gift, rush = factory.tag("ギフト", color="red"), factory.tag("至急", color="blue")
    candidate = factory.customer(blacklist_status=BlacklistStatus.candidate)
    made = []
    for n, (status, shop, method, extra) in enumerate([
        (OrderStatus.new, rakuten, card, {"tags": [gift, rush], "link_result": LinkResult.ok}),
        (OrderStatus.awaiting_allocation, own, cod,
         {"allocation_state": AllocationState.partial, "handling_status": packing}),
        (OrderStatus.ready_to_ship, own, card,
         {"needs_attention": True, "shipping_hold": True, "customer": candidate}),
        (OrderStatus.shipping, rakuten, cod, {"destination_country": "US",
                                              "ship_prefecture": None}),
        (OrderStatus.shipped, rakuten, card, {"link_result": LinkResult.fail,
                                              "payment_status": PaymentStatus.captured}),
        (OrderStatus.pending_review, own, card,
         {"buyer_name": "<script>alert('x')</script> & \"山田\"", "buyer_kana": None}),
    ], start=1):
        made.append(factory.order(
            # Every value the factory would number from its running counter is given.
            order_number=f"12030000{n:02d}", mall_order_id=f"R-{n}",
            buyer_email=f"buyer{n}@example.jp", status=status,
            shop=shop, payment_method=method, total=1100 * n, lines=_lines(5 if n == 1 else 1),
            ordered_at=datetime(2026, 12, 1, n, 30, tzinfo=UTC),
            scheduled_ship_date=date(2026, 12, 4), **extra))
    session.execute(sa.update(OrderAllocation).where(OrderAllocation.order_id == made[1].id)
                    .values(note="在庫不足: P-1 <2点>"))
    # A plain UPDATE: the ORM would stamp the time of the test run.
    session.execute(sa.update(Order).values(updated_at=datetime(2026, 12, 2, tzinfo=UTC)))
    session.commit()
    return made


def _normalised(html: str) -> str:
    for pattern in VOLATILE:
        html = pattern.sub(r"\1…", html)
    return html


@pytest.mark.parametrize(("name", "path"), [
    ("list", "/orders/"),
    ("tab_processing", "/orders/?tab=processing"),
    ("list_fragment", "/orders/?tab=all&page=1"),
    ("detail", "/orders/1203000001"),
    ("edit", "/orders/1203000001/edit"),
])
def test_page_renders_as_recorded(name, path, orders, auth):
    auth.login("operator")
    headers = ({"HX-Request": "true", "HX-Target": "order-results"}
               if name == "list_fragment" else {})
    response = auth.client.get(path, headers=headers)
    assert response.status_code == 200
    html = _normalised(response.get_data(as_text=True))
    golden = GOLDEN / f"{name}.html"
    if os.environ.get("OMS_RECORD_PAGES"):
        golden.write_bytes(html.encode())
    assert html == golden.read_bytes().decode()
