"""An own-shop bank-transfer order goes from 入金待ち to 出荷待ち through the screens, JS on
and off: 入金確認 on its page moves it to 新規, 注文確認 on the list moves it on, and the
stock is allocated on the way (在庫引当 自動)."""

from playwright.sync_api import expect

from oms.models import (
    LineStatus,
    LinkResult,
    MallKind,
    Order,
    OrderStatus,
    PaymentKind,
    PaymentStatus,
    Stock,
)
from tests.factories import linked_line


def test_a_transfer_is_confirmed_then_the_order_is_allocated_and_ready(ui, users, factory,
                                                                      session):
    item = factory.sku("APPLE-1")
    order = factory.order(
        shop=factory.shop(MallKind.own), status=OrderStatus.awaiting_payment,
        payment_method=factory.payment_method(PaymentKind.prepaid_bank, name="銀行振込"),
        payment_status=PaymentStatus.unpaid, link_result=LinkResult.ok,
        lines=[linked_line(item, 2, status=LineStatus.awaiting_payment)])
    session.commit()
    page = ui.page
    ui.login("operator")

    page.goto(f"/orders/{order.order_number}")
    page.locator('[data-action="confirm-payment"]').click()
    expect(page.locator("[data-order-status]")).to_have_attribute("data-order-status", "new")

    page.goto("/orders/?tab=new")
    page.locator(f'[data-order-number="{order.order_number}"] input[name="order_id"]').check()
    page.locator('[data-action="confirm"]').click()
    expect(page.locator("[data-confirmed]")).to_have_attribute("data-confirmed", "1")

    page.goto(f"/orders/{order.order_number}")
    expect(page.locator("[data-order-status]")).to_have_attribute("data-order-status",
                                                                  "ready_to_ship")
    expect(page.locator('[data-badge="allocated"]')).to_have_text("受注引当済")
    expect(page.locator("section#products tbody")).to_contain_text("発送準備中")
    ui.screenshot("workflow-ready-to-ship")
    session.expire_all()
    assert session.get(Order, order.id).status is OrderStatus.ready_to_ship
    assert session.get(Stock, item.stocks[0].id).allocated == 2
    ui.assert_clean()
