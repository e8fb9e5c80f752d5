"""設定 > 配送業者管理: admins add and change carriers, their delivery methods and times;
a bad pattern or address is a form error; a name orders use is deactivated, never deleted
or renamed; every change is audited."""

import pytest
import sqlalchemy as sa

from oms.models import AuditEvent, Carrier, CarrierService, CarrierTimeSlot
from oms.services import carriers
from tests.conftest import switch_to_english
from tests.html_forms import submitted

INDEX = "/settings/carriers/"
NEW = "/settings/carriers/new"
GOOD = {"code": "kangaroo", "name": "カンガルー便", "file_format": "none",
        "amazon_code": "Other", "amazon_name": "Kangaroo", "rakuten_code": "1004",
        "tracking_url": "https://example.jp/track?no={number}", "tracking_pattern": r"\d{10}",
        "tracking_hint": "10桁", "cod_limit": "300000", "position": "9"}


@pytest.fixture
def admin(client, auth):
    switch_to_english(client)
    assert auth.login("admin").status_code == 303
    return client


def _post(client, url, **values):
    data = submitted(client.get(url).text, url)
    for name, value in values.items():
        data[name] = value
    return client.post(url, data=data)


def _carrier(session, name) -> Carrier:
    session.rollback()
    return session.scalar(sa.select(Carrier).where(Carrier.name == name))


def _audit(session, entity_type) -> list[tuple]:
    session.rollback()
    return session.execute(sa.select(AuditEvent.action, AuditEvent.field, AuditEvent.old_value,
                                     AuditEvent.new_value)
                           .where(AuditEvent.entity_type == entity_type)
                           .order_by(AuditEvent.id)).all()


def test_the_list_shows_the_defaults_in_order(admin):
    page = admin.get(INDEX).text
    codes = [code for code in ("yamato", "sagawa", "japanpost", "seino", "fukuyama", "nittsu",
                               "other") if f'data-carrier="{code}"' in page]
    assert len(codes) == 7
    assert page.index('data-carrier="yamato"') < page.index('data-carrier="fukuyama"')
    assert "宅急便コンパクト" in page and "19-21時" in page and "Yamato B2 Cloud" in page
    assert 'href="/settings/carriers/"' in admin.get("/settings").text


def test_operators_may_not_open_it(client, auth):
    auth.login("operator")
    assert client.get(INDEX).status_code == 403


def test_add_a_carrier_with_a_service_and_a_slot(admin, session):
    response = _post(admin, NEW, **GOOD)
    assert response.status_code == 303
    carrier = _carrier(session, "カンガルー便")
    assert (carrier.code, carrier.amazon_name, carrier.rakuten_code, carrier.tracking_pattern,
            carrier.cod_limit, carrier.position, carrier.active) == (
        "kangaroo", "Kangaroo", "1004", r"\d{10}", 300_000, 9, True)
    assert carriers.tracking_link(session, carrier.name, "12-3456-7890") == (
        "https://example.jp/track?no=1234567890")
    base = f"/settings/carriers/{carrier.id}"
    assert _post(admin, f"{base}/services/new", name="カンガルー便", slip_code="1",
                 cod_slip_code="").status_code == 303
    assert _post(admin, f"{base}/slots/new", label="夜間", b2_code="1921").status_code == 303
    carrier = _carrier(session, "カンガルー便")
    assert [(s.name, s.slip_code, s.cod_slip_code) for s in carrier.services] == [
        ("カンガルー便", "1", None)]
    assert [(t.label, t.b2_code, t.ehiden_code) for t in carrier.time_slots] == [
        ("夜間", "1921", None)]
    assert [row[0] for row in _audit(session, "carrier")] == ["carrier.create"]
    assert [row[0] for row in _audit(session, "carrier_service")] == ["carrier_service.create"]
    page = admin.get(base).text
    assert 'data-row="カンガルー便"' in page and 'data-row="夜間"' in page


@pytest.mark.parametrize(("field", "value", "message"), [
    ("tracking_pattern", r"\d{12}(", "not a valid regular expression"),
    ("tracking_pattern", "(" * 90, "not a valid regular expression"),
    ("tracking_url", "https://example.jp/track", "{number}"),
    ("tracking_url", "javascript:alert(1)//{number}", "{number}"),
    ("rakuten_code", "１００１", "half-width"),
    ("code", "Yamato Transport", "lower-case"),
    ("name", "ヤマト運輸", "already has this name"),
    ("cod_limit", "9" * 30, "whole number"),
])
def test_bad_input_is_a_form_error_and_saves_nothing(admin, session, field, value, message):
    response = _post(admin, NEW, **{**GOOD, field: value})
    assert response.status_code == 422
    assert message in response.text and 'class="field-error"' in response.text
    assert _carrier(session, "カンガルー便") is None


def test_edit_a_carrier_audits_each_change(admin, session):
    carriers.ensure_defaults(session)
    session.commit()
    yamato = _carrier(session, "ヤマト運輸")
    url = f"/settings/carriers/{yamato.id}"
    assert _post(admin, url, rakuten_code="1011", tracking_pattern=r"\d{12}|\d{14}",
                 amazon_code="Yamato Transport").status_code == 303
    yamato = _carrier(session, "ヤマト運輸")
    assert (yamato.rakuten_code, yamato.tracking_pattern) == ("1011", r"\d{12}|\d{14}")
    assert _audit(session, "carrier") == [
        ("carrier.update", "rakuten_code", "1001", "1011"),
        ("carrier.update", "tracking_pattern", r"\d{12}", r"\d{12}|\d{14}")]
    response = _post(admin, url, tracking_pattern="[0-9")
    assert response.status_code == 422 and "not a valid regular expression" in response.text
    assert _carrier(session, "ヤマト運輸").tracking_pattern == r"\d{12}|\d{14}"


def test_in_use_it_is_deactivated_not_deleted_nor_renamed(admin, session, factory):
    carriers.ensure_defaults(session)
    for _ in range(3):
        factory.order(carrier="福山通運", delivery_method="福山便")
    session.commit()
    fukuyama = _carrier(session, "福山通運")
    url = f"/settings/carriers/{fukuyama.id}"
    page = admin.get(url).text
    assert 'data-in-use="3"' in page and "In use by 3 orders" in page
    assert 'action="' + url + '/delete"' not in page
    response = _post(admin, url, name="福山")
    assert response.status_code == 422 and "Used by 3 orders" in response.text
    # Even posted by hand, deleting is refused with the count.
    data = submitted(page, url + "/deactivate")
    assert admin.post(url + "/delete", data=data).status_code == 303
    assert "Used by 3 orders" in admin.get(url).text
    assert _carrier(session, "福山通運") is not None
    assert admin.post(url + "/deactivate", data=data).status_code == 303
    assert "The 3 orders that use it keep it." in admin.get(url).text
    assert not _carrier(session, "福山通運").active
    assert _audit(session, "carrier")[-1] == ("carrier.update", "active", "True", "False")
    assert 'data-carrier="fukuyama" data-active="false"' in admin.get(INDEX).text
    assert "福山通運" not in [c.name for c in carriers.listed(session)]


def test_unused_slot_is_deleted_and_a_used_one_deactivated(admin, session, factory):
    carriers.ensure_defaults(session)
    factory.order(carrier="佐川急便", delivery_time_slot="午前中")
    session.commit()
    sagawa = _carrier(session, "佐川急便")
    slots = {t.label: t.id for t in sagawa.time_slots}
    url = f"/settings/carriers/{sagawa.id}"
    data = submitted(admin.get(url).text, f"{url}/slots/{slots['12-14時']}/delete")
    assert admin.post(f"{url}/slots/{slots['12-14時']}/delete", data=data).status_code == 303
    assert admin.post(f"{url}/slots/{slots['午前中']}/delete", data=data).status_code == 303
    session.rollback()
    left = session.scalars(sa.select(CarrierTimeSlot.label)
                           .where(CarrierTimeSlot.carrier_id == sagawa.id)).all()
    assert "12-14時" not in left and "午前中" in left
    response = _post(admin, f"{url}/services/new", name="飛脚宅配便", slip_code="000")
    assert response.status_code == 422 and "already has" in response.text
    assert session.scalar(sa.select(sa.func.count()).select_from(CarrierService)
                          .where(CarrierService.carrier_id == sagawa.id)) == 1
    assert admin.post(f"{url}/gadgets/1/delete", data=data).status_code == 404
