"""One card payment effect in three phases (SCOPE P4 Jobs): the intent, a `pending` ledger
row under its idempotency key, in a short transaction (`intend`); the gateway call with no
transaction or row lock held (`call`); the result recorded with the order's new state
(`record`). A row left pending or unknown is called again with the same key, so the
gateway sees one effect (G6)."""

from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from oms.integrations.payments import (
    CardGateway,
    Charge,
    ChargeState,
    GatewayError,
    KeyMismatch,
)
from oms.models import CustomerCard, FraudCheck, Order, PaymentStatus
from oms.models.base import utcnow
from oms.models.payments import Gateway, PaymentTransaction, TransactionKind, TransactionState
from oms.services import attention_reasons, audit
from oms.services.actor import Actor
from oms.services.payments import rules
from oms.validation import ID_MAX

P, A, T = PaymentStatus, TransactionKind, TransactionState
# Attention reasons are operator data, named in the operators' language (as mall_follow's).
DECLINED_REASON = attention_reasons.CREDIT_NG
FRAUD_REASON = "不正注文審査"
EXPIRY_REASON = "オーソリ期限切れ間近"
FLAGGED_FRAUD = (FraudCheck.ng, FraudCheck.hold, FraudCheck.review)
STATES = {ChargeState.succeeded: T.succeeded, ChargeState.pending: T.pending,
          ChargeState.failed: T.failed}
OPEN = (T.pending, T.unknown)


@dataclass(frozen=True)
class Call:
    """What phase B needs, as plain data (no ORM object outlives the intent's commit)."""

    row_id: int
    order_id: int
    kind: TransactionKind
    gateway: Gateway
    key: str
    amount: int
    order_ref: str
    token: str | None = None
    reference: str | None = None  # the gateway transaction to capture, void or replace


@dataclass(frozen=True)
class Done:
    """The key's effect was already decided (another job with the same key finished it)."""

    state: TransactionState
    message: str | None


@dataclass(frozen=True)
class Answer:
    state: TransactionState
    charge: Charge | None = None
    message: str | None = None


def order_key(session: Session, order_id: int, kind: TransactionKind) -> str:
    """`order:<id>:<action>:<n>`, n counting this order's earlier effects of the kind: a
    double click or a retry before the first intent is written gets the same key."""
    earlier = session.scalar(sa.select(sa.func.count()).select_from(PaymentTransaction).where(
        PaymentTransaction.order_id == order_id, PaymentTransaction.kind == kind)) or 0
    return f"order:{order_id}:{kind.value}:{earlier + 1}"


def bulk_key(job_id: int, order_id: int, kind: TransactionKind) -> str:
    return f"bulk:{job_id}:{order_id}:{kind.value}"


def kind_of(key: str) -> TransactionKind:
    """The action a key names (the last part of a bulk key, the third of an order key)."""
    parts = key.split(":")
    return TransactionKind(parts[3] if parts[0] == "bulk" else parts[2])


def locked_order(session: Session, order_id: int) -> Order | None:
    return session.scalar(sa.select(Order).where(Order.id == order_id)
                          .with_for_update(of=Order))


def intend(session: Session, order: Order, key: str, actor: Actor, *,
           job_id: int | None = None, card_id: int | None = None) -> Call | Done:
    """Phase A for one order: the pending row (or the one a retry finds under the key),
    and the order shown in flight (オーソリ中, 売上請求中). Refused when the state does
    not allow the action. Flushes."""
    row = session.scalar(sa.select(PaymentTransaction)
                         .where(PaymentTransaction.idempotency_key == key))
    if row is not None and row.state not in OPEN:
        return Done(row.state, row.message)
    if row is None:
        kind = kind_of(key)
        gateway = rules.check(order, kind)
        if card_id is not None and kind in (A.authorize, A.reauthorize):
            order.customer_card = customer_card(session, order, card_id)
        if kind in (A.authorize, A.reauthorize) and not _token(order):
            raise rules.Refused(str(rules.NO_CARD))
        row = _insert(session, order, key, kind, gateway, actor, job_id)
        if row.state not in OPEN:
            return Done(row.state, row.message)
        if kind in rules.IN_FLIGHT:
            _set_status(session, order, rules.IN_FLIGHT[kind], actor, kind)
    return Call(row.id, order.id, row.kind, row.gateway or Gateway.card, key, row.amount,
                order.order_number, _token(order), order.transaction_id)


def customer_card(session: Session, order: Order, card_id: int) -> CustomerCard:
    # An id past the column's range names no card (PostgreSQL would refuse the query).
    card = session.get(CustomerCard, card_id) if 0 < card_id <= ID_MAX else None
    if card is None or order.customer_id is None or card.customer_id != order.customer_id:
        raise rules.Refused(str(_l("Choose one of the customer's saved cards.")))
    if card.expired(utcnow().date()):
        raise rules.Refused(str(_l("The card has expired.")))
    return card


def _token(order: Order) -> str | None:
    return order.customer_card.gateway_token if order.customer_card else None


def _insert(session: Session, order: Order, key: str, kind: TransactionKind,
            gateway: Gateway, actor: Actor, job_id: int | None) -> PaymentTransaction:
    """The intent's row; another transaction that wrote the same key first wins (its row
    is returned)."""
    row = PaymentTransaction(order_id=order.id, kind=kind, gateway=gateway,
                             amount=0 if kind is A.void else order.total,
                             state=T.pending, idempotency_key=key, user_id=actor.user_id,
                             user_name=actor.username, via=actor.via,
                             notification_id=job_id, created_at=utcnow())
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        return session.scalars(sa.select(PaymentTransaction)
                               .where(PaymentTransaction.idempotency_key == key)).one()
    return row


def call(gateway: CardGateway, work: Call) -> Answer:
    """Phase B: ask the gateway, with no transaction open. A lost answer is `unknown`
    (asked again later under the same key); a refused key is a failure on our side."""
    try:
        if work.kind is A.authorize or (work.kind is A.reauthorize and not work.reference):
            charge = gateway.authorize(work.key, token=work.token or "", amount=work.amount,
                                       order_ref=work.order_ref)
        elif work.kind is A.reauthorize:
            charge = gateway.reauthorize(work.key, transaction_id=work.reference or "",
                                         token=work.token or "", amount=work.amount)
        elif work.kind is A.capture:
            charge = gateway.capture(work.key, transaction_id=work.reference or "",
                                     amount=work.amount)
        else:
            charge = gateway.void(work.key, transaction_id=work.reference or "")
    except GatewayError as error:
        return Answer(T.unknown, None, str(error)[:500] or None)
    except KeyMismatch as error:
        return Answer(T.failed, None, str(error)[:500] or None)
    return Answer(STATES[charge.state], charge, charge.message)


def record(session: Session, row: PaymentTransaction, answer: Answer, actor: Actor, *,
           valid_days: int) -> str | None:
    """Phase C: the result on the ledger row and on the order (which the caller then
    advances). Returns what the job's outcome says when it is not a success."""
    if row.state not in OPEN:
        # Decided meanwhile under the same key (a duplicate job or the poll): keep it.
        return None if row.state is T.succeeded else row.message
    charge = answer.charge
    now = utcnow()
    row.state = answer.state
    if charge is not None:
        row.external_ref = charge.transaction_id or row.external_ref
        row.result_code = (charge.code or charge.fraud or row.result_code or "")[:32] or None
    row.message = (answer.message or row.message or "")[:500] or None
    row.finished_at = None if answer.state in OPEN else now
    order = locked_order(session, row.order_id)
    if order is not None:
        _apply(session, order, row, charge, actor, valid_days)
    session.flush()
    if answer.state is T.failed:
        return row.message or str(_l("The gateway refused the payment."))
    if answer.state is T.unknown:
        return str(_l("No answer from the gateway (%(message)s): it is asked again with "
                      "the same key.", message=row.message or "timeout"))
    return None


def _apply(session: Session, order: Order, row: PaymentTransaction, charge: Charge | None,
           actor: Actor, valid_days: int) -> None:
    now = utcnow()
    kind, state = row.kind, row.state
    if state is T.pending and charge is not None:
        order.transaction_id = charge.transaction_id or order.transaction_id
        return  # 楽天カード: the answer comes later (polled)
    if state is T.unknown:
        return  # still in flight
    if kind in (A.authorize, A.reauthorize):
        if state is T.succeeded and charge is not None:
            order.transaction_id = charge.transaction_id or order.transaction_id
            order.authorized_at = now
            order.authorized_amount = charge.amount or row.amount
            order.auth_expires_at = charge.expires_at or now + timedelta(days=valid_days)
            order.reauth_required = False
            _clear_attention(order, DECLINED_REASON, EXPIRY_REASON)
            _fraud_verdict(session, order, charge)
            _set_status(session, order, P.authorized, actor, kind)
        else:
            _set_status(session, order, P.auth_failed, actor, kind)
            flag(session, order, DECLINED_REASON)
    elif kind is A.capture:
        if state is T.succeeded:
            amount = (charge.amount if charge and charge.amount else row.amount)
            order.captured_at, order.captured_amount, order.paid_total = now, amount, amount
            _set_status(session, order, P.captured, actor, kind)
        else:
            _set_status(session, order, P.authorized, actor, kind)
    elif kind is A.void and state is T.succeeded:
        order.voided_at = now
        _set_status(session, order, P.voided, actor, kind)


def _fraud_verdict(session: Session, order: Order, charge: Charge) -> None:
    """G2: the screening's verdict and reasons (cut to the column); NG, HOLD and REVIEW
    stop the order with 要対応 「不正注文審査」."""
    try:
        verdict = FraudCheck(charge.fraud) if charge.fraud else None
    except ValueError:
        verdict = None
    order.fraud_check = verdict
    order.fraud_check_reasons = ",".join(charge.fraud_reasons)[:500] or None
    if verdict in FLAGGED_FRAUD:
        flag(session, order, FRAUD_REASON)


def _set_status(session: Session, order: Order, status: PaymentStatus, actor: Actor,
                kind: TransactionKind) -> None:
    if order.payment_status is status:
        return
    audit.record(session, actor, f"payment.{kind.value}", entity_type="order",
                 entity_id=order.id, field="payment_status",
                 old=order.payment_status.value, new=status.value)
    order.payment_status = status


def flag(session: Session, order: Order, reason_name: str) -> None:
    """要対応 with this reason (created on first use)."""
    order.needs_attention = True
    order.attention_reason = attention_reasons.named(session, reason_name)


def _clear_attention(order: Order, *names: str) -> None:
    if order.needs_attention and order.attention_reason and \
            order.attention_reason.name in names:
        order.needs_attention = False
        order.attention_reason = None
