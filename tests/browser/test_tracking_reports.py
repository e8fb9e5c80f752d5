"""荷物番号報告 in a real browser, JS on and off: the 出荷済 tab's filter finds an order whose
report the mall refused (報告NG), its detail shows the parcel and the mall's message, and
再報告 puts the report back to 報告中 (seed 001 §5)."""

import re

from playwright.sync_api import expect

from oms.models import MallKind, OrderStatus, ReportChannel, ReportState, TrackingReport


def test_report_again_from_the_detail_page(ui, users, factory, session):
    shop = factory.shop(MallKind.rakuten)
    order = factory.order(shop=shop, status=OrderStatus.shipped, carrier="ヤマト運輸")
    shipment = factory.shipment(order, "1234-5678-9012")
    session.add(TrackingReport(shipment_id=shipment.id, order_id=order.id, shop_id=shop.id,
                               channel=ReportChannel.api, state=ReportState.failed,
                               attempts=1, error="Rakuten: 注文番号が存在しません。"))
    session.commit()
    page = ui.page
    ui.login("operator")
    page.goto("/orders/?tab=done")
    details = page.locator("details.search-details")
    if not details.evaluate("d => d.open"):
        details.locator("summary").click()
    page.locator("#f-tracking_report").select_option("failed")
    page.locator('[data-action="search"]').click()
    expect(page).to_have_url(re.compile(r"tracking_report=failed"))
    expect(page.locator("[data-order-number]")).to_have_count(1)
    ui.screenshot("tracking-done-tab-ng")

    page.goto(f"/orders/{order.order_number}")
    section = page.locator("#shipping")
    expect(section.locator("[data-tracking-link]")).to_have_attribute(
        "href", re.compile(r"number01=123456789012$"))
    expect(section.locator('[data-report-state="failed"]')).to_contain_text("注文番号が存在しません")
    expect(page.locator('[data-badge="tracking_failed"]')).to_have_text("報告NG")
    ui.screenshot("tracking-detail-ng")
    section.locator('[data-action="report-tracking"]').click()
    expect(page.locator('#shipping [data-report-state="reporting"]')).to_contain_text("報告中")
    expect(page.locator('[data-badge="tracking_reporting"]')).to_have_text("荷物番号報告中")
    expect(page.locator(".flash-success")).to_contain_text("再報告")
    ui.screenshot("tracking-detail-reported-again")
    session.expire_all()
    assert session.get(TrackingReport, 1).state is ReportState.pending
    ui.assert_clean()
