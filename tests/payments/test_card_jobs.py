"""Card payments end to end on a real worker against the sandbox gateway: SCOPE P4
acceptance checks 1–7 and 15, and RELIABILITY F row 6 (a lost answer is retried with the
same key: one effect)."""

import time
from datetime import timedelta

import sqlalchemy as sa

from oms.models import MallKind, Order, OrderStatus, PaymentStatus
from oms.models.payments import PaymentTransaction, TransactionKind, TransactionState
from oms.services import runner, shipment_confirm
from oms.services.actor import Actor
from oms.services.payments import automatic, ledger, rules, step

S, P, A, T = OrderStatus, PaymentStatus, TransactionKind, TransactionState
OPERATOR = Actor(None, "operator", None, "import")


def card_order(factory, session, test_card="tok_ok", **kw) -> Order:
    customer = factory.customer()
    card = factory.card(customer, gateway_token=test_card)
    values = {"status": S.pending_review, "payment_status": P.unpaid, "customer": customer,
              "customer_card": card, "total": 8800}
    order = factory.order(**(values | kw))
    session.commit()
    return order


def reload(session, order: Order) -> Order:
    session.rollback()
    session.expire_all()
    return session.get(Order, order.id)


def ledger_rows(session, order: Order) -> list[tuple]:
    return session.execute(
        sa.select(PaymentTransaction.kind, PaymentTransaction.state,
                  PaymentTransaction.idempotency_key, PaymentTransaction.message)
        .where(PaymentTransaction.order_id == order.id).order_by(PaymentTransaction.id)).all()


def effects(sandbox, api_key: str) -> dict[str, int]:
    return {key: row["effects"] for key, row in sandbox.gateway_effects(api_key)["keys"].items()}


def authorize_now(session, run_worker) -> None:
    assert automatic.authorize_waiting(session) is not None
    session.commit()
    run_worker()


def authorize(session, run_worker, order: Order, user) -> None:
    """オーソリ from 決済状況変更 (orders past 確認待ち are not authorized by themselves)."""
    step.request(session, order.id, A.authorize, user, locale="en")
    session.commit()
    run_worker()


def test_auto_authorize_once_then_new(session, factory, run_worker, sandbox, merchant):
    order = card_order(factory, session)
    authorize_now(session, run_worker)
    order = reload(session, order)
    assert (order.payment_status, order.authorized_amount) == (P.authorized, 8800)
    assert order.authorized_at is not None and order.auth_expires_at is not None
    assert order.status is S.new  # the card delay is 0 minutes
    assert automatic.authorize_waiting(session) is None  # a second sweep finds the ledger
    key = f"order:{order.id}:authorize:1"
    assert effects(sandbox, merchant) == {key: 1}
    assert ledger_rows(session, order) == [(A.authorize, T.succeeded, key, None)]


def test_a_decline_waits_in_review_with_the_gateways_message(session, factory, run_worker,
                                                           merchant):
    order = card_order(factory, session, test_card="tok_decline")
    authorize_now(session, run_worker)
    order = reload(session, order)
    assert (order.payment_status, order.status) == (P.auth_failed, S.pending_review)
    assert order.needs_attention and order.attention_reason.name == "与信NG"
    assert ledger_rows(session, order) == [
        (A.authorize, T.failed, f"order:{order.id}:authorize:1", "カードが承認されませんでした。")]


def test_a_lost_answer_is_asked_again_with_the_same_key(session, factory, run_worker,
                                                      sandbox, merchant):
    order = card_order(factory, session, test_card="tok_timeout_after_commit")
    authorize_now(session, run_worker)
    if reload(session, order).payment_status is not P.authorized:
        # The adapter's own retries ran out: the job's lane is taken up again after the
        # lease and asks again under the key (tests/payments/test_lost_answers.py).
        (job_id, *_), = runner.abandoned(session, timedelta(0))
        session.commit()
        runner.run_lane(session, job_id, lease=timedelta(0))
    order = reload(session, order)
    assert order.payment_status is P.authorized
    assert effects(sandbox, merchant) == {f"order:{order.id}:authorize:1": 1}
    assert automatic.retry_in_doubt(session, lease=timedelta(0)) is None


def test_rakuten_card_answers_later_through_the_poll(session, factory, run_worker, app,
                                                     merchant):
    shop = factory.shop(MallKind.rakuten)
    shop.settings = {rules.RAKUTEN_CARD_SETTING: True}
    order = card_order(factory, session, shop=shop)
    authorize_now(session, run_worker)
    asked = session.scalar(sa.select(PaymentTransaction.external_ref))
    assert asked and reload(session, order).payment_status is P.authorizing
    secret = app.config["SECRET_KEY"]
    deadline = time.monotonic() + 10
    while not automatic.poll_awaited(session, secret, session.commit):
        assert reload(session, order).payment_status is P.authorizing
        assert time.monotonic() < deadline, "the poll never saw the answer"
        time.sleep(0.2)
    order = reload(session, order)
    assert (order.payment_status, order.authorized_amount) == (P.authorized, 8800)
    row = session.scalars(sa.select(PaymentTransaction)).one()
    # オーソリ中 from the intent until the poll saw the answer (async_seconds = 2).
    assert row.finished_at - row.created_at >= timedelta(seconds=2)


def test_shipping_captures_and_completes(session, factory, run_worker, sandbox, users,
                                         merchant):
    order = card_order(factory, session, status=S.shipping)
    authorize(session, run_worker, order, users["operator"])
    shipment_confirm.confirm(session, [shipment_confirm.Confirmation(order.id, "123456789012")],
                             OPERATOR)
    session.commit()
    run_worker()
    order = reload(session, order)
    assert (order.payment_status, order.captured_amount, order.paid_total) == (
        P.captured, 8800, 8800)
    assert order.captured_at is not None and order.status is S.completed
    assert effects(sandbox, merchant)[f"order:{order.id}:capture:1"] == 1


def test_an_increase_needs_a_reauthorization_before_the_capture(
        session, factory, run_worker, users, merchant):
    order = card_order(factory, session, status=S.shipped)
    authorize(session, run_worker, order, users["operator"])
    order = reload(session, order)
    order.total = 9900
    session.commit()
    try:
        step.request(session, order.id, A.capture, users["operator"], locale="en")
    except rules.Refused as refused:
        assert str(refused) == "A re-authorization is needed for the increased amount."
    else:
        raise AssertionError("the capture was not refused")
    session.rollback()
    step.request(session, order.id, A.reauthorize, users["operator"], locale="en")
    session.commit()
    run_worker()
    assert reload(session, order).authorized_amount == 9900
    step.request(session, order.id, A.capture, users["operator"], locale="en")
    session.commit()
    run_worker()
    order = reload(session, order)
    assert (order.payment_status, order.paid_total, order.status) == (
        P.captured, 9900, S.completed)
    kinds = [(kind, state) for kind, state, *_ in ledger_rows(session, order)]
    assert kinds == [(A.authorize, T.succeeded), (A.reauthorize, T.succeeded),
                     (A.capture, T.succeeded)]


def test_void_sets_the_date_and_frees_the_method(session, factory, run_worker, users,
                                                 merchant):
    order = card_order(factory, session)
    authorize_now(session, run_worker)
    step.request(session, order.id, A.void, users["operator"], locale="en")
    session.commit()
    run_worker()
    order = reload(session, order)
    assert (order.payment_status, order.voided_at is not None) == (P.voided, True)
    assert rules.offer(order, is_admin=False).actions == (A.authorize,)


def test_a_fraud_review_is_authorized_but_stops_the_order(session, factory, run_worker,
                                                          merchant):
    order = card_order(factory, session, test_card="tok_fraud_review")
    authorize_now(session, run_worker)
    order = reload(session, order)
    assert (order.payment_status, order.fraud_check.value) == (P.authorized, "REVIEW")
    assert "配送先住所が過去の不正注文と類似" in order.fraud_check_reasons
    assert order.needs_attention and order.attention_reason.name == ledger.FRAUD_REASON
    assert order.status is S.pending_review
