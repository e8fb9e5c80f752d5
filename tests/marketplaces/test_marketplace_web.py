"""The marketplace screens through the test client: per-row update and linking (htmx and
plain POST), the search-wide jobs, shipping-info send, inventory CSV, shop settings."""

import io
import re

import pytest
import sqlalchemy as sa

from oms.models import (
    AuditEvent,
    LineStatus,
    LinkResult,
    MallKind,
    Notification,
    Order,
    OrderLine,
    OrderStatus,
    Shipment,
    ShipmentLine,
    Shop,
    Sku,
    SkuMapping,
    Stock,
)
from oms.models.base import utcnow
from oms.services import mall_polling
from tests.conftest import csrf_token

S = OrderStatus


def _signed_in(auth, username: str):
    """Signed in, in English: these tests read the messages the screens show."""
    auth.login(username)
    auth.client.post("/language", data={"lang": "en", "csrf_token": csrf_token(auth.client)})
    return auth.client


@pytest.fixture
def operator(auth):
    return _signed_in(auth, "operator")


@pytest.fixture
def admin(auth):
    return _signed_in(auth, "admin")


def _line(code, n=1):
    return OrderLine(line_no=n, mall_product_code=code, product_name=code, quantity=2,
                     unit_price=500, status=LineStatus.preparing)


def _hx(trigger):
    return {"HX-Request": "true", "HX-Trigger": trigger, "HX-Target": ""}


def test_link_one_order_in_place_and_without_js(operator, factory, session):
    session.add(Sku(code="KNOWN", name="known", price=500))
    order = factory.order(lines=[_line("KNOWN"), _line("OLD-CODE", 2)])
    session.commit()
    data = {"csrf_token": csrf_token(operator), "search": "tab=new"}

    response = operator.post(f"/marketplaces/orders/{order.id}/link", data=data,
                             headers=_hx(f"link-{order.id}"))
    row = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in row
    assert row.lstrip().startswith(f'<tr data-order-number="{order.order_number}"')
    assert "FAIL" in row and "OLD-CODE" in row

    # The admin maps the old code; the plain form then links it OK and goes back.
    session.add(SkuMapping(shop_id=order.shop_id, product_code="OLD-CODE", option="",
                           sku_id=session.scalar(sa.select(Sku.id).where(Sku.code == "KNOWN"))))
    session.commit()
    response = operator.post(f"/marketplaces/orders/{order.id}/link", data=data)
    assert response.status_code == 303 and response.location.endswith("/orders/?tab=new")
    session.refresh(order)
    assert order.link_result is LinkResult.ok
    assert "(OK)" in operator.get(response.location).get_data(as_text=True)


def test_update_one_order_from_the_sandbox(operator, make_mall, session, adapter_for):
    mall = make_mall("rakuten")
    (mall_id,) = mall.generate(1, status="100")
    mall_polling.poll(session, mall.shop, adapter_for(mall.shop),
                   utcnow(), session.commit)
    order = session.scalar(sa.select(Order).where(
        Order.mall_order_id == mall_id))
    mall.event(mall_id, "cancel")
    response = operator.post(f"/marketplaces/orders/{order.id}/refresh",
                             data={"csrf_token": csrf_token(operator)},
                             headers=_hx(f"refresh-{order.id}"))
    assert response.status_code == 200
    assert "status-cancelled" in response.get_data(as_text=True)

    # A mall that fails answers with its message, in the row.
    mall.faults("500", "500", "500")
    response = operator.post(f"/marketplaces/orders/{order.id}/refresh",
                             data={"csrf_token": csrf_token(operator)},
                             headers=_hx(f"refresh-{order.id}"))
    assert "HTTP 500" in response.get_data(as_text=True)


def test_waiting_orders_are_not_updated_one_by_one(operator, factory, session):
    order = factory.order(status=S.awaiting_payment)
    session.commit()
    response = operator.post(f"/marketplaces/orders/{order.id}/refresh",
                             data={"csrf_token": csrf_token(operator)}, follow_redirects=True)
    assert "Waiting orders can only be confirmed or linked." in response.get_data(as_text=True)


@pytest.mark.parametrize(("path", "kind"), [("/marketplaces/refresh", "mall_refresh"),
                                            ("/marketplaces/link", "item_link")])
def test_search_wide_jobs_start_and_show_progress(operator, factory, session, path, kind):
    factory.order(buyer_name="abc")
    session.commit()
    response = operator.post(path, data={"csrf_token": csrf_token(operator),
                                         "scope": "search", "search": "tab=new&q=abc"})
    assert response.status_code == 303 and "/notifications/" in response.location
    note = session.scalars(sa.select(Notification)).one()
    assert note.kind == kind and note.params["search"] == "tab=new&q=abc"
    page = operator.get(response.location).get_data(as_text=True)
    assert 'data-job-state="' in page


def test_list_shows_the_marketplace_controls_per_tab(operator, factory, session):
    factory.order(status=S.ready_to_ship, shop=factory.shop(MallKind.amazon))
    session.commit()
    processing = operator.get("/orders/?tab=processing").get_data(as_text=True)
    for action in ("send-shipping", "inventory-download", "inventory-upload", "refresh-all",
                   "link-all", "refresh-order", "link-order"):
        assert f'data-action="{action}"' in processing, action
    assert "/area/shipping_info" not in processing and "/area/inventory" not in processing
    waiting = operator.get("/orders/?tab=waiting").get_data(as_text=True)
    assert 'data-action="refresh-all"' not in waiting


def test_shipping_info_for_ok_orders_and_refusal_with_reason(operator, factory, session):
    ok = factory.order(status=S.ready_to_ship, link_result=LinkResult.ok)
    failed = factory.order(status=S.awaiting_allocation, link_result=LinkResult.fail,
                           lines=[_line("NOPE")])
    failed.lines[0].link_result, failed.lines[0].link_error = LinkResult.fail, "no SKU"
    new = factory.order(status=S.new, link_result=LinkResult.ok)
    session.commit()
    data = {"csrf_token": csrf_token(operator), "scope": "selected", "search": "tab=processing",
            "order_id": [ok.id, failed.id, new.id]}
    response = operator.post("/marketplaces/shipping-info", data=data)
    assert response.status_code == 303  # the result is a page of its own (PRG)
    page = operator.get(response.location).get_data(as_text=True)
    assert 'data-sent="1"' in page and 'data-refused="2"' in page
    assert "NOPE: no SKU" in page
    shipment = session.scalars(sa.select(Shipment)).one()
    assert shipment.order_id == ok.id and shipment.carrier and shipment.method
    assert session.scalar(sa.select(ShipmentLine.quantity)) == ok.lines[0].quantity
    page = operator.post("/marketplaces/shipping-info", data=data,
                         follow_redirects=True).get_data(as_text=True)
    assert 'data-sent="0"' in page and "already registered" in page


@pytest.mark.parametrize(("encoding", "codec"), [("cp932", "cp932"), ("utf8", "utf-8-sig")])
def test_inventory_download_and_upload_round_trip(operator, factory, session, encoding, codec):
    sku = Sku(code="TEE-M", name="Tシャツ", price=2900)
    sku.stocks = [Stock(location="main", quantity=10, allocated=2)]
    session.add(sku)
    order = factory.order(status=S.ready_to_ship, lines=[_line("TEE-M")])
    order.lines[0].sku = sku
    factory.order(status=S.new, lines=[_line("NEW-ONLY")])
    session.commit()
    response = operator.post("/marketplaces/inventory/download", data={
        "csrf_token": csrf_token(operator), "scope": "search", "search": "tab=all",
        "encoding": encoding})
    assert response.status_code == 200 and response.mimetype == "text/csv"
    text = response.data.decode(codec)
    assert "NEW-ONLY" not in text  # processing orders only
    header, row = text.splitlines()[:2]
    assert header.startswith("Order number,") and ",TEE-M,main,10,2,8" in row

    # Edit the stock, add bad rows, upload in the same encoding.
    body = (text.replace(",TEE-M,main,10,2,8", ",TEE-M,main,25,2,8")
            + "x,1,P,,p,1,NOPE,main,5,,\r\n" + "x,1,P,,p,1,TEE-M,sub,many,,\r\n"
            + "x,1,P,,p,1,TEE-M,main,3,,\r\n")
    response = operator.post("/marketplaces/inventory/upload", data={
        "csrf_token": csrf_token(operator),
        "file": (io.BytesIO(body.encode(codec)), "stock.csv")},
        content_type="multipart/form-data")
    assert response.status_code == 303
    page = operator.get(response.location).get_data(as_text=True)
    assert 'data-bad-rows="3"' in page and 'data-good-rows="1"' in page
    assert [int(n) for n in re.findall(r'data-line="(\d+)"', page)] == [3, 4, 5]
    assert session.scalar(sa.select(Stock.quantity)) == 10  # nothing changed yet

    apply_url = re.search(r'action="([^"]+/apply)"', page).group(1)
    response = operator.post(apply_url, data={"csrf_token": csrf_token(operator)})
    assert response.status_code == 303
    session.expire_all()
    assert session.scalar(sa.select(Stock.quantity)) == 25
    again = operator.post(apply_url, data={"csrf_token": csrf_token(operator)},
                          follow_redirects=True)
    assert "already been applied" in again.get_data(as_text=True)


def test_inventory_upload_of_an_unreadable_file_changes_nothing(operator):
    response = operator.post("/marketplaces/inventory/upload", data={
        "csrf_token": csrf_token(operator),
        "file": (io.BytesIO(b"sku,location,stock\r\n\x81\x7f"), "bad.csv")},
        content_type="multipart/form-data")
    assert response.status_code == 422
    assert "neither UTF-8 nor Shift_JIS" in response.get_data(as_text=True)


def test_shop_settings_keep_credentials_secret(admin, factory, session, app):
    shop = factory.shop(MallKind.rakuten)
    session.commit()
    token = csrf_token(admin)
    secret = "service-secret-123456:license-key-abcdef"
    response = admin.post(f"/settings/shops/{shop.id}", data={
        "csrf_token": token, "api_endpoint": "http://127.0.0.1:8765/rakuten",
        "credentials": secret, "auto_confirm": "y", "active": "y", "poll_minutes": "3",
        "rate_per_second": "2.5", "lookback_days": "7",
        **_default_map_form(shop, {"800": "cancelled"})})
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    session.refresh(shop)
    assert shop.credentials and secret not in shop.credentials  # encrypted at rest
    assert shop.settings["status_map"] == {"800": "cancelled"}
    assert shop.settings["rate_per_second"] == 2.5 and shop.poll_minutes == 3
    page = admin.get(f"/settings/shops/{shop.id}").get_data(as_text=True)
    assert secret not in page and "••••cdef" in page
    assert secret not in admin.get("/settings/shops/").get_data(as_text=True)
    # Every changed setting is audited; the credentials only as replaced, never their value.
    audited = {row.field: row for row in session.scalars(sa.select(AuditEvent).where(
        AuditEvent.action == "shop.update", AuditEvent.entity_id == str(shop.id)))}
    assert set(audited) == {"api_endpoint", "auto_confirm", "poll_minutes", "rate_per_second",
                            "lookback_days", "status_map", "credentials"}
    assert audited["status_map"].new_value == "800→cancelled"
    assert audited["credentials"].details == {"credentials": "replaced"}
    assert all(secret not in str((r.old_value, r.new_value, r.details))
               for r in audited.values())
    assert audited["poll_minutes"].username == "admin" and audited["poll_minutes"].ip

    # Empty keeps the stored credentials; a bad address is refused with nothing changed.
    response = admin.post(f"/settings/shops/{shop.id}", data={
        "csrf_token": token, "api_endpoint": "not a url", "poll_minutes": "3",
        **_default_map_form(shop, {})})
    assert response.status_code == 422
    session.refresh(shop)
    assert shop.api_endpoint == "http://127.0.0.1:8765/rakuten"
    from oms.services import malls
    assert malls.credentials(shop, app.config["SECRET_KEY"]) == secret

    # A status mapped to nothing of ours is refused beside it, nothing changed or audited.
    before = session.scalar(sa.select(sa.func.count()).select_from(AuditEvent))
    response = admin.post(f"/settings/shops/{shop.id}", data={
        "csrf_token": token, "api_endpoint": "http://127.0.0.1:9999/rakuten",
        "poll_minutes": "3", **_default_map_form(shop, {"800": "nonsense"})})
    assert response.status_code == 422
    session.refresh(shop)
    assert shop.api_endpoint == "http://127.0.0.1:8765/rakuten"
    assert session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)) == before


def _default_map_form(shop: Shop, overrides: dict[str, str]) -> dict[str, str]:
    from oms.integrations.malls import ADAPTERS

    adapter = ADAPTERS[shop.kind.value]
    return {f"map-{code}": overrides.get(code, status.value)
            for code, status in adapter.default_map.items()}


def test_mapping_editor_and_csv_import(admin, factory, session):
    shop = factory.shop(MallKind.yahoo, code="yahoo1")
    session.add(Sku(code="MUG-1", name="mug", price=1800))
    session.commit()
    token = csrf_token(admin)
    response = admin.post("/settings/shops/mappings", data={
        "csrf_token": token, "shop_id": shop.id, "product_code": "mug-old", "option": "",
        "sku_code": "NOPE"})
    assert response.status_code == 422 and "No SKU has the code NOPE" in response.text
    response = admin.post("/settings/shops/mappings", data={
        "csrf_token": token, "shop_id": shop.id, "product_code": "mug-old", "option": "",
        "sku_code": "MUG-1"})
    assert response.status_code == 303
    csv = "shop,product_code,option,sku\r\nyahoo1,mug2,,MUG-1\r\nnope,x,,MUG-1\r\n"
    response = admin.post("/settings/shops/mappings/import", data={
        "csrf_token": token, "file": (io.BytesIO(csv.encode("cp932")), "m.csv")},
        content_type="multipart/form-data")
    assert response.status_code == 422 and 'data-line="3"' in response.text
    assert session.scalar(sa.select(sa.func.count()).select_from(SkuMapping)) == 1
    mapping = session.scalar(sa.select(SkuMapping))
    response = admin.post(f"/settings/shops/mappings/{mapping.id}/delete",
                          data={"csrf_token": token})
    assert response.status_code == 303
    actions = session.scalars(sa.select(AuditEvent.action).where(
        AuditEvent.entity_type == "sku_mapping").order_by(AuditEvent.id)).all()
    assert actions == ["sku_mapping.save", "sku_mapping.delete"]


def test_refresh_job_page_lists_the_orders_not_updated(operator, factory, session, users):
    from oms.models import JobState, JobTarget, TargetState

    done, failed = factory.order(), factory.order()
    note = factory.notification(users["operator"], kind="mall_refresh",
                                state=JobState.succeeded, total=2, done=2, failed=1)
    session.add_all([JobTarget(job_id=note.id, order_id=done.id,
                                state=TargetState.ok),
                     JobTarget(job_id=note.id, order_id=failed.id,
                                state=TargetState.failed,
                                error="Rakuten: 注文番号が存在しません。")])
    session.commit()
    page = operator.get(f"/notifications/{note.id}").get_data(as_text=True)
    url = re.search(r'href="([^"]+)" data-action="mall-outcomes"', page).group(1)
    page = operator.get(url).get_data(as_text=True)
    assert f'data-order-number="{failed.order_number}"' in page
    assert f'data-order-number="{done.order_number}"' not in page
    assert "注文番号が存在しません" in page
