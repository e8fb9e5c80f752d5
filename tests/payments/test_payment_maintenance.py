"""The payment steps that run by themselves (SCOPE P4 "Scheduled"): 要対応 on authorizations
about to lapse, and `jobs.payments.maintain` as `flask scheduler` queues it, run by a real
worker against the sandbox gateway: it authorizes the card orders waiting in 確認待ち, polls
楽天カード決済API for the answers it gives later, and flags the expiring authorizations."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from oms.models import AttentionReason, MallKind, Order, OrderStatus, PaymentStatus
from oms.models.base import utcnow
from oms.models.payments import PaymentTransaction, TransactionState
from oms.queue import get_queue, get_redis
from oms.services import mall_schedule
from oms.services.payments import automatic, ledger, rules
from tests.payments.test_card_jobs import card_order, effects, reload
from tests.workers import wait_for

S, P, T = OrderStatus, PaymentStatus, TransactionState


def authorized_order(factory, session, expires_in: timedelta, **kw) -> Order:
    values = {"status": S.new, "payment_status": P.authorized, "authorized_amount": 8800,
              "transaction_id": "txn_earlier", "auth_expires_at": utcnow() + expires_in}
    return card_order(factory, session, **(values | kw))


def flags(session) -> dict[int, tuple[bool, str | None, int]]:
    """Each order's 要対応, its reason and its version."""
    rows = session.execute(
        sa.select(Order.id, Order.needs_attention, AttentionReason.name, Order.version)
        .outerjoin(AttentionReason, AttentionReason.id == Order.attention_reason_id))
    return {order_id: (needs, reason, version) for order_id, needs, reason, version in rows}


def test_an_authorization_about_to_lapse_needs_attention_once(session, factory):
    soon = authorized_order(factory, session, timedelta(days=4))
    lapsed = authorized_order(factory, session, -timedelta(hours=1))
    later = authorized_order(factory, session, timedelta(days=6))
    captured = authorized_order(factory, session, timedelta(days=1),
                                payment_status=P.captured)
    mall = authorized_order(factory, session, timedelta(days=1),
                            shop=factory.shop(MallKind.amazon))
    other = authorized_order(factory, session, timedelta(days=1), needs_attention=True,
                             attention_reason=factory.attention_reason("住所不備"))
    before = flags(session)

    assert automatic.flag_expiring(session) == 2
    session.commit()
    after = flags(session)
    expiring = (True, ledger.EXPIRY_REASON)
    assert after[soon.id][:2] == expiring and after[lapsed.id][:2] == expiring
    # Not near its end, nothing left to lapse, the mall's payment, another reason kept.
    for order in (later, captured, mall, other):
        assert after[order.id] == before[order.id]

    assert automatic.flag_expiring(session) == 0
    session.commit()
    assert flags(session) == after  # nothing new, not even a version
    assert session.scalar(sa.select(sa.func.count()).select_from(AttentionReason).where(
        AttentionReason.name == ledger.EXPIRY_REASON)) == 1


def maintain_on_worker(session, run_worker) -> None:
    """What `flask scheduler` queues every sweep, run by a real worker (in burst mode it
    also runs the payment job that the look records)."""
    session.rollback()
    assert mall_schedule.enqueue_payment_steps(get_queue(), get_redis())
    run_worker()


@pytest.mark.slow
def test_maintain_on_a_worker_authorizes_polls_and_flags(session, factory, sandbox, merchant,
                                                        run_worker):
    waiting = card_order(factory, session)
    declined = card_order(factory, session, test_card="tok_decline")
    rakuten = factory.shop(MallKind.rakuten)
    rakuten.settings = {rules.RAKUTEN_CARD_SETTING: True}
    later = card_order(factory, session, shop=rakuten)
    expiring = authorized_order(factory, session, timedelta(days=2))

    maintain_on_worker(session, run_worker)
    waiting, declined, later = (reload(session, o) for o in (waiting, declined, later))
    assert (waiting.status, waiting.payment_status, waiting.authorized_amount) == (
        S.new, P.authorized, 8800)
    assert (declined.status, declined.payment_status) == (S.pending_review, P.auth_failed)
    assert declined.attention_reason.name == ledger.DECLINED_REASON
    # 楽天カード決済API accepted the authorization and answers later: オーソリ中 meanwhile.
    assert (later.status, later.payment_status) == (S.pending_review, P.authorizing)
    expiring = session.get(Order, expiring.id)
    assert expiring.needs_attention and expiring.attention_reason.name == ledger.EXPIRY_REASON

    # The sandbox decides after async_seconds (2 s); the next look polls the answer.
    reference = session.scalar(sa.select(PaymentTransaction.external_ref).where(
        PaymentTransaction.order_id == later.id))
    assert wait_for(lambda: sandbox.gateway_transaction(merchant, reference)["status"]
                    == "authorized", timeout=10, interval=0.2)
    assert reload(session, later).payment_status is P.authorizing  # until we ask
    maintain_on_worker(session, run_worker)
    later = reload(session, later)
    assert (later.status, later.payment_status, later.authorized_amount) == (
        S.new, P.authorized, 8800)
    rows = session.execute(sa.select(PaymentTransaction.order_id, PaymentTransaction.state)
                           .order_by(PaymentTransaction.order_id)).all()
    assert rows == [(waiting.id, T.succeeded), (declined.id, T.failed),
                    (later.id, T.succeeded)]
    # One authorization per order at the gateway, whatever the looks: the keys are stable.
    assert sorted(effects(sandbox, merchant).items()) == [
        (f"order:{order.id}:authorize:1", 1) for order in (waiting, declined, later)]
