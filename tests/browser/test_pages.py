"""The main pages in a real browser, each test once with JavaScript on and once off.

Only the stable hooks are used (DESIGN.md "Requests"): data-order-number, data-status,
data-job-state, data-action, data-user; never visible text, which is translated.
"""

import re

from playwright.sync_api import expect

from oms.models import OrderStatus


def test_sign_in_and_out(ui, users):
    page = ui.page
    page.goto("/orders/")
    expect(page).to_have_url(re.compile(r"/login\?next="))
    ui.screenshot("login")

    ui.login("operator")
    expect(page).to_have_url(f"{ui.server.url}/orders/")
    cookies = {c["name"]: c for c in page.context.cookies()}
    session_cookie = cookies["__Host-session"]
    assert session_cookie["secure"] and session_cookie["httpOnly"]
    assert session_cookie["sameSite"] == "Lax" and session_cookie["path"] == "/"
    if ui.js:
        ui.assert_htmx()

    ui.logout()
    page.goto("/orders/")
    expect(page).to_have_url(re.compile(r"/login\?next="))
    ui.assert_clean()


def test_order_list_and_status_tab(ui, users, factory, session):
    new_orders = [factory.order(status=OrderStatus.new) for _ in range(3)]
    shipped = factory.order(status=OrderStatus.shipped)
    session.commit()
    page = ui.page
    ui.login("operator")

    page.goto("/orders/")
    for order in [*new_orders, shipped]:
        expect(page.locator(f'[data-order-number="{order.order_number}"]')).to_be_visible()
    ui.screenshot("orders")

    if ui.js:
        ui.assert_htmx()
        # A marker that a full page load would wipe: the tab must swap only the results.
        page.evaluate("() => { window.__samePage = true; }")
    # The first: the status tab itself (a sub-tab "all in this tab" carries the same key).
    page.locator('a[data-status="done"]').first.click()
    expect(page).to_have_url(re.compile(r"[?&]tab=done"))
    expect(page.locator(f'[data-order-number="{shipped.order_number}"]')).to_be_visible()
    for order in new_orders:
        expect(page.locator(f'[data-order-number="{order.order_number}"]')).to_have_count(0)
    expect(page.locator('a[data-status="done"]').first).to_have_attribute("aria-current", "page")
    if ui.js:
        assert page.evaluate("() => window.__samePage === true"), "the tab reloaded the page"
    ui.screenshot("orders-tab-done")
    ui.assert_clean()


def test_order_export_download_and_notification_log(ui, users, factory, session):
    orders = [factory.order() for _ in range(5)]
    session.commit()
    page = ui.page
    ui.login("operator")

    page.goto("/orders/")
    # The download covers the selection or, as here, every order of the search.
    page.locator('[data-action="select-all"]').click()
    expect(page.locator('[data-selected="all"]')).to_have_attribute(
        "data-selected-count", str(len(orders)))
    page.locator('[data-action="export"]').click()
    expect(page).to_have_url(re.compile(r"/notifications/\d+$"))
    job_url = page.url
    # With JS htmx polls the progress block; without it a <noscript> meta refresh reloads.
    expect(page.locator('[data-job-state="succeeded"]')).to_be_visible(timeout=90_000)
    ui.screenshot("job")

    with page.expect_download() as download_info:
        page.locator('[data-action="download"]').click()
    download = download_info.value
    assert download.suggested_filename.endswith(".csv")
    text = download.path().read_bytes().decode("cp932")  # the form's default encoding
    for order in orders:
        assert order.order_number in text
    assert page.url == job_url

    page.goto("/notifications/")
    job_id = job_url.rsplit("/", 1)[1]
    row = page.locator(f'[data-job-id="{job_id}"]')
    expect(row.locator('[data-job-state="succeeded"]')).to_be_visible()
    ui.screenshot("notifications")

    ui.logout()
    ui.assert_clean()
