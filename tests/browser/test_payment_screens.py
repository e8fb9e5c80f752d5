"""決済履歴 and the edit screen's payment rules in a real browser: the history opens as a popup
over the detail page with JS and as a page of its own without; the NP ↔ NP wiz switch asks
for the confirmation tick first."""

import re

from playwright.sync_api import expect

from oms.models import (
    DeferredVariant,
    Order,
    OrderStatus,
    PaymentKind,
    PaymentStatus,
    TransactionKind,
    TransactionState,
)


def test_payment_history_and_the_np_confirmation(ui, users, factory, session):
    np = factory.payment_method(PaymentKind.deferred_np, deferred_variant=DeferredVariant.np,
                                name="NP後払い")
    wiz = factory.payment_method(PaymentKind.deferred_np,
                                 deferred_variant=DeferredVariant.np_wiz, name="NP後払いwiz")
    order = factory.order(payment_method=np, status=OrderStatus.pending_review,
                          payment_status=PaymentStatus.deferred_registered, deferred_ref="NP-7")
    factory.payment_transaction(order, TransactionKind.deferred_register, amount=order.total,
                                state=TransactionState.succeeded, external_ref="NP-7",
                                result_code="40", message="与信審査中", via="auto")
    session.commit()
    page = ui.page
    ui.login("operator")
    page.goto(f"/orders/{order.order_number}")
    expect(page.locator('[data-badge="deferred_registered"]')).to_have_text("与信待ち")

    page.locator('[data-action="payment-history"]').click()
    root = page.locator("dialog#dialog[open]") if ui.js else page
    if not ui.js:
        expect(page).to_have_url(re.compile(rf"/orders/{order.order_number}/payments$"))
    rows = root.locator("[data-payment-rows]")
    expect(rows).to_have_attribute("data-payment-rows", "1")
    expect(rows).to_contain_text("後払い取引登録")
    expect(rows).to_contain_text("与信審査中")
    ui.screenshot("payment-history")
    if ui.js:
        expect(page).to_have_url(re.compile(rf"/orders/{order.order_number}$"))  # a popup
        root.locator("[data-dialog-close]").first.click()
        expect(page.locator("dialog#dialog")).not_to_be_visible()

    page.goto(f"/orders/{order.order_number}/edit")
    page.locator("#payment_method_id").select_option(str(wiz.id))
    page.locator('[data-action="save"]').click()
    confirmation = page.locator("[data-np-confirmation]")
    expect(confirmation).to_contain_text("NP後払い管理画面上で当該取引がキャンセルされていることを確認ください")
    session.expire_all()
    assert session.get(Order, order.id).payment_method_id == np.id
    ui.errors[:] = [e for e in ui.errors if not e.startswith("422 ")]  # the refusal itself

    confirmation.locator("input[type=checkbox]").check()
    page.locator('[data-action="save"]').click()
    expect(page).to_have_url(re.compile(rf"/orders/{order.order_number}$"))
    expect(page.locator("#payment")).to_contain_text("NP後払いwiz")
    session.expire_all()
    assert session.get(Order, order.id).payment_method_id == wiz.id
    ui.assert_clean()
