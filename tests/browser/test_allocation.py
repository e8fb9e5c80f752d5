"""在庫引当 from the order list in a real browser, JS on and off (SCOPE P1 check 9)."""

import re

from playwright.sync_api import expect

from oms.models import AllocationState, LinkResult, Order, OrderStatus
from oms.services import app_settings
from oms.services.actor import SYSTEM, Actor
from tests.factories import linked_line


def test_allocate_checked_orders_and_filter_what_is_left(ui, users, factory, session):
    settings = app_settings.workflow(session)
    settings.allocation_mode = "manual"
    app_settings.save_workflow(session, settings, Actor(None, None, via=SYSTEM))
    sku = factory.sku()
    covered, short, unlinked = (
        factory.order(status=OrderStatus.awaiting_allocation, link_result=result, lines=[ln])
        for result, ln in ((LinkResult.ok, linked_line(sku, 2)),
                           (LinkResult.ok, linked_line(sku, 4)),
                           (LinkResult.fail, linked_line(None, 1, code="UNKNOWN-9"))))
    session.commit()
    page = ui.page
    ui.login("operator")
    page.goto("/orders/?tab=processing&status=awaiting_allocation")
    for order in (covered, short, unlinked):
        page.locator(f'[data-order-number="{order.order_number}"] input[name="order_id"]').check()
    page.locator('[data-action="allocate"]').click()

    expect(page).to_have_url(re.compile(r"/notifications/\d+$"))
    expect(page.locator("[data-allocated]")).to_have_attribute("data-allocated", "1")
    outcomes = page.locator("[data-allocation-outcomes]")
    expect(outcomes.locator(f'[data-order-number="{covered.order_number}"]')).to_contain_text(
        "受注引当済")
    expect(outcomes.locator(f'[data-order-number="{short.order_number}"]')).to_contain_text(
        "在庫")
    expect(outcomes.locator(f'[data-order-number="{unlinked.order_number}"]')).to_contain_text(
        "UNKNOWN-9")
    ui.screenshot("allocation-result")
    session.expire_all()
    assert session.get(Order, covered.id).status is OrderStatus.ready_to_ship

    # Back on the list: what is left in 引当待ち says why, and 引当状態 finds it.
    page.locator('[data-action="back-to-list"]').click()
    expect(page.locator("[data-order-number]")).to_have_count(2)
    expect(page.locator(f'[data-order-number="{short.order_number}"] '
                        "[data-allocation-note]")).to_contain_text("在庫")
    details = page.locator("details.search-details")
    if not details.evaluate("d => d.open"):
        details.locator("summary").click()
    page.locator("#f-allocation_state").select_option(AllocationState.none.value)
    page.locator('[data-action="search"]').click()
    expect(page).to_have_url(re.compile(r"allocation_state=none"))
    expect(page.locator("[data-order-number]")).to_have_count(2)
    ui.screenshot("allocation-left-in-awaiting")
    ui.assert_clean()
