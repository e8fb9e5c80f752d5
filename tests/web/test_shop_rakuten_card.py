"""Settings → Shops: whether a Rakuten shop's card orders go through 楽天カード決済API
(SCOPE P4 G13), admins only and audited, JS off (Post/Redirect/Get) and on (htmx swaps
the section); the order's 決済状況変更 then offers the gateway's actions."""

import html

import pytest
import sqlalchemy as sa

from oms.models import AuditEvent, MallKind, OrderStatus, PaymentStatus, Shop
from oms.services.payments import rules
from tests.conftest import csrf_token
from tests.html_forms import submitted
from tests.web.test_shop_shipping_settings import admin  # noqa: F401 (Settings → Shops)

SECTION = {"HX-Request": "true", "HX-Target": "rakuten-card"}


def card_order(factory, session, shop):
    customer = factory.customer()
    order = factory.order(shop=shop, status=OrderStatus.pending_review,
                          payment_status=PaymentStatus.unpaid, customer=customer,
                          customer_card=factory.card(customer, gateway_token="tok_ok"),
                          total=8800)
    session.commit()
    return order


def offered(client, order) -> str:
    return html.unescape(client.get(f"/orders/{order.order_number}/payment").text)


@pytest.mark.parametrize("headers", [{}, SECTION], ids=["no-js", "htmx"])
def test_a_rakuten_shop_is_switched_to_the_card_api_and_back(admin, session, factory,  # noqa: F811
                                                             headers):
    shop = factory.shop(MallKind.rakuten)
    order = card_order(factory, session, shop)
    assert "The mall takes the payment" in offered(admin, order)
    page_url, url = f"/settings/shops/{shop.id}", f"/settings/shops/{shop.id}/rakuten-card"
    page = admin.get(page_url).text
    assert 'data-rakuten-card="off"' in page and "data-rakuten-card-not-ready" in page

    data = submitted(page, url)
    data["rakuten_card_api"] = "y"
    answer = admin.post(url, data=data, headers=headers)
    assert answer.status_code == 303 and answer.headers["Location"].endswith(page_url)
    shown = admin.get(answer.headers["Location"], headers=headers).text
    assert ("<html" in shown) is not bool(headers)  # htmx: the section alone
    assert 'data-rakuten-card="on"' in shown
    assert "now go through the Rakuten card payment API" in shown
    session.expire_all()
    assert rules.uses_rakuten_card(session.get(Shop, shop.id))
    audited = session.execute(sa.select(AuditEvent.field, AuditEvent.old_value,
                                        AuditEvent.new_value, AuditEvent.username)
                              .where(AuditEvent.entity_type == "shop")).all()
    assert audited == [("rakuten_card_api", "False", "True", "admin")]
    assert 'data-action="payment-authorize"' in offered(admin, order)

    data = submitted(shown, url)
    assert data.pop("rakuten_card_api") == "y"  # ticked: untick it
    assert admin.post(url, data=data, headers=headers).status_code == 303
    session.expire_all()
    assert not rules.uses_rakuten_card(session.get(Shop, shop.id))
    assert "The mall takes the payment" in offered(admin, order)


def test_the_switch_is_for_admins_and_rakuten_shops_only(client, auth, session, factory):
    rakuten, amazon = factory.shop(MallKind.rakuten), factory.shop(MallKind.amazon)
    session.commit()
    auth.login("operator")
    forged = {"rakuten_card_api": "y", "csrf_token": csrf_token(client)}
    assert client.post(f"/settings/shops/{rakuten.id}/rakuten-card",
                       data=forged).status_code == 403
    auth.logout()
    auth.login("admin")
    assert "data-rakuten-card" not in client.get(f"/settings/shops/{amazon.id}").text
    data = submitted(client.get(f"/settings/shops/{rakuten.id}").text,
                     f"/settings/shops/{rakuten.id}/rakuten-card")
    data["rakuten_card_api"] = "y"
    assert client.post(f"/settings/shops/{amazon.id}/rakuten-card",
                       data=data).status_code == 404
    session.expire_all()
    assert not any(rules.uses_rakuten_card(shop) for shop in (
        session.get(Shop, rakuten.id), session.get(Shop, amazon.id)))
    assert session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)
                          .where(AuditEvent.entity_type == "shop")) == 0
