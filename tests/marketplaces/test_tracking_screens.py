"""荷物番号報告 on the screens (seed 001 §5, checks 6 and 7): the 出荷済 tab's 楽天/Amazon files
written by a job, the filter 未報告 / 報告中 / 報告済 / NG / 要確認, 再報告 in bulk and on the
order detail, whose shipping section shows each parcel and each report."""

import io
import zipfile
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from oms.models import (
    Notification,
    OrderStatus,
    ReportChannel,
    ReportState,
    TrackingReport,
)
from oms.services import tracking_reports
from tests.conftest import csrf_token
from tests.marketplaces.test_tracking_reports import ACTOR, report_of, shipped_order

CSV_SHOP = {"shipping": {"tracking_channel": "csv"}}


@pytest.fixture
def operator(auth):
    auth.login("operator")
    auth.client.post("/language", data={"lang": "en", "csrf_token": csrf_token(auth.client)})
    return auth.client


def _press(client, path: str, order_ids, search: str = "tab=done") -> int:
    response = client.post(path, data={"csrf_token": csrf_token(client), "scope": "selected",
                                       "search": search,
                                       "order_id": [str(i) for i in order_ids]})
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    return int(response.headers["Location"].rstrip("/").split("/")[-1])


def _download(client, session, note_id: int) -> tuple[str, bytes]:
    session.expire_all()
    note = session.get(Notification, note_id)
    assert note.state.value == "succeeded", (note.state, note.error)
    response = client.get(f"/notifications/{note_id}/download")
    assert response.status_code == 200
    data = response.get_data()
    response.close()
    return note.result_name, data


def test_check_6_rakuten_csv_for_a_shop_without_the_api(session, factory, make_mall,
                                                         operator, run_worker):
    mall = make_mall("rakuten", shop_settings=CSV_SHOP)
    order, shipment = shipped_order(factory, mall)
    order.mall_package_id = "12345"
    tracking_reports.request(session, [shipment.id], ACTOR)
    session.commit()
    assert session.scalar(sa.select(sa.func.count()).select_from(TrackingReport)) == 0
    assert session.scalar(sa.select(sa.func.count()).select_from(Notification)) == 0

    listed = operator.get("/orders/?tab=done&tracking_report=unreported")
    assert f'data-order-number="{order.order_number}"' in listed.get_data(as_text=True)
    note_id = _press(operator, "/orders/tracking/rakuten-csv", [order.id])
    run_worker()
    name, data = _download(operator, session, note_id)
    assert name.endswith(".csv")
    lines = data.decode("cp932").split("\r\n")
    assert lines[0] == "注文番号,送付先ID,発送明細ID,お荷物伝票番号,配送会社,発送日"
    assert lines[1] == f"{order.mall_order_id},12345,,123456789012,1001,2026-12-01"
    assert lines[2:] == [""]
    assert mall.order(order.mall_order_id)["tracking"] == []  # no API call
    file_report = report_of(session, shipment)
    assert (file_report.channel, file_report.state) == (ReportChannel.rakuten_csv,
                                                        ReportState.ok)
    listed = operator.get("/orders/?tab=done&tracking_report=reported")
    assert f'data-order-number="{order.order_number}"' in listed.get_data(as_text=True)


def test_check_7_amazon_tsv_of_two_orders(session, factory, make_mall, operator, run_worker):
    mall = make_mall("amazon", shop_settings=CSV_SHOP)
    first, _s1 = shipped_order(factory, mall, number="123456789012")
    second, _s2 = shipped_order(factory, mall, "その他", "AB-99")
    session.commit()
    note_id = _press(operator, "/orders/tracking/amazon-tsv", [first.id, second.id])
    run_worker()
    name, data = _download(operator, session, note_id)
    assert name.endswith(".txt")
    rows = data.decode("cp932").split("\r\n")
    assert rows[0] == "TemplateType=OrderFulfillment\tVersion=2011.1102"
    assert rows[1].split("\t")[:2] == ["注文番号", "注文商品番号"]
    assert rows[2] == ("order-id\torder-item-id\tquantity\tship-date\tcarrier-code\t"
                       "carrier-name\ttracking-number\tship-method")
    assert rows[3] == (f"{first.mall_order_id}\t\t\t2026-12-01\tYamato Transport\t\t"
                       "123456789012\t宅急便")
    assert rows[4] == f"{second.mall_order_id}\t\t\t2026-12-01\tOther\tその他\tAB99\t宅急便"
    assert rows[5:] == [""]


def test_several_shops_come_as_one_zip_and_api_reported_ones_are_left_out(
        session, factory, make_mall, operator, run_worker):
    shops = [make_mall("rakuten", shop_settings=CSV_SHOP) for _ in range(2)]
    orders = [shipped_order(factory, mall)[0] for mall in shops]
    api = make_mall("rakuten")
    done, shipment = shipped_order(factory, api)
    session.add(TrackingReport(shipment_id=shipment.id, order_id=done.id, shop_id=api.shop.id,
                               channel=ReportChannel.api, state=ReportState.ok))
    session.commit()
    note_id = _press(operator, "/orders/tracking/rakuten-csv",
                     [o.id for o in orders] + [done.id])
    run_worker()
    name, data = _download(operator, session, note_id)
    assert name.endswith(".zip")
    archive = zipfile.ZipFile(io.BytesIO(data))
    assert len(archive.namelist()) == 2
    assert all(m.shop.code in n for m, n in zip(shops, sorted(archive.namelist()), strict=True))
    assert "1 already reported through the API" in session.get(Notification, note_id).summary


def test_the_filter_and_the_detail_follow_each_report_state(session, factory, make_mall,
                                                            operator):
    mall = make_mall("rakuten")
    states = {}
    for progress, state, age in [("reporting", ReportState.pending, 5),
                                 ("check", ReportState.pending, 61),
                                 ("reported", ReportState.ok, 5),
                                 ("failed", ReportState.failed, 5)]:
        order, shipment = shipped_order(factory, mall)
        session.add(TrackingReport(
            shipment_id=shipment.id, order_id=order.id, shop_id=mall.shop.id,
            channel=ReportChannel.api, state=state, error="注文番号が存在しません。"
            if state is ReportState.failed else None,
            requested_at=datetime.now(UTC) - timedelta(minutes=age)))
        states[progress] = order
    states["unreported"], _s = shipped_order(factory, mall)
    session.commit()
    for progress, order in states.items():
        page = operator.get(f"/orders/?tab=done&tracking_report={progress}")
        found = page.get_data(as_text=True)
        assert page.status_code == 200
        assert [o.order_number for o in states.values()
                if f'data-order-number="{o.order_number}"' in found] == [order.order_number]
    assert operator.get("/orders/?tab=done&tracking_report=nope").status_code == 422

    detail = operator.get(f"/orders/{states['failed'].order_number}").get_data(as_text=True)
    assert 'data-report-state="failed"' in detail and "注文番号が存在しません。" in detail
    assert 'data-badge="tracking_failed"' in detail
    assert 'href="https://toi.kuronekoyamato.co.jp/cgi-bin/tneko?number01=123456789012"' \
        in detail
    assert 'data-action="report-tracking"' in detail
    reporting = operator.get(f"/orders/{states['check'].order_number}").get_data(as_text=True)
    assert 'data-report-state="check"' in reporting
    assert 'data-badge="tracking_reporting"' in reporting


def test_report_again_in_bulk_sends_what_failed_and_leaves_what_is_done(
        session, factory, make_mall, operator, run_worker):
    mall = make_mall("rakuten")
    failed, broken = shipped_order(factory, mall)
    done, fine = shipped_order(factory, mall)
    for order, shipment, state in ((failed, broken, ReportState.failed),
                                   (done, fine, ReportState.ok)):
        session.add(TrackingReport(shipment_id=shipment.id, order_id=order.id,
                                   shop_id=mall.shop.id, channel=ReportChannel.api,
                                   state=state, attempts=1))
    session.commit()
    note_id = _press(operator, "/orders/tracking/report-again", [failed.id, done.id])
    page = operator.get(f"/notifications/{note_id}").get_data(as_text=True)
    assert 'data-reported-again="1"' in page
    assert f'data-order-number="{done.order_number}" data-refused-order' in page
    assert "Already reported to the mall." in page
    run_worker()
    assert report_of(session, broken).state is ReportState.ok
    assert [t["number"] for t in mall.order(failed.mall_order_id)["tracking"]] == [
        "123456789012"]
    assert mall.order(done.mall_order_id)["tracking"] == []


def test_report_again_from_the_detail_page(session, factory, make_mall, operator,
                                           run_worker):
    mall = make_mall("rakuten")
    order, shipment = shipped_order(factory, mall)
    session.add(TrackingReport(shipment_id=shipment.id, order_id=order.id,
                               shop_id=mall.shop.id, channel=ReportChannel.api,
                               state=ReportState.failed, error="HTTP 500", attempts=3))
    session.commit()
    url = f"/orders/{order.order_number}/report-tracking"
    response = operator.post(url, data={"csrf_token": csrf_token(operator)})
    assert response.status_code == 303
    page = operator.get(response.headers["Location"]).get_data(as_text=True)
    assert "being reported to the mall again" in page
    assert 'data-report-state="reporting"' in page
    again = operator.post(url, data={"csrf_token": csrf_token(operator)})
    assert "The report is being sent." in operator.get(again.headers["Location"]).get_data(
        as_text=True)
    run_worker()
    assert report_of(session, shipment).state is ReportState.ok
    # Every number of the mall order is reported: nothing is left to wait for (000 ⑤).
    assert session.get(type(order), order.id).status is OrderStatus.completed
