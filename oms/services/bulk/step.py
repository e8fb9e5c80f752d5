"""A bulk update as a step of the target runner: each chunk applies the operation."""

from collections import Counter

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from oms.models import BulkJob, Notification, TargetState
from oms.services import runner
from oms.services.actor import Actor
from oms.services.bulk import effects, engine, operations
from oms.services.payments.step import Effects

KIND = "bulk_orders"


def actor_of(job: BulkJob) -> Actor:
    user = job.notification.user
    return Actor(user.id if user else None, user.username if user else None, job.ip,
                 f"bulk:{job.id}")


class BulkStep(runner.Step):
    """Field operations apply each chunk in one transaction; effect operations call out
    (bulk/effects.py)."""

    def __init__(self, session: Session, job: Notification):
        super().__init__(session, job)
        bulk = session.get(BulkJob, job.id)
        self.operation = operations.get(bulk.operation)
        self.options = bulk.options
        self.actor = actor_of(bulk)
        self.chunk = current_app.config["BULK_CHUNK"]
        self.calls_out = self.operation.calls_out
        self.effects: Effects | None = None
        if self.calls_out:
            self.effects = Effects(session, job.id, self.actor)
            self.chunk = min(self.chunk, effects.CHUNK)

    def apply(self, session: Session, targets: list[runner.Target]) -> list[runner.Outcome]:
        return engine.apply_chunk(session, self.job_id, self.operation, self.options, targets,
                                  self.actor)

    def key(self, target: runner.Target) -> str:
        return self.operation.effect_key(self.job_id, target.order_id, self.options)

    def prepare(self, session: Session, targets: list[runner.Target]) -> list[effects.Item]:
        return effects.prepare(session, self.effects, self.operation, self.options, targets)

    def call(self, work: list[effects.Item]) -> list:
        return effects.call(self.effects, work)

    def record(self, session: Session, targets: list[runner.Target], answers: list
               ) -> list[runner.Outcome]:
        return effects.record(session, self.effects, answers)

    def close(self) -> None:
        if self.effects is not None:
            self.effects.close()

    def summary(self, done: Counter) -> str:
        return str(_l("%(ok)s changed, %(failed)s failed, %(skipped)s skipped.",
                      ok=f"{done[TargetState.ok]:,}", failed=f"{done[TargetState.failed]:,}",
                      skipped=f"{done[TargetState.skipped]:,}"))
