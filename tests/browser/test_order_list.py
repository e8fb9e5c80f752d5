"""The order list's search, paging, select-all and 注文確認 in a real browser, JS on and off."""

import re

import sqlalchemy as sa
from playwright.sync_api import expect

from oms.models import Notification, Order, OrderStatus, StatusHistory


def test_search_and_paging(ui, users, factory, session):
    shop = factory.shop()
    wanted = factory.order(buyer_name="長谷川 葵", buyer_kana="ハセガワ アオイ", shop=shop)
    others = [factory.order(shop=shop) for _ in range(30)]
    session.commit()
    page = ui.page
    ui.login("operator")
    page.goto("/orders/")
    if ui.js:
        ui.assert_htmx()
        page.evaluate("() => { window.__samePage = true; }")

    page.locator("#f-q").fill("はせがわ")
    page.locator('[data-action="search"]').click()
    expect(page).to_have_url(re.compile(r"q=%E3%81%AF"))
    expect(page.locator("[data-order-number]")).to_have_count(1)
    expect(page.locator(f'[data-order-number="{wanted.order_number}"]')).to_be_visible()

    page.locator('[data-action="clear"]').click()
    page.goto("/orders/?per_page=25")
    expect(page.locator("[data-order-number]")).to_have_count(25)
    if ui.js:
        page.evaluate("() => { window.__samePage = true; }")
    page.locator('a[rel="next"]').first.click()
    expect(page).to_have_url(re.compile(r"page=2"))
    expect(page.locator("[data-order-number]")).to_have_count(len(others) + 1 - 25)
    if ui.js:
        assert page.evaluate("() => window.__samePage === true"), "paging reloaded the page"
    page.go_back()
    expect(page.locator("[data-order-number]")).to_have_count(25)
    ui.screenshot("orders-search")
    ui.assert_clean()


def test_select_all_and_confirm(ui, users, factory, session):
    new_orders = [factory.order(status=OrderStatus.new) for _ in range(30)]
    factory.order(status=OrderStatus.shipped)
    session.commit()
    page = ui.page
    ui.login("operator")
    page.goto("/orders/?tab=new&per_page=25")
    page.locator('[data-action="select-all"]').click()
    expect(page.locator('[data-selected="all"]')).to_have_attribute("data-selected-count", "30")
    page.locator('[data-action="confirm"]').click()
    expect(page.locator("[data-confirmed]")).to_have_attribute("data-confirmed", "30")
    ui.screenshot("orders-confirmed")
    session.expire_all()
    statuses = {session.get(Order, o.id).status for o in new_orders}
    assert statuses == {OrderStatus.awaiting_allocation}
    ui.assert_clean()


def test_confirm_checked_rows(ui, users, factory, session):
    first, second = factory.order(status=OrderStatus.new), factory.order(status=OrderStatus.new)
    session.commit()
    page = ui.page
    ui.login("operator")
    page.goto("/orders/?tab=new")
    page.locator(f'[data-order-number="{first.order_number}"] input[name="order_id"]').check()
    page.locator('[data-action="confirm"]').click()
    expect(page.locator("[data-confirmed]")).to_have_attribute("data-confirmed", "1")
    session.expire_all()
    assert session.get(Order, first.id).status is OrderStatus.awaiting_allocation
    assert session.get(Order, second.id).status is OrderStatus.new
    ui.assert_clean()


def test_confirm_result_survives_a_reload_without_confirming_again(ui, users, factory,
                                                                   session):
    """注文確認 is Post/Redirect/Get: its result is a page of its own, and reloading it (or
    going back to it) shows the result again; nothing is confirmed twice."""
    new = [factory.order(status=OrderStatus.new) for _ in range(2)]
    shipped = factory.order(status=OrderStatus.shipped)
    session.commit()
    page = ui.page
    ui.login("operator")
    page.goto("/orders/?tab=new")
    for order in new:
        page.locator(f'[data-order-number="{order.order_number}"] input[name="order_id"]').check()
    page.locator('[data-action="confirm"]').click()
    expect(page).to_have_url(re.compile(r"/notifications/\d+$"))
    result_url = page.url
    expect(page.locator("[data-confirmed]")).to_have_attribute("data-confirmed", "2")
    expect(page.locator(".job-progress").first).to_have_attribute("data-job-outcome",
                                                                   "succeeded")
    ui.screenshot("orders-confirm-result")

    page.reload()  # a plain GET: no "resubmit the form?" and no second confirm
    expect(page.locator("[data-confirmed]")).to_have_attribute("data-confirmed", "2")
    assert page.url == result_url
    page.locator('[data-action="back-to-list"]').click()
    expect(page).to_have_url(re.compile(r"/orders/\?tab=new$"))
    page.go_back()
    expect(page.locator("[data-confirmed]")).to_have_attribute("data-confirmed", "2")
    session.expire_all()
    assert session.scalars(sa.select(Notification.kind)).all() == ["order_confirm"]
    moves = session.scalars(sa.select(StatusHistory.order_id)).all()
    assert sorted(moves) == sorted(o.id for o in new)  # each confirmed exactly once
    assert session.get(Order, shipped.id).status is OrderStatus.shipped
    ui.assert_clean()


def test_confirm_with_nothing_checked_says_what_it_will_do(ui, users, factory, session):
    new = [factory.order(status=OrderStatus.new) for _ in range(3)]
    session.commit()
    page = ui.page
    ui.login("operator")
    page.goto("/orders/?tab=new")
    page.locator('[data-action="confirm"]').click()
    expect(page).to_have_url(re.compile(r"/orders/act/confirm\?"))
    expect(page.locator("[data-act-message]")).to_contain_text("検索結果の全3件を対象にします")
    session.expire_all()
    assert {session.get(Order, o.id).status for o in new} == {OrderStatus.new}
    ui.screenshot("orders-act-confirm")
    page.locator('.act button[data-action="confirm"]').click()
    expect(page.locator("[data-confirmed]")).to_have_attribute("data-confirmed", "3")
    session.expire_all()
    assert {session.get(Order, o.id).status for o in new} == {OrderStatus.awaiting_allocation}
    ui.assert_clean()
