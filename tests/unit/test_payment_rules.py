"""Seed 002's payment rules on the edit screen and seed 004's 決済方法 → 代引き, through the
services (SCOPE P4 checks 7 (the edit half), 11 (the mail intent), 13)."""

from datetime import date

import pytest
import sqlalchemy as sa

from oms.models import (
    CardPlan,
    DeferredVariant,
    JobTarget,
    MailEvent,
    MailTemplate,
    Notification,
    Order,
    OrderStatus,
    PaymentKind,
    PaymentStatus,
    ShipReportState,
    SystemMail,
    TargetState,
)
from oms.services import order_edit, payment_history, payment_methods
from oms.services.actor import Actor
from oms.services.order_edit import EditRefused, OrderEdit
from tests import bulk_support as bulk

TODAY = date(2026, 5, 1)
S = OrderStatus
pytestmark = pytest.mark.usefixtures("in_english")


@pytest.fixture
def actor(users):
    user = users["operator"]
    return Actor(user.id, user.username, "192.0.2.7", "screen")


def save(session, order, actor, edit: OrderEdit | None = None, **values):
    return order_edit.update_order(session, order, edit or OrderEdit(values=values), actor,
                                   version=order.version, today=TODAY)


# ------------------------------------------------------------------ the edit screen

def test_a_voided_card_order_may_change_method_and_turns_manual(session, factory, actor):
    """Check 7, the edit half: refused while authorized; after 取消 the change to COD is
    allowed, 自動遷移 becomes 手動 and the payment starts again as unpaid."""
    card = factory.payment_method(PaymentKind.card, card_plan=CardPlan.lump)
    cod = factory.payment_method(PaymentKind.cod)
    customer = factory.customer()
    order = factory.order(payment_method=card, customer_id=customer.id,
                          customer_card_id=factory.card(customer).id, auto_advance=True,
                          payment_status=PaymentStatus.authorized, status=S.pending_review)
    with pytest.raises(EditRefused) as refused:
        save(session, order, actor, payment_method_id=cod.id)
    assert "void the authorization" in refused.value.errors["payment_method_id"]

    order.payment_status = PaymentStatus.voided
    session.flush()
    save(session, order, actor, payment_method_id=cod.id)
    assert order.payment_method_id == cod.id and order.customer_card_id is None
    assert order.auto_advance is False
    assert order.payment_status is PaymentStatus.unpaid


def test_another_saved_card_leaves_reauthorization_required(session, factory, actor):
    card = factory.payment_method(PaymentKind.card, card_plan=CardPlan.lump)
    customer = factory.customer()
    first, second = factory.card(customer, last4="1111"), factory.card(customer, last4="2222")
    order = factory.order(payment_method=card, customer_id=customer.id,
                          customer_card_id=first.id, payment_status=PaymentStatus.authorized)
    changes = save(session, order, actor, customer_card_id=second.id)
    assert order.customer_card_id == second.id and order.reauth_required is True
    assert order.payment_status is PaymentStatus.authorized  # no 取消 needed (seed 002)
    assert {"customer_card_id", "reauth_required"} <= {c.field for c in changes}


@pytest.fixture
def np_methods(factory):
    return {variant: factory.payment_method(PaymentKind.deferred_np, deferred_variant=variant,
                                            name=name)
            for variant, name in ((DeferredVariant.np, "NP後払い"),
                                  (DeferredVariant.np_wiz, "NP後払いwiz"))}


def test_np_to_np_wiz_on_a_registered_order_needs_the_confirmation(session, factory, actor,
                                                                   np_methods):
    """Check 13: refused without the tick, with seed 002's reason; with it the method
    changes and the registration starts again (the next 取引登録 takes the order)."""
    order = factory.order(payment_method=np_methods[DeferredVariant.np], status=S.pending_review,
                          payment_status=PaymentStatus.deferred_registered,
                          deferred_ref="NP-123")
    wiz = np_methods[DeferredVariant.np_wiz].id
    with pytest.raises(EditRefused) as refused:
        save(session, order, actor, payment_method_id=wiz)
    assert "transaction was cancelled" in refused.value.errors["np_cancel_confirmed"]
    assert order.payment_method_id == np_methods[DeferredVariant.np].id

    save(session, order, actor, OrderEdit(values={"payment_method_id": wiz},
                                          np_cancel_confirmed=True))
    assert order.payment_method_id == wiz
    assert (order.payment_status, order.deferred_ref) == (PaymentStatus.unpaid, None)

    # Not registered yet: nothing to cancel at NP, no tick needed.
    fresh = factory.order(payment_method=np_methods[DeferredVariant.np],
                          payment_status=PaymentStatus.unpaid, status=S.pending_review)
    save(session, fresh, actor, payment_method_id=wiz)
    assert fresh.payment_method_id == wiz


def test_installments_only_for_an_installment_card_method(session, factory, actor):
    lump = factory.payment_method(PaymentKind.card, card_plan=CardPlan.lump)
    split = factory.payment_method(PaymentKind.card, card_plan=CardPlan.installments)
    customer = factory.customer()
    card_id = factory.card(customer).id
    order = factory.order(payment_method=split, customer_id=customer.id, installments=6,
                          customer_card_id=card_id, payment_status=PaymentStatus.unpaid)
    with pytest.raises(EditRefused) as refused:
        save(session, order, actor, payment_method_id=lump.id, installments=3)
    assert "installments" in refused.value.errors["installments"]
    save(session, order, actor, payment_method_id=lump.id)
    assert order.installments is None  # 一括 has no 分割回数


# ------------------------------------------------------------------ 状態区分

def test_payment_badges(factory):
    order = factory.order(payment_status=PaymentStatus.deferred_hold,
                          ship_report_state=ShipReportState.ng)
    assert payment_history.badges(order) == ["deferred_hold", "ship_report_ng"]
    order.payment_status, order.ship_report_state = PaymentStatus.unpaid, ShipReportState.ok
    assert payment_history.badges(order) == ["ship_reported"]


# ------------------------------------------------------------------ 決済方法 → 代引き

def test_switch_to_cod_over_declined_orders(session, factory, users):
    """Check 11: C (与信NG, 確認待ち) becomes 代金引換 with the ¥330 fee and a recomputed
    total, unpaid, its 与信NG attention cleared, 自動 kept, and the mail due recorded;
    F (与信NG, 出荷済) and a paid order are refused by name."""
    card = factory.payment_method(PaymentKind.card, card_plan=CardPlan.lump)
    factory.payment_method(PaymentKind.cod, name="代引き(旧)", fee=550, active=False)
    cod = factory.payment_method(PaymentKind.cod, name="代金引換", fee=330)
    notice = MailTemplate(name="代引き変更", subject="{受注番号}", body="{支払方法}")
    session.add(notice)
    session.flush()
    session.merge(SystemMail(event=MailEvent.cod_changed, template_id=notice.id, enabled=True))
    credit_ng = factory.attention_reason("与信NG")
    declined = {"payment_method": card, "payment_status": PaymentStatus.auth_failed,
                "needs_attention": True, "attention_reason_id": credit_ng.id,
                "auto_advance": True}
    c = factory.order(status=S.pending_review, **declined)
    f = factory.order(status=S.shipped, **declined)
    paid = factory.order(status=S.pending_review, payment_method=card,
                         payment_status=PaymentStatus.authorized)
    session.commit()
    job = bulk.run(session, bulk.start(session, users["operator"], [c, f, paid], "cod").id)
    out = bulk.outcomes(session, job.id)
    assert out[c.id] == (TargetState.ok, None)
    assert out[f.id] == (TargetState.failed, "Only orders not yet shipped can be changed.")
    assert out[paid.id][0] is TargetState.failed and "credit check failed" in out[paid.id][1]

    changed = session.get(Order, c.id)
    assert (changed.payment_method_id, changed.payment_fee, changed.tax_10, changed.total) == (
        cod.id, 330, 100, 1100 + 330)
    assert changed.payment_status is PaymentStatus.unpaid
    assert (changed.needs_attention, changed.attention_reason_id) == (False, None)
    assert changed.auto_advance is True  # SCOPE A26
    mails = session.execute(sa.select(JobTarget.order_id, Notification.params["event"])
                            .join(Notification, Notification.id == JobTarget.job_id)
                            .where(Notification.kind == "mail")).all()
    assert [(order_id, str(event).strip('"')) for order_id, event in mails] == [
        (c.id, "cod_changed")]  # the 代引き自動変更メール, queued with the change
    assert session.get(Order, f.id).payment_method_id == card.id


def test_switch_to_cod_needs_an_active_cod_method(session, factory, users):
    card = factory.payment_method(PaymentKind.card)
    order = factory.order(status=S.pending_review, payment_method=card,
                          payment_status=PaymentStatus.auth_failed)
    session.commit()
    job = bulk.run(session, bulk.start(session, users["operator"], [order], "cod").id)
    state, error = bulk.outcomes(session, job.id)[order.id]
    assert state is TargetState.failed and "No active cash-on-delivery method" in error


# ------------------------------------------------------------------ 支払い方法管理

def test_a_method_is_refused_with_parts_of_another_kind(session, actor):
    spec = payment_methods.MethodSpec(name="代金引換", kind=PaymentKind.cod, fee=330,
                                      card_plan=CardPlan.installments,
                                      deferred_variant=DeferredVariant.np)
    with pytest.raises(payment_methods.MethodRefused) as refused:
        payment_methods.create(session, "COD 2", spec, actor)
    assert set(refused.value.errors) == {"code", "card_plan", "deferred_variant"}
