"""配送業者管理 and the edit screen's carrier → delivery time choice in a real browser
(JavaScript on and off)."""

import sqlalchemy as sa
from playwright.sync_api import expect

from oms.models import Carrier, Order


def test_admin_manages_carriers_and_the_edit_screen_follows(ui, users, factory, session):
    order = factory.order(carrier="ヤマト運輸", delivery_method="宅急便",
                          delivery_time_slot="19-21時")
    session.commit()
    page = ui.page
    ui.login("admin")

    # 配送業者管理: the defaults, a new delivery time for 佐川急便, 西濃運輸 deactivated.
    page.goto("/settings")
    page.locator('a[href="/settings/carriers/"]').click()
    expect(page.locator('[data-carrier="yamato"][data-active="true"]')).to_be_visible()
    ui.screenshot("carriers")
    page.locator('[data-carrier="sagawa"] a').click()
    expect(page.locator('[data-part="slots"] [data-row="18-21時"]')).to_be_visible()
    page.locator('[data-action="new-slots"]').click()
    page.locator("input[name=label]").fill("20-21時")
    page.locator("input[name=ehiden_code]").fill("19")
    page.locator('[data-action="save"]').click()
    expect(page.locator('[data-part="slots"] [data-row="20-21時"]')).to_be_visible()
    page.locator("input[name=tracking_pattern]").fill("[0-9")
    page.locator('form.settings-form [data-action="save"]').click()
    expect(page.locator(".field-error")).to_contain_text("正規表現")
    ui.screenshot("carrier-edit")
    page.goto("/settings/carriers/")
    page.locator('[data-carrier="seino"] a').click()
    page.locator('.section-head [data-action="deactivate"]').click()
    expect(page.locator(".flash-success")).to_be_visible()
    session.rollback()
    assert not session.scalar(sa.select(Carrier.active).where(Carrier.code == "seino"))

    # The edit screen: 佐川急便 offers 20-21時 and not 19-21時.
    page.goto(f"/orders/{order.order_number}/edit")
    carrier = page.locator("select[name=carrier]")
    expect(carrier.locator("option")).not_to_contain_text(["西濃運輸"])
    carrier.select_option("佐川急便")
    slot = page.locator("select[name=delivery_time_slot]")
    if ui.js:
        # htmx swapped in Sagawa's own lists.
        expect(slot.locator("optgroup")).to_have_count(0)
        expect(slot.locator('option[value="20-21時"]')).to_have_count(1)
        expect(slot.locator('option[value="19-21時"]')).to_have_count(0)
        ui.screenshot("edit-carrier-swapped")
    else:
        # Grouped by carrier: the server checks the choice.
        expect(slot.locator('optgroup[label="佐川急便"] option[value="20-21時"]')).to_have_count(1)
        page.locator("select[name=delivery_method]").select_option("飛脚宅配便")
        page.locator('[data-action="save"]').click()
        expect(page.locator(".field-error")).to_contain_text("19-21時")
        ui.screenshot("edit-carrier-refused")
    page.locator("select[name=delivery_method]").select_option("飛脚宅配便")
    slot.select_option("20-21時")
    page.locator('[data-action="save"]').click()
    expect(page.locator(".flash-success")).to_be_visible()
    session.rollback()
    saved = session.get(Order, order.id)
    assert (saved.carrier, saved.delivery_method, saved.delivery_time_slot) == (
        "佐川急便", "飛脚宅配便", "20-21時")
    # The two refused forms answered 422 on purpose.
    ui.errors = [e for e in ui.errors if not e.startswith("422 POST")]
    ui.assert_clean()
