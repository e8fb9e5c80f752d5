"""The writes of one chunk, collected and applied together.

Orders are wide and heavily indexed, and the status counters fire once per UPDATE
statement: one statement per order would cost more than everything else of a bulk job.
So column changes are written with one UPDATE per set of columns (a join to a VALUES list
on PostgreSQL), tag links and audit rows with one statement each, each order's version
bumped once and checked (RELIABILITY.md C: a bulk UPDATE must carry the version itself).
"""

from collections import defaultdict
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from oms.models import AuditEvent, Order, order_tags
from oms.models.base import utcnow
from oms.services import audit
from oms.services.actor import BULK, Actor, parse_via
from oms.services.sql_rows import insert_rows, update_rows


class Batch:
    def __init__(self, session: Session, actor: Actor):
        self.session = session
        self.actor = actor
        self.orders: dict[int, Order] = {}
        self.columns: dict[int, dict[str, Any]] = {}
        self.through_orm: set[int] = set()
        self.links: dict[bool, list[dict[str, int]]] = {True: [], False: []}
        self.audit_rows: list[dict[str, Any]] = []

    def set_column(self, order: Order, column: str, value: Any) -> None:
        self.touch(order)[column] = value

    def touch(self, order: Order) -> dict[str, Any]:
        """The order changed (its version and update time move) even if no column did."""
        self.orders[order.id] = order
        return self.columns.setdefault(order.id, {})

    def link_tag(self, order: Order, tag_id: int, linked: bool) -> None:
        self.links[linked].append({"order_id": order.id, "tag_id": tag_id})
        self.touch(order)

    def changed_through_orm(self, order: Order) -> None:
        """The order was changed on its ORM object (the flush writes and versions it)."""
        self.orders[order.id] = order
        self.through_orm.add(order.id)

    def audit(self, action: str, details: dict[str, Any] | None = None, **what: Any) -> None:
        details = {**(_job_details(self.actor) or {}), **(details or {})} or None
        self.audit_rows.append(audit.values(self.actor, action, details=details, **what))

    def write(self) -> None:
        session = self.session
        now = utcnow()
        # An order changed on its object too takes its column values there: one UPDATE,
        # one version bump.
        for order_id in self.through_orm & self.columns.keys():
            for column, value in self.columns.pop(order_id).items():
                setattr(self.orders[order_id], column, value)
        session.flush()
        for linked, rows in self.links.items():
            if rows:
                self._write_links(linked, rows)
        groups: dict[tuple[str, ...], list[int]] = defaultdict(list)
        for order_id, columns in self.columns.items():
            groups[tuple(sorted(columns))].append(order_id)
        for columns, order_ids in groups.items():
            self._update(columns, order_ids, now)
        if self.audit_rows:
            insert_rows(session, AuditEvent.__table__,
                        [row | {"created_at": now} for row in self.audit_rows])

    def _write_links(self, linked: bool, rows: list[dict[str, int]]) -> None:
        if linked:
            insert_rows(self.session, order_tags, rows)
        else:
            pairs = [(r["order_id"], r["tag_id"]) for r in rows]
            self.session.execute(sa.delete(order_tags).where(
                sa.tuple_(order_tags.c.order_id, order_tags.c.tag_id).in_(pairs)))
        for order_id in {r["order_id"] for r in rows}:
            self.session.expire(self.orders[order_id], ["tags"])

    def _update(self, columns: tuple[str, ...], order_ids: list[int], now) -> None:
        table = Order.__table__
        rows = [{"id": i, "version": self.orders[i].version,
                 **{c: self.columns[i][c] for c in columns}} for i in order_ids]
        changed = update_rows(self.session, table, rows, match=("id", "version"),
                              also={"version": table.c.version + 1, "updated_at": now})
        if changed != len(rows):
            raise StaleDataError(f"{len(rows) - changed} orders changed meanwhile")
        for order_id in order_ids:
            order = self.orders[order_id]
            for column in columns:
                set_committed_value(order, column, self.columns[order_id][column])
            set_committed_value(order, "version", order.version + 1)
            set_committed_value(order, "updated_at", now)


def _job_details(actor: Actor) -> dict[str, Any] | None:
    via = parse_via(actor.via)
    return {"bulk_job": via.job_id} if via.kind == BULK and via.job_id else None
