"""Applying an operation to one chunk of claimed targets, inside the chunk's transaction.

The orders are locked, the guards evaluated in SQL, each order planned and changed through
the field setters, and every target's outcome written with the values it replaced. A
database error isolates the failing order (savepoints) instead of losing the chunk.
"""

from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from oms.models import Order, TargetState
from oms.services import auto_advance
from oms.services.actor import Actor
from oms.services.bulk.batch import Batch
from oms.services.bulk.fields import Refused, field
from oms.services.bulk.operations.base import Operation, Options, Refusal, Skip
from oms.services.runner import Outcome, Target


def refusal_case(refusals: list[Refusal]) -> sa.ColumnElement[int]:
    """Which guard refuses an order (its index), or -1: the first matching guard wins."""
    if not refusals:
        return sa.literal(-1)
    return sa.case(*[(r.when, i) for i, r in enumerate(refusals)], else_=-1)


def plan_change(order: Order, operation: Operation, options: Options, context: Any
                ) -> tuple[dict[str, Any], dict[str, Any]]:
    """(before, after) of the fields this operation would really change on the order."""
    planned = operation.plan(order, options, context)
    before = {key: field(key).get(order) for key in planned}
    after = {key: value for key, value in planned.items() if before[key] != value}
    return {key: before[key] for key in after}, after


def apply_chunk(session: Session, job_id: int, operation: Operation, options: Options,
                targets: list[Target], actor: Actor) -> list[Outcome]:
    refusals = operation.guards(options)
    order_ids = [t.order_id for t in targets]
    rows = session.execute(
        sa.select(Order, refusal_case(refusals))
        .where(Order.id.in_(order_ids))
        .order_by(Order.id)
        .options(*operation.loaders())
        .with_for_update(of=Order)
    ).unique().all()
    found = {order.id: (order, refused) for order, refused in rows}
    context = operation.chunk_context(session, job_id, order_ids, options)

    def apply(chunk: list[Target]) -> list[Outcome]:
        batch = Batch(session, actor)
        outcomes = []
        for target in chunk:
            order, refused = found.get(target.order_id, (None, -1))
            outcomes.append(_apply_one(batch, target, order, refused, refusals, operation,
                                       options, context))
        batch.write()
        # Paid, 要対応 cleared, hold lifted: an order whose automatic transition waited for
        # this change moves on now, with the change (SCOPE P1: 「O2 paid, then 新規」).
        auto_advance.advance(session, [target.order_id for target, outcome
                                       in zip(chunk, outcomes, strict=True)
                                       if outcome.state is TargetState.ok], actor)
        return outcomes

    try:
        with session.begin_nested():
            outcomes = apply(targets)
    except Exception:
        # Whatever failed, isolate the order that caused it; the others still apply.
        outcomes = [_isolated(session, t, apply) for t in targets]
    # After the savepoints: only what stayed applied, and once for the chunk.
    operation.applied(session, [target.order_id for target, outcome
                                in zip(targets, outcomes, strict=True)
                                if outcome.state is TargetState.ok], options, actor)
    return outcomes


def _isolated(session: Session, target: Target, apply) -> Outcome:
    try:
        with session.begin_nested():
            return apply([target])[0]
    except Exception as error:
        # Recorded on the item: a failure is an outcome, never lost.
        return Outcome(target.id, TargetState.failed, f"{type(error).__name__}: {error}")


def _apply_one(batch: Batch, target: Target, order: Order | None, refused: int,
               refusals: list[Refusal], operation: Operation, options: Options,
               context) -> Outcome:
    if order is None or order.deleted_at is not None:
        return Outcome(target.id, TargetState.failed, str(_l("The order was deleted.")))
    if refused >= 0:
        rule = refusals[refused]
        return Outcome(target.id, rule.state, rule.message)
    if operation.replaces(options) and order.version != target.version:
        return Outcome(target.id, TargetState.failed, str(_l(
            "CONFLICT: the order was changed by someone else after this bulk update was "
            "confirmed; it was left as it is.")))
    try:
        before, after = plan_change(order, operation, options, context)
        if not after:
            return Outcome(target.id, TargetState.skipped, str(_l("No change needed.")))
        for key, value in after.items():
            field(key).set(batch, order, value)
    except Skip as reason:
        return Outcome(target.id, TargetState.skipped, str(reason))
    except Refused as reason:
        return Outcome(target.id, TargetState.failed, str(reason))
    return Outcome(target.id, TargetState.ok, None, before, after)
