"""Bulk update in a real browser, JS on and off: checked rows, select-all and a CSV file →
the wizard → the live worker runs the job → the job page and the history show the counts."""

import re

from playwright.sync_api import expect

from oms.models import Order, OrderStatus


def _next(page):
    page.locator('[data-action="next"]').click()


def _run_and_wait(ui, expected_total: int):
    page = ui.page
    expect(page.locator("[data-preview-total]")).to_have_attribute(
        "data-preview-total", str(expected_total))
    page.locator('[data-action="run"]').click()
    expect(page).to_have_url(re.compile(r"/bulk/jobs/\d+\?accepted=1"))
    expect(page.locator("[data-accepted] a[data-action=notification-log]")).to_be_visible()
    # JS: the progress fragment polls itself; no JS: the page refreshes itself.
    expect(page.locator("#bulk-progress [data-job-state]")).to_have_attribute(
        "data-job-state", "succeeded", timeout=60_000)
    return int(re.search(r"/bulk/jobs/(\d+)", page.url).group(1))


def _history_row(ui, job_id: int):
    ui.page.goto("/bulk/")
    return ui.page.locator(f'tr[data-bulk-job="{job_id}"]')


def test_checked_rows_tag_add(ui, users, factory, session):
    tag = factory.tag("ギフト")
    first, second, third = (factory.order(status=OrderStatus.new) for _ in range(3))
    session.commit()
    page = ui.page
    ui.login("operator")
    page.goto("/orders/?tab=new")
    for order in (first, second):
        page.locator(f'[data-order-number="{order.order_number}"] input[name="order_id"]').check()
    page.locator('[data-action="bulk"]').click()
    expect(page.locator("[data-selection-count]")).to_have_attribute("data-selection-count", "2")
    page.locator('input[name="op"][value="tags"]').check()
    _next(page)
    page.locator('input[name="action"][value="add"]').check()
    page.locator('select[name="tag_id"]').select_option(str(tag.id))
    _next(page)
    expect(page.locator("[data-preview-change]")).to_have_attribute("data-preview-change", "2")
    if ui.js:
        # Back and forth keeps the choices, inside the same page.
        page.evaluate("() => { window.__samePage = true; }")
        page.locator('[data-action="back"]').click()
        expect(page.locator('select[name="tag_id"]')).to_have_value(str(tag.id))
        _next(page)
        assert page.evaluate("() => window.__samePage === true"), "a step reloaded the page"
    job_id = _run_and_wait(ui, 2)
    row = _history_row(ui, job_id)
    expect(row).to_have_attribute("data-succeeded", "2")
    expect(row).to_have_attribute("data-job-failed", "0")
    ui.screenshot("bulk-history")
    session.expire_all()
    assert [t.name for t in session.get(Order, first.id).tags] == ["ギフト"]
    assert session.get(Order, third.id).tags == []
    ui.assert_clean()


def test_select_all_status_change_with_failures(ui, users, factory, session):
    for _ in range(6):
        factory.order(status=OrderStatus.new)
    refused = factory.order(status=OrderStatus.cancelled)
    session.commit()
    page = ui.page
    ui.login("operator")
    page.goto("/orders/?tab=all&per_page=25")
    page.locator('[data-action="select-all"]').click()
    expect(page.locator('[data-selected="all"]')).to_have_attribute("data-selected-count", "7")
    page.locator('[data-action="bulk"]').click()
    page.locator('input[name="op"][value="status"]').check()
    _next(page)
    page.locator('select[name="to"]').select_option("on_hold")
    _next(page)
    expect(page.locator("[data-preview-failed]")).to_have_attribute("data-preview-failed", "1")
    ui.screenshot("bulk-confirm")
    job_id = _run_and_wait(ui, 7)
    page.locator('[data-action="failures"]').first.click()
    expect(page.locator(f'[data-order-number="{refused.order_number}"]')).to_be_visible()
    row = _history_row(ui, job_id)
    expect(row).to_have_attribute("data-succeeded", "6")
    expect(row).to_have_attribute("data-job-failed", "1")
    ui.assert_clean()


def test_csv_selection_remarks_append(ui, users, factory, session, tmp_path):
    orders = [factory.order() for _ in range(3)]
    session.commit()
    content = ("注文番号\r\n" + "".join(f"{o.order_number}\r\n" for o in orders[:2])
               + "12345\r\n").encode("cp932")
    page = ui.page
    ui.login("operator")
    page.goto("/bulk/")
    page.locator('[data-action="csv"]').click()
    page.locator('input[type="file"]').set_input_files(
        files=[{"name": "orders.csv", "mimeType": "text/csv", "buffer": content}])
    page.locator('[data-action="upload"]').click()
    expect(page.locator("[data-csv-found]")).to_have_attribute("data-csv-found", "2")
    expect(page.locator('[data-csv-line="4"]')).to_be_visible()
    page.locator('[data-action="continue"]').click()
    page.locator('input[name="op"][value="remarks1"]').check()
    _next(page)
    page.locator('textarea[name="text"]').fill("CSVで一括")
    _next(page)
    job_id = _run_and_wait(ui, 2)
    expect(_history_row(ui, job_id)).to_have_attribute("data-succeeded", "2")
    session.expire_all()
    assert [session.get(Order, o.id).remarks1 for o in orders] == ["CSVで一括", "CSVで一括", None]
    ui.assert_clean()
