"""Settings → Shops, 配送: the sender printed on labels, the B2 codes and the tracking
report channel are validated, saved in the shop's settings and audited."""

import pytest
import sqlalchemy as sa

from oms.models import AuditEvent, MallKind, Shop
from oms.services import shop_shipping
from oms.services.shop_shipping import TrackingChannel
from tests.conftest import switch_to_english
from tests.html_forms import submitted


@pytest.fixture
def admin(client, auth):
    switch_to_english(client)
    assert auth.login("admin").status_code == 303
    return client


@pytest.fixture
def rakuten(factory, session) -> Shop:
    shop = factory.shop(MallKind.rakuten)
    session.commit()
    return shop


def _post(client, shop, **values):
    url = f"/settings/shops/{shop.id}"
    data = submitted(client.get(url).text, url)
    for name, value in values.items():
        data[name] = value
    return client.post(url, data=data)


def test_shipping_settings_are_saved_and_audited(admin, session, rakuten):
    page = admin.get(f"/settings/shops/{rakuten.id}").text
    assert 'data-section="shipping"' in page and "注文番号,送付先ID" in page
    response = _post(admin, rakuten, sender_name="サンプル商店", sender_phone="03-1234-5678",
                     sender_postcode="1500002", sender_address1="東京都渋谷区渋谷2-1-1",
                     b2_billing_code="0123456789", b2_freight_no="01",
                     tracking_channel="csv")
    assert response.status_code == 303
    session.rollback()
    saved = shop_shipping.for_shop(session.get(Shop, rakuten.id))
    assert (saved.sender_name, saved.sender_postcode, saved.b2_billing_code,
            saved.b2_freight_no, saved.tracking_channel) == (
        "サンプル商店", "150-0002", "0123456789", "01", TrackingChannel.csv)
    fields = dict(session.execute(
        sa.select(AuditEvent.field, AuditEvent.new_value)
        .where(AuditEvent.entity_type == "shop", AuditEvent.field.like("shipping.%"))).all())
    assert fields == {"shipping.sender_name": "サンプル商店",
                      "shipping.sender_phone": "03-1234-5678",
                      "shipping.sender_postcode": "150-0002",
                      "shipping.sender_address1": "東京都渋谷区渋谷2-1-1",
                      "shipping.b2_billing_code": "0123456789", "shipping.b2_freight_no": "01",
                      "shipping.tracking_channel": "csv"}
    page = admin.get(f"/settings/shops/{rakuten.id}").text
    assert submitted(page, f"/settings/shops/{rakuten.id}")["tracking_channel"] == "csv"
    assert 'value="150-0002"' in page


@pytest.mark.parametrize(("field", "value", "message"), [
    ("b2_billing_code", "123456789", "10 to 12 half-width digits"),
    ("b2_billing_code", "１２３４５６７８９０", "10 to 12 half-width digits"),
    ("b2_freight_no", "1", "2 half-width digits"),
    ("sender_postcode", "１５０-０００２", "7 half-width digits"),
    ("sender_phone", "電話", "phone number"),
    ("rakuten_csv_header", "注文番号,送付先ID", "6 column names"),
    ("tracking_channel", "fax", "Not a valid choice"),
    ("sender_name", "名" * 5000, "32 characters"),
])
def test_bad_shipping_settings_are_refused(admin, session, rakuten, field, value, message):
    response = _post(admin, rakuten, **{field: value})
    assert response.status_code == 422 and message in response.text
    session.rollback()
    assert "shipping" not in (session.get(Shop, rakuten.id).settings or {})
