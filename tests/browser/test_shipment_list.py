"""出荷一覧 in a real browser, JS on and off: a tracking-number search, then the checked
orders → 配送関連日程 (a form error first) → the live worker → 出荷一括更新履歴."""

import re
from datetime import date

from playwright.sync_api import expect

from oms.models import LineStatus, Order, OrderStatus, Shipment
from oms.models.base import utcnow


def test_select_and_change_shipping_dates(ui, users, factory, session):
    ready = [factory.order(status=OrderStatus.ready_to_ship, carrier="ヤマト運輸",
                           delivery_method="宅急便", delivery_time_slot="午前中",
                           scheduled_ship_date=date(2026, 12, day)) for day in (1, 2)]
    shipped = factory.order(status=OrderStatus.shipped, carrier="ヤマト運輸")
    shipped.lines[0].status = LineStatus.in_transit
    shipped.shipments.append(Shipment(carrier="yamato", tracking_number="123456789012",
                                      shipped_at=utcnow()))
    session.commit()
    page = ui.page
    ui.login("operator")
    page.locator("nav.mainnav a[href='/shipments/']").click()
    expect(page.locator('[data-status="ready_to_ship"]')).to_have_attribute("data-count", "2")
    ui.screenshot("shipment-list")

    page.locator("#f-tracking").fill("1234")
    page.locator('#search-form [data-action="search"]').click()
    # The tabs count the search: the number lives on an order in 出荷済.
    expect(page.locator('[data-status="ready_to_ship"]')).to_have_attribute("data-count", "0")
    expect(page.locator('[data-status="shipped"]')).to_have_attribute("data-count", "1")
    page.locator('[data-status="shipped"]').click()
    expect(page.locator('[data-status="shipped"]')).to_have_attribute("aria-current", "page")
    expect(page.locator("tr[data-order-number]")).to_have_count(1)
    expect(page.locator("[data-tracking]")).to_have_text("123456789012")

    page.goto("/shipments/")
    for order in ready:
        page.locator(f'[data-order-number="{order.order_number}"] input[name="order_id"]').check()
    page.locator('[data-action="bulk"]').click()
    expect(page.locator("[data-selection-count]")).to_have_attribute("data-selection-count", "2")
    page.locator('input[name="op"][value="shipping_dates"]').check()
    page.locator('[data-action="next"]').click()
    expect(page.locator('input[name="update_subscriptions"]')).to_be_disabled()
    page.locator('input[name="scheduled_ship_date"]').fill("2026-12-05")
    page.locator('input[name="scheduled_delivery_date"]').fill("2026-12-04")
    page.locator('[data-action="next"]').click()
    expect(page.locator(".field-error")).to_contain_text("お届け予定日が出荷予定日より前")
    ui.screenshot("shipping-dates-error")
    # The refused form is answered 422, as it should be: the one error response expected.
    assert [error.split()[:2] for error in ui.errors] == [["422", "GET"]]
    ui.errors.clear()
    page.locator('input[name="scheduled_delivery_date"]').fill("2026-12-07")
    page.locator('[data-action="next"]').click()
    expect(page.locator("[data-preview-change]")).to_have_attribute("data-preview-change", "2")
    page.locator('[data-action="run"]').click()
    expect(page).to_have_url(re.compile(r"/bulk/jobs/\d+\?accepted=1"))
    expect(page.locator("#bulk-progress [data-job-state]")).to_have_attribute(
        "data-job-state", "succeeded", timeout=60_000)
    job_id = int(re.search(r"/bulk/jobs/(\d+)", page.url).group(1))

    page.goto("/bulk/?kind=shipments")
    expect(page.locator(f'tr[data-bulk-job="{job_id}"]')).to_have_attribute(
        "data-succeeded", "2")
    ui.screenshot("shipment-bulk-history")
    page.goto("/shipments/")
    expect(page.locator("[data-ship-date]").first).to_have_text("2026-12-05")
    session.expire_all()
    assert {(o.scheduled_ship_date, o.scheduled_delivery_date)
            for o in (session.get(Order, r.id) for r in ready)} == {
        (date(2026, 12, 5), date(2026, 12, 7))}
    ui.assert_clean()
