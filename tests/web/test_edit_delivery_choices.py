"""The edit screen's 配送業者 / 配送方法 / お届け時間 come from 配送業者管理 (check 13): a
deactivated carrier leaves new choices while orders that use it keep it; without JS the
lists are grouped by carrier and a time the carrier lacks is a form error; with htmx the
lists follow the chosen carrier."""

import re

import pytest
import sqlalchemy as sa

from oms.models import AuditEvent, Carrier, Order
from oms.services import carrier_settings, carriers
from oms.services.actor import Actor
from tests.conftest import switch_to_english
from tests.html_forms import submitted


@pytest.fixture
def operator(client, auth):
    switch_to_english(client)
    auth.login("operator")
    return client


def _edit(client, order) -> tuple[str, str]:
    url = f"/orders/{order.order_number}/edit"
    return url, client.get(url).text


def _options(page: str, name: str) -> list[str]:
    select = re.search(rf'<select[^>]*name="{name}".*?</select>', page, re.S).group(0)
    return re.findall(r'<option[^>]*value="([^"]*)"', select)


def _chosen(page: str, name: str) -> list[tuple[str, str]]:
    """(optgroup, value) of the selected options of a select."""
    select = re.search(rf'<select[^>]*name="{name}".*?</select>', page, re.S).group(0)
    found, group = [], ""
    for tag in re.finditer(r'<optgroup label="([^"]*)"|<option([^>]*)>', select):
        if tag.group(1) is not None:
            group = tag.group(1)
        elif "selected" in tag.group(2):
            found.append((group, re.search(r'value="([^"]*)"', tag.group(2)).group(1)))
    return found


def test_lists_come_from_carrier_settings(operator, factory, session):
    order = factory.order(carrier="佐川急便", delivery_method="飛脚宅配便",
                          delivery_time_slot="午前中")
    session.commit()
    _, page = _edit(operator, order)
    assert _options(page, "carrier") == ["", "ヤマト運輸", "佐川急便", "日本郵便", "西濃運輸",
                                          "福山通運", "日本通運", "その他"]
    methods = _options(page, "delivery_method")
    assert {"宅急便", "宅急便コンパクト", "ネコポス", "飛脚宅配便", "ゆうパケット"} <= set(methods)
    assert '<optgroup label="佐川急便">' in page
    # 午前中 is offered by three carriers: only the order's carrier's is chosen.
    assert _chosen(page, "delivery_time_slot") == [("佐川急便", "午前中")]
    assert _chosen(page, "delivery_method") == [("佐川急便", "飛脚宅配便")]
    assert "data-carrier-settings" not in page  # the link is for admins
    # Yes/no radios offer their two values only (not the order's True beside them).
    assert 'value="True"' not in page and 'value="False"' not in page


def test_check_13_deactivated_carrier_kept_by_its_orders(operator, factory, session):
    carriers.ensure_defaults(session)
    old = factory.order(carrier="福山通運", delivery_method="福山便")
    new = factory.order(carrier="ヤマト運輸")
    fukuyama = session.scalar(sa.select(Carrier).where(Carrier.name == "福山通運"))
    carrier_settings.set_active(session, fukuyama, False, Actor(None, "admin", None, "web"))
    session.commit()
    assert "福山通運" not in _options(_edit(operator, new)[1], "carrier")
    assert "福山便" not in _options(_edit(operator, new)[1], "delivery_method")
    url, page = _edit(operator, old)
    assert "福山通運" in _options(page, "carrier")
    assert _chosen(page, "carrier") == [("", "福山通運")]
    assert _chosen(page, "delivery_method") == [("福山通運", "福山便")]
    data = submitted(page, url)
    data["remarks1"] = "そのまま"
    assert operator.post(url, data=data).status_code == 303
    session.expire_all()
    saved = session.get(Order, old.id)
    assert (saved.carrier, saved.delivery_method, saved.remarks1) == (
        "福山通運", "福山便", "そのまま")


def test_without_js_a_time_the_carrier_lacks_is_refused(operator, factory, session):
    order = factory.order(carrier="ヤマト運輸", delivery_method="宅急便",
                          delivery_time_slot="19-21時")
    session.commit()
    url, page = _edit(operator, order)
    data = submitted(page, url)
    data["carrier"] = "佐川急便"
    response = operator.post(url, data=data)
    assert response.status_code == 422
    assert "佐川急便 has no delivery time 19-21時." in response.text
    assert "佐川急便 has no delivery method 宅急便." in response.text
    # The refused choice is shown as it was sent, not as 指定なし.
    assert _chosen(response.text, "delivery_time_slot") == [("ヤマト運輸", "19-21時")]
    session.expire_all()
    assert session.get(Order, order.id).carrier == "ヤマト運輸"
    data["delivery_method"], data["delivery_time_slot"] = "飛脚宅配便", "18-21時"
    response = operator.post(url, data=data)
    assert response.status_code == 303, re.findall(r'field-error[^>]*>([^<]*)', response.text)
    session.expire_all()
    saved = session.get(Order, order.id)
    assert (saved.carrier, saved.delivery_method, saved.delivery_time_slot) == (
        "佐川急便", "飛脚宅配便", "18-21時")
    fields = set(session.scalars(sa.select(AuditEvent.field)
                                 .where(AuditEvent.entity_id == str(order.id))))
    assert {"carrier", "delivery_method", "delivery_time_slot"} <= fields


def test_an_odd_stored_time_does_not_block_other_edits(operator, factory, session):
    order = factory.order(carrier="ヤマト運輸", delivery_method="宅急便",
                          delivery_time_slot="夜間")
    session.commit()
    url, page = _edit(operator, order)
    data = submitted(page, url)
    data["delivery_method"] = "ネコポス"
    assert operator.post(url, data=data).status_code == 303
    session.expire_all()
    assert session.get(Order, order.id).delivery_method == "ネコポス"


def test_htmx_swaps_the_lists_of_the_chosen_carrier(operator, factory, session):
    order = factory.order(carrier="ヤマト運輸", delivery_method="宅急便",
                          delivery_time_slot="午前中")
    session.commit()
    _, page = _edit(operator, order)
    assert 'hx-get="/orders/' + order.order_number + '/edit/delivery"' in page
    fragment = operator.get(f"/orders/{order.order_number}/edit/delivery", query_string={
        "carrier": "佐川急便", "delivery_method": "宅急便", "delivery_time_slot": "午前中"},
        headers={"HX-Request": "true", "HX-Target": "delivery-choices"}).text
    assert fragment.lstrip().startswith("<div") or 'id="delivery-choices"' in fragment
    assert "<optgroup" not in fragment and "<html" not in fragment
    assert _options(fragment, "delivery_time_slot") == [
        "", "午前中", "12-14時", "14-16時", "16-18時", "18-21時"]
    assert _options(fragment, "delivery_method") == ["", "飛脚宅配便"]
    assert _chosen(fragment, "delivery_time_slot") == [("", "午前中")]
    assert _chosen(fragment, "delivery_method") == [("", "")]  # 宅急便 is not Sagawa's
    # Back to the order's own carrier: its own values are offered again.
    fragment = operator.get(f"/orders/{order.order_number}/edit/delivery", query_string={
        "carrier": "ヤマト運輸", "delivery_method": "宅急便"}).text
    assert _chosen(fragment, "delivery_method") == [("", "宅急便")]
    bad = operator.get(f"/orders/{order.order_number}/edit/delivery",
                       query_string={"carrier": "x" * 5000})
    assert bad.status_code == 200 and "<optgroup" in bad.text
