"""Small lists that change rarely and are read on every page, kept per process: the
operator-defined lists (oms.services.masters), the shops and payment methods the order
list's search offers, the bank accounts of 入金確認. Pages read them from memory while none
has changed anywhere (SCOPE P3: each master one small cached select; issue 14: a request
reads one row instead of several lists).

Every change to a watched table, in any process, stores a new random token in
app_settings['masters'] in the transaction that makes it: a flush hook sees every ORM write
to a watched table, and writers in plain SQL call `changed`. A reader checks the token once
per transaction (one primary-key select) and uses the process's copy only while that copy
was read under the token stored now (a database never changed has none yet: that is a
token too).
"""

import uuid
from collections.abc import Callable, Hashable, Iterable
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import Session

from oms.models import AppSetting
from oms.models.base import upsert, utcnow

KEY = "masters"
_READ = "list_cache.token"  # session.info: the token read in this transaction


T = TypeVar("T")
_WATCHED: set[type] = set()  # every cache's models: a write to one of them changes the token


class ListCache:
    """Copies of what was read from `models` (rows, or a mapping of them), kept per
    process and never changed by their readers."""

    def __init__(self, models: Iterable[type]):
        self.models = frozenset(models)
        _WATCHED.update(self.models)
        self._copies: dict[Hashable, tuple[str | None, Any]] = {}

    def rows(self, session: Session, key: Hashable, load: Callable[[], T]) -> T:
        """The list named `key`: the process's copy while it is current, else `load()`."""
        if session.autoflush and _pending(session, self.models):
            session.flush()  # as a query would: this transaction's own changes count
        current = token(session)
        kept = self._copies.get(key)
        if kept is not None and kept[0] == current:
            return kept[1]
        rows = load()
        self._copies[key] = (current, rows)
        return rows


def _pending(session: Session, models: frozenset[type] | set[type]) -> bool:
    return any(type(row) in models for row in (*session.new, *session.deleted)) or any(
        type(row) in models and session.is_modified(row) for row in session.dirty)


@sa.event.listens_for(Session, "before_flush")
def _flushing(session: Session, flush_context: Any, instances: Any) -> None:
    if _pending(session, _WATCHED):
        changed(session)


def _stored() -> sa.Select:
    return sa.select(AppSetting.value).where(AppSetting.key == KEY)


def token(session: Session) -> str | None:
    """The token stored now, read once per transaction of `session`."""
    if _READ not in session.info:
        _remember(session, session.scalar(_stored()))
    return session.info[_READ]


def _remember(session: Session, value: dict[str, Any] | None) -> None:
    session.info[_READ] = (value or {}).get("token")


def with_token(statement: sa.Select) -> sa.Select:
    """`statement` with the token as its last column, for `first_with_token`."""
    return statement.add_columns(_stored().scalar_subquery())


def first_with_token(session: Session, statement: sa.Select, params: dict[str, Any]
                     ) -> sa.Row | None:
    """The first row of `statement` (made by `with_token`, of plain columns) with
    `params`: every request reads the signed-in user's row first, and one round trip is
    cheaper than two. Run as Core: a row of plain columns needs nothing of the ORM."""
    row = session.connection().execute(statement, params).first()
    if row is None:
        return None
    _remember(session, row[-1])
    return row


@sa.event.listens_for(Session, "after_commit")
@sa.event.listens_for(Session, "after_soft_rollback")
def _forget_token(session: Session, *args: Any) -> None:
    session.info.pop(_READ, None)


def changed(bind: Session | sa.Connection) -> None:
    """Tell every process that a list changed (in the caller's transaction)."""
    value = {"token": uuid.uuid4().hex}
    insert = upsert(bind, AppSetting.__table__).values(key=KEY, value=value,
                                                        updated_at=utcnow())
    statement = insert.on_conflict_do_update(index_elements=["key"], set_={
        "value": insert.excluded.value, "updated_at": insert.excluded.updated_at})
    if isinstance(bind, Session):
        bind.connection().execute(statement)
        bind.info.pop(_READ, None)  # read again: this transaction now holds the new one
    else:
        bind.execute(statement)
