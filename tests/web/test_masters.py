"""設定's lists through their screen (JS off and htmx), the edit screen's selects with their
links and the wrapping's amounts, お客様へのお知らせ (check 12), and 成果通知設定's tags."""

import html

import pytest
import sqlalchemy as sa

from oms.models import AuditEvent, HandlingStatus, Order, Wrapping
from tests.conftest import csrf_token, switch_to_english
from tests.web.test_order_detail import edit_form, form_data

URL = "/settings/lists/handling-statuses/"


@pytest.fixture
def admin(client, auth):
    switch_to_english(client)
    assert auth.login("admin").status_code == 303
    return client


def test_admin_adds_retires_and_cannot_delete_a_status_in_use(admin, session, factory):
    """Check 8 through the screens: add with its stamp, deletion refused, deactivate."""
    response = admin.post(URL + "new", data={"csrf_token": csrf_token(admin),
                                             "name": "発送完了", "position": "１",
                                             "stamps": "shipped"})
    assert response.status_code == 303
    status = session.scalar(sa.select(HandlingStatus).where(HandlingStatus.name == "発送完了"))
    assert (status.position, status.stamps.value, status.active) == (1, "shipped", True)
    for _ in range(12):
        factory.order(handling_status=status)
    session.commit()

    token = {"csrf_token": csrf_token(admin)}
    refused = admin.post(f"{URL}{status.id}/delete", data=token)
    assert refused.status_code == 422 and "Used by 12 orders" in refused.text
    # htmx: the list's block only, refusal included.
    headers = {"HX-Request": "true", "HX-Target": "master-list"}
    retired = admin.post(f"{URL}{status.id}/deactivate", data=token, headers=headers,
                         follow_redirects=True)
    assert retired.status_code == 200 and "<html" not in retired.text
    assert f'data-row="{status.id}" data-active="false"' in retired.text
    session.expire_all()
    assert session.get(HandlingStatus, status.id).active is False

    # No longer offered, still shown on the orders that use it.
    other = factory.order()
    session.commit()
    page = admin.get(f"/orders/{other.order_number}/edit").text
    assert "発送完了" not in page
    used = session.scalars(sa.select(Order).where(Order.handling_status_id == status.id)).first()
    page = admin.get(f"/orders/{used.order_number}/edit").text
    assert f'<option selected value="{status.id}">発送完了</option>' in page


def test_a_bad_row_is_refused_beside_its_field(admin, session):
    response = admin.post("/settings/lists/wrappings/new", data={
        "csrf_token": csrf_token(admin), "name": "", "fee": "-1", "tax_rate": "5"})
    assert response.status_code == 422
    assert response.text.count('class="field-error"') >= 2
    assert session.scalar(sa.select(sa.func.count()).select_from(Wrapping)) == 0
    assert admin.get("/settings/lists/nothing/").status_code == 404


def test_operators_may_not_open_the_lists(client, auth):
    auth.login("operator")
    assert client.get(URL).status_code == 403


def test_the_edit_screen_links_each_list_and_a_wrapping_sets_the_amounts(admin, session,
                                                                        factory):
    """Check 9 through the edit screen (JS off: a plain form post)."""
    session.add(Wrapping(name="のし紙", fee=100, tax_rate=10, position=1))
    order = factory.order(subtotal=1000, tax_10=100, total=1100)
    session.commit()
    page = admin.get(f"/orders/{order.order_number}/edit").text
    for slug in ("media", "attention-reasons", "handling-statuses", "tags", "wrappings",
                 "stock-locations"):
        assert f'href="/settings/lists/{slug}/" data-master-link="{slug}"' in page
    assert "のし紙 (¥100 excluding tax, 10%)" in html.unescape(page)
    form = edit_form(admin, order)
    form["wrapping"] = ["のし紙"]
    assert admin.post(f"/orders/{order.order_number}/edit", data=form).status_code == 303
    session.expire_all()
    saved = session.get(Order, order.id)
    assert (saved.wrapping_fee, saved.tax_10, saved.total) == (100, 110, 1210)


@pytest.mark.parametrize("htmx", [False, True])
def test_the_notice_to_the_customer_is_edited_on_the_detail_page(client, auth, session,
                                                                 factory, htmx):
    """Check 12: the same column the bulk 「お客様への返信」 writes, with an audit row."""
    auth.login("operator")
    order = factory.order(reply_to_customer=None)
    session.commit()
    url = f"/orders/{order.order_number}/notice"
    assert f'href="{url}"' in client.get(f"/orders/{order.order_number}").text
    headers = {"HX-Request": "true", "HX-Target": "dialog"} if htmx else {}
    page = client.get(url, headers=headers).text
    assert ("<html" in page) is not htmx
    data = form_data(page, url)
    data["reply_to_customer"] = ["本日発送いたしました。"]
    response = client.post(url, data=data, headers=headers)
    assert response.status_code == 303
    session.expire_all()
    assert session.get(Order, order.id).reply_to_customer == "本日発送いたしました。"
    row = session.scalar(sa.select(AuditEvent).where(AuditEvent.field == "reply_to_customer"))
    assert (row.username, row.new_value) == ("operator", "本日発送いたしました。")
    assert "本日発送いたしました。" in client.get(f"/orders/{order.order_number}").text


def test_a_conversion_url_with_an_unknown_tag_is_refused(admin, session):
    url = "/settings/lists/conversion-settings/new"
    data = {"csrf_token": csrf_token(admin), "name": "ASP", "method": "GET",
            "event": "order_created", "url": "https://asp.example/cv?o={受注番号}&x={foo}"}
    response = admin.post(url, data=data)
    assert response.status_code == 422 and "Unknown tags: {foo}" in response.text
    data["url"] = "https://asp.example/cv?o={受注番号}&t={合計}"
    assert admin.post(url, data=data).status_code == 303
