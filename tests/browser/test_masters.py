"""ラッピング管理 and the edit screen in a real browser (JavaScript on and off): a wrapping is
added, chosen on an order (fee, tax and total follow), and a second one is deactivated so
the edit screen no longer offers it."""

import sqlalchemy as sa
from playwright.sync_api import expect

from oms.models import Order, Wrapping


def test_admin_adds_a_wrapping_chooses_it_and_retires_another(ui, users, factory, session):
    session.add(Wrapping(name="旧包装", fee=200, tax_rate=10, position=9))
    order = factory.order(subtotal=1000, tax_10=100, total=1100)
    session.commit()
    page = ui.page
    ui.login("admin")

    page.goto("/settings")
    page.locator('a[href="/settings/lists/wrappings/"]').click()
    page.locator('[data-action="new-row"]').click()
    page.locator("input[name=name]").fill("のし紙")
    page.locator("input[name=fee]").fill("100")
    page.locator('[data-action="save"]').click()
    expect(page.locator('[data-row="のし紙"][data-active="true"]')).to_be_visible()
    page.locator('[data-row="旧包装"] [data-action="deactivate"]').click()
    expect(page.locator('[data-row="旧包装"][data-active="false"]')).to_be_visible()
    ui.screenshot("wrappings")

    page.goto(f"/orders/{order.order_number}/edit")
    expect(page.locator('a[data-master-link="wrappings"]')).to_be_visible()
    expect(page.locator("select[name=wrapping] option", has_text="旧包装")).to_have_count(0)
    page.locator("select[name=wrapping]").select_option("のし紙")
    page.locator('[data-action="save-top"]').click()
    expect(page.locator(".flash-success")).to_be_visible()
    session.rollback()
    saved = session.scalar(sa.select(Order).where(Order.id == order.id))
    assert (saved.wrapping, saved.wrapping_fee, saved.tax_10, saved.total) == (
        "のし紙", 100, 110, 1210)
    ui.assert_clean()
