"""出荷指示エクスポート (SCOPE P2 checks 1–3, S1–S3): the wizard with JavaScript off (plain
GETs and POSTs), a real worker writing the file, and the file read back cell by cell."""

import csv
import io
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from oms.models import (
    AllocationState,
    Carrier,
    JobState,
    JobTarget,
    LineStatus,
    Notification,
    Order,
    OrderStatus,
    PaymentKind,
    Shipment,
    ShippingExport,
    StatusHistory,
    TargetState,
)
from oms.services import carriers, runner
from oms.services.shop_shipping import ShopShipping, stored
from tests.conftest import csrf_token

S = OrderStatus
TODAY = datetime.now(ZoneInfo("Asia/Tokyo")).date()
ADDRESS = {"ship_postcode": "1000001", "ship_prefecture": "東京都",
           "ship_address1": "千代田区千代田1-1", "ship_address2": "皇居ビル101",
           "ship_phone": "0312345678"}


@pytest.fixture
def operator(auth):
    auth.login("operator")
    return auth.client


@pytest.fixture
def four(session, factory):
    """Check 1's orders: A 発払 午前中, B 代引 ¥5,500 (tax ¥500), C 出荷停止, D 「髙𠮷」."""
    shop = factory.shop()
    shop.settings = {"shipping": stored(ShopShipping(
        sender_name="テスト商店", sender_phone="03-9999-0000", sender_postcode="150-0001",
        sender_address1="東京都渋谷区神宮前1-1", b2_billing_code="0312345678",
        b2_freight_no="01"))}
    card = factory.payment_method(PaymentKind.card)
    cod = factory.payment_method(PaymentKind.cod)
    common = {"shop": shop, "status": S.ready_to_ship,
              "allocation_state": AllocationState.allocated, "carrier": "ヤマト運輸",
              "delivery_method": "宅急便", **ADDRESS}
    made = {
        "A": factory.order(payment_method=card, delivery_time_slot="午前中", **common),
        "B": factory.order(payment_method=cod, total=5500, tax_10=500, **common),
        "C": factory.order(payment_method=card, shipping_hold=True, **common),
        "D": factory.order(payment_method=card, ship_name="髙𠮷", **common),
    }
    session.commit()
    return made


def ids(session, kind: str, name: str) -> tuple[int, int]:
    carrier = session.scalar(sa.select(Carrier).where(Carrier.code == kind))
    service = next(s for s in carrier.services if s.name == name)
    return carrier.id, service.id


def start(client, orders) -> str:
    """The list's control with these orders checked: the wizard's selection id."""
    response = client.post("/shipping/export/start", data={
        "csrf_token": csrf_token(client), "scope": "selected", "search": "tab=processing",
        "order_id": [str(o.id) for o in orders]})
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    return re.fullmatch(r"/shipping/export/\?selection=(\d+)", response.location).group(1)


def step(client, selection: str, values: dict):
    return client.get("/shipping/export/", query_string={"selection": selection, **values})


def settings(session, kind="yamato", service="宅急便", **extra) -> dict:
    carrier_id, service_id = ids(session, kind, service)
    return {"carrier": carrier_id, "service": service_id, "ship_date": TODAY.isoformat(),
            "encoding": "cp932", **extra}


def export(client, session, run_worker, orders, **extra) -> tuple[str, Notification, str]:
    """Start, preview, 出力 and run the job: (preview page, job, raw file bytes)."""
    carriers.ensure_defaults(session)
    session.commit()
    selection = start(client, orders)
    chosen = settings(session, **extra)
    page = step(client, selection, chosen)
    assert page.status_code == 200, page.get_data(as_text=True)[:2000]
    response = client.post("/shipping/export/run", data={
        "csrf_token": csrf_token(client), "selection": selection,
        **{k: v for k, v in chosen.items() if v is not False}})
    assert response.status_code == 303
    job_id = int(re.fullmatch(r"/notifications/(\d+)", response.location).group(1))
    run_worker()
    session.expire_all()
    job = session.get(Notification, job_id)
    assert job.state is JobState.succeeded, job.error
    download = client.get(f"/notifications/{job_id}/download")
    assert download.status_code == 200
    data = download.data
    download.close()
    return page.get_data(as_text=True), job, data


def rows(data: bytes, encoding="cp932") -> list[list[str]]:
    text = data.decode(encoding)
    assert text.endswith("\r\n") and "\n" not in text.replace("\r\n", "")  # CRLF only
    return list(csv.reader(io.StringIO(text)))[1:]  # after the header row


def test_b2_export_writes_the_eligible_orders_and_moves_them(operator, session, four,
                                                             run_worker):
    a, b, c, d = four["A"], four["B"], four["C"], four["D"]
    page, job, data = export(operator, session, run_worker, [a, b, c, d])

    assert "2件を出力します" in page
    assert re.search(rf'data-order-number="{c.order_number}">{c.order_number}: 出荷停止中<', page)
    assert (f'data-order-number="{d.order_number}">{d.order_number}: '
            "JIS第1・2水準にない文字: 𠮷 (お届け先名)<") in page
    assert "※配送伝票・配送方法の選択間違いにご注意ください" not in page  # step 1 only

    written = rows(data)
    assert len(written) == 2 and all(len(row) == 42 for row in written)
    row_a, row_b = sorted(written, key=lambda r: r[0] != a.order_number)
    assert row_a[0] == a.order_number and row_a[1] == "0"
    assert row_a[4] == TODAY.strftime("%Y/%m/%d") and row_a[6] == "0812"
    assert row_a[10] == "100-0001" and row_a[8] == "03-1234-5678"
    assert row_a[11] == "東京都千代田区千代田1-1" and row_a[12] == "皇居ビル101"
    assert row_a[15] == "山田 太郎" and row_a[27] == "りんごジュース"
    assert row_a[33] == row_a[34] == ""
    assert (row_a[19], row_a[21], row_a[24]) == ("03-9999-0000", "150-0001", "テスト商店")
    assert (row_a[39], row_a[41]) == ("0312345678", "01")
    assert (row_b[0], row_b[1], row_b[33], row_b[34]) == (b.order_number, "2", "5500", "500")

    session.expire_all()
    for order in (a, b):
        order = session.get(Order, order.id)
        assert order.status is S.shipping and order.shipping_list_exported_at is not None
        assert [(s.carrier, s.service, s.ship_date, s.export_id) for s in order.shipments] == [
            ("ヤマト運輸", "宅急便", TODAY, job.id)]
        assert {line.status for line in order.lines} == {LineStatus.awaiting_pickup}
        assert session.scalar(sa.select(StatusHistory.via).where(
            StatusHistory.order_id == order.id, StatusHistory.line_id.is_(None),
            StatusHistory.to_status == "shipping")) == f"job:{job.id}"
    for order in (c, d):
        order = session.get(Order, order.id)
        assert order.status is S.ready_to_ship and order.shipping_list_exported_at is None
        assert order.shipments == []
    history = session.get(ShippingExport, job.id)
    assert (history.order_count, history.format, history.reprint) == (2, "b2", False)
    assert job.summary == "出力2件、出力不可2件、スキップ0件"

    # Check 2: the same export again writes nothing; 再出力 writes both, moving nothing.
    page, _job2, data = export(operator, session, run_worker, [a, b, c, d])
    assert "2件は出力済み（再出力で出力できます）" in page
    assert rows(data) == []
    page, job3, data = export(operator, session, run_worker, [a, b], reprint="y")
    assert len(rows(data)) == 2
    session.expire_all()
    for order in (a, b):
        order = session.get(Order, order.id)
        assert order.status is S.shipping and len(order.shipments) == 1
        assert order.shipments[0].export_id == job.id
    assert session.get(ShippingExport, job3.id).reprint is True


def test_manual_orders_are_exported_but_stay(operator, session, factory, four, run_worker):
    a = four["A"]
    a.auto_advance = False
    session.commit()
    _page, _job, data = export(operator, session, run_worker, [a])
    assert len(rows(data)) == 1
    session.expire_all()
    order = session.get(Order, a.id)
    assert order.status is S.ready_to_ship and order.shipping_list_exported_at is not None


def test_ehiden_export_of_a_and_a_cod_row(operator, session, four, run_worker):
    """Check 3, and e飛伝's 代引: amount, tax and 決済種別."""
    a, b = four["A"], four["B"]
    _page, _job, data = export(operator, session, run_worker, [a, b], kind="sagawa",
                               service="飛脚宅配便")
    written = {row[8]: row for row in rows(data)}
    row_a, row_b = written[a.order_number], written[b.order_number]
    assert len(row_a) == len(row_b) == 42
    assert (row_a[25], row_a[28], row_a[41]) == ("000", "01", "1")
    assert (row_a[1], row_a[2]) == ("03-1234-5678", "100-0001")
    assert row_a[3:6] == ["東京都千代田区千代田1-1", "皇居ビル101", ""]
    assert (row_b[30], row_b[31], row_b[32]) == ("5500", "500", "1")
    assert row_a[30] == row_a[32] == ""


def test_ehiden_splits_long_addresses_into_16_character_fields(operator, session, four,
                                                               run_worker):
    a = four["A"]
    a.ship_address1 = "千代田区千代田一丁目一番一号東京都庁舎前通り"  # 23 characters
    session.commit()
    _page, _job, data = export(operator, session, run_worker, [a], kind="sagawa",
                               service="飛脚宅配便")
    (row,) = rows(data)
    assert row[3:6] == ["東京都千代田区千代田一丁目一番一", "号東京都庁舎前通り", "皇居ビル101"]


def test_yupri_export_and_its_filter(operator, session, four, run_worker):
    a, b = four["A"], four["B"]
    for order in (a, b):
        order.carrier, order.delivery_method = "日本郵便", "ゆうパック"
    a.delivery_time_slot = "12-14時"
    session.commit()
    _page, _job, data = export(operator, session, run_worker, [a, b], kind="japanpost",
                               service="ゆうパック", encoding="utf8")
    assert data.startswith(b"\xef\xbb\xbf")
    written = {row[0]: row for row in rows(data, "utf-8-sig")}
    row_a, row_b = written[a.order_number], written[b.order_number]
    assert len(row_a) == 26
    assert row_a[1:9] == [TODAY.strftime("%Y%m%d"), "", "0", "0", "0", "", "52", ""]
    assert (row_a[10], row_a[14], row_a[16]) == ("100-0001", "山田 太郎", "03-1234-5678")
    assert (row_b[5], row_b[19], row_b[20]) == ("2", "5500", "500")

    filter_file = operator.get("/shipping/export/yupri-filter.csv")
    lines = list(csv.reader(io.StringIO(filter_file.data.decode("cp932"))))
    assert len(lines) == 27 and lines[1] == ["1", "お客様側管理番号", "お客様側管理番号"]


def test_refusals_by_reason(operator, session, factory, four):
    """S1: each refusal names its reason; 〓 substitution lets D through."""
    carriers.ensure_defaults(session)
    a, b, d = four["A"], four["B"], four["D"]
    new = factory.order(status=S.new, **ADDRESS)
    unallocated = factory.order(status=S.ready_to_ship, **ADDRESS)
    no_postcode = factory.order(status=S.ready_to_ship, allocation_state=AllocationState.forced,
                                **{**ADDRESS, "ship_postcode": "12"})
    b.total = 400_000
    a.delivery_time_slot = "20-21時"
    session.commit()
    selection = start(operator, [a, b, d, new, unallocated, no_postcode])
    page = step(operator, selection, settings(session, substitute="y")).get_data(as_text=True)
    assert f"{new.order_number}: 出荷待ちではありません（現在: 新規）" in page
    assert f"{unallocated.order_number}: 在庫引当されていません" in page
    assert f"{no_postcode.order_number}: 郵便番号がないか、7桁ではありません" in page
    assert (f"{b.order_number}: 代引金額400,000円がヤマト運輸の上限300,000円を超えています"
            in page)
    assert f"{a.order_number}: ヤマト運輸に時間帯「20-21時」はありません" in page
    assert "1件を出力します" in page and "1文字を〓で出力します" in page
    assert "髙〓" in page  # the sample row


def test_bad_settings_are_refused_with_a_message(operator, session, four):
    carriers.ensure_defaults(session)
    session.commit()
    selection = start(operator, [four["A"]])
    sagawa, _ = ids(session, "sagawa", "飛脚宅配便")
    _, takkyubin = ids(session, "yamato", "宅急便")
    for bad in ({"carrier": sagawa, "service": takkyubin, "ship_date": TODAY.isoformat()},
                {"carrier": "x", "service": "99999999999999999999", "ship_date": "9999-99-99"},
                {"carrier": sagawa, "service": takkyubin, "ship_date": "0001-01-01",
                 "encoding": "utf8"}):
        response = step(operator, selection, bad)
        assert response.status_code == 422
        assert 'class="field-error"' in response.get_data(as_text=True)
    assert step(operator, selection, {"carrier": "\0"}).status_code == 400  # never a 500
    assert session.scalar(sa.select(sa.func.count()).select_from(ShippingExport)) == 0


def test_a_lost_lane_is_resumed_without_writing_a_row_twice(session, factory, users, four,
                                                            app, monkeypatch):
    """The job over more orders than a chunk: a lane that stops after its first chunk
    leaves the rest pending; the next lane finishes, and the file holds each order once."""
    from oms.services import shipping_export, shipping_export_step

    monkeypatch.setattr(shipping_export_step.ExportStep, "chunk", 2)
    carriers.ensure_defaults(session)
    extra = [factory.order(status=S.ready_to_ship, allocation_state=AllocationState.allocated,
                           **ADDRESS) for _ in range(3)]
    chosen = [four["A"], four["B"], *extra]
    carrier_id, service_id = ids(session, "yamato", "宅急便")
    with app.test_request_context():
        p = shipping_export.plan(session, shipping_export.Choice(carrier_id, service_id, TODAY))
        note = shipping_export.start(session, users["operator"], p,
                                     [Order.id.in_([o.id for o in chosen])], len(chosen), None,
                                     "ja")
    session.commit()

    lease = timedelta(seconds=60)
    with app.test_request_context():
        first = runner.run_lane(session, note.id, lease=lease, max_chunks=1)
    assert first == 1
    states = session.scalars(sa.select(JobTarget.state).where(JobTarget.job_id == note.id)).all()
    assert sorted(states).count(TargetState.pending) == 3
    assert session.scalar(sa.select(sa.func.count()).select_from(Shipment)) == 2

    with app.test_request_context():
        runner.run_lane(session, note.id, lease=lease)
    session.expire_all()
    job = session.get(Notification, note.id)
    assert job.state is JobState.succeeded and job.done == 5
    with open(job.result_path, "rb") as handle:
        written = rows(handle.read())
    assert sorted(row[0] for row in written) == sorted(o.order_number for o in chosen)
    assert session.scalar(sa.select(sa.func.count()).select_from(Shipment)) == 5


def test_with_htmx_each_step_swaps_the_wizard(operator, session, four):
    carriers.ensure_defaults(session)
    session.commit()
    selection = start(operator, [four["A"]])
    headers = {"HX-Request": "true", "HX-Target": "ship-export"}
    preview = operator.get("/shipping/export/", headers=headers, query_string={
        "selection": selection, **settings(session)})
    assert preview.status_code == 200, preview.get_data(as_text=True)[-3000:]
    fragment = preview.get_data(as_text=True)
    assert fragment.lstrip().startswith('<div id="ship-export"') and 'data-step="2"' in fragment
    assert "1件を出力します" in fragment and 'name="csrf_token"' in fragment
    back = operator.get("/shipping/export/", headers=headers,
                        query_string={"selection": selection})
    assert 'data-step="1"' in back.get_data(as_text=True)
