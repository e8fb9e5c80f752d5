"""What a bulk update acts on, from the order list or a CSV file, until its targets are frozen."""

from datetime import timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session

from oms.models import BulkSelection, Order, SelectionSource, bulk_selection_orders
from oms.models.base import utcnow
from oms.services import order_search, shipment_list
from oms.services.actor import Person

# Unfinished wizards are forgotten after a day.
KEEP_DRAFTS = timedelta(days=1)
INSERT_BATCH = 5000


def _new(session: Session, user: Person, source: SelectionSource, **fields) -> BulkSelection:
    session.execute(sa.delete(BulkSelection).where(
        BulkSelection.user_id == user.id, BulkSelection.created_at < utcnow() - KEEP_DRAFTS))
    selection = BulkSelection(user_id=user.id, source=source, **fields)
    session.add(selection)
    session.flush()
    return selection


def from_ids(session: Session, user: Person, order_ids: list[int], source: SelectionSource,
             file_name: str | None = None, report: dict | None = None, *,
             kind: str = "orders") -> BulkSelection:
    """Checked rows or CSV numbers: stored as rows, so a large file needs no long URL.
    `report` is what reading the file found, for the upload's result page; `kind` the
    list it was made on (注文一覧 or 出荷一覧), which decides the operations offered."""
    selection = _new(session, user, source, file_name=file_name, report=report, kind=kind)
    ids = sorted(set(order_ids))
    for start in range(0, len(ids), INSERT_BATCH):
        session.execute(sa.insert(bulk_selection_orders), [
            {"selection_id": selection.id, "order_id": i} for i in ids[start:start + INSERT_BATCH]
        ])
    selection.count = count(session, selection, None)
    return selection


def from_search(session: Session, user: Person, search: str, tz: ZoneInfo, *,
                kind: str = "orders") -> BulkSelection:
    """Select-all: the search is kept and evaluated again when the targets are frozen."""
    selection = _new(session, user, SelectionSource.search, search=search, kind=kind)
    selection.count = count(session, selection, tz)
    return selection


def get_own(session: Session, user: Person, selection_id: int | None) -> BulkSelection | None:
    if selection_id is None:
        return None
    return session.scalar(sa.select(BulkSelection).where(
        BulkSelection.id == selection_id, BulkSelection.user_id == user.id))


def conditions(session: Session, selection: BulkSelection, tz: ZoneInfo | None
               ) -> list[sa.ColumnElement[bool]]:
    """The selection's orders as SQL conditions (never a list of ids in the statement)."""
    if selection.source is SelectionSource.search and selection.kind == "shipments":
        return shipment_list.target_conditions(session, selection.search or "", tz)
    if selection.source is SelectionSource.search:
        return order_search.target_conditions(session, selection.search or "", None, tz)
    chosen = sa.select(bulk_selection_orders.c.order_id).where(
        bulk_selection_orders.c.selection_id == selection.id)
    return [Order.id.in_(chosen), Order.deleted_at.is_(None)]


def count(session: Session, selection: BulkSelection, tz: ZoneInfo | None) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(Order).where(
        *conditions(session, selection, tz))) or 0
