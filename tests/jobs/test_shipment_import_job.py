"""出荷確定インポート of more rows than a request applies: 取り込む records a job, a real
worker confirms the rows chunk by chunk, and the result page follows it."""

import io
import re

import sqlalchemy as sa

from oms.models import JobState, Notification, Order, OrderStatus, Shipment, ShipmentImport
from oms.services.shipment_import import DIRECT_ROWS
from tests.conftest import csrf_token
from tests.jobs.test_bulk_jobs import insert_orders

S = OrderStatus


def test_a_large_import_runs_as_a_job_on_a_real_worker(auth, session, factory, run_worker):
    total = DIRECT_ROWS + 1
    ids = insert_orders(session, factory, total, status=S.shipping, carrier="ヤマト運輸")
    numbers = dict(session.execute(sa.select(Order.id, Order.order_number)).all())
    text = "".join(f"{numbers[order_id]},0,,{400000000000 + i}\r\n"
                   for i, order_id in enumerate(ids))
    auth.login("operator")
    client = auth.client
    checked = client.post("/orders/shipment-import", data={
        "csrf_token": csrf_token(client), "layout": "b2",
        "file": (io.BytesIO(text.encode("cp932")), "b2.csv")}, content_type="multipart/form-data")
    import_id = int(re.search(r"/shipment-imports/(\d+)$", checked.location).group(1))
    assert f'data-good-rows="{total}"' in client.get(checked.location).text

    applied = client.post(f"/orders/shipment-imports/{import_id}/apply",
                          data={"csrf_token": csrf_token(client)})
    session.expire_all()
    note = session.scalar(sa.select(Notification).where(Notification.kind == "shipment_import"))
    assert note.state is JobState.queued
    assert session.get(ShipmentImport, import_id).notification_id == note.id
    waiting_page = client.get(applied.location).text
    assert 'hx-trigger="every 1s"' in waiting_page and 'http-equiv="refresh"' in waiting_page

    run_worker(timeout=300)
    session.expire_all()
    note = session.get(Notification, note.id)
    assert note.state is JobState.succeeded, note.error
    assert (note.total, note.done, note.failed) == (total, total, 0)
    assert dict(session.execute(sa.select(Order.status, sa.func.count())
                                .group_by(Order.status)).all()) == {S.shipped: total}
    assert session.scalar(sa.select(sa.func.count()).select_from(Shipment)
                          .where(Shipment.import_id == import_id)) == total
    result = client.get(applied.location).text
    assert f'data-confirmed="{total}"' in result and "every 1s" not in result
