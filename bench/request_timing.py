"""What the request benches share: the bench user, a signed-in test client, a clock of
the SQL each request runs, and the median of repeated runs."""

import runpy
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa

from oms.extensions import db
from oms.models import Role, User
from oms.services import users

BENCH_USER, BENCH_PASSWORD = "bench-operator", "Bench-password-4242"


class SqlClock:
    """Wall time and number of the statements run on `engine` since the last reset."""

    def __init__(self, engine: sa.Engine):
        self.seconds, self.statements = 0.0, 0

        @sa.event.listens_for(engine, "before_cursor_execute")
        def _start(conn, cursor, statement, params, context, executemany):
            conn.info["t0"] = time.perf_counter()

        @sa.event.listens_for(engine, "after_cursor_execute")
        def _stop(conn, cursor, statement, params, context, executemany):
            self.seconds += time.perf_counter() - conn.info.pop("t0")
            self.statements += 1

    def reset(self) -> None:
        self.seconds, self.statements = 0.0, 0


class ServedClock:
    """Wall time of the last request as the app served it: the WSGI call, from the
    request's environ to its response. The test client's own work around that call
    (building the environ, keeping the cookies, reading the response) is left out, as a
    server's would be."""

    def __init__(self, app):
        self.seconds = 0.0
        served = app.wsgi_app

        def timed(environ, start_response):
            t0 = time.perf_counter()
            try:
                return served(environ, start_response)
            finally:
                self.seconds = time.perf_counter() - t0

        app.wsgi_app = timed


def bench_user() -> User:
    """The operator the benches sign in as (made once). Needs an app context."""
    user = db.session.scalar(sa.select(User).where(User.username == BENCH_USER))
    if user is None:
        user = users.create_user(db.session, BENCH_USER, BENCH_PASSWORD, Role.operator)
        db.session.commit()
    return user


def signed_in(app):
    """A test client signed in as the bench user, in a process set up as gunicorn sets up
    a web worker (gunicorn.conf.py's post_worker_init: the garbage collector's settings)."""
    runpy.run_path(str(Path(__file__).resolve().parent.parent / "gunicorn.conf.py")
                   )["post_worker_init"](None)
    client = app.test_client()
    client.post("/login", data={"username": BENCH_USER, "password": BENCH_PASSWORD})
    return client


def median_ms(action: Callable[[], object], runs: int) -> float:
    times = []
    for run in range(runs + 3):
        t0 = time.perf_counter()
        action()
        if run >= 3:  # the first runs warm caches
            times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)
