"""The workflow controls of one order (seeds 001, 003; SCOPE P1 acceptance checks 4 and 11):
進捗区分, 自動遷移, 入金日時 and 強制引当する on the edit screen; 状態区分, 入金確認 and
決済銀行変更 on the detail page. Without JS (plain forms, redirects) and with htmx
(fragments)."""

import re
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from oms.models import (
    AccountType,
    AllocationState,
    AuditEvent,
    BankAccount,
    LineStatus,
    LinkResult,
    Order,
    OrderLine,
    OrderStatus,
    PaymentKind,
    PaymentStatus,
    Sku,
    StatusHistory,
    Stock,
)
from oms.services import auto_advance, workflow
from oms.services.actor import Actor
from tests.web.test_nojs_and_fragments import assert_works_without_js
from tests.web.test_order_detail import edit_form, form_data

S, L = OrderStatus, LineStatus
MANUAL_NOTICE = "自動遷移を『手動』に切り替えました"
HTMX_PAGE = {"HX-Request": "true", "HX-Target": "order-detail"}
HTMX_DIALOG = {"HX-Request": "true", "HX-Target": "dialog"}


@pytest.fixture
def operator(auth):
    auth.login("operator")
    return auth.client


def linked_line(session, stock: int, n: int = 1) -> OrderLine:
    sku = Sku(code=f"S{n}", name=f"S{n}", price=1000)
    session.add(sku)
    session.flush()
    session.add(Stock(sku_id=sku.id, location="main", quantity=stock, allocated=0))
    return OrderLine(line_no=n, mall_product_code=sku.code, product_name="品", quantity=1,
                     unit_price=1000, sku_id=sku.id, link_result=LinkResult.ok,
                     status=L.preparing)


def audit_rows(session, order) -> list[tuple]:
    return session.execute(
        sa.select(AuditEvent.action, AuditEvent.field, AuditEvent.old_value,
                  AuditEvent.new_value, AuditEvent.username)
        .where(AuditEvent.entity_id == str(order.id)).order_by(AuditEvent.id)).all()


def reload(session, order) -> Order:
    session.expire_all()
    return session.get(Order, order.id)


def post_edit(client, order, headers=None, **changes):
    data = edit_form(client, order)
    data.update({name: [value] for name, value in changes.items()})
    return client.post(f"/orders/{order.order_number}/edit", data=data, headers=headers or {})


# ------------------------------------------------------------------ edit screen

def test_check_4_status_by_hand_then_back_to_automatic(operator, factory, session):
    order = factory.order(status=S.new, lines=[linked_line(session, stock=5)])
    session.commit()
    page = operator.get(f"/orders/{order.order_number}/edit").text
    offered = re.findall(r'<option[^>]*value="(\w+)"',
                         re.search(r'<select[^>]*id="status".*?</select>', page, re.S).group(0))
    assert offered == ["new", "awaiting_allocation", "ready_to_ship", "on_hold", "cancelled"]
    assert page.count('data-action="save-top"') == 1 and page.count('data-action="save"') == 1

    response = post_edit(operator, order, status="awaiting_allocation")
    assert response.status_code == 303, response.text[:2000]
    shown = operator.get(response.headers["Location"]).text
    assert MANUAL_NOTICE in shown and 'data-auto-advance="off"' in shown
    saved = reload(session, order)
    assert (saved.status, saved.auto_advance) == (S.awaiting_allocation, False)
    rows = audit_rows(session, order)
    assert ("order.update", "auto_advance", "true", "false", "operator") in rows
    assert ("order.status", "status", "new", "awaiting_allocation", "operator") in rows
    assert session.execute(sa.select(StatusHistory.from_status, StatusHistory.to_status,
                                     StatusHistory.via)
                           .where(StatusHistory.order_id == order.id,
                                  StatusHistory.line_id.is_(None))).all() == [
        ("new", "awaiting_allocation", "screen")]

    auto_advance.sweep(session)  # 手動: the sweep leaves it alone
    session.commit()
    assert reload(session, order).status is S.awaiting_allocation

    response = post_edit(operator, saved, auto_advance="1")
    assert response.status_code == 303
    assert MANUAL_NOTICE not in operator.get(response.headers["Location"]).text
    assert reload(session, order).auto_advance is True
    assert ("order.update", "auto_advance", "false", "true", "operator") in audit_rows(
        session, order)
    auto_advance.sweep(session)  # 自動 again: allocated from stock, then 出荷待ち
    session.commit()
    saved = reload(session, order)
    assert (saved.status, saved.allocation_state) == (S.ready_to_ship, AllocationState.allocated)


def test_back_to_automatic_moves_at_once_when_the_guards_hold(operator, factory, session):
    from oms.services import app_settings

    settings = app_settings.workflow(session)
    settings.allocation_mode = "off"
    app_settings.save_workflow(session, settings, Actor(None, "admin"))
    order = factory.order(status=S.awaiting_allocation, auto_advance=False)
    session.commit()
    assert post_edit(operator, order, auto_advance="1").status_code == 303
    assert reload(session, order).status is S.ready_to_ship  # no sweep needed


def test_a_status_not_offered_is_refused_and_a_moved_order_is_a_conflict(operator, factory,
                                                                         session):
    order = factory.order(status=S.new, remarks1=None)
    session.commit()
    refused = post_edit(operator, order, status="shipped", remarks1="x")
    assert refused.status_code == 422
    assert re.search(r'id="status-error"[^>]*>[^<]*出荷済', refused.text)
    for bad in ("bogus", "", "９"):
        assert post_edit(operator, order, status=bad).status_code == 422, bad
    saved = reload(session, order)
    assert (saved.status, saved.auto_advance, saved.remarks1) == (S.new, True, None)

    stale = edit_form(operator, order)
    workflow.change_status(session, saved, S.on_hold, Actor(None, "other"), manual=True)
    session.commit()
    stale["status"] = ["awaiting_allocation"]
    conflict = operator.post(f"/orders/{order.order_number}/edit", data=stale)
    assert conflict.status_code == 409 and "data-conflict" in conflict.text
    assert reload(session, order).status is S.on_hold


def test_paid_at_in_tokyo_time_and_cleared(operator, factory, session):
    order = factory.order(paid_at=None)
    session.commit()
    assert post_edit(operator, order, paid_at="2026-12-01T10:00").status_code == 303
    assert reload(session, order).paid_at == datetime(2026, 12, 1, 1, tzinfo=UTC)
    for hostile in ("9999-12-31T23:59", "0001-01-01T00:00", "2026-13-01T00:00"):
        response = post_edit(operator, order, paid_at=hostile)
        assert response.status_code == 422 and 'id="paid_at-error"' in response.text
    assert post_edit(operator, order, paid_at="").status_code == 303
    assert reload(session, order).paid_at is None


def test_force_allocation_ticked_and_unticked(operator, factory, session):
    order = factory.order(status=S.awaiting_allocation, lines=[linked_line(session, stock=0)])
    allocated = factory.order(allocation_state=AllocationState.allocated)
    session.commit()
    assert 'name="force_allocation"' not in operator.get(
        f"/orders/{allocated.order_number}/edit").text
    response = post_edit(operator, order, force_allocation="y")
    assert response.status_code == 303
    saved = reload(session, order)
    assert (saved.force_allocation, saved.allocation_state, saved.status) == (
        True, AllocationState.forced, S.ready_to_ship)
    assert ("order.force_allocation", "force_allocation", "False", "True", "operator") in (
        audit_rows(session, order))
    page = operator.get(f"/orders/{order.order_number}/edit").text
    assert re.search(r'<input[^>]*checked[^>]*name="force_allocation"|'
                     r'<input[^>]*name="force_allocation"[^>]*checked', page)

    data = edit_form(operator, saved)
    del data["force_allocation"]  # unticked: the browser sends nothing
    assert operator.post(f"/orders/{order.order_number}/edit", data=data).status_code == 303
    saved = reload(session, order)
    assert (saved.force_allocation, saved.allocation_state) == (False, AllocationState.none)


def test_edit_as_htmx_in_the_dialog(operator, factory, session):
    order = factory.order(status=S.new)
    session.commit()
    response = post_edit(operator, order, headers=HTMX_DIALOG, status="on_hold")
    assert response.status_code == 303
    fragment = operator.get(response.headers["Location"], headers=HTMX_DIALOG).text
    assert "<html" not in fragment and MANUAL_NOTICE in fragment
    assert 'data-order-status="on_hold"' in fragment
    refused = post_edit(operator, order, headers=HTMX_DIALOG, paid_at="9999-12-31T00:00")
    assert refused.status_code == 422 and "<html" not in refused.text
    assert 'id="paid_at-error"' in refused.text


def test_hostile_edit_values_never_500(operator, factory, session):
    order = factory.order(status=S.new)
    session.commit()
    for field, value, status in (("status", "new\x00", 400), ("auto_advance", "2", 422),
                                 ("auto_advance", "", 422), ("paid_at", "１２３", 422),
                                 ("status", "長" * 5000, 422)):
        response = post_edit(operator, order, **{field: value})
        assert response.status_code == status, (field, value)
    saved = reload(session, order)
    assert (saved.status, saved.auto_advance, saved.version) == (S.new, True, order.version)


# ------------------------------------------------------------------ detail page

def awaiting_lines() -> list[OrderLine]:
    return [OrderLine(line_no=n, mall_product_code=f"P-{n}", product_name=f"品{n}", quantity=1,
                      unit_price=1000, status=L.awaiting_payment) for n in (1, 2)]


@pytest.fixture
def o8(factory, session):
    """O8: a bank transfer waiting for the money, its lines 入金前; two accounts."""
    session.add_all([
        BankAccount(bank_name="みずほ銀行", branch_name="本店", account_type=AccountType.ordinary,
                    account_number="1111111", holder_kana="カ）オーエムエス", position=1),
        BankAccount(bank_name="三井住友銀行", branch_name="渋谷支店",
                    account_type=AccountType.current, account_number="2222222",
                    holder_kana="カ）オーエムエス", position=2),
        BankAccount(bank_name="閉鎖銀行", branch_name="旧支店", account_type=AccountType.ordinary,
                    account_number="3333333", holder_kana="カ）オーエムエス", position=3,
                    active=False),
    ])
    method = factory.payment_method(PaymentKind.prepaid_bank, name="銀行振込")
    order = factory.order(payment_method=method, status=S.awaiting_payment,
                          payment_status=PaymentStatus.unpaid, lines=awaiting_lines())
    session.commit()
    return order


def accounts(session) -> list[BankAccount]:
    return list(session.scalars(sa.select(BankAccount).order_by(BankAccount.position)))


def detail(client, order, headers=None) -> str:
    response = client.get(f"/orders/{order.order_number}", headers=headers or {})
    assert response.status_code == 200
    return response.text


CONFIRM = 'data-action="confirm-payment"'


def test_check_11_confirm_payment_without_js(operator, o8, session):
    page = detail(operator, o8)
    assert_works_without_js(page)
    assert CONFIRM in page and "入金確認" in page and 'data-badge="prepaid_paid"' not in page
    response = operator.post(f"/orders/{o8.order_number}/confirm-payment",
                             data=form_data(page, f"/orders/{o8.order_number}/confirm-payment"))
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/orders/{o8.order_number}#payment")
    shown = detail(operator, o8)
    assert "入金確認しました" in shown and CONFIRM not in shown
    assert 'data-badge="prepaid_paid"' in shown and "前払入金済" in shown
    assert 'data-order-status="new"' in shown
    saved = reload(session, o8)
    assert (saved.status, saved.payment_status) == (S.new, PaymentStatus.paid)
    assert [line.status for line in saved.lines] == [L.preparing, L.preparing]
    assert session.scalar(sa.select(sa.func.count()).select_from(StatusHistory).where(
        StatusHistory.order_id == o8.id, StatusHistory.line_id.is_not(None),
        StatusHistory.to_status == "preparing")) == 2
    # Pressed again (a second tab): refused, nothing changed.
    again = operator.post(f"/orders/{o8.order_number}/confirm-payment",
                          data=form_data(page, f"/orders/{o8.order_number}/confirm-payment"))
    assert again.status_code == 422 and "入金前ステータスの注文はありません" in again.text
    assert reload(session, o8).version == saved.version


def test_confirm_payment_with_htmx_swaps_the_order(operator, o8, session):
    page = detail(operator, o8)
    form = re.search(r'<form[^>]*confirm-payment[^>]*>', page).group(0)
    assert 'hx-target="#order-detail"' in form and 'hx-swap="outerHTML"' in form
    response = operator.post(f"/orders/{o8.order_number}/confirm-payment",
                             data=form_data(page, f"/orders/{o8.order_number}/confirm-payment"),
                             headers=HTMX_PAGE)
    assert response.status_code == 303
    fragment = detail(operator, o8, headers=HTMX_PAGE)
    assert fragment.lstrip().startswith("<article") and "<html" not in fragment
    assert 'id="order-detail"' in fragment and "入金確認しました" in fragment
    assert CONFIRM not in fragment and 'data-badge="prepaid_paid"' in fragment


def test_confirm_payment_is_refused_for_other_kinds(operator, factory, session):
    card = factory.order(lines=awaiting_lines(), payment_status=PaymentStatus.unpaid)
    session.commit()
    assert CONFIRM not in detail(operator, card)
    token = re.search(r'name="csrf-token" content="([^"]+)"', detail(operator, card)).group(1)
    response = operator.post(f"/orders/{card.order_number}/confirm-payment",
                             data={"csrf_token": token}, headers=HTMX_PAGE)
    assert response.status_code == 422 and "前払いの支払方法ではありません" in response.text
    assert "<html" not in response.text
    assert reload(session, card).payment_status is PaymentStatus.unpaid
    for number in ("0000000000", "9" * 30):
        assert operator.post(f"/orders/{number}/confirm-payment",
                             data={"csrf_token": token}).status_code == 404


def transfer_data(page: str, order, **changes) -> dict:
    data = form_data(page, f"/orders/{order.order_number}/transfer")
    data.update({name: [value] for name, value in changes.items()})
    return data


def test_check_11_change_the_paying_bank(operator, o8, session):
    first, second, _closed = accounts(session)
    page = detail(operator, o8)
    assert "<details" in page and 'data-action="change-transfer"' in page
    options = re.findall(r'<option[^>]*value="(\d*)"', re.search(
        r'<select[^>]*id="bank_account_id".*?</select>', page, re.S).group(0))
    assert options == ["", str(first.id), str(second.id)]  # no inactive account
    response = operator.post(f"/orders/{o8.order_number}/transfer", data=transfer_data(
        page, o8, payer_name="ヤマダ ハナコ", bank_account_id=str(second.id)))
    assert response.status_code == 303
    shown = detail(operator, o8)
    payment = re.search(r'<section[^>]*id="payment".*?</section>', shown, re.S).group(0)
    for text in ("ヤマダ ハナコ", "三井住友銀行", "渋谷支店", "当座", "2222222",
                 "カ）オーエムエス"):
        assert text in payment, text
    rows = audit_rows(session, o8)
    assert ("order.update", "payer_name", None, "ヤマダ ハナコ", "operator") in rows
    assert ("order.update", "bank_account_id", None, str(second.id), "operator") in rows


def test_a_refused_paying_bank_shows_the_message_in_the_open_popup(operator, o8, session):
    _first, second, closed = accounts(session)
    page = detail(operator, o8)
    for account_id in (str(closed.id), "999", "2147483648", "99999999999999999999", "٣"):
        response = operator.post(f"/orders/{o8.order_number}/transfer", data=transfer_data(
            page, o8, payer_name="ヤマダ", bank_account_id=account_id))
        assert response.status_code == 422, account_id
        assert 'id="bank_account_id-error"' in response.text
        assert re.search(r"<details[^>]*data-transfer[^>]*open", response.text)
    too_long = operator.post(f"/orders/{o8.order_number}/transfer", data=transfer_data(
        page, o8, payer_name="ヤ" * 101, bank_account_id=str(second.id)), headers=HTMX_PAGE)
    assert too_long.status_code == 422 and 'id="payer_name-error"' in too_long.text
    assert "<html" not in too_long.text
    nul = operator.post(f"/orders/{o8.order_number}/transfer", data=transfer_data(
        page, o8, payer_name="ヤマダ\x00", bank_account_id=str(second.id)))
    assert nul.status_code == 400
    saved = reload(session, o8)
    assert (saved.payer_name, saved.bank_account_id, saved.version) == (None, None, o8.version)


def test_change_the_paying_bank_with_htmx(operator, o8, session):
    _first, second, _closed = accounts(session)
    page = detail(operator, o8)
    response = operator.post(f"/orders/{o8.order_number}/transfer", headers=HTMX_PAGE,
                             data=transfer_data(page, o8, payer_name="ヤマダ ハナコ",
                                                bank_account_id=str(second.id)))
    assert response.status_code == 303
    fragment = detail(operator, o8, headers=HTMX_PAGE)
    assert "<html" not in fragment and "決済銀行を保存しました" in fragment
    assert "三井住友銀行" in fragment and "ヤマダ ハナコ" in fragment
