"""Issue 11's whole flow in a real browser, JS on and off, one order per mall kind and one of
the own shop, on the live server's worker against the sandbox malls: 出荷待ち → 出荷指示 (the
wizard, the B2 file downloaded) → 出荷中 → 出荷確定インポート of B2's issued data → 出荷済 → each
number reported at its mall → 完了."""

import re
import time

import sqlalchemy as sa
from playwright.sync_api import expect

from oms.models import AllocationState, LineStatus, Order, OrderLine, OrderStatus, PaymentKind
from oms.services import carriers
from tests.jobs.test_shipping_export import ADDRESS
from tests.marketplaces.conftest import make_mall, sandbox  # noqa: F401 (fixtures)
from tests.marketplaces.test_shipping_flow import MALL_CARRIER
from tests.marketplaces.test_tracking_reports import READY

S = OrderStatus


def _ready_order(factory, **values) -> Order:
    return factory.order(
        status=S.ready_to_ship, carrier="ヤマト運輸", delivery_method="宅急便",
        allocation_state=AllocationState.allocated, **ADDRESS, **values,
        lines=[OrderLine(line_no=1, mall_product_code="P-1", product_name="りんご", quantity=1,
                         unit_price=1000, tax_rate=10, status=LineStatus.awaiting_pickup)])


def test_orders_of_every_mall_go_from_ready_to_reported(ui, users, factory, session,
                                                        make_mall):  # noqa: F811
    malls, orders = {}, {}
    for kind in MALL_CARRIER:
        malls[kind] = make_mall(kind)
        (mall_id,) = malls[kind].generate(1, status=READY[kind])
        orders[kind] = _ready_order(factory, shop=malls[kind].shop, mall_order_id=mall_id)
    orders["own"] = _ready_order(factory,
                                  payment_method=factory.payment_method(PaymentKind.cod))
    carriers.ensure_defaults(session)
    session.commit()
    page = ui.page
    ui.login("operator")

    # 出荷指示 for every order of the search: the list's control, the wizard, the job.
    page.goto("/orders/?tab=processing&status=ready_to_ship")
    page.locator('[data-action="ship-export"]').click()
    page.locator('.act button[data-action="ship-export"]').click()
    expect(page.locator("[data-selection-count]")).to_have_attribute(
        "data-selection-count", str(len(orders)))
    page.locator("#carrier").select_option(label="ヤマト運輸 (b2)")
    page.locator('[data-action="preview"]').click()
    expect(page.locator("[data-to-export]")).to_have_attribute(
        "data-to-export", str(len(orders)))
    ui.screenshot("shipping-flow-preview")
    page.locator('[data-action="export"]').click()
    expect(page).to_have_url(re.compile(r"/notifications/\d+$"))
    expect(page.locator('[data-job-state="succeeded"]')).to_be_visible(timeout=60_000)
    with page.expect_download() as download:
        page.locator('[data-action="download"]').click()
    rows = [line.split(",") for line in
            download.value.path().read_bytes().decode("cp932").split("\r\n")[1:] if line]
    assert sorted(row[0] for row in rows) == sorted(o.order_number for o in orders.values())

    # B2 numbers the labels; its issued data (column 1 + column 4) is imported.
    numbers = {row[0]: f"1234567890{10 + i}" for i, row in enumerate(rows)}
    issued = "".join(f"{row[0]},{row[1]},,{numbers[row[0]]},{row[4]}\r\n" for row in rows)
    page.goto("/orders/?tab=processing&status=shipping")
    page.locator('[data-action="shipment-import"]').click()
    page.locator("#shipment-layout").select_option("b2")
    page.locator("#shipment-file").set_input_files(
        {"name": "b2.csv", "mimeType": "text/csv", "buffer": issued.encode("cp932")})
    page.locator('[data-action="check-shipment-import"]').click()
    expect(page.locator("[data-good-rows]")).to_have_attribute(
        "data-good-rows", str(len(orders)))
    page.locator('[data-action="apply-shipment-import"]').click()
    expect(page.locator("[data-confirmed]")).to_have_attribute(
        "data-confirmed", str(len(orders)))

    # The live server's worker reports each number to its mall; the orders are then done.
    for kind, mall in malls.items():
        number = numbers[orders[kind].order_number]
        told = _tracking_at(mall, orders[kind].mall_order_id)
        assert [(r["carrier"], r["number"]) for r in told] == [(MALL_CARRIER[kind], number)]
    assert _statuses(session, orders.values()) == {S.completed}
    rakuten = orders["rakuten"]
    page.goto(f"/orders/{rakuten.order_number}")
    expect(page.locator("#shipping")).to_contain_text(numbers[rakuten.order_number])
    expect(page.locator('#shipping [data-report-state="reported"]')).to_contain_text("報告済")
    ui.screenshot("shipping-flow-reported")
    ui.assert_clean()


def _statuses(session, orders, timeout: float = 30) -> set[OrderStatus]:
    """The orders' statuses once the last report's transaction has moved them on."""
    deadline = time.monotonic() + timeout
    while True:
        session.expire_all()
        found = set(session.scalars(sa.select(Order.status).where(
            Order.id.in_([o.id for o in orders]))))
        if found == {S.completed} or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


def _tracking_at(mall, mall_order_id: str, timeout: float = 60) -> list[dict]:
    """What the mall was told, once the live server's worker has told it."""
    deadline = time.monotonic() + timeout
    while not (told := mall.order(mall_order_id)["tracking"]) and time.monotonic() < deadline:
        time.sleep(0.2)
    return told
