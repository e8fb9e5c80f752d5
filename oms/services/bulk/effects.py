"""Effect operations (決済状況一括変更) on the target runner's calls_out path: each chunk's
guards evaluated in SQL on its locked orders, then the payments services' three phases
(payments/step.Effects): the intents committed, the calls with no transaction open, the
results with the orders' new states and the workflow's advance.

A target whose key is already on the ledger was intended by a lane lost during its call
(or its answer was lost, which leaves it `calling`, as the payment job's): it skips the
guards (its order shows the effect in flight) and is called again under the same key, so
the gateway sees one effect."""

from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from oms.models import Order, TargetState
from oms.models.payments import PaymentTransaction
from oms.services import auto_advance
from oms.services.bulk.engine import refusal_case
from oms.services.bulk.operations.base import Operation, Options
from oms.services.payments.step import Effects
from oms.services.runner import Outcome, Target

# Targets per chunk: each is a gateway call, so progress and 中止 come in small steps.
CHUNK = 50

Item = tuple[Target, Any, str | None]  # the target, its work (or outcome), status before


def prepare(session: Session, effects: Effects, operation: Operation, options: Options,
            targets: list[Target]) -> list[Item]:
    """Phase A: an outcome for the orders the guards refuse, an intent for the others."""
    begun = set(session.scalars(sa.select(PaymentTransaction.idempotency_key).where(
        PaymentTransaction.idempotency_key.in_([t.key for t in targets]))))
    refusals = operation.guards(options)
    rows = session.execute(
        sa.select(Order.id, Order.payment_status, refusal_case(refusals))
        .where(Order.id.in_([t.order_id for t in targets]), Order.deleted_at.is_(None))
        .order_by(Order.id)
        .with_for_update(of=Order)).all()
    found = {order_id: (status.value, verdict) for order_id, status, verdict in rows}
    items: list[Item] = []
    for target in targets:
        status, verdict = found.get(target.order_id, (None, -1))
        if status is None:
            work: Any = Outcome(target.id, TargetState.failed, str(_l("The order was deleted.")))
        elif verdict >= 0 and target.key not in begun:
            rule = refusals[verdict]
            work = Outcome(target.id, rule.state, rule.message)
        else:
            work = effects.intend(session, target)
        items.append((target, work, status))
    session.flush()
    return items


def call(effects: Effects, items: list[Item]) -> list[tuple[Item, Any]]:
    """Phase B, with no transaction open: the intents' calls, a few at a time."""
    answers = effects.call([(target, work) for target, work, _ in items])
    return [(item, answer) for item, (_, _, answer) in zip(items, answers, strict=True)]


def record(session: Session, effects: Effects, answered: list[tuple[Item, Any]]
           ) -> list[Outcome]:
    """Phase C: each result on the ledger and its order; the outcome says what changed."""
    outcomes = []
    for (target, work, before), answer in answered:
        if isinstance(work, Outcome):
            outcomes.append(work)
            continue
        outcome = effects.outcome(session, target, work, answer)
        order = session.get(Order, target.order_id)
        if outcome.state is TargetState.ok and order is not None:
            outcome.before = {"payment_status": before}
            outcome.after = {"payment_status": order.payment_status.value}
        outcomes.append(outcome)
    auto_advance.advance(session, [t.order_id for (t, _, _), _ in answered], effects.actor)
    return outcomes
