"""The operator-defined lists (oms.services.masters) as each process keeps them: the edit
screen, the bulk operations' forms and allocation read them from memory while no list
has changed anywhere (SCOPE P3: each master one small cached select).

Every change to a list, in any process, stores a new random token in
app_settings['masters'] in the transaction that makes it: a flush hook sees every ORM write
to a list, and writers in plain SQL call `changed`. A reader checks the token once per
transaction (one primary-key select) and uses the process's copy only while that copy
was read under the token stored now. A database whose lists were never changed since
this version has no token, and nothing is kept for it.
"""

import uuid
from collections.abc import Callable, Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from oms.models import AppSetting
from oms.models.base import upsert, utcnow

KEY = "masters"
_READ = "list_cache.token"  # session.info: the token read in this transaction


class ListCache:
    """Copies of the rows of `models`, as immutable rows, kept per process."""

    def __init__(self, models: Iterable[type]):
        self.models = frozenset(models)
        self._copies: dict[type, tuple[str, list[sa.Row]]] = {}
        sa.event.listen(Session, "before_flush", self._flushing)

    def rows(self, session: Session, model: type, load: Callable[[], list[sa.Row]]
             ) -> list[sa.Row]:
        """The model's rows: the process's copy while it is current, else `load()`."""
        if session.autoflush and self._pending(session):
            session.flush()  # as a query would: this transaction's own changes count
        current = token(session)
        kept = self._copies.get(model)
        if current is not None and kept is not None and kept[0] == current:
            return kept[1]
        rows = load()
        if current is not None:
            self._copies[model] = (current, rows)
        return rows

    def _pending(self, session: Session) -> bool:
        return any(type(row) in self.models for row in (*session.new, *session.deleted)) or any(
            type(row) in self.models and session.is_modified(row) for row in session.dirty)

    def _flushing(self, session: Session, flush_context: Any, instances: Any) -> None:
        if self._pending(session):
            changed(session)


def token(session: Session) -> str | None:
    """The token stored now, read once per transaction of `session`."""
    if _READ not in session.info:
        value = session.scalar(sa.select(AppSetting.value).where(AppSetting.key == KEY))
        session.info[_READ] = (value or {}).get("token")
    return session.info[_READ]


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
