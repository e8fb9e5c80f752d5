"""The 出荷指示エクスポート job (kind `shipping_export`), a runner step over the targets frozen
at 出力: CHUNK orders a transaction, each chunk's rows kept with its outcomes and its
changes committed together (S2):

* every exported order gets 出荷リスト 出力済 (`shipping_list_exported_at`) and a Shipment
  (carrier, service, 出荷予定日, export id) unless it already has one open: a 再出力 makes no
  second shipment;
* 自動 orders move 出荷待ち → 出荷中 in one UPDATE, their history, audit and lines set-based
  (as auto_advance moves orders); 手動 orders stay (R1), and a 再出力 never moves one back.

A row is stored with its target's outcome, so a lane lost mid-job loses nothing and writes
nothing twice: the resumed job goes on with the pending targets, and when the last is done
the file is assembled from the outcomes in target order (the runner's `finish`) and offered
by the job's notification.
"""

import csv
import io
import os
from collections import Counter
from pathlib import Path

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from oms.csvfiles import ENCODINGS
from oms.labels import stored
from oms.models import (
    AuditEvent,
    JobTarget,
    LineStatus,
    Notification,
    Order,
    OrderLine,
    OrderStatus,
    Shipment,
    ShipmentLine,
    ShippingExport,
    StatusHistory,
    TargetState,
)
from oms.models.base import utcnow
from oms.services import audit, line_status, runner
from oms.services.actor import JOB, Actor
from oms.services.shipping_export import CHUNK, Choice, Decision, decide, load, plan
from oms.services.sql_rows import insert_rows, one_of, update_rows

S = OrderStatus
MOVE_REASON = _l("Shipping instructions exported")


class ExportStep(runner.Step):
    chunk = CHUNK

    def __init__(self, session: Session, job: Notification):
        super().__init__(session, job)
        user = job.user
        self.actor = Actor(user.id if user else None, user.username if user else None,
                           job.params.get("ip"), f"{JOB}:{job.id}")
        self.choice = Choice.from_params(job.params)

    def apply(self, session: Session, targets: list[runner.Target]) -> list[runner.Outcome]:
        p = plan(session, self.choice)
        orders = next(load(session, [Order.id.in_([t.order_id for t in targets]),
                                     Order.deleted_at.is_(None)], lock=True), [])
        decisions = {d.order_id: d for d in decide(orders, p)}
        exported = [o for o in orders if decisions[o.id].cells is not None]
        if exported:
            self._write(session, exported, p)
        return [_outcome(t.id, decisions.get(t.order_id)) for t in targets]

    def _write(self, session: Session, orders: list[Order], p) -> None:
        now = utcnow()
        ids = [o.id for o in orders]
        moving = [o.id for o in orders if o.auto_advance and o.status is S.ready_to_ship]
        # Two plain UPDATEs: a CASE testing each row against a list of 2,000 ids cost more
        # than writing the row.
        staying = sorted(set(ids) - set(moving))
        for chosen, values in ((moving, {"status": S.shipping.value}), (staying, {})):
            if chosen:
                session.execute(
                    sa.update(Order).where(one_of(session, Order.id, chosen))
                    .values(shipping_list_exported_at=now, updated_at=now,
                            version=Order.version + 1, **values)
                    .execution_options(synchronize_session=False))
        reason = stored(MOVE_REASON)
        audits = [audit.values(self.actor, "order.shipping_export", entity_type="order",
                               entity_id=order_id, field="shipping_list_exported_at",
                               new=now.isoformat(), details={"export_id": self.job_id})
                  for order_id in ids]
        if moving:
            insert_rows(session, StatusHistory.__table__, [
                {"order_id": order_id, "from_status": S.ready_to_ship.value,
                 "to_status": S.shipping.value, "user_id": self.actor.user_id,
                 "via": self.actor.via, "reason": reason, "created_at": now}
                for order_id in moving])
            audits += [audit.values(self.actor, "order.status", entity_type="order",
                                    entity_id=order_id, field="status",
                                    old=S.ready_to_ship.value, new=S.shipping.value,
                                    details={"reason": reason})
                       for order_id in moving]
        insert_rows(session, AuditEvent.__table__, [row | {"created_at": now} for row in audits])
        self._shipments(session, orders, p, now)
        # The loaded orders are stale now, but nothing reads them before the chunk's commit
        # expires them (expiring 2,000 orders one by one cost a tenth of the chunk).
        line_status.follow(session, moving, self.actor, allocates=p.allocates)

    def _shipments(self, session: Session, orders: list[Order], p, now) -> None:
        """A Shipment for each order without an open one; an open one not yet on a file
        (配送情報送信 made it) is this file's now."""
        values = {"carrier": p.carrier.name, "method": p.service.name,
                  "service": p.service.name, "ship_date": p.choice.ship_date,
                  "export_id": self.job_id}
        new, claimed = [], []
        for order in orders:
            open_ = [s for s in order.shipments if s.voided_at is None]
            if not open_:
                new.append(order.id)
            elif open_[-1].export_id is None:
                claimed.append({"id": open_[-1].id, **values})
        if claimed:
            update_rows(session, Shipment.__table__, claimed, match=("id",))
        if new:
            insert_rows(session, Shipment.__table__, [
                {"order_id": order_id, **values, "created_at": now} for order_id in new])
            session.execute(sa.insert(ShipmentLine).from_select(
                ["shipment_id", "order_line_id", "quantity"],
                sa.select(Shipment.id, OrderLine.id, OrderLine.quantity)
                .join(OrderLine, OrderLine.order_id == Shipment.order_id)
                .where(Shipment.export_id == self.job_id, Shipment.order_id.in_(new),
                       OrderLine.status != LineStatus.cancelled)))

    def finish(self, session: Session, job: Notification) -> None:
        """The file: the rows of the exported targets, in target order."""
        p = plan(session, self.choice)
        directory = Path(current_app.config["EXPORT_DIR"])
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / f"shipping-{job.id}.csv"
        tmp = path.with_suffix(".part")
        rows = session.execute(
            sa.select(JobTarget.after)
            .where(JobTarget.job_id == job.id, JobTarget.state == TargetState.ok)
            .order_by(JobTarget.id).execution_options(yield_per=CHUNK))
        written = 0
        try:
            with tmp.open("w", encoding=ENCODINGS[self.choice.encoding], newline="") as handle:
                csv.writer(handle, lineterminator="\r\n").writerow(p.layout.header)
                for (after,) in rows:
                    handle.write(after["line"])
                    written += 1
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        os.replace(tmp, path)
        job.result_path = str(path)
        job.result_name = (f"{p.carrier.file_format.value}-{self.choice.ship_date:%Y%m%d}"
                           f"-{job.id}.csv")
        session.execute(sa.update(ShippingExport).where(ShippingExport.id == job.id)
                        .values(order_count=written))

    def summary(self, done: Counter) -> str:
        return str(_l("%(ok)s orders exported, %(failed)s refused, %(skipped)s skipped.",
                      ok=f"{done[TargetState.ok]:,}", failed=f"{done[TargetState.failed]:,}",
                      skipped=f"{done[TargetState.skipped]:,}"))


def _outcome(target_id: int, decision: Decision | None) -> runner.Outcome:
    if decision is None:
        return runner.Outcome(target_id, TargetState.skipped, str(_l("The order was deleted.")))
    if decision.exported:
        return runner.Outcome(target_id, TargetState.skipped, str(_l(
            "Already exported (tick Reprint to export it again).")))
    if decision.cells is None:
        return runner.Outcome(target_id, TargetState.failed, decision.reason)
    # Kept as the file's line: one string per target passes to the database far cheaper
    # than a JSON list of forty cells.
    line = io.StringIO()
    csv.writer(line, lineterminator="\r\n").writerow(decision.cells)
    return runner.Outcome(target_id, TargetState.ok, after={"line": line.getvalue()})
