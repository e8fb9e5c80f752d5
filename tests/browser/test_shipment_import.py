"""出荷確定インポート in a real browser, JS on and off (SCOPE P2 check 4): from the 出荷中
list to the check page, 取り込む, and the result."""

import re

from playwright.sync_api import expect

from oms.models import LineStatus, Order, OrderLine, OrderStatus

S = OrderStatus


def test_upload_check_and_import_a_b2_read_back(ui, users, factory, session):
    a, b = (factory.order(status=S.shipping, carrier="ヤマト運輸", lines=[OrderLine(
        line_no=1, mall_product_code="P-1", product_name="りんご", quantity=1, unit_price=1000,
        status=LineStatus.awaiting_pickup)]) for _ in range(2))
    session.commit()
    text = (f"{a.order_number},0,,123456789012,2026/12/01\r\n"
            f"{b.order_number},0,,12345,2026/12/01\r\n"
            "9999999999,0,,123456789013,2026/12/01\r\n"
            f"{a.order_number},0,,123456789012,2026/12/01\r\n")
    page = ui.page
    ui.login("operator")
    page.goto("/orders/?tab=processing&status=shipping")
    page.locator('[data-action="shipment-import"]').click()
    expect(page).to_have_url(re.compile(r"/orders/shipment-import$"))
    page.locator("#shipment-layout").select_option("b2")
    page.locator("#shipment-file").set_input_files(
        {"name": "b2.csv", "mimeType": "text/csv", "buffer": text.encode("cp932")})
    ui.screenshot("shipment-import-upload")
    page.locator('[data-action="check-shipment-import"]').click()

    expect(page).to_have_url(re.compile(r"/orders/shipment-imports/\d+$"))
    expect(page.locator("[data-good-rows]")).to_have_attribute("data-good-rows", "1")
    expect(page.locator('[data-line="2"][data-kind="error"]')).to_contain_text(
        "伝票番号の形式が違います（12桁）")
    expect(page.locator('[data-line="3"][data-kind="error"]')).to_contain_text(
        "注文番号が見つかりません")
    expect(page.locator('[data-line="4"][data-kind="error"]')).to_contain_text("1行目")
    ui.screenshot("shipment-import-check")
    session.expire_all()
    assert session.get(Order, a.id).status is S.shipping

    page.locator('[data-action="apply-shipment-import"]').click()
    expect(page).to_have_url(re.compile(r"/orders/shipment-imports/\d+/result$"))
    expect(page.locator("[data-confirmed]")).to_have_attribute("data-confirmed", "1")
    expect(page.locator('[data-status="shipped"]')).to_have_attribute("data-count", "1")
    ui.screenshot("shipment-import-result")
    session.expire_all()
    a = session.get(Order, a.id)
    assert a.status is S.shipped and a.shipments[0].tracking_number == "123456789012"
    ui.assert_clean()
