"""決済状況変更 → 売上 in a real browser, JS on and off: an authorized own-shop card order in
出荷済, captured by the live server's worker at the sandbox gateway; the detail page then
shows the capture (売上確定 and its date) and the order completed."""

import re
import time

from flask_babel import force_locale
from playwright.sync_api import expect

from oms.models import OrderStatus
from tests.marketplaces.conftest import sandbox  # noqa: F401 (fixture)
from tests.payments.conftest import merchant  # noqa: F401 (fixture)
from tests.payments.test_card_bulk import authorized
from tests.payments.test_card_jobs import card_order

WAIT_SECONDS = 60


def test_capture_from_the_detail_page(ui, users, factory, session, sandbox,  # noqa: F811
                                      merchant):  # noqa: F811
    order = card_order(factory, session, status=OrderStatus.shipped)
    with force_locale("en"):  # the authorization runs here, outside a request
        authorized(session, users["operator"], [order])
    page = ui.page
    ui.login("operator")
    detail = f"/orders/{order.order_number}"
    page.goto(detail)
    page.locator('[data-action="payment-change"]').click()
    page.locator('[data-action="payment-capture"]').click()
    expect(page.locator('[data-payment-action="capture"]')).to_be_visible()
    ui.screenshot("card-capture-confirm")
    page.locator('[data-action="confirm-payment-capture"]').click()
    expect(page).to_have_url(re.compile(rf"{detail}(#payment)?$"))

    # The live server's worker captures; the page shows it once reloaded.
    status = page.locator("dd").get_by_text("売上確定", exact=True)
    deadline = time.monotonic() + WAIT_SECONDS
    while not status.count():
        assert time.monotonic() < deadline, "the capture never showed: " + ui.server.report()
        time.sleep(0.5)
        page.goto(detail)
    label = page.locator("dt", has_text="売上確定日時")
    captured_at = label.locator("xpath=following-sibling::dd[1]")
    expect(captured_at).to_have_text(re.compile(r"\d{4}"))
    ui.screenshot("card-capture-done")
    ui.assert_clean()
