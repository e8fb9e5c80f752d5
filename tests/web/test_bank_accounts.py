"""設定 > 銀行振込の口座設定: admins add, edit, deactivate and reactivate the accounts
customers transfer to; accounts are never deleted; bad numbers and names are refused."""

import html

import pytest
import sqlalchemy as sa

from oms.models import AccountType, AuditEvent, BankAccount
from oms.services import bank_accounts
from tests.conftest import csrf_token, switch_to_english
from tests.html_forms import submitted

INDEX = "/settings/bank-accounts/"
NEW = "/settings/bank-accounts/new"
GOOD = {"bank_name": "三井住友銀行", "branch_name": "渋谷支店", "account_type": "ordinary",
        "account_number": "1234567", "holder_kana": "カ）サンプルショウジ", "position": "2"}


@pytest.fixture
def admin(client, auth):
    switch_to_english(client)
    assert auth.login("admin").status_code == 303
    return client


def _add(client, **changes):
    data = submitted(client.get(NEW).text, NEW)
    for name, value in {**GOOD, **changes}.items():
        data[name] = value
    return client.post(NEW, data=data)


def _accounts(session) -> list[BankAccount]:
    session.rollback()
    return session.scalars(sa.select(BankAccount).order_by(BankAccount.id)).all()


def _audit(session) -> list[tuple]:
    session.rollback()
    return session.execute(sa.select(AuditEvent.action, AuditEvent.field, AuditEvent.old_value,
                                     AuditEvent.new_value)
                           .where(AuditEvent.entity_type == "bank_account")
                           .order_by(AuditEvent.id)).all()


def test_add_an_account(admin, session):
    response = _add(admin)
    assert response.status_code == 303 and response.headers["Location"].endswith(INDEX)
    page = admin.get(INDEX).text
    assert "The bank account was saved." in page
    assert 'data-account="1234567" data-active="true"' in page
    assert "三井住友銀行" in page and "カ）サンプルショウジ" in page and "Ordinary" in page
    (account,) = _accounts(session)
    assert (account.bank_name, account.branch_name, account.account_type,
            account.account_number, account.holder_kana, account.position, account.active) == (
        "三井住友銀行", "渋谷支店", AccountType.ordinary, "1234567", "カ）サンプルショウジ", 2,
        True)
    assert _audit(session) == [("bank_account.create", None, None, None)]
    details = session.scalar(sa.select(AuditEvent.details)
                             .where(AuditEvent.action == "bank_account.create"))
    assert details == {**GOOD, "position": 2}


def test_edit_an_account(admin, session):
    _add(admin)
    (account,) = _accounts(session)
    url = f"/settings/bank-accounts/{account.id}/edit"
    data = submitted(admin.get(url).text, url)
    assert data["account_type"] == "ordinary" and data["account_number"] == "1234567"
    data["account_type"], data["account_number"] = "current", "0012345"
    data["holder_kana"] = "ヤマダ タロウ"
    assert admin.post(url, data=data).status_code == 303
    (account,) = _accounts(session)
    assert (account.account_type, account.account_number, account.holder_kana) == (
        AccountType.current, "0012345", "ヤマダ タロウ")
    assert [(a, f, old, new) for a, f, old, new in _audit(session)][1:] == [
        ("bank_account.update", "account_type", "ordinary", "current"),
        ("bank_account.update", "account_number", "1234567", "0012345"),
        ("bank_account.update", "holder_kana", "カ）サンプルショウジ", "ヤマダ タロウ"),
    ]


def test_deactivate_and_reactivate_never_delete(admin, session, in_english):
    _add(admin)
    _add(admin, account_number="7654321", position="1")
    first, second = _accounts(session)
    token = csrf_token(admin)
    response = admin.post(f"/settings/bank-accounts/{second.id}/deactivate",
                          data={"csrf_token": token})
    assert response.status_code == 303
    page = admin.get(INDEX).text
    assert "The bank account was deactivated." in page
    # Active accounts first, then by position.
    assert page.index('data-account="1234567"') < page.index('data-account="7654321"')
    assert 'data-account="7654321" data-active="false"' in page
    assert [a.active for a in _accounts(session)] == [True, False]
    assert bank_accounts.choices(session) == [
        (first.id, "三井住友銀行 渋谷支店 Ordinary 1234567 カ）サンプルショウジ")]

    admin.post(f"/settings/bank-accounts/{second.id}/reactivate", data={"csrf_token": token})
    assert [a.active for a in _accounts(session)] == [True, True]
    # Reactivated, it comes first again: position 1 before position 2.
    assert [i for i, _label in bank_accounts.choices(session)] == [second.id, first.id]
    assert [(f, new) for _a, f, _old, new in _audit(session)][2:] == [
        ("active", "False"), ("active", "True")]
    assert 'data-action="delete' not in admin.get(INDEX).text


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"account_number": "１２３４５６７"}, "account_number", "half-width digits (0-9)"),
    ({"account_number": "١٢٣"}, "account_number", "half-width digits (0-9)"),
    ({"account_number": "123456789"}, "account_number", "1 to 8 digits"),
    ({"account_number": "12-3456"}, "account_number", "1 to 8 digits"),
    ({"account_number": ""}, "account_number", "This field is required."),
    ({"holder_kana": "Yamada Taro"}, "holder_kana", "full-width katakana"),
    ({"holder_kana": "山田太郎"}, "holder_kana", "full-width katakana"),
    ({"holder_kana": "ｶ)ｻﾝﾌﾟﾙ"}, "holder_kana", "full-width katakana"),
    ({"bank_name": ""}, "bank_name", "This field is required."),
    ({"bank_name": "長" * 65}, "bank_name", "64"),
    ({"position": "-1"}, "position", "Enter a whole number from 0 to 9,999."),
    ({"account_type": "savings"}, "account_type", None),
])
def test_bad_input_is_refused_next_to_the_field(admin, session, changes, field, message):
    response = _add(admin, **changes)
    assert response.status_code == 422
    text = html.unescape(response.text)
    if message:
        assert message in text
    assert "field-error" in text
    assert _accounts(session) == [] and _audit(session) == []


def test_operators_are_refused(client, auth, session):
    account = BankAccount(bank_name="b", branch_name="b", account_type=AccountType.ordinary,
                          account_number="1", holder_kana="カ")
    session.add(account)
    session.commit()
    auth.login("operator")
    assert client.get(INDEX).status_code == 403
    assert client.get(NEW).status_code == 403
    token = csrf_token(client)
    assert client.post(NEW, data={**GOOD, "csrf_token": token}).status_code == 403
    assert client.post(f"/settings/bank-accounts/{account.id}/deactivate",
                       data={"csrf_token": token}).status_code == 403
    assert [a.active for a in _accounts(session)] == [True]
