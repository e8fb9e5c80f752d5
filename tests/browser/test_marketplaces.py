"""The marketplace work in a real browser, JS on and off: 全注文更新 with its progress,
注文更新 and アイテム紐づけ per row, fixing a FAIL by a mapping, 配送情報送信, 注文確認
that reaches the mall."""

import re

import sqlalchemy as sa
from playwright.sync_api import expect

from oms.models import LineStatus, LinkResult, Order, OrderLine, OrderStatus, Shipment, Sku
from oms.models.base import utcnow
from oms.services import mall_polling
from tests.marketplaces.conftest import adapter_for, make_mall, sandbox  # noqa: F401 (fixtures)

S = OrderStatus


def _import(session, mall, adapter_for):  # noqa: F811 (the fixture's value)
    mall_polling.poll(session, mall.shop, adapter_for(mall.shop), utcnow(),
                   session.commit)


def test_update_all_orders_and_one_order(ui, users, session, make_mall, adapter_for):  # noqa: F811
    mall = make_mall("rakuten")
    first, second, _third = mall.generate(3, status="100")
    _import(session, mall, adapter_for)
    page = ui.page
    ui.login("operator")
    page.goto(f"/orders/?shop_id={mall.shop.id}")
    mall.event(first, "cancel")

    page.locator('[data-action="refresh-all"]').click()
    # Nothing checked: first the page that says it takes every order of the search.
    expect(page.locator("[data-act-message]")).to_contain_text("検索結果の全3件を対象にします")
    page.locator('.act button[data-action="refresh-all"]').click()
    expect(page).to_have_url(re.compile(r"/notifications/\d+"))
    progress = page.locator(".job-progress")
    expect(progress).to_have_attribute("data-job-state", "succeeded", timeout=30_000)
    expect(progress).to_have_attribute("data-job-done", "3")
    expect(progress).to_have_attribute("data-job-failed", "0")
    ui.screenshot("mall-refresh-all")

    # The buyer asks to cancel the second order; 注文更新 on its row shows it at once.
    mall.event(second, "cancel_request")
    order = session.scalar(sa.select(Order).where(
        Order.mall_order_id == second))
    page.goto(f"/orders/?shop_id={mall.shop.id}")
    row = page.locator(f'[data-order-number="{order.order_number}"]')
    row.locator('[data-action="refresh-order"]').click()
    row = page.locator(f'[data-order-number="{order.order_number}"]')
    expect(row.locator(".status")).to_have_class(re.compile("status-on_hold"))
    if ui.js:
        expect(row.locator("[data-row-message]")).to_be_visible()
    else:
        expect(page.locator(".flash-success")).to_contain_text(order.order_number)
    ui.assert_clean()


def test_link_fail_fixed_by_a_mapping(ui, users, factory, session):
    session.add(Sku(code="MUG-1", name="マグカップ", price=1800))
    order = factory.order(status=S.awaiting_allocation, lines=[OrderLine(
        line_no=1, mall_product_code="mug-old", product_name="マグ (旧)", quantity=1,
        unit_price=1800, status=LineStatus.preparing)])
    session.commit()
    page = ui.page
    ui.login("admin")
    page.goto("/orders/?tab=processing")
    row = page.locator(f'[data-order-number="{order.order_number}"]')
    row.locator('[data-action="link-order"]').click()
    row = page.locator(f'[data-order-number="{order.order_number}"]')
    expect(row.locator(".link-fail")).to_have_text("FAIL")

    page.goto("/settings/shops/mappings")
    page.locator("#shop_id").select_option(str(order.shop_id))
    page.locator("#product_code").fill("mug-old")
    page.locator("#sku_code").fill("MUG-1")
    page.locator('[data-action="save-mapping"]').click()
    expect(page.locator('[data-mapping="mug-old"]')).to_be_visible()

    page.goto("/orders/?tab=processing&link_result=FAIL")
    row = page.locator(f'[data-order-number="{order.order_number}"]')
    row.locator('[data-action="link-order"]').click()
    if ui.js:
        expect(page.locator(f'[data-order-number="{order.order_number}"] .link-ok')
               ).to_have_text("OK")
    else:
        expect(page.locator(".flash-success")).to_contain_text("OK")
    session.expire_all()
    assert session.get(type(order), order.id).link_result is LinkResult.ok
    ui.screenshot("mall-link-fixed")
    ui.assert_clean()


def test_send_shipping_info(ui, users, factory, session):
    ok = factory.order(status=S.ready_to_ship, link_result=LinkResult.ok)
    failed = factory.order(status=S.ready_to_ship, link_result=LinkResult.fail)
    session.commit()
    page = ui.page
    ui.login("operator")
    page.goto("/orders/?tab=processing")
    for order in (ok, failed):
        page.locator(f'[data-order-number="{order.order_number}"] input[name="order_id"]').check()
    page.locator('[data-action="send-shipping"]').click()
    expect(page.locator("[data-sent]")).to_have_attribute("data-sent", "1")
    expect(page.locator("[data-refused]")).to_have_attribute("data-refused", "1")
    expect(page.locator(f'[data-order-number="{failed.order_number}"]')).to_be_visible()
    ui.screenshot("mall-shipping-info")
    session.expire_all()
    assert [s.order_id for s in session.scalars(sa.select(Shipment))] == [ok.id]
    ui.assert_clean()


def test_shop_settings(ui, users, factory, session, app):
    from oms.models import MallKind
    from oms.services import malls

    shop = factory.shop(MallKind.qoo10, name="Qoo10店")
    session.commit()
    page = ui.page
    ui.login("admin")
    page.goto("/settings")
    page.get_by_role("link", name=re.compile("Shops|ショップ")).first.click()
    page.locator(f'[data-shop="{shop.code}"] a').click()
    page.locator("#api_endpoint").fill("http://127.0.0.1:8765/qoo10")
    page.locator("#credentials").fill("qoo10-certification-key-9876")
    page.locator("#auto_confirm").check()
    page.locator("#poll_minutes").fill("2")
    page.locator("#map-CancelRequest").select_option("cancelled")
    page.locator('[data-action="save-shop"]').click()
    expect(page.locator(".flash-success")).to_be_visible()
    expect(page.locator("body")).to_contain_text("••••9876")
    assert "qoo10-certification-key-9876" not in page.content()
    ui.screenshot("mall-shop-settings")
    session.expire_all()
    stored = session.get(type(shop), shop.id)
    assert stored.auto_confirm and stored.poll_minutes == 2
    assert stored.settings["status_map"] == {"CancelRequest": "cancelled"}
    assert malls.credentials(stored, app.config["SECRET_KEY"]) == "qoo10-certification-key-9876"
    ui.assert_clean()


def test_confirm_reaches_the_mall(ui, users, session, make_mall, adapter_for):  # noqa: F811
    mall = make_mall("rakuten")
    (mall_id,) = mall.generate(1, status="100")
    _import(session, mall, adapter_for)
    order = session.scalar(sa.select(Order).where(
        Order.mall_order_id == mall_id))
    page = ui.page
    ui.login("operator")
    page.goto(f"/orders/?tab=new&shop_id={mall.shop.id}")
    page.locator(f'[data-order-number="{order.order_number}"] input[name="order_id"]').check()
    page.locator('[data-action="confirm"]').click()
    expect(page.locator("[data-confirmed]")).to_have_attribute("data-confirmed", "1")
    expect(page.locator("[data-mall-confirm]")).to_be_visible()
    # The result page follows the malls' job: htmx polls its block; without JS the page
    # reloads itself until the job ends.
    expect(page).to_have_url(re.compile(r"/notifications/\d+$"))
    progress = page.locator("#follow-up .job-progress")
    expect(progress).to_have_attribute("data-job-state", "succeeded", timeout=30_000)
    expect(progress).to_have_attribute("data-job-failed", "0")
    ui.screenshot("mall-confirm")
    assert mall.order(mall_id)["status"] == "300"
    ui.assert_clean()
