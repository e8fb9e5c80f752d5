"""Issue 12's own-shop card flow by itself in a real browser, JS on and off, on the live
server's worker against the sandbox gateway: `flask scheduler`'s payment steps authorize a
good card waiting in 確認待ち (→ 新規); 注文確認 moves it on (stock allocated → 出荷待ち);
出荷指示 and the B2 issued data's import make it 出荷済, which captures it (→ 完了); the page
shows both dates and 決済履歴 both effects. A declined card stays in 確認待ち with 要対応 and
the gateway's reason."""

import re
import subprocess
import sys
import time

from playwright.sync_api import Locator, Page, expect

from oms.models import LineStatus, LinkResult, MallKind, OrderStatus, PaymentKind, PaymentStatus
from oms.services import carriers
from tests.conftest import ROOT
from tests.factories import linked_line
from tests.jobs.test_shipping_export import ADDRESS
from tests.marketplaces.conftest import sandbox  # noqa: F401 (fixture)
from tests.payments.conftest import merchant  # noqa: F401 (fixture)

WAIT_SECONDS = 60
DATE = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}")


def _card_order(factory, shop, method, item, token: str):
    customer = factory.customer()
    return factory.order(
        shop=shop, payment_method=method, customer=customer,
        customer_card=factory.card(customer, gateway_token=token),
        status=OrderStatus.pending_review, payment_status=PaymentStatus.unpaid, total=1100,
        carrier="ヤマト運輸", delivery_method="宅急便", link_result=LinkResult.ok, **ADDRESS,
        lines=[linked_line(item, 1, status=LineStatus.awaiting_payment)])


def _scheduler_looks(ui) -> None:
    """`flask scheduler` once, as the live server's processes are configured: it queues
    the automatic payment steps (jobs.payments.maintain) for the live server's worker."""
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "scheduler", "--once"], cwd=ROOT,
        env=ui.server.env, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]


def _open_when(ui, path: str, status: str) -> None:
    """The order's page, reloaded until the worker has moved the order to `status`."""
    status_link = ui.page.locator("[data-order-status]")
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        ui.page.goto(path)
        if status_link.get_attribute("data-order-status") == status:
            return
        assert time.monotonic() < deadline, (
            f"{path} never became {status}: {status_link.get_attribute('data-order-status')}"
            f"\n{ui.server.report()}")
        time.sleep(0.5)


def _fact(page: Page, label: str) -> Locator:
    """The value beside a label of the detail page's facts."""
    return page.locator("dt", has_text=re.compile(f"^{label}$")).locator(
        "xpath=following-sibling::dd[1]")


def test_a_card_order_is_authorized_shipped_and_captured(ui, users, factory, session,
                                                         sandbox, merchant):  # noqa: F811
    item = factory.sku("CARD-1")
    shop = factory.shop(MallKind.own)
    method = factory.payment_method(PaymentKind.card, name="クレジットカード")
    good = _card_order(factory, shop, method, item, "tok_ok")
    declined = _card_order(factory, shop, method, item, "tok_decline")
    carriers.ensure_defaults(session)
    session.commit()
    page = ui.page
    ui.login("operator")
    detail = f"/orders/{good.order_number}"

    # The scheduler's payment steps authorize both cards at the gateway.
    _scheduler_looks(ui)
    _open_when(ui, detail, "new")
    expect(page.locator('[data-badge="authorized"]')).to_have_text("オーソリ済")
    expect(_fact(page, "与信日時")).to_have_text(DATE)
    expect(_fact(page, "売上確定日時")).to_have_text("—")

    # The declined card waits in 確認待ち, to be looked at, with the gateway's reason.
    page.goto(f"/orders/{declined.order_number}")
    expect(page.locator("[data-order-status]")).to_have_attribute(
        "data-order-status", "pending_review")
    expect(page.locator('[data-badge="auth_failed"]')).to_have_text("与信NG")
    expect(_fact(page, "要対応")).to_have_text("はい")
    expect(_fact(page, "理由")).to_have_text("与信NG")
    expect(page.locator("[data-payment-refusal]")).to_have_text("カードが承認されませんでした。")
    ui.screenshot("card-flow-declined")

    # 注文確認: the stock is allocated on the way to 出荷待ち.
    page.goto("/orders/?tab=new")
    page.locator(f'[data-order-number="{good.order_number}"] input[name="order_id"]').check()
    page.locator('[data-action="confirm"]').click()
    expect(page.locator("[data-confirmed]")).to_have_attribute("data-confirmed", "1")

    # 出荷指示 for the search's only order ready to ship: the B2 file.
    page.goto("/orders/?tab=processing&status=ready_to_ship")
    page.locator('[data-action="ship-export"]').click()
    page.locator('.act button[data-action="ship-export"]').click()
    expect(page.locator("[data-selection-count]")).to_have_attribute(
        "data-selection-count", "1")
    page.locator("#carrier").select_option(label="ヤマト運輸 (b2)")
    page.locator('[data-action="preview"]').click()
    expect(page.locator("[data-to-export]")).to_have_attribute("data-to-export", "1")
    page.locator('[data-action="export"]').click()
    expect(page.locator('[data-job-state="succeeded"]')).to_be_visible(timeout=60_000)
    with page.expect_download() as download:
        page.locator('[data-action="download"]').click()
    (row,) = [line.split(",") for line in
              download.value.path().read_bytes().decode("cp932").split("\r\n")[1:] if line]
    assert row[0] == good.order_number

    # B2's issued data with the label's number: 出荷済, which captures the payment.
    page.goto("/orders/?tab=processing&status=shipping")
    page.locator('[data-action="shipment-import"]').click()
    page.locator("#shipment-layout").select_option("b2")
    issued = f"{row[0]},{row[1]},,123456789012,{row[4]}\r\n"
    page.locator("#shipment-file").set_input_files(
        {"name": "b2.csv", "mimeType": "text/csv", "buffer": issued.encode("cp932")})
    page.locator('[data-action="check-shipment-import"]').click()
    expect(page.locator("[data-good-rows]")).to_have_attribute("data-good-rows", "1")
    page.locator('[data-action="apply-shipment-import"]').click()
    expect(page.locator("[data-confirmed]")).to_have_attribute("data-confirmed", "1")

    _open_when(ui, detail, "completed")
    expect(page.locator('[data-badge="captured"]')).to_have_text("売上請求済")
    expect(_fact(page, "与信日時")).to_have_text(DATE)
    expect(_fact(page, "売上確定日時")).to_have_text(DATE)
    expect(page.locator("#shipping")).to_contain_text("123456789012")
    ui.screenshot("card-flow-completed")

    page.locator('[data-action="payment-history"]').click()
    rows = page.locator("[data-transaction-kind]")
    expect(rows).to_have_count(2)
    for kind, label in (("authorize", "オーソリ"), ("capture", "売上")):
        row = page.locator(f'[data-transaction-kind="{kind}"]')
        expect(row).to_have_attribute("data-transaction-state", "succeeded")
        expect(row.locator("td").nth(1)).to_contain_text(label)
        expect(row.locator("td").nth(2)).to_have_text("¥1,100")
    ui.screenshot("card-flow-history")
    ui.assert_clean()
