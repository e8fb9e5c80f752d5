"""The 後払い export job (kind `deferred_export`), a runner step over the targets frozen at
出力: CHUNK orders a transaction, each chunk's rows kept with its outcomes and its changes
committed together:

* 取引登録: the orders become 与信待ち (`deferred_registered`, last verdict cleared), each
  with a `deferred_register` ledger row, open until its 与信結果 is imported;
* 配送伝票: 出荷報告 becomes `pending`, each with a `ship_report` ledger row, open until its
  出荷報告結果 is imported.

When the last target is done the file is assembled from the outcomes in target order and
offered by the job's notification (as the 出荷指示 export does).
"""

import os
from collections import Counter
from pathlib import Path

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from oms.models import (
    AuditEvent,
    DeferredFile,
    JobTarget,
    Notification,
    Order,
    PaymentStatus,
    PaymentTransaction,
    ShipReportState,
    TargetState,
    TransactionKind,
    TransactionState,
)
from oms.models.base import utcnow
from oms.services import audit, runner
from oms.services.actor import JOB, Actor
from oms.services.deferred_export import CHUNK, Choice, Decision, decide, load
from oms.services.deferred_files import header_line
from oms.services.sql_rows import insert_rows, one_of


class DeferredExportStep(runner.Step):
    chunk = CHUNK

    def __init__(self, session: Session, job: Notification):
        super().__init__(session, job)
        user = job.user
        self.actor = Actor(user.id if user else None, user.username if user else None,
                           job.params.get("ip"), f"{JOB}:{job.id}")
        self.choice = Choice.from_params(job.params)

    def apply(self, session: Session, targets: list[runner.Target]) -> list[runner.Outcome]:
        orders = next(load(session, [Order.id.in_([t.order_id for t in targets]),
                                     Order.deleted_at.is_(None)], self.choice, lock=True), [])
        decisions = {d.order_id: d for d in decide(session, orders, self.choice)}
        exported = [d for d in decisions.values() if d.rows is not None]
        if exported:
            self._write(session, exported)
        return [_outcome(t.id, decisions.get(t.order_id)) for t in targets]

    def _write(self, session: Session, exported: list[Decision]) -> None:
        now = utcnow()
        ids = [d.order_id for d in exported]
        credit = self.choice.file is DeferredFile.credit
        if credit:
            values = {"payment_status": PaymentStatus.deferred_registered, "deferred_ref": None,
                      "deferred_result": None, "deferred_reason": None}
            kind, field, new = (TransactionKind.deferred_register, "payment_status",
                                PaymentStatus.deferred_registered.value)
        else:
            values = {"ship_report_state": ShipReportState.pending, "ship_report_error": None}
            kind, field, new = (TransactionKind.ship_report, "ship_report_state",
                                ShipReportState.pending.value)
        session.execute(sa.update(Order).where(one_of(session, Order.id, ids))
                        .values(**values, updated_at=now, version=Order.version + 1)
                        .execution_options(synchronize_session=False))
        refs = dict(session.execute(sa.select(Order.id, Order.deferred_ref)
                                    .where(one_of(session, Order.id, ids))).all())
        insert_rows(session, PaymentTransaction.__table__, [
            {"order_id": d.order_id, "kind": kind.value, "gateway": self.choice.gateway.value,
             "amount": d.amount, "state": TransactionState.pending.value,
             "idempotency_key": f"{kind.value}:{d.order_id}:{self.job_id}",
             "external_ref": None if credit else refs.get(d.order_id),
             "result_code": None, "message": None, "user_id": self.actor.user_id,
             "user_name": self.actor.username, "via": self.actor.via,
             "notification_id": self.job_id, "created_at": now, "finished_at": None}
            for d in exported])
        insert_rows(session, AuditEvent.__table__, [
            audit.values(self.actor, f"order.{kind.value}", entity_type="order",
                         entity_id=d.order_id, field=field, new=new,
                         details={"export_id": self.job_id, "again": d.again})
            | {"created_at": now} for d in exported])

    def finish(self, session: Session, job: Notification) -> None:
        """The file: the rows of the exported targets, in target order."""
        directory = Path(current_app.config["EXPORT_DIR"])
        directory.mkdir(parents=True, exist_ok=True)
        layout = self.choice.layout
        path = directory / f"deferred-{job.id}.csv"
        tmp = path.with_suffix(".part")
        rows = session.execute(
            sa.select(JobTarget.after)
            .where(JobTarget.job_id == job.id, JobTarget.state == TargetState.ok)
            .order_by(JobTarget.id).execution_options(yield_per=CHUNK))
        try:
            with tmp.open("w", encoding="cp932", newline="") as handle:
                handle.write(header_line(layout))
                for (after,) in rows:
                    handle.write(after["text"])
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        os.replace(tmp, path)
        job.result_path = str(path)
        job.result_name = f"{layout.name}-{job.id}.csv"

    def summary(self, done: Counter) -> str:
        return str(_l("%(ok)s orders exported, %(failed)s refused, %(skipped)s skipped.",
                      ok=f"{done[TargetState.ok]:,}", failed=f"{done[TargetState.failed]:,}",
                      skipped=f"{done[TargetState.skipped]:,}"))


def _outcome(target_id: int, decision: Decision | None) -> runner.Outcome:
    if decision is None:
        return runner.Outcome(target_id, TargetState.skipped, str(_l("The order was deleted.")))
    if decision.rows is None:
        return runner.Outcome(target_id, TargetState.failed, decision.reason)
    return runner.Outcome(target_id, TargetState.ok,
                          after={"text": decision.text, "again": decision.again})
