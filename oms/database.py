"""Database engine settings that SQLAlchemy's URL cannot carry.

A pooled PostgreSQL connection is checked on checkout, without a round trip, and replaced
if the server has closed it (see `_drop_if_closed`).

SQLite, the embedded default, is shared by the web processes and the workers. Every SQLite
connection therefore gets:

- WAL mode: readers never wait for a writer and a writer never waits for readers, so pages
  open while a job commits its chunks;
- a busy timeout: a second writer (a memo saved while a bulk job commits a chunk) waits for
  the lock instead of failing at once with "database is locked". SQLite still lets only one
  writer at a time; a job's transaction is one chunk (a bulk chunk of 500 orders holds the
  lock for 0.2 to 1 s), and this is how long anyone may wait for one.

Waiting is not queueing, though: SQLite wakes a waiting writer only now and then (after
1, 2, 5 ... then every 100 ms), and a job that starts its next chunk right after committing
the last one takes the lock again before the waiter looks. A memo, a sign-in or 中止 could
then wait for the whole job. So on SQLite an RQ job pauses for `SQLITE_JOB_PAUSE` after
each commit of a transaction that ran for longer than `SQLITE_LONG_TRANSACTION`: long
enough for any waiting writer to look and take its turn. Bulk updates on SQLite are that
much slower (10 to 50 % at 500 orders a chunk); PostgreSQL has row locks and no pause.
"""

import select
import time

import sqlalchemy as sa
from flask import Flask
from rq import get_current_job
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from oms.extensions import db

SQLITE_BUSY_TIMEOUT_MS = 30_000
SQLITE_PRAGMAS = (
    # First: switching to WAL itself needs the lock for a moment.
    f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}",
    # Kept in the database file; repeated on every connection so that a file made
    # elsewhere (a copy, a restore) is switched too.
    "PRAGMA journal_mode = WAL",
    # The default (FULL) kept on purpose: a committed change survives a power loss.
    "PRAGMA synchronous = FULL",
)


SQLITE_LONG_TRANSACTION = 0.05
SQLITE_JOB_PAUSE = 0.15  # more than SQLite's longest sleep between two looks (100 ms)


def init_app(app: Flask) -> None:
    """Set the SQLite pragmas on every connection the app's engines open; drop pooled
    PostgreSQL connections the server closed; let jobs on SQLite pause after their long
    transactions."""
    with app.app_context():
        for engine in db.engines.values():
            if engine.dialect.name == "sqlite":
                event.listen(engine, "connect", _sqlite_pragmas)
            elif engine.dialect.name == "postgresql":
                event.listen(engine, "checkout", _drop_if_closed)
    if not event.contains(Session, "after_transaction_create", _began):
        event.listen(Session, "after_transaction_create", _began)
        event.listen(Session, "after_commit", _pause_after_long_job_commit)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    try:
        for pragma in SQLITE_PRAGMAS:
            cursor.execute(pragma)
    finally:
        cursor.close()


def _drop_if_closed(dbapi_connection, _record, _proxy) -> None:
    """Checkout: a pooled PostgreSQL connection that the server has closed (restarted, the
    backend terminated, an idle timeout) is dropped, and the pool opens a new one in its
    place. An idle connection that lives has nothing to read; a closed one has the
    server's last message and the end of the stream. Asking the socket costs a
    microsecond, where pool_pre_ping's round trip cost 0.08 ms of every request. (An
    idle connection is also readable after an unasked notice; it is dropped too, which
    costs one new connection.)"""
    if not dbapi_connection.closed:
        poller = select.poll()
        poller.register(dbapi_connection.fileno(), select.POLLIN)
        if not poller.poll(0):
            return
    raise sa.exc.DisconnectionError("the database closed this pooled connection")


def _began(session: Session, transaction) -> None:
    if transaction.parent is None:  # the session's own transaction, not a savepoint
        session.info["oms_began"] = time.monotonic()


def _pause_after_long_job_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint released: the session's own transaction still holds the lock
    began = session.info.pop("oms_began", None)
    if began is None or get_current_job() is None:
        return  # not in an RQ job: web requests never pause
    if time.monotonic() - began < SQLITE_LONG_TRANSACTION:
        return
    bind = session.get_bind()
    if bind.dialect.name == "sqlite":
        time.sleep(SQLITE_JOB_PAUSE)


def sqlite_settings(engine: Engine) -> dict[str, object]:
    """The pragmas a new connection of `engine` has (for tests and `flask` shells)."""
    with engine.connect() as connection:
        return {name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()
                for name in ("journal_mode", "busy_timeout", "synchronous")}


def write_lock(session: Session) -> None:
    """On SQLite, take the database's write lock now: SQLite has no row locks, and what a
    caller reads next must not change under it before it commits (PostgreSQL callers lock
    their rows with FOR UPDATE instead; this does nothing there)."""
    if session.get_bind().dialect.name == "sqlite":
        session.execute(sa.text("UPDATE stocks SET allocated = allocated WHERE 0"))
