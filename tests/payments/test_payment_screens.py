"""決済状況変更 through the real routes, JS off (pages, Post/Redirect/Get) and on (htmx
fragments in the dialog), and 設定 > 決済設定 (SCOPE P4 screens, G3, G14)."""

import html

import pytest
import sqlalchemy as sa

from oms.models import JobTarget, MallKind, Notification, Order, OrderStatus, PaymentStatus
from oms.models.payments import PaymentTransaction, TransactionKind
from oms.services.payments import settings
from tests.conftest import switch_to_english
from tests.html_forms import submitted

S, P = OrderStatus, PaymentStatus
DIALOG = {"HX-Request": "true", "HX-Target": "dialog"}


@pytest.fixture
def operator(client, auth):
    switch_to_english(client)
    auth.login("operator")
    return client


@pytest.fixture
def admin(client, auth):
    switch_to_english(client)
    auth.login("admin")
    return client


def card_order(factory, session, **kw):
    customer = factory.customer()
    card = factory.card(customer, gateway_token="tok_ok", last4="4242")
    values = {"status": S.new, "payment_status": P.authorized, "customer": customer,
              "customer_card": card, "total": 8800, "authorized_amount": 8800,
              "transaction_id": "tx_1"}
    order = factory.order(**(values | kw))
    session.commit()
    return order


def test_the_popup_offers_what_the_state_allows_and_a_capture_starts_the_job(
        operator, factory, session):
    order = card_order(factory, session)
    page = operator.get(f"/orders/{order.order_number}")
    assert f'href="/orders/{order.order_number}/payment"' in page.text
    popup = operator.get(f"/orders/{order.order_number}/payment", headers=DIALOG)
    assert popup.status_code == 200 and "<html" not in popup.text
    actions = set(html.unescape(popup.text).split('data-action="payment-')[1:])
    assert {a.split('"')[0] for a in actions} == {"reauthorize", "capture", "void"}
    url = f"/orders/{order.order_number}/payment/capture"
    confirm = operator.get(url)  # JS off: the confirmation is a page
    assert "<html" in confirm.text and "Capture the total?" in html.unescape(confirm.text)
    answer = operator.post(url, data=submitted(confirm.text, url))
    assert answer.status_code == 303
    assert answer.headers["Location"].endswith(f"/orders/{order.order_number}#payment")
    session.rollback()
    job = session.scalars(sa.select(Notification).where(Notification.kind == "payment")).one()
    assert session.scalar(sa.select(JobTarget.key).where(JobTarget.job_id == job.id)) == \
        f"order:{order.id}:capture:1"
    assert f"job #{job.id}" in operator.get(answer.headers["Location"]).text


def test_an_increased_total_is_refused_in_the_dialog_and_nothing_starts(
        operator, factory, session):
    order = card_order(factory, session, total=9900)
    url = f"/orders/{order.order_number}/payment/capture"
    confirm = operator.get(url, headers=DIALOG)
    answer = operator.post(url, data=submitted(confirm.text, url), headers=DIALOG)
    assert answer.status_code == 422 and "<html" not in answer.text
    assert "A re-authorization is needed for the increased amount." in answer.text
    session.rollback()
    assert session.scalar(sa.select(sa.func.count()).select_from(Notification)) == 0


def test_status_only_is_for_admins_needs_a_reason_and_skips_the_gateway(
        client, auth, factory, session):
    order = card_order(factory, session, payment_status=P.auth_failed)
    url = f"/orders/{order.order_number}/payment/manual_status"
    switch_to_english(client)
    auth.login("operator")
    assert client.get(url).status_code == 404  # not offered to operators
    auth.logout()
    auth.login("admin")
    form = submitted(client.get(url).text, url)
    form["status"] = "authorized"
    refused = client.post(url, data=form, headers=DIALOG)
    assert refused.status_code == 422 and "Enter the reason" in refused.text
    form["reason"] = "カード会社に確認済み"
    assert client.post(url, data=form).status_code == 303
    session.rollback()
    assert session.get(Order, order.id).payment_status is P.authorized
    row = session.scalars(sa.select(PaymentTransaction)).one()
    assert (row.kind, row.message, row.user_name) == (TransactionKind.manual_status,
                                                      "カード会社に確認済み", "admin")


def test_a_mall_order_offers_no_gateway_action(operator, factory, session):
    order = card_order(factory, session, shop=factory.shop(MallKind.amazon))
    popup = html.unescape(operator.get(f"/orders/{order.order_number}/payment").text)
    assert "The mall takes the payment" in popup
    assert operator.get(f"/orders/{order.order_number}/payment/capture").status_code == 404


def test_payment_settings_keep_the_key_encrypted(admin, app, session):
    url = "/settings/payments/"
    form = submitted(admin.get(url).text, url)
    form["endpoint"], form["api_key"] = "http://127.0.0.1:9/", "sk_test_123456789"
    form["auth_valid_days"] = "30"
    form.pop("auto_authorize", None)
    assert admin.post(url, data=form).status_code == 303
    session.rollback()
    stored = settings.read(session)
    assert (stored.endpoint, stored.auth_valid_days, stored.auto_authorize) == (
        "http://127.0.0.1:9/", 30, False)
    assert "sk_test" not in stored.api_key
    page = admin.get(url).text
    assert "sk_test_123456789" not in page and "••••6789" in page
    form = submitted(page, url)
    form["auth_valid_days"] = "0"
    assert admin.post(url, data=form).status_code == 422
