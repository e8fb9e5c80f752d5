"""The 後払い screens through the real routes (SCOPE P4 G7, G8, G11): the list's control →
the preview (a full page without JavaScript, the #deferred-export fragment for htmx) → 出力
(the job run in-process, its file downloaded) → the sandbox's answer uploaded, checked and
imported; a file that is not a result file refused with the reason."""

import io
import re
from datetime import timedelta

import pytest
from flask_babel import force_locale

from oms.models import Order, OrderStatus, PaymentKind, PaymentStatus, ShipReportState
from oms.services import runner
from tests.conftest import csrf_token
from tests.marketplaces.conftest import sandbox  # noqa: F401 (the fixture)
from tests.unit.test_deferred_payments import BUYER

S, P = OrderStatus, PaymentStatus


@pytest.fixture
def operator(auth):
    auth.login("operator")
    return auth.client


@pytest.fixture
def orders(session, factory):
    np = factory.payment_method(PaymentKind.deferred_np, name="NP後払い")
    made = [factory.order(status=S.pending_review, payment_status=P.unpaid, payment_method=np,
                          buyer_name=name, **BUYER) for name in ("山田 太郎", "保留 花子")]
    made.append(factory.order(status=S.pending_review, payment_status=P.unpaid, **BUYER))
    session.commit()
    return made


def test_register_and_import_the_credit_result(operator, session, orders, sandbox):  # noqa: F811
    a, b, card = orders
    response = operator.post("/payments/deferred/credit/start", data={
        "csrf_token": csrf_token(operator), "scope": "selected", "search": "tab=waiting",
        "order_id": [str(o.id) for o in orders]})
    assert response.status_code == 303
    preview = response.location
    assert re.fullmatch(r"/payments/deferred/credit/\?selection=\d+", preview)

    page = operator.get(preview).get_data(as_text=True)
    assert "<html" in page and 'data-to-export="2"' in page
    assert f'data-order-number="{card.order_number}">{card.order_number}: ' in page
    fragment = operator.get(preview + "&gateway=gmo", headers={
        "HX-Request": "true", "HX-Target": "deferred-export"})
    assert "<html" not in fragment.get_data(as_text=True)
    assert 'data-gateway="gmo"' in fragment.get_data(as_text=True)
    assert 'data-to-export="0"' in fragment.get_data(as_text=True)  # no GMO order here

    selection = re.search(r"selection=(\d+)", preview).group(1)
    response = operator.post("/payments/deferred/credit/run", data={
        "csrf_token": csrf_token(operator), "selection": selection, "gateway": "np"})
    job_id = int(re.fullmatch(r"/notifications/(\d+)", response.location).group(1))
    with force_locale("ja"):
        runner.run_lane(session, job_id, lease=timedelta(minutes=2))
    download = operator.get(f"/notifications/{job_id}/download")
    data = download.data
    download.close()
    assert data.decode("cp932").count(a.order_number) == 2  # the goods line and the tax

    result = sandbox.deferred_file("np", "transactions", data)
    response = operator.post("/payments/deferred/credit/import", data={
        "csrf_token": csrf_token(operator), "gateway": "np",
        "file": (io.BytesIO(result), "result.csv")}, content_type="multipart/form-data")
    assert response.status_code == 303
    page = operator.get(response.location).get_data(as_text=True)
    assert 'data-good-rows="2"' in page and 'data-code="10">1<' in page
    apply = re.search(r'action="(/payments/deferred/imports/\d+/apply)"', page).group(1)
    response = operator.post(apply, data={"csrf_token": csrf_token(operator)})
    assert response.status_code == 303
    assert "data-applied" in operator.get(response.location).get_data(as_text=True)
    session.expire_all()
    assert session.get(Order, a.id).status is S.new
    assert session.get(Order, b.id).payment_status is P.deferred_hold

    again = operator.post("/payments/deferred/credit/import", data={
        "csrf_token": csrf_token(operator), "gateway": "np",
        "file": (io.BytesIO(result), "result.csv")}, content_type="multipart/form-data")
    assert again.status_code == 422
    assert "取り込み済み" in again.get_data(as_text=True)


def test_a_file_of_another_kind_is_refused(operator):
    response = operator.post("/payments/deferred/ship/import", data={
        "csrf_token": csrf_token(operator), "gateway": "gmo",
        "file": (io.BytesIO("注文番号,配送伝票番号\r\n1,2\r\n".encode()), "a.csv")},
        content_type="multipart/form-data")
    assert response.status_code == 422
    assert "gmoTransactionId, result, message" in response.get_data(as_text=True)


def test_the_controls_on_their_tabs(operator, orders):
    waiting = operator.get("/orders/?tab=waiting").get_data(as_text=True)
    assert 'data-action="deferred-credit"' in waiting
    done = operator.get("/orders/?tab=done").get_data(as_text=True)
    assert 'data-action="deferred-ship"' in done and 'data-action="deferred-credit"' not in done


def test_the_detail_shows_the_ship_report_ng(operator, session, factory):
    """Check 12's badge: 出荷報告NG with the provider's message."""
    order = factory.order(status=S.shipped, deferred_ref="19000000001",
                          ship_report_state=ShipReportState.ng,
                          ship_report_error="伝票番号が確認できません")
    session.commit()
    page = operator.get(f"/orders/{order.order_number}").get_data(as_text=True)
    assert '<span class="badge" data-ship-report="ng">出荷報告NG</span>' in page
    assert "伝票番号が確認できません" in page and "19000000001" in page
