"""出荷確定インポート through the screens (JS off: plain forms and redirects; htmx: the result
block), and acceptance check 8: a number saved on the edit screen confirms the shipment."""

import io

import pytest
import sqlalchemy as sa

from oms.models import LineStatus, Order, OrderLine, OrderStatus, ShipmentImport
from tests.conftest import csrf_token
from tests.web.test_order_detail import edit_form

S = OrderStatus


@pytest.fixture
def operator(auth):
    auth.login("operator")
    return auth.client


def waiting(factory, session, **kw) -> Order:
    kw.setdefault("status", S.shipping)
    order = factory.order(carrier="ヤマト運輸", lines=[OrderLine(
        line_no=1, mall_product_code="P-1", product_name="りんご", quantity=1, unit_price=1000,
        status=LineStatus.awaiting_pickup)], **kw)
    session.commit()
    return order


def upload(client, text: str, layout: str = "generic", encoding: str = "cp932"):
    return client.post("/orders/shipment-import", data={
        "csrf_token": csrf_token(client), "layout": layout,
        "file": (io.BytesIO(text.encode(encoding)), "shipped.csv")},
        content_type="multipart/form-data")


def test_check_8_a_number_saved_on_the_edit_screen_ships_the_order(operator, factory, session):
    order = waiting(factory, session, status=S.ready_to_ship)
    data = edit_form(operator, order)
    data["tracking_number"] = ["12345"]
    refused = operator.post(f"/orders/{order.order_number}/edit", data=data)
    assert refused.status_code == 422
    assert "伝票番号の形式が違います（12桁）" in refused.text
    session.expire_all()
    assert session.get(Order, order.id).shipments == []

    data["tracking_number"] = ["1234-5678-9012"]
    saved = operator.post(f"/orders/{order.order_number}/edit", data=data)
    assert saved.status_code == 303, saved.text[:2000]
    session.expire_all()
    order = session.get(Order, order.id)
    assert order.status is S.shipped and order.auto_advance
    assert order.ship_confirmed_at is not None
    assert [s.tracking_number for s in order.shipments] == ["123456789012"]
    assert [line.status for line in order.lines] == [LineStatus.in_transit]


def test_upload_check_and_import_without_javascript(operator, factory, session):
    good, held = waiting(factory, session), waiting(factory, session, shipping_hold=True)
    page = operator.get("/orders/?tab=processing").text
    assert 'data-action="shipment-import"' in page and "出荷確定インポート" in page

    text = ("注文番号,配送伝票番号,配送業者,出荷日\r\n"
            f"{good.order_number},123456789012,ヤマト運輸,2026/12/01\r\n"
            f"{held.order_number},123456789013,ヤマト運輸,2026/12/01\r\n"
            "0000000000,123456789014,ヤマト運輸,2026/12/01\r\n")
    checked = upload(operator, text)
    assert checked.status_code == 303
    check_page = operator.get(checked.location).text
    assert 'data-good-rows="1"' in check_page and 'data-bad-rows="2"' in check_page
    assert "出荷停止中の注文です" in check_page and "注文番号が見つかりません" in check_page
    session.expire_all()
    assert session.get(Order, good.id).status is S.shipping

    import_id = session.scalar(sa.select(ShipmentImport.id))
    form = {"csrf_token": csrf_token(operator)}
    applied = operator.post(f"/orders/shipment-imports/{import_id}/apply", data=form)
    assert applied.status_code == 303
    assert applied.location.endswith(f"/orders/shipment-imports/{import_id}/result")
    result = operator.get(applied.location).text
    assert 'data-confirmed="1"' in result and 'data-status="shipped" data-count="1"' in result
    session.expire_all()
    assert session.get(Order, good.id).status is S.shipped
    assert session.get(Order, held.id).status is S.shipping

    again = operator.post(f"/orders/shipment-imports/{import_id}/apply", data=form,
                          follow_redirects=True)
    assert "すでに取り込み済み" in again.text
    checked_again = operator.get(f"/orders/shipment-imports/{import_id}").text
    assert "data-applied" in checked_again and "apply-shipment-import" not in checked_again


def test_the_result_block_comes_alone_for_htmx(operator, factory, session):
    order = waiting(factory, session)
    checked = upload(operator, f"{order.order_number},123456789012\r\n")
    import_id = int(checked.location.rsplit("/", 1)[1])
    operator.post(f"/orders/shipment-imports/{import_id}/apply",
                  data={"csrf_token": csrf_token(operator)})
    block = operator.get(f"/orders/shipment-imports/{import_id}/result",
                         headers={"HX-Request": "true", "HX-Target": "import-result"}).text
    assert block.lstrip().startswith('<div id="import-result"') and "<html" not in block


@pytest.mark.parametrize(("data", "message"), [
    (b"", "ファイルが空です"),
    (b"\x81\x7f\xff\xfe", "UTF-8でもShift_JIS"),
])
def test_a_bad_file_is_a_clear_message_and_changes_nothing(operator, session, data, message):
    response = operator.post("/orders/shipment-import", data={
        "csrf_token": csrf_token(operator), "layout": "b2",
        "file": (io.BytesIO(data), "bad.csv")}, content_type="multipart/form-data")
    assert response.status_code == 422 and message in response.text
    assert session.scalar(sa.select(sa.func.count()).select_from(ShipmentImport)) == 0


def test_an_unknown_layout_is_a_form_error(operator, session):
    response = operator.post("/orders/shipment-import", data={
        "csrf_token": csrf_token(operator), "layout": "x\u0663",
        "file": (io.BytesIO(b"1,2\r\n"), "a.csv")}, content_type="multipart/form-data")
    assert response.status_code == 422


def test_someone_elses_import_is_not_found(auth, make_user, factory, session):
    make_user("other")
    order = waiting(factory, session)
    auth.login("other")
    import_id = int(upload(auth.client, f"{order.order_number},123456789012\r\n")
                    .location.rsplit("/", 1)[1])
    auth.logout()
    auth.login("operator")
    assert auth.client.get(f"/orders/shipment-imports/{import_id}").status_code == 404
