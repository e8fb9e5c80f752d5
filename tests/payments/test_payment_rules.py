"""The card payment rules that need no gateway (SCOPE P4 G3, G4, G13, G14, the workflow
gates of G1/G3/G5) and the intent's idempotency key (G6)."""

import pytest
import sqlalchemy as sa

from oms.models import (
    AuditEvent,
    JobTarget,
    MallKind,
    Notification,
    Order,
    OrderStatus,
    PaymentKind,
    PaymentStatus,
)
from oms.models.payments import PaymentTransaction, TransactionKind, TransactionState
from oms.services import auto_advance, shipment_confirm
from oms.services.actor import Actor
from oms.services.payments import automatic, ledger, manual, rules, step

S, P, A = OrderStatus, PaymentStatus, TransactionKind
ADMIN = Actor(None, "admin", "127.0.0.1")


def card_order(factory, **kw):
    customer = factory.customer()
    card = factory.card(customer, gateway_token="tok_ok")
    values = {"status": S.pending_review, "payment_status": P.unpaid, "customer": customer,
              "customer_card": card, "total": 8800}
    return factory.order(**(values | kw))


def test_a_mall_takes_its_own_payment_unless_rakuten_uses_the_card_api(factory):
    amazon = card_order(factory, shop=factory.shop(MallKind.amazon))
    with pytest.raises(rules.Refused, match="mall takes the payment"):
        rules.check(amazon, A.authorize)
    assert rules.offer(amazon, is_admin=True).actions == (A.manual_status,)
    rakuten = factory.shop(MallKind.rakuten)
    rakuten.settings = {rules.RAKUTEN_CARD_SETTING: True}
    assert rules.check(card_order(factory, shop=rakuten), A.authorize).value == "rakuten_card"
    cod = card_order(factory, payment_method=factory.payment_method(PaymentKind.cod))
    with pytest.raises(rules.Refused, match="not paid by card"):
        rules.check(cod, A.authorize)


def test_capture_needs_an_authorization_covering_the_total(factory):
    order = card_order(factory, payment_status=P.authorized, authorized_amount=8800,
                       transaction_id="tx_1", total=9900)
    assert A.capture in rules.offer(order, is_admin=False).actions  # offered, refused on run
    with pytest.raises(rules.Refused, match="re-authorization is needed for the increased"):
        rules.check(order, A.capture)
    order.total = 8800
    assert rules.check(order, A.capture).value == "card"


def test_void_only_an_authorized_payment_not_captured(factory):
    order = card_order(factory, payment_status=P.captured, transaction_id="tx_1")
    with pytest.raises(rules.Refused, match="Not possible while the payment is"):
        rules.check(order, A.void)
    assert rules.offer(order, is_admin=False).actions == ()
    order.payment_status = P.authorized
    assert set(rules.offer(order, is_admin=False).actions) == {A.reauthorize, A.capture,
                                                               A.void}


def test_status_only_change_is_for_admins_with_a_reason(session, factory, users):
    order = card_order(factory, payment_status=P.auth_failed)
    with pytest.raises(rules.Refused, match="Only an administrator"):
        manual.change_status(session, order, "authorized", "電話で確認", users["operator"],
                             ADMIN)
    with pytest.raises(rules.Refused, match="reason"):
        manual.change_status(session, order, "authorized", "  ", users["admin"], ADMIN)
    with pytest.raises(rules.Refused, match="Choose a payment status"):
        manual.change_status(session, order, "deferred_hold", "x", users["admin"], ADMIN)
    row = manual.change_status(session, order, "authorized", "カード会社に電話で確認済み",
                               users["admin"], ADMIN)
    assert order.payment_status is P.authorized
    assert (row.kind, row.state, row.gateway) == (A.manual_status, TransactionState.succeeded,
                                                  None)
    assert row.idempotency_key == f"order:{order.id}:manual_status:1"
    audit = session.scalars(sa.select(AuditEvent).where(
        AuditEvent.action == "payment.manual_status")).one()
    assert (audit.old_value, audit.new_value) == ("auth_failed", "authorized")
    assert audit.details == {"reason": "カード会社に電話で確認済み"}


def test_new_waits_for_an_authorization_that_needs_no_renewal(session, factory):
    authorizing = card_order(factory, payment_status=P.authorizing)
    renew = card_order(factory, payment_status=P.authorized, reauth_required=True)
    ready = card_order(factory, payment_status=P.authorized)
    auto_advance.advance(session, [authorizing.id, renew.id, ready.id])
    session.expire_all()
    assert [session.get(Order, o.id).status for o in (authorizing, renew, ready)] == [
        S.pending_review, S.pending_review, S.new]


def test_shipped_card_orders_are_done_once_captured(session, factory):
    authorized = card_order(factory, status=S.shipped, payment_status=P.authorized)
    captured = card_order(factory, status=S.shipped, payment_status=P.captured)
    auto_advance.advance(session, [authorized.id, captured.id])
    session.expire_all()
    assert session.get(Order, authorized.id).status is S.shipped
    assert session.get(Order, captured.id).status is S.completed


def test_shipping_records_the_capture_job_with_the_change(session, factory):
    order = card_order(factory, status=S.shipping, payment_status=P.authorized,
                       authorized_amount=8800, transaction_id="tx_1")
    cod = card_order(factory, status=S.shipping,
                     payment_method=factory.payment_method(PaymentKind.cod))
    shipment_confirm.confirm(session, [shipment_confirm.Confirmation(order.id, "123456789012"),
                                       shipment_confirm.Confirmation(cod.id, "123456789013")],
                             ADMIN)
    job = session.scalars(sa.select(Notification).where(Notification.kind == step.KIND)).one()
    targets = session.execute(sa.select(JobTarget.order_id, JobTarget.key)
                              .where(JobTarget.job_id == job.id)).all()
    assert targets == [(order.id, f"order:{order.id}:capture:1")]


def test_the_intent_is_written_once_per_key(session, factory):
    order = card_order(factory)
    key = ledger.order_key(session, order.id, A.authorize)
    assert key == f"order:{order.id}:authorize:1"
    first = ledger.intend(session, order, key, ADMIN)
    assert order.payment_status is P.authorizing
    again = ledger.intend(session, order, key, ADMIN)  # a retry: same row, same key
    assert (again.row_id, again.key, again.token, again.amount) == (
        first.row_id, key, "tok_ok", 8800)
    rows = session.scalars(sa.select(PaymentTransaction)).all()
    assert [(r.kind, r.state, r.idempotency_key) for r in rows] == [
        (A.authorize, TransactionState.pending, key)]
    # Auto-authorize leaves an order whose authorization is in the ledger.
    assert automatic.authorize_waiting(session) is None
