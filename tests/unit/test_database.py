"""Connection settings (oms.database): every SQLite connection of the app's engine in WAL
mode with a busy timeout; a pooled PostgreSQL connection the server closed is replaced."""

import time

import psycopg
import pytest
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


def _pooled_backend(engine) -> int:
    with engine.connect() as connection:
        return connection.exec_driver_sql("SELECT pg_backend_pid()").scalar()


def test_a_page_opens_after_the_database_closed_the_pooled_connection(app, auth, session):
    """A restart of PostgreSQL (or a terminated backend) closes the pooled connections: the
    next request gets a new one instead of an error, and a live one is kept."""
    engine = db.engine
    if engine.dialect.name != "postgresql":
        pytest.skip("an SQLite connection is a file: there is no server to close it")
    auth.login()
    engine.dispose()  # one pooled connection from here on
    backend = _pooled_backend(engine)
    assert auth.client.get("/orders/").status_code == 200
    assert _pooled_backend(engine) == backend  # a live connection is kept

    with psycopg.connect(engine.url.set(drivername="postgresql").render_as_string(False),
                         autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (backend,))
        deadline = time.monotonic() + 10
        while admin.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s",
                            (backend,)).fetchone():
            assert time.monotonic() < deadline, "the terminated backend did not exit"
            time.sleep(0.01)

    page = auth.client.get("/orders/")
    assert page.status_code == 200
    assert 'id="order-results"' in page.get_data(as_text=True)
    assert _pooled_backend(engine) != backend
