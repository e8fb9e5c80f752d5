"""The payment screens through the real routes: 決済履歴 as a page (no JS) and in the dialog
(htmx), the 状態区分 badges and 「再オーソリが必要」 on the detail page, 支払い方法管理 (check 14)
and the NP ↔ NP wiz confirmation on the edit screen (check 13)."""

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from oms.models import (
    CardPlan,
    DeferredVariant,
    Order,
    OrderStatus,
    PaymentKind,
    PaymentMethod,
    PaymentStatus,
    TransactionKind,
    TransactionState,
)
from oms.models.base import utcnow
from tests.conftest import switch_to_english
from tests.html_forms import submitted

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


def test_payment_history_as_a_page_and_in_the_dialog(operator, factory, session, users):
    card = factory.payment_method(PaymentKind.card, card_plan=CardPlan.lump)
    order = factory.order(payment_method=card, payment_status=PaymentStatus.auth_failed)
    started = utcnow() - timedelta(minutes=5)
    factory.payment_transaction(order, TransactionKind.authorize, state=TransactionState.failed,
                                result_code="card_declined", message="カードが利用できません",
                                via="auto", created_at=started)
    factory.payment_transaction(order, TransactionKind.reauthorize, amount=1100,
                                external_ref="txn_42", user_id=users["operator"].id,
                                user_name="operator", via="screen",
                                created_at=started + timedelta(minutes=1))
    factory.payment_transaction(factory.order(), TransactionKind.capture)  # another order's
    session.commit()
    url = f"/orders/{order.order_number}/payments"

    detail = operator.get(f"/orders/{order.order_number}").text
    assert f'href="{url}" hx-get="{url}" hx-target="#dialog" data-action="payment-history"' \
        in detail
    assert 'data-badge="auth_failed"' in detail and "Credit NG" in detail

    page = operator.get(url)
    assert page.status_code == 200 and "<html" in page.text
    assert 'data-payment-rows="2"' in page.text
    text = page.text
    assert text.index('data-transaction-kind="reauthorize"') < text.index(
        'data-transaction-kind="authorize"')  # newest first
    for shown in ("Re-authorization", "Authorization", "Failed", "Succeeded", "card_declined",
                  "カードが利用できません", "txn_42", "¥1,100", "operator", "Automatic"):
        assert shown in text, shown

    fragment = operator.get(url, headers=DIALOG).text
    assert "<html" not in fragment and 'data-payment-rows="2"' in fragment

    empty = factory.order()
    session.commit()
    assert 'data-payment-rows="0"' in operator.get(f"/orders/{empty.order_number}/payments").text


def test_the_detail_page_says_when_a_reauthorization_is_needed(operator, factory, session):
    order = factory.order(reauth_required=True, payment_status=PaymentStatus.authorized)
    session.commit()
    page = operator.get(f"/orders/{order.order_number}").text
    assert 'data-flag="reauth-required"' in page and "data-reauth-required" in page
    assert 'data-badge="authorized"' in page and "Card authorized" in page


# ------------------------------------------------------------------ 支払い方法管理

INDEX = "/settings/payment-methods/"
NEW = "/settings/payment-methods/new"


def test_payment_methods_are_admin_only(operator):
    assert operator.get(INDEX).status_code == 403


def test_add_edit_and_deactivate_a_method_orders_keep(admin, factory, session):
    """Check 14: deactivating GMO後払い takes it out of the edit screen's choices; the
    order that uses it keeps it, and the list says how many orders use it."""
    data = submitted(admin.get(NEW).text, NEW)
    for name, value in {"code": "gmo", "name": "GMO後払い", "kind": "deferred_gmo",
                        "fee": "250", "gateway": "gmo", "deferred_variant": "gmo"}.items():
        data[name] = value
    assert admin.post(NEW, data=data).status_code == 303
    gmo = session.scalar(sa.select(PaymentMethod).where(PaymentMethod.code == "gmo"))
    assert (gmo.kind, gmo.fee, gmo.deferred_variant, gmo.active) == (
        PaymentKind.deferred_gmo, 250, DeferredVariant.gmo, True)

    url = f"/settings/payment-methods/{gmo.id}/edit"
    data = submitted(admin.get(url).text, url)
    data["card_plan"] = "installments"
    refused = admin.post(url, data=data)
    assert refused.status_code == 422 and "only to card payments" in refused.text
    data["card_plan"], data["fee"] = "", "300"
    assert admin.post(url, data=data).status_code == 303

    using = factory.order(payment_method=gmo, payment_status=PaymentStatus.unpaid)
    other = factory.order(payment_status=PaymentStatus.unpaid)
    session.commit()
    def offered(order) -> bool:
        page = admin.get(f"/orders/{order.order_number}/edit").text
        return re.search(rf'<option (selected )?value="{gmo.id}">GMO後払い \(fee ¥300\)<',
                         page) is not None

    assert offered(other)

    deactivate = f"/settings/payment-methods/{gmo.id}/deactivate"
    form = submitted(admin.get(INDEX).text, deactivate)
    assert admin.post(deactivate, data=form).status_code == 303
    listing = admin.get(INDEX).text
    assert 'data-method="gmo" data-active="false" data-orders="1"' in listing
    assert "1 orders use it and keep it" in listing and "Used by 1 orders" in listing
    assert not offered(other) and offered(using)
    session.expire_all()
    assert session.get(Order, using.id).payment_method_id == gmo.id

    # Choosing it anyway (an old page) is refused.
    url = f"/orders/{other.order_number}/edit"
    data = submitted(admin.get(url).text, url)
    data["payment_method_id"] = str(gmo.id)
    assert admin.post(url, data=data).status_code == 422


# ------------------------------------------------------------------ the edit screen

@pytest.mark.parametrize("headers", [{}, DIALOG], ids=["no-js", "htmx"])
def test_np_to_np_wiz_needs_the_tick_on_the_edit_screen(operator, factory, session, headers):
    """Check 13: without the tick, 422 with seed 002's reason and nothing saved."""
    np = factory.payment_method(PaymentKind.deferred_np, deferred_variant=DeferredVariant.np,
                                name="NP後払い")
    wiz = factory.payment_method(PaymentKind.deferred_np,
                                 deferred_variant=DeferredVariant.np_wiz, name="NP後払いwiz")
    order = factory.order(payment_method=np, status=OrderStatus.pending_review,
                          payment_status=PaymentStatus.deferred_approved, deferred_ref="NP-9")
    session.commit()
    url = f"/orders/{order.order_number}/edit"
    page = operator.get(url, headers=headers).text
    assert "data-np-confirmation" in page
    data = submitted(page, url)
    data["payment_method_id"] = str(wiz.id)
    refused = operator.post(url, data=data, headers=headers)
    assert refused.status_code == 422
    assert "make sure on the NP deferred payment admin screen" in refused.text
    session.expire_all()
    assert session.get(Order, order.id).payment_method_id == np.id

    data["np_cancel_confirmed"] = "y"
    saved = operator.post(url, data=data, headers=headers)
    assert saved.status_code == 303
    session.expire_all()
    assert session.get(Order, order.id).payment_method_id == wiz.id


@pytest.mark.parametrize("headers", [{}, DIALOG], ids=["no-js", "htmx"])
def test_a_method_change_on_the_edit_screen_takes_its_fee_and_recomputes_the_total(
        operator, factory, session, headers):
    """The fee of 支払い方法管理 and the total follow the method, as 決済方法 → 代引き
    does; an authorized card is voided first (seed 002), and the change turns 自動 off."""
    card = factory.payment_method(PaymentKind.card, card_plan=CardPlan.lump)
    cod = factory.payment_method(PaymentKind.cod, name="代金引換", fee=330)
    order = factory.order(payment_method=card, payment_status=PaymentStatus.authorized,
                          auto_advance=True)
    session.commit()
    url = f"/orders/{order.order_number}/edit"
    page = operator.get(url, headers=headers).text
    assert ("<html" in page) is not bool(headers)
    assert f'<option value="{cod.id}">代金引換 (fee ¥330)</option>' in page
    data = submitted(page, url)
    data["payment_method_id"] = str(cod.id)
    refused = operator.post(url, data=data, headers=headers)
    assert refused.status_code == 422 and "void the authorization" in refused.text
    session.expire_all()
    kept = session.get(Order, order.id)
    assert (kept.payment_method_id, kept.payment_fee, kept.total) == (card.id, 0, 1100)

    kept.payment_status = PaymentStatus.voided  # 取消 at the gateway
    session.commit()
    data = submitted(operator.get(url, headers=headers).text, url)
    data["payment_method_id"] = str(cod.id)
    saved = operator.post(url, data=data, headers=headers)
    assert saved.status_code == 303
    detail = operator.get(saved.headers["Location"], headers=headers).text
    assert "¥330" in detail and "¥1,430" in detail
    session.expire_all()
    changed = session.get(Order, order.id)
    assert (changed.payment_method_id, changed.payment_fee, changed.tax_10, changed.total,
            changed.payment_status, changed.auto_advance) == (
        cod.id, 330, 100, 1430, PaymentStatus.unpaid, False)


def test_installments_show_only_for_an_installment_method(operator, factory, session):
    split = factory.payment_method(PaymentKind.card, card_plan=CardPlan.installments)
    lump = factory.payment_method(PaymentKind.card, card_plan=CardPlan.lump)
    shown = factory.order(payment_method=split, installments=3)
    hidden = factory.order(payment_method=lump)
    session.commit()
    assert 'name="installments"' in operator.get(f"/orders/{shown.order_number}/edit").text
    assert 'name="installments"' not in operator.get(f"/orders/{hidden.order_number}/edit").text
