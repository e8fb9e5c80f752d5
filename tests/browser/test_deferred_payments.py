"""後払い (NP) in a real browser, JS on and off (SCOPE P4 checks 9 and 12, the main flow):
取引登録 from 確認待ち → the sandbox's 与信結果 imported → 配送伝票 from 出荷済 → the
出荷報告結果 imported."""

import re

from playwright.sync_api import expect

from oms.models import Order, OrderStatus, PaymentKind, PaymentStatus, ShipReportState
from tests.marketplaces.conftest import sandbox  # noqa: F401 (the fixture)
from tests.unit.test_deferred_payments import BUYER

S = OrderStatus


def _export(ui, tab: str, control: str, order: Order) -> bytes:
    """Check the order on the tab, press the control, 出力, and download the job's file."""
    page = ui.page
    page.goto(f"/orders/?tab={tab}")
    page.locator(f'[data-order-number="{order.order_number}"] input[name="order_id"]').check()
    page.locator(f'[data-action="{control}"]').click()
    expect(page.locator("[data-to-export]")).to_have_attribute("data-to-export", "1")
    ui.screenshot(f"{control}-preview")
    page.locator('[data-action="export"]').click()
    expect(page).to_have_url(re.compile(r"/notifications/\d+$"))
    expect(page.locator('[data-job-state="succeeded"]')).to_be_visible(timeout=90_000)
    with page.expect_download() as download_info:
        page.locator('[data-action="download"]').click()
    return download_info.value.path().read_bytes()


def _import(ui, tab: str, control: str, data: bytes) -> None:
    page = ui.page
    page.goto(f"/orders/?tab={tab}")
    page.locator(f'[data-action="{control}"]').click()
    page.locator("#deferred-file").set_input_files(
        {"name": "result.csv", "mimeType": "text/csv", "buffer": data})
    page.locator('[data-action="check-deferred-import"]').click()
    expect(page.locator("[data-good-rows]")).to_have_attribute("data-good-rows", "1")
    ui.screenshot(f"{control}-check")
    page.locator('[data-action="apply-deferred-import"]').click()
    expect(page.locator("[data-applied]")).to_be_visible()


def test_np_register_result_and_ship_report(ui, users, factory, session, sandbox):  # noqa: F811
    np = factory.payment_method(PaymentKind.deferred_np, name="NP後払い")
    order = factory.order(status=S.pending_review, payment_status=PaymentStatus.unpaid,
                          payment_method=np, **BUYER)
    session.commit()
    ui.login("operator")

    data = _export(ui, "waiting", "deferred-credit", order)
    _import(ui, "waiting", "deferred-credit-import",
            sandbox.deferred_file("np", "transactions", data))
    session.expire_all()
    order = session.get(Order, order.id)
    assert (order.payment_status, order.status) == (PaymentStatus.deferred_approved, S.new)

    order.status = S.shipped
    factory.shipment(order, "1234-5678-9012")
    session.commit()
    data = _export(ui, "done", "deferred-ship", order)
    _import(ui, "done", "deferred-ship-import", sandbox.deferred_file("np", "shipments", data))
    session.expire_all()
    order = session.get(Order, order.id)
    assert order.ship_report_state is ShipReportState.ok
    assert order.status is S.awaiting_deferred_payment
    ui.assert_clean()
