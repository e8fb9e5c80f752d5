"""SQLite connection settings (oms.database): every connection of the app's engine in WAL
mode with a busy timeout; PostgreSQL connections are left as they are."""

from sqlalchemy import event

from oms import database
from oms.extensions import db


def test_every_sqlite_connection_gets_wal_and_a_busy_timeout(app):
    with app.app_context():
        engine = db.engine
        if engine.dialect.name != "sqlite":
            assert not event.contains(engine, "connect", database._sqlite_pragmas)
            return
        engine.dispose()  # new connections, as a fresh process opens them
        assert database.sqlite_settings(engine) == {
            "journal_mode": "wal", "busy_timeout": database.SQLITE_BUSY_TIMEOUT_MS,
            "synchronous": 2}  # FULL
