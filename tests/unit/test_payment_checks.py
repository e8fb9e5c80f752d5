"""入金確認 and 決済銀行変更 of one order (seed 003, SCOPE P1 R8/R9)."""

import pytest
import sqlalchemy as sa

from oms.models import (
    AccountType,
    AuditEvent,
    BankAccount,
    LineStatus,
    OrderLine,
    OrderStatus,
    PaymentKind,
    PaymentStatus,
    StatusHistory,
)
from oms.services import app_settings, order_detail, payment_checks
from oms.services.actor import Actor
from oms.services.payment_checks import CheckRefused

pytestmark = pytest.mark.usefixtures("in_english")
S, L = OrderStatus, LineStatus


@pytest.fixture
def actor(users):
    user = users["operator"]
    return Actor(user.id, user.username, "192.0.2.7", "screen")


def awaiting_lines(count: int = 2) -> list[OrderLine]:
    return [OrderLine(line_no=n, mall_product_code=f"P-{n}", product_name="品", quantity=1,
                      unit_price=1000, status=L.awaiting_payment) for n in range(1, count + 1)]


def bank_order(factory, **kw):
    method = factory.payment_method(PaymentKind.prepaid_bank, name="銀行振込")
    defaults = {"payment_method": method, "status": S.awaiting_payment,
                "payment_status": PaymentStatus.unpaid, "lines": awaiting_lines()}
    return factory.order(**(defaults | kw))


def account(session, name: str, position: int, *, active: bool = True) -> BankAccount:
    row = BankAccount(bank_name=name, branch_name="渋谷支店", account_type=AccountType.ordinary,
                      account_number=f"{position:07d}", holder_kana="カ）サンプル",
                      position=position, active=active)
    session.add(row)
    session.flush()
    return row


def line_history(session, order):
    return session.execute(
        sa.select(StatusHistory.line_id, StatusHistory.from_status, StatusHistory.to_status,
                  StatusHistory.via)
        .where(StatusHistory.order_id == order.id, StatusHistory.line_id.is_not(None))
        .order_by(StatusHistory.id)).all()


def audited(session, order) -> dict[str, tuple]:
    rows = session.scalars(sa.select(AuditEvent).where(
        AuditEvent.entity_id == str(order.id), AuditEvent.action == "order.update"))
    return {r.field: (r.old_value, r.new_value, r.username) for r in rows}


def test_confirming_pays_moves_the_lines_and_advances_the_order(session, factory, actor):
    order = bank_order(factory)
    assert payment_checks.offers_confirm(order)
    assert payment_checks.confirm_payment(session, order, actor) == 2
    session.commit()
    assert order.status is S.new  # 入金待ち → 新規 by the engine, in the same transaction
    assert order.payment_status is PaymentStatus.paid and order.paid_at is not None
    assert [line.status for line in order.lines] == [L.preparing, L.preparing]
    assert line_history(session, order) == [
        (line.id, "awaiting_payment", "preparing", "screen") for line in order.lines]
    assert audited(session, order)["payment_status"] == ("unpaid", "paid", "operator")
    assert "paid_at" in audited(session, order)
    assert not payment_checks.offers_confirm(order)  # the button disappears
    assert order_detail.status_badges(order) == ["prepaid_paid"]


def test_with_allocation_off_the_lines_become_ready_to_ship(session, factory, actor):
    settings = app_settings.workflow(session)
    settings.allocation_mode = "off"
    app_settings.save_workflow(session, settings, actor)
    order = bank_order(factory, auto_advance=False)  # 手動: the order itself stays
    payment_checks.confirm_payment(session, order, actor)
    assert [line.status for line in order.lines] == [L.ready_to_ship, L.ready_to_ship]
    assert order.status is S.awaiting_payment and order.payment_status is PaymentStatus.paid


def test_a_given_payment_date_is_kept(session, factory, actor):
    from tests.conftest import aware

    paid = aware(2026, 12, 1, 1)
    order = bank_order(factory, paid_at=paid)
    payment_checks.confirm_payment(session, order, actor)
    assert order.paid_at == paid and "paid_at" not in audited(session, order)


def test_confirming_is_refused_without_a_waiting_line_or_for_other_kinds(session, factory,
                                                                         actor):
    done = bank_order(factory, lines=[OrderLine(
        line_no=1, mall_product_code="P", product_name="品", quantity=1, unit_price=1,
        status=L.preparing)])
    card = factory.order(lines=awaiting_lines(1), payment_status=PaymentStatus.unpaid)
    session.commit()
    for order, message in ((done, "No line"), (card, "Not a prepaid")):
        assert not payment_checks.offers_confirm(order)
        with pytest.raises(CheckRefused, match=message):
            payment_checks.confirm_payment(session, order, actor)
        session.rollback()
        assert order.payment_status is not PaymentStatus.paid
        assert line_history(session, order) == [] and audited(session, order) == {}


def test_changing_the_transfer_is_audited_with_the_account_names(session, factory, actor):
    first, second = account(session, "みずほ銀行", 1), account(session, "三井住友銀行", 2)
    account(session, "閉じた銀行", 3, active=False)
    order = bank_order(factory, bank_account_id=first.id)
    choices = payment_checks.account_choices(session, order)
    assert [value for value, _label in choices] == [first.id, second.id]
    assert payment_checks.change_transfer(session, order, " ヤマダ ハナコ ", second.id, actor)
    assert (order.payer_name, order.bank_account.bank_name) == ("ヤマダ ハナコ", "三井住友銀行")
    rows = session.scalars(sa.select(AuditEvent).where(AuditEvent.field == "bank_account_id"))
    (row,) = rows
    assert (row.old_value, row.new_value) == (str(first.id), str(second.id))
    assert row.details["new_label"].startswith("三井住友銀行 渋谷支店 Ordinary 0000002")
    assert audited(session, order)["payer_name"] == (None, "ヤマダ ハナコ", "operator")
    assert not payment_checks.change_transfer(session, order, "ヤマダ ハナコ", second.id, actor)


def test_unknown_inactive_or_huge_accounts_and_bad_payers_are_refused(session, factory, actor):
    closed = account(session, "閉じた銀行", 1, active=False)
    order = bank_order(factory)
    for account_id in (closed.id, 999, 2**31, 2**63 - 1):
        with pytest.raises(CheckRefused) as refused:
            payment_checks.change_transfer(session, order, "ヤマダ", account_id, actor)
        assert "active bank accounts" in refused.value.errors["bank_account_id"]
    for payer in ("ヤ" * 101, "ヤマダ\x00"):
        with pytest.raises(CheckRefused) as refused:
            payment_checks.change_transfer(session, order, payer, None, actor)
        assert "payer_name" in refused.value.errors
    assert order.payer_name is None and audited(session, order) == {}


def test_an_account_deactivated_later_stays_on_its_orders(session, factory, actor):
    kept = account(session, "旧銀行", 1)
    order = bank_order(factory, bank_account_id=kept.id)
    kept.active = False
    session.flush()
    assert [v for v, _ in payment_checks.account_choices(session, order)] == [kept.id]
    assert payment_checks.change_transfer(session, order, "ヤマダ", kept.id, actor)


def test_only_bank_transfers_have_a_paying_bank(session, factory, actor):
    konbini = factory.payment_method(PaymentKind.prepaid_konbini)
    order = bank_order(factory, payment_method=konbini)
    assert payment_checks.offers_confirm(order) and not payment_checks.offers_transfer(order)
    with pytest.raises(CheckRefused, match="bank transfer"):
        payment_checks.change_transfer(session, order, "ヤマダ", None, actor)


def test_status_badges_follow_the_data(session, factory):
    from oms.models import AllocationState

    deferred = factory.payment_method(PaymentKind.deferred_np)
    cases = [
        (bank_order(factory, payment_status=PaymentStatus.paid), ["prepaid_paid"]),
        (bank_order(factory), []),
        (factory.order(payment_method=deferred, payment_status=PaymentStatus.paid,
                       allocation_state=AllocationState.allocated),
         ["deferred_paid", "allocated"]),
        (factory.order(payment_status=PaymentStatus.paid,
                       allocation_state=AllocationState.partial), ["partial"]),
        (factory.order(allocation_state=AllocationState.forced), ["forced"]),
    ]
    for order, badges in cases:
        assert order_detail.status_badges(order) == badges
