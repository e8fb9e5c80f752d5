"""Issue 11's whole flow, one order per mall kind, with JavaScript off and real workers
against the sandbox malls: 出荷待ち → 出荷指示 (B2 file) → 出荷中 → 出荷確定インポート of the
carrier's issued data → 出荷済 → the number reported at the mall → 完了."""

import io
import re

import pytest
import sqlalchemy as sa

from oms.models import (
    AllocationState,
    Carrier,
    LineStatus,
    Order,
    OrderLine,
    OrderStatus,
    ReportState,
    ShipmentImport,
    TrackingReport,
)
from oms.services import carriers
from tests.conftest import csrf_token
from tests.jobs.test_shipping_export import ADDRESS, TODAY
from tests.marketplaces.test_tracking_reports import READY

S = OrderStatus
MALL_CARRIER = {"rakuten": "1001", "amazon": "Yamato Transport", "qoo10": "ヤマト宅急便",
                "yahoo": "1"}


@pytest.fixture
def operator(auth):
    auth.login("operator")
    return auth.client


@pytest.mark.parametrize("kind", ["rakuten", "amazon", "qoo10", "yahoo"])
def test_an_order_goes_from_ready_to_reported_at_its_mall(kind, operator, session, factory,
                                                          make_mall, run_worker):
    mall = make_mall(kind)
    (mall_id,) = mall.generate(1, status=READY[kind])
    order = factory.order(
        shop=mall.shop, mall_order_id=mall_id, status=S.ready_to_ship, carrier="ヤマト運輸",
        delivery_method="宅急便", allocation_state=AllocationState.allocated, **ADDRESS,
        lines=[OrderLine(line_no=1, mall_product_code="P-1", product_name="りんご", quantity=1,
                         unit_price=1000, tax_rate=10, status=LineStatus.awaiting_pickup)])
    carriers.ensure_defaults(session)
    session.commit()
    yamato = session.scalar(sa.select(Carrier).where(Carrier.code == "yamato"))

    # 出荷指示: the list's control, the wizard's settings and preview, 出力, the job.
    started = operator.post("/shipping/export/start", data={
        "csrf_token": csrf_token(operator), "scope": "selected", "search": "tab=processing",
        "order_id": [str(order.id)]})
    selection = re.fullmatch(r"/shipping/export/\?selection=(\d+)", started.location).group(1)
    chosen = {"carrier": yamato.id, "service": yamato.services[0].id,
              "ship_date": TODAY.isoformat(), "encoding": "cp932"}
    preview = operator.get("/shipping/export/", query_string={"selection": selection, **chosen})
    assert preview.status_code == 200
    ran = operator.post("/shipping/export/run", data={
        "csrf_token": csrf_token(operator), "selection": selection, **chosen})
    job_id = int(re.fullmatch(r"/notifications/(\d+)", ran.location).group(1))
    run_worker()
    session.expire_all()
    assert session.get(Order, order.id).status is S.shipping
    exported = operator.get(f"/notifications/{job_id}/download")
    row = exported.data.decode("cp932").split("\r\n")[1].split(",")
    exported.close()
    assert row[0] == order.order_number

    # B2 gives the labels their numbers; its issued data comes back: column 1 + column 4.
    issued = f"{row[0]},{row[1]},,123456789012,{row[4]}\r\n".encode("cp932")
    checked = operator.post("/orders/shipment-import", data={
        "csrf_token": csrf_token(operator), "layout": "b2",
        "file": (io.BytesIO(issued), "b2-issued.csv")}, content_type="multipart/form-data")
    assert checked.status_code == 303, checked.text[:1000]
    assert 'data-good-rows="1"' in operator.get(checked.location).text
    import_id = session.scalar(sa.select(ShipmentImport.id))
    applied = operator.post(f"/orders/shipment-imports/{import_id}/apply",
                            data={"csrf_token": csrf_token(operator)})
    assert applied.status_code == 303
    session.expire_all()
    assert session.get(Order, order.id).status is S.shipped

    # The report job tells the mall; the order then has nothing left to wait for.
    run_worker()
    session.expire_all()
    told = mall.order(mall_id)["tracking"]
    assert [(r["carrier"], r["number"]) for r in told] == [(MALL_CARRIER[kind], "123456789012")]
    report = session.scalars(sa.select(TrackingReport)
                             .where(TrackingReport.order_id == order.id)).one()
    assert report.state is ReportState.ok
    assert session.get(Order, order.id).status is S.completed
    page = operator.get(f"/orders/{order.order_number}").text
    assert "123456789012" in page and "報告済" in page
