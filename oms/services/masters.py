"""The operator-defined lists orders pick from (設定 > 対応状況管理, 受注ラベル管理, 要対応理由管理,
媒体管理, ラッピング管理, 在庫ロケーション管理): one pattern for all six (M8).

A row that orders use is never deleted, only deactivated: it is then no longer offered,
and the orders that hold it still show it. 媒体, ラッピング and 在庫ロケーション are held by
orders as text (malls send them so), so their name or code cannot change while orders use
it; the other lists are held by id and may be renamed freely.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from oms.models import (
    AttentionReason,
    ConversionSetting,
    HandlingStatus,
    Media,
    Order,
    StockLocation,
    Tag,
    Wrapping,
    order_tags,
)
from oms.models.base import upsert
from oms.services import audit, conversions
from oms.services.actor import Actor
from oms.services.list_cache import ListCache, changed

TAG_COLORS = ("gray", "red", "orange", "yellow", "green", "blue", "purple", "pink")
TAX_RATES = (10, 8, 0)
# Where allocation looks when no location was ever listed (a fresh install).
DEFAULT_LOCATION = "main"


@dataclass(frozen=True)
class Master:
    """One list: its rows' model, the columns its form edits, the column orders refer to
    (`key`: id, name or code) and the query counting the orders that use a row."""

    slug: str
    model: type
    title: Any
    columns: tuple[str, ...]
    key: str
    order_by: tuple[str, ...]
    usage: Callable[[Any], sa.Select]
    # Rules beyond a unique name: a form field -> why the values are refused.
    check: Callable[[dict[str, Any]], dict[str, str]] = lambda values: {}

    @property
    def by_text(self) -> bool:
        return self.key != "id"


def _orders_where(condition) -> sa.Select:
    return sa.select(sa.func.count()).select_from(Order).where(condition,
                                                              Order.deleted_at.is_(None))


MASTERS = {m.slug: m for m in (
    Master("handling-statuses", HandlingStatus, _l("Handling statuses"),
           ("name", "position", "stamps"), "id", ("position", "id"),
           lambda row: _orders_where(Order.handling_status_id == row.id)),
    Master("tags", Tag, _l("Order labels"), ("name", "color"), "id", ("name", "id"),
           lambda row: sa.select(sa.func.count()).select_from(order_tags)
           .join(Order, Order.id == order_tags.c.order_id)
           .where(order_tags.c.tag_id == row.id, Order.deleted_at.is_(None))),
    Master("attention-reasons", AttentionReason, _l("Reasons for attention"),
           ("name", "position"), "id", ("position", "id"),
           lambda row: _orders_where(Order.attention_reason_id == row.id)),
    Master("media", Media, _l("Media"), ("name", "position"), "name", ("position", "id"),
           lambda row: _orders_where(Order.media == row.name)),
    Master("wrappings", Wrapping, _l("Wrappings"), ("name", "fee", "tax_rate", "position"),
           "name", ("position", "id"), lambda row: _orders_where(Order.wrapping == row.name)),
    Master("stock-locations", StockLocation, _l("Stock locations"),
           ("code", "name", "priority"), "code", ("priority", "id"),
           lambda row: _orders_where(Order.stock_location == row.code)),
    # 成果通知設定: the log keeps each notice's setting by name, so a setting is never in use.
    Master("conversion-settings", ConversionSetting, _l("Conversion notifications"),
           ("name", "url", "method", "event"), "id", ("id",), lambda row: sa.select(0),
           conversions.setting_problems),
)}
FOR_MODEL = {m.model: m for m in MASTERS.values()}
CACHE = ListCache(FOR_MODEL)


class MasterRefused(ValueError):
    """The change is refused; `errors` maps a form field (or "" for the row) to why."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(errors.values()))
        self.errors = errors


def _sorted(master: Master, query: sa.Select) -> sa.Select:
    return query.order_by(*(getattr(master.model, name) for name in master.order_by))


def rows(session: Session, master: Master) -> list[Any]:
    """Every row, in the list's order (inactive ones too: the screen shows them)."""
    ensure_default(session, master)
    return list(session.scalars(_sorted(master, sa.select(master.model))))


def offered(session: Session, model: type, keep: Any = None) -> list[sa.Row]:
    """What a screen offers: the active rows, plus the rows whose key is `keep` or in it
    (the order's own values), in the list's order, as read-only rows. From the process's
    copy of the list while no list has changed (oms.services.list_cache)."""
    master = FOR_MODEL[model]
    keep = [value for value in (keep if isinstance(keep, list) else [keep])
            if value is not None]
    return [row for row in CACHE.rows(session, model, lambda: _all(session, master))
            if row.active or getattr(row, master.key) in keep]


def _all(session: Session, master: Master) -> list[sa.Row]:
    ensure_default(session, master)
    return list(session.execute(_sorted(master, sa.select(*master.model.__table__.c))))


def is_offered(session: Session, model: type, value: Any) -> bool:
    """Whether `value` (an id, name or code) names an active row of the list."""
    master = FOR_MODEL[model]
    return session.scalar(sa.select(sa.func.count()).select_from(model).where(
        getattr(model, master.key) == value, model.active)) > 0


def usage(session: Session, master: Master, row: Any) -> int:
    """How many orders (not deleted) use the row."""
    return session.scalar(master.usage(row)) or 0


def in_use_message(count: int) -> str:
    return str(_l("Used by %(n)s orders", n=f"{count:,}"))


def create(session: Session, master: Master, values: dict[str, Any], actor: Actor) -> Any:
    _check(session, master, values, None)
    row = master.model(**values, active=True)
    session.add(row)
    session.flush()
    audit.record(session, actor, f"{_entity(master)}.create", entity_type=_entity(master),
                 entity_id=row.id, details={k: _text(v) for k, v in values.items()})
    return row


def update(session: Session, master: Master, row: Any, values: dict[str, Any],
           actor: Actor) -> bool:
    """Change the row; one audit row per changed column. Returns whether anything
    changed."""
    _check(session, master, values, row)
    key_change = master.by_text and values.get(master.key, getattr(row, master.key)) != (
        getattr(row, master.key))
    if key_change and (count := usage(session, master, row)):
        raise MasterRefused({master.key: str(_l(
            "%(used)s: orders hold this as text, so it cannot be renamed. Add a new row "
            "and deactivate this one instead.", used=in_use_message(count)))})
    changed = False
    for name, value in values.items():
        old = getattr(row, name)
        if _text(old) != _text(value):
            audit.record(session, actor, f"{_entity(master)}.update",
                         entity_type=_entity(master), entity_id=row.id, field=name,
                         old=_text(old), new=_text(value))
            setattr(row, name, value)
            changed = True
    session.flush()
    return changed


def set_active(session: Session, master: Master, row: Any, active: bool, actor: Actor) -> bool:
    """Deactivate (no longer offered; orders keep it) or reactivate the row."""
    if row.active == active:
        return False
    audit.record(session, actor, f"{_entity(master)}.update", entity_type=_entity(master),
                 entity_id=row.id, field="active", old=_text(row.active), new=_text(active))
    row.active = active
    session.flush()
    return True


def delete(session: Session, master: Master, row: Any, actor: Actor) -> None:
    """Delete a row no order uses; one in use is refused 「N件の注文で使用中」."""
    if count := usage(session, master, row):
        raise MasterRefused({"": str(_l(
            "%(used)s: it cannot be deleted. Deactivate it instead; the orders keep it.",
            used=in_use_message(count)))})
    audit.record(session, actor, f"{_entity(master)}.delete", entity_type=_entity(master),
                 entity_id=row.id, old=_text(getattr(row, master.columns[0])))
    session.delete(row)
    session.flush()


def ensure_default(session: Session, master: Master) -> None:
    """A fresh install allocates from "main", as it did before the list existed: the
    row is added the first time the locations are read."""
    if master.model is StockLocation and session.scalar(
            sa.select(StockLocation.id).limit(1)) is None:
        # Two sweeps may read the empty list at once: the second one's row is skipped.
        added = session.execute(upsert(session, StockLocation.__table__).values(
            code=DEFAULT_LOCATION, name=DEFAULT_LOCATION, priority=1, active=True)
            .on_conflict_do_nothing(index_elements=["code"]))
        if added.rowcount:
            changed(session)


def allocation_locations(session: Session) -> list[str]:
    """The codes allocation tries, in order: the active stock locations by priority."""
    return [row.code for row in offered(session, StockLocation)]


def _text(value: Any) -> str | None:
    if isinstance(value, bool):
        return "true" if value else "false"
    return None if value is None else str(getattr(value, "value", value))


def _entity(master: Master) -> str:
    return master.model.__tablename__


def _check(session: Session, master: Master, values: dict[str, Any], row: Any) -> None:
    if errors := master.check(values):
        raise MasterRefused(errors)
    unique = "code" if "code" in master.columns else "name"
    value = values.get(unique)
    if value is None or master.model is ConversionSetting:
        return
    column = getattr(master.model, unique)
    query = sa.select(master.model.id).where(column == value)
    if row is not None:
        query = query.where(master.model.id != row.id)
    if session.scalar(query.limit(1)) is not None:
        raise MasterRefused({unique: str(_l("%(value)s is already in the list.",
                                            value=value))})
