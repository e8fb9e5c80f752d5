"""出荷一覧 (配送管理) and its bulk updates (seed 004, SCOPE P2 S9, checks 9–11): tabs whose
counts are the order list's, the search by tracking number, carrier, shop and dates, the
selection → 配送関連日程 / 出荷済み→出荷待ち through the wizard and a real worker, 出荷一括更新履歴,
and the CSV designation by 注文番号."""

import io
import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from werkzeug.datastructures import MultiDict

from oms.models import (
    BulkSelection,
    LineStatus,
    Order,
    OrderStatus,
    PaymentStatus,
    ReportChannel,
    ReportState,
    Shipment,
    StatusHistory,
    TargetState,
    TrackingReport,
)
from oms.models.base import utcnow
from tests.bulk_support import empty_queue, outcomes, run, start  # noqa: F401 (fixture)
from tests.conftest import csrf_token, switch_to_english
from tests.web.test_bulk_wizard import Forms, attr, follow

pytestmark = pytest.mark.usefixtures("empty_queue")
S = OrderStatus


@pytest.fixture
def operator(client, auth, users):
    assert auth.login("operator").status_code == 303
    switch_to_english(client)
    return client


def shipped(factory, session, number: str, **kw) -> Order:
    """An order in 出荷済 with its parcel."""
    order = factory.order(status=S.shipped, carrier="ヤマト運輸", delivery_method="宅急便", **kw)
    order.lines[0].status = LineStatus.in_transit
    order.shipments.append(Shipment(carrier="yamato", tracking_number=number,
                                    shipped_at=utcnow()))
    session.flush()
    return order


def counts(html: str) -> dict[str, int]:
    return {s: int(n) for s, n in re.findall(r'data-status="(\w+)" data-count="(\d+)"', html)}


def rows(html: str) -> list[str]:
    return re.findall(r'<tr data-order-number="(\d+)"', html)


def select_and_start(client, orders: list[Order]) -> str:
    """Check rows on 出荷一覧 and press 一括更新: the URL of the wizard's operation step."""
    form = Forms(client.get("/shipments/").text).by_action("/shipments/bulk")
    fields = [(k, v) for k, v in form["fields"] if k != "order_id"]
    fields += [("order_id", str(o.id)) for o in orders]
    return follow(client.post("/shipments/bulk", data=MultiDict(fields)))


def confirm_url(step: str, op: str, **options) -> str:
    selection = re.search(r"selection=(\d+)", step).group(1)
    query = "&".join(f"{k}={v}" for k, v in options.items())
    return f"/bulk/confirm?selection={selection}&op={op}&{query}"


def test_tab_counts_are_the_order_lists_sub_tab_counts(operator, factory, session):
    for status, n in ((S.ready_to_ship, 3), (S.shipping, 2), (S.new, 1)):
        for _ in range(n):
            factory.order(status=status)
    shipped(factory, session, "111111111111")
    session.commit()
    processing = counts(operator.get("/orders/?tab=processing").text)
    done = counts(operator.get("/orders/?tab=done").text)
    page = operator.get("/shipments/")
    assert page.status_code == 200
    assert counts(page.text) == {"ready_to_ship": processing["ready_to_ship"],
                                 "shipping": processing["shipping"],
                                 "shipped": done["shipped"]} == {
        "ready_to_ship": 3, "shipping": 2, "shipped": 1}
    assert len(rows(page.text)) == 3  # 出荷待ち first
    assert len(rows(operator.get("/shipments/?status=shipping").text)) == 2
    # The nav item leads here now.
    assert 'href="/shipments/" aria-current="page"' in page.text


def test_rows_in_ship_date_order_with_parcel_and_report(operator, factory, session):
    late = factory.order(status=S.ready_to_ship, scheduled_ship_date=date(2026, 12, 9))
    early = factory.order(status=S.ready_to_ship, scheduled_ship_date=date(2026, 12, 1),
                          scheduled_delivery_date=date(2026, 12, 3), delivery_time_slot="午前中",
                          carrier="ヤマト運輸", delivery_method="宅急便コンパクト",
                          shipping_list_exported_at=utcnow())
    stale = shipped(factory, session, "222222222222")
    reported = shipped(factory, session, "333333333333")
    for order, state, age in ((stale, ReportState.pending, 120), (reported, ReportState.ok, 5)):
        session.add(TrackingReport(shipment_id=order.shipments[0].id, order_id=order.id,
                                   shop_id=order.shop_id, channel=ReportChannel.api,
                                   state=state, requested_at=utcnow() - timedelta(minutes=age)))
    session.commit()
    page = operator.get("/shipments/").text
    assert rows(page) == [early.order_number, late.order_number]
    row = page[page.index(f'data-order-number="{early.order_number}"'):]
    row = row[:row.index("</tr>")]
    for shown in ("ヤマト運輸", "宅急便コンパクト", "午前中", "2026-12-01", "2026-12-03",
                  "data-exported"):
        assert shown in row
    assert rows(operator.get("/shipments/?direction=desc").text)[0] == late.order_number
    done = operator.get("/shipments/?status=shipped").text
    assert 'data-report="stale"' in done and "Check needed" in done
    assert 'data-report="ok"' in done and "222222222222" in done


def test_search_by_tracking_number_carrier_shop_and_dates(operator, factory, session):
    a = shipped(factory, session, "123456789012", scheduled_ship_date=date(2026, 12, 1))
    b = shipped(factory, session, "123499999999", scheduled_ship_date=date(2026, 12, 5))
    c = shipped(factory, session, "987654321098")
    other_shop = factory.order(status=S.shipped, shop=factory.shop(name="楽天店"),
                               carrier="佐川急便")
    session.commit()
    found = operator.get("/shipments/?status=shipped&tracking=1234").text
    assert sorted(rows(found)) == sorted([a.order_number, b.order_number])
    assert counts(found)["shipped"] == 2  # the tabs count the search
    # Typed in full width, with a hyphen: the same digits.
    assert rows(operator.get("/shipments/?status=shipped&tracking=９８７６-54").text) == [
        c.order_number]
    assert rows(operator.get("/shipments/?status=shipped&tracking=5555").text) == []
    assert rows(operator.get("/shipments/?status=shipped&carrier=佐川急便").text) == [
        other_shop.order_number]
    assert rows(operator.get(
        f"/shipments/?status=shipped&shop_id={other_shop.shop_id}").text) == [
        other_shop.order_number]
    assert rows(operator.get(
        "/shipments/?status=shipped&ship_from=2026-12-02&ship_to=2026-12-31").text) == [
        b.order_number]


@pytest.mark.parametrize("query", [
    "status=new", "page=abc", "per_page=7", "ship_from=0001-01-01", "ship_to=9999-12-31",
    "confirmed_from=2026-13-01", "carrier=" + "x" * 300, "shop_id=99999999999999999999",
    "tracking=" + "１" * 5000, "delivery_from=2026-12-05&delivery_to=2026-12-01",
])
def test_bad_search_values_are_reported_never_a_500(operator, query):
    response = operator.get(f"/shipments/?{query}")
    assert response.status_code in (200, 422)
    assert 'id="shipment-results"' in response.text


def test_htmx_gets_the_results_fragment(operator, factory, session):
    factory.order(status=S.ready_to_ship)
    session.commit()
    response = operator.get("/shipments/?select=all", headers={
        "HX-Request": "true", "HX-Target": "shipment-results"})
    assert response.status_code == 200
    assert "<html" not in response.text and 'id="shipment-results"' in response.text
    assert 'data-selected="all"' in response.text


def test_shipping_dates_through_the_wizard(operator, factory, session, run_worker):
    """Check 9: a form error for お届け予定日 before 出荷予定日; X in 出荷待ち updated, Y in
    出荷済 failed; the job is in 出荷一括更新履歴 only."""
    x = factory.order(status=S.ready_to_ship, scheduled_ship_date=date(2026, 12, 1))
    y = shipped(factory, session, "444444444444")
    session.commit()
    step = select_and_start(operator, [x, y])
    page = operator.get(step).text
    assert re.findall(r'name="op" value="(\w+)"', page) == ["shipping_dates", "reopen",
                                                              "delivery"]
    options = operator.get(step.replace("/operation", "/options") + "&op=shipping_dates").text
    assert re.search(r'<input[^>]*disabled[^>]*name="update_subscriptions"|'
                     r'<input[^>]*name="update_subscriptions"[^>]*disabled', options)

    bad = operator.get(confirm_url(step, "shipping_dates", scheduled_ship_date="2026-12-05",
                                   scheduled_delivery_date="2026-12-04"))
    assert bad.status_code == 422
    assert "The scheduled delivery date is before the scheduled ship date." in bad.text

    confirm = operator.get(confirm_url(step, "shipping_dates", scheduled_ship_date="2026-12-05",
                                       scheduled_delivery_date="2026-12-07"))
    assert confirm.status_code == 200
    assert [attr(confirm.text, f"data-preview-{k}") for k in ("change", "failed")] == ["1", "1"]
    form = Forms(confirm.text).by_action("/bulk/run")
    path = follow(operator.post("/bulk/run", data=MultiDict(form["fields"])))
    job_id = int(re.search(r"/bulk/jobs/(\d+)", path).group(1))
    run_worker()

    session.expire_all()
    assert (x.scheduled_ship_date, x.scheduled_delivery_date) == (date(2026, 12, 5),
                                                                  date(2026, 12, 7))
    assert y.scheduled_ship_date is None
    failures = operator.get(f"/bulk/jobs/{job_id}/items?state=failed").text
    assert f'data-order-number="{y.order_number}"' in failures
    assert "Only orders ready to ship can be changed." in failures
    history = operator.get("/bulk/?kind=shipments").text
    row = history[history.index(f'data-bulk-job="{job_id}"'):]
    assert (attr(row, "data-succeeded"), attr(row, "data-job-failed")) == ("1", "1")
    assert f'data-bulk-job="{job_id}"' not in operator.get("/bulk/").text
    job_page = operator.get(f"/bulk/jobs/{job_id}").text
    assert "/bulk/?kind=shipments" in job_page


def test_the_order_kind_keeps_its_operations(operator, factory, session):
    factory.order(status=S.new)
    session.commit()
    form = Forms(operator.get("/orders/?select=all").text).by_action("/orders/export")
    step = follow(operator.post("/bulk/start", data=MultiDict(form["fields"])))
    offered = re.findall(r'name="op" value="(\w+)"', operator.get(step).text)
    assert "status" in offered and "delivery" in offered
    assert "shipping_dates" not in offered and "reopen" not in offered
    # An operation of the other list is not taken by this selection.
    response = operator.get(confirm_url(step, "reopen"))
    assert response.status_code == 303


def test_shipped_back_to_awaiting_shipment(client, auth, users, factory, session):
    """Check 10, in Japanese (the default): Z comes back with its parcel voided, the number
    kept and 自動遷移 手動; W, reported to Rakuten, and V, captured, are refused."""
    z = shipped(factory, session, "555555555555")
    w = shipped(factory, session, "666666666666")
    v = shipped(factory, session, "777777777777", payment_status=PaymentStatus.captured)
    session.add(TrackingReport(shipment_id=w.shipments[0].id, order_id=w.id, shop_id=w.shop_id,
                               channel=ReportChannel.api, state=ReportState.ok))
    session.commit()
    job = start(session, users["operator"], [z, w, v], "reopen", locale="ja")
    run(session, job.id)
    result = outcomes(session, job.id)
    assert result[z.id][0] is TargetState.ok
    assert result[w.id] == (TargetState.failed, "モールに報告済みです")
    assert result[v.id] == (TargetState.failed, "売上確定済みです")

    session.expire_all()
    assert (z.status, z.auto_advance) == (S.ready_to_ship, False)
    assert z.shipments[0].voided_at is not None
    assert z.shipments[0].tracking_number == "555555555555"
    assert z.ship_confirmed_at is None
    assert {line.status for line in z.lines} == {LineStatus.ready_to_ship}
    assert session.scalar(sa.select(StatusHistory.to_status).where(
        StatusHistory.order_id == z.id, StatusHistory.line_id.is_(None))
        .order_by(StatusHistory.id.desc()).limit(1)) == "ready_to_ship"
    assert (w.status, v.status) == (S.shipped, S.shipped)

    assert auth.login("operator").status_code == 303
    page = client.get("/shipments/").text  # 出荷待ち, Japanese
    assert z.order_number in rows(page) and "出荷待ち" in page
    row = page[page.index(f'data-order-number="{z.order_number}"'):]
    assert '<td class="mono" data-tracking></td>' in row[:row.index("</tr>")]
    # The voided number still finds the order.
    assert rows(client.get("/shipments/?tracking=555555").text) == [z.order_number]


def test_a_csv_file_of_order_numbers_chooses_shipments(operator, factory, session):
    """Check 11: column A 注文番号, CP932, with bad lines listed."""
    a = factory.order(status=S.ready_to_ship)
    b = shipped(factory, session, "888888888888")
    session.commit()
    text = f"注文番号,メモ\r\n{a.order_number},出荷\r\nりんご\r\n{b.order_number}\r\n9999999999\r\n"
    page = operator.get("/shipments/").text
    assert 'href="/bulk/csv?kind=shipments"' in page
    response = operator.post("/bulk/csv", data={
        "csrf_token": csrf_token(operator), "kind": "shipments",
        "file": (io.BytesIO(text.encode("cp932")), "出荷.csv")},
        content_type="multipart/form-data")
    assert response.status_code == 303
    result = operator.get(response.location).text
    assert "Shift_JIS (CP932)" in result and 'data-csv-found="2"' in result
    assert re.findall(r'data-csv-line="(\d+)"', result) == ["3", "5"]
    assert "Back to the shipment list" in result
    chosen = session.scalar(sa.select(BulkSelection).order_by(BulkSelection.id.desc()))
    assert (chosen.kind, chosen.count) == ("shipments", 2)
    offered = re.findall(r'name="op" value="(\w+)"',
                         operator.get(f"/bulk/operation?selection={chosen.id}").text)
    assert offered == ["shipping_dates", "reopen", "delivery"]


def test_bulk_without_a_choice_says_so(operator, factory, session):
    factory.order(status=S.ready_to_ship)
    session.commit()
    form = Forms(operator.get("/shipments/").text).by_action("/shipments/bulk")
    response = operator.post("/shipments/bulk", data=MultiDict(form["fields"]))
    assert response.status_code == 303 and response.location.startswith("/shipments/")
    assert "Check the orders to update" in operator.get(response.location).text
    whole = Forms(operator.get("/shipments/?select=all").text).by_action("/shipments/bulk")
    step = follow(operator.post("/shipments/bulk", data=MultiDict(whole["fields"])))
    assert 'data-selection-count="1"' in operator.get(step).text
