"""The automatic payment steps (SCOPE P4 Jobs, seed 001 §1 and §5): オーソリ of own-shop
card orders waiting in 確認待ち, 売上 when orders become 出荷済, the poll of 楽天カード
results, 要対応 for authorizations about to lapse, and the recovery of effects left in
doubt (pending or unknown past a lease: called again under the same key)."""

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from oms.integrations.payments import ChargeState, GatewayError
from oms.models import (
    JobState,
    JobTarget,
    Notification,
    Order,
    OrderStatus,
    PaymentKind,
    PaymentMethod,
    PaymentStatus,
    TargetState,
)
from oms.models.base import utcnow
from oms.models.payments import Gateway, PaymentTransaction, TransactionKind, TransactionState
from oms.services import attention_reasons, auto_advance
from oms.services.actor import AUTO, Actor, Person
from oms.services.payments import ledger, rules, settings, step

A, T = TransactionKind, TransactionState
SYSTEM_ACTOR = Actor(None, None, None, AUTO)
BATCH = 1000  # orders per job started by one look
EXPIRY_WARNING = timedelta(days=5)
RECOVERY_LEASE = timedelta(minutes=5)


def gateway_orders() -> sa.ColumnElement[bool]:
    """Card orders whose payment the gateway takes: the own shop's, and those of Rakuten
    shops set up for 楽天カード決済API (G13)."""
    cards = sa.select(PaymentMethod.id).where(PaymentMethod.kind == PaymentKind.card)
    return sa.and_(Order.payment_method_id.in_(cards), Order.shop_id.in_(rules.gateway_shops()),
                   Order.deleted_at.is_(None))


def _not_queued() -> sa.ColumnElement[bool]:
    """No payment job is about to act on the order."""
    return ~sa.select(JobTarget.id).join(Notification, Notification.id == JobTarget.job_id) \
        .where(JobTarget.order_id == Order.id, Notification.kind == step.KIND,
               JobTarget.state.in_([TargetState.pending, TargetState.calling])).exists()


def authorize_waiting(session: Session, user: Person | None = None, *, locale: str = "ja"
                      ) -> Notification | None:
    """オーソリ of the gateway's card orders in 確認待ち never authorized, under the key
    `order:<id>:authorize:1`: a second look finds the ledger row and leaves them."""
    if not settings.read(session).auto_authorize:
        return None
    tried = sa.select(PaymentTransaction.id).where(
        PaymentTransaction.order_id == Order.id,
        PaymentTransaction.kind.in_([A.authorize, A.reauthorize])).exists()
    ids = list(session.scalars(
        sa.select(Order.id).where(gateway_orders(), Order.status == OrderStatus.pending_review,
                                  Order.payment_status == PaymentStatus.unpaid,
                                  Order.customer_card_id.is_not(None), ~tried, _not_queued())
        .order_by(Order.id).limit(BATCH)))
    if not ids:
        return None
    return step.start(session, user, [(i, f"order:{i}:{A.authorize.value}:1") for i in ids],
                      locale=locale)


def capture_shipped(session: Session, order_ids: Sequence[int], user: Person | None = None, *,
                    locale: str = "ja") -> Notification | None:
    """売上 of the orders just become 出荷済, when the settings say so: recorded in the
    caller's transaction, queued after its commit."""
    if not order_ids or not settings.read(session).auto_capture_on_shipped:
        return None
    ids = list(session.scalars(
        sa.select(Order.id).where(Order.id.in_(order_ids), gateway_orders(),
                                  Order.payment_status == PaymentStatus.authorized)
        .order_by(Order.id)))
    if not ids:
        return None
    return step.start(session, user, [(i, ledger.order_key(session, i, A.capture))
                                      for i in ids], locale=locale)


def flag_expiring(session: Session, now: datetime | None = None) -> int:
    """要対応 「オーソリ期限切れ間近」 on authorizations lapsing within 5 days (re-authorize
    them, G5). Returns how many orders were flagged."""
    now = now or utcnow()
    reason = attention_reasons.named(session, ledger.EXPIRY_REASON)
    result = session.execute(
        sa.update(Order).where(gateway_orders(),
                               Order.payment_status == PaymentStatus.authorized,
                               Order.auth_expires_at <= now + EXPIRY_WARNING,
                               sa.not_(Order.needs_attention))
        .values(needs_attention=True, attention_reason_id=reason.id,
                version=Order.version + 1, updated_at=now)
        .execution_options(synchronize_session=False))
    return result.rowcount or 0


def retry_in_doubt(session: Session, user: Person | None = None, *,
                   lease: timedelta = RECOVERY_LEASE, now: datetime | None = None,
                   locale: str = "ja") -> Notification | None:
    """A job calling again, under their keys, the effects left pending or unknown longer
    than the lease whose job has finished (given up or stopped: a running job calls its
    own lost answers again). 楽天カード transactions accepted and awaiting their result
    are polled instead."""
    now = now or utcnow()
    awaited = sa.and_(PaymentTransaction.gateway == Gateway.rakuten_card,
                      PaymentTransaction.state == T.pending,
                      PaymentTransaction.external_ref.is_not(None))
    job_running = sa.select(Notification.id).where(
        Notification.id == PaymentTransaction.notification_id,
        Notification.state.in_([JobState.queued, JobState.running])).exists()
    rows = session.execute(
        sa.select(PaymentTransaction.order_id, PaymentTransaction.idempotency_key)
        .where(PaymentTransaction.state.in_([T.pending, T.unknown]),
               PaymentTransaction.created_at < now - lease,
               PaymentTransaction.kind.in_(rules.GATEWAY_ACTIONS),
               sa.not_(awaited), ~job_running)
        .order_by(PaymentTransaction.id).limit(BATCH)).all()
    keys = dict(reversed(rows))  # one key per order and job (the oldest first)
    if not keys:
        return None
    return step.start(session, user, sorted(keys.items()), locale=locale)


def poll_awaited(session: Session, secret_key: str, commit: Callable[[], None]) -> int:
    """Ask 楽天カード決済API for the transactions it accepted and answers later; record
    those decided. The calls run with no transaction open. Returns how many were decided."""
    rows = session.execute(
        sa.select(PaymentTransaction.id, PaymentTransaction.external_ref)
        .where(PaymentTransaction.gateway == Gateway.rakuten_card,
               PaymentTransaction.state == T.pending,
               PaymentTransaction.external_ref.is_not(None))
        .order_by(PaymentTransaction.id).limit(BATCH)).all()
    config = settings.read(session)
    session.rollback()  # no transaction open while the gateway is asked
    if not rows:
        return 0
    try:
        gateway = settings.open_gateway(config, Gateway.rakuten_card, secret_key)
    except settings.NotConfigured:
        return 0
    try:
        answers = []
        for row_id, reference in rows:
            try:
                charge = gateway.get(reference)
            except GatewayError:
                continue
            if charge.state is not ChargeState.pending:
                answers.append((row_id, ledger.Answer(ledger.STATES[charge.state], charge,
                                                      charge.message)))
    finally:
        gateway.close()
    order_ids = []
    for row_id, answer in answers:
        row = session.get(PaymentTransaction, row_id)
        if row is not None:
            ledger.record(session, row, answer, SYSTEM_ACTOR,
                          valid_days=config.auth_valid_days)
            order_ids.append(row.order_id)
    auto_advance.advance(session, order_ids, SYSTEM_ACTOR)
    commit()
    return len(answers)
