"""How fast the OMS imports, refreshes and links mall orders; prints figures.

    .venv/bin/python bench/sync_bench.py [--orders 100000] [--refresh 10000]
        [--import-db URL] [--link-db URL] [--skip-link]

1. Import: the sandbox marketplace (a child process, its default latency) holds `--orders`
   Amazon orders; one worker's import job reads them all into a fresh PostgreSQL database
   (`--import-db`, dropped and created again). Statistics are refreshed every few seconds
   meanwhile, as autovacuum does (it may be off on a benchmark server: `SHOW autovacuum`).
2. Refresh: 全注文更新 of `--refresh` orders of another shop, as the job runs it.
3. Link: アイテム紐づけ of every order in `--link-db` (the 1,000,000-order database that
   bench/seed_bench.py fills), as an operator runs it over a search: lines whose result
   does not change are not written; that run is rolled back. With `--from-scratch` every
   link is cleared first and vacuumed (not timed), as after importing orders nobody has
   linked yet, so every line and order result is written, committing per chunk as the job
   does; the same mappings link them as before, so the database ends as it was.
"""

import argparse
import os
import socket
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--refresh", type=int, default=10_000)
    parser.add_argument("--import-db", default="postgresql://postgres@127.0.0.1/oms_sync_bench")
    parser.add_argument("--link-db", default="postgresql://postgres@127.0.0.1/oms_bench")
    parser.add_argument("--skip-link", action="store_true")
    parser.add_argument("--link-only", action="store_true")
    parser.add_argument("--from-scratch", action="store_true")
    args = parser.parse_args()
    if args.link_only:
        seconds = bench_link(args.link_db, args.from_scratch)
        print(f"link     {LINKED:>9,} orders   {seconds:>8.1f} s         (goal < 60 s)")
        return

    app = migrated_app(args.import_db, "sync-bench")
    with sandbox_running() as sandbox:
        import_rate = bench_import(app, sandbox, args.orders)
        refresh_rate = bench_refresh(app, sandbox, args.refresh)
    link_seconds = None if args.skip_link else bench_link(args.link_db, args.from_scratch)
    print()
    print(f"import   {args.orders:>9,} orders   {import_rate:>8,.0f} orders/s  (goal 1,000)")
    print(f"refresh  {args.refresh:>9,} orders   {refresh_rate:>8,.0f} orders/s  "
          f"(sandbox latency {LATENCY_MS} ms per call)")
    if link_seconds is not None:
        print(f"link     {LINKED:>9,} orders   {link_seconds:>8.1f} s         (goal < 60 s)")


def migrated_app(url: str, queue: str):
    """The app on a fresh database `url` (dropped and created again), its jobs on `queue`."""
    recreate(url)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("OMS_QUEUE", queue)
    from flask_migrate import upgrade

    from oms import create_app

    app = create_app()
    with app.app_context():
        upgrade()
    return app


@contextmanager
def sandbox_running():
    """The sandbox marketplace as a child process, for the length of the block."""
    from oms.sandbox.control import Sandbox
    from oms.sandbox.server import start

    with tempfile.TemporaryDirectory() as tmp:
        port = _free_port()
        process = start(Path(tmp) / "sandbox.db", port)
        try:
            yield Sandbox(f"http://127.0.0.1:{port}")
        finally:
            process.terminate()
            process.wait()


LATENCY_MS = 20  # the sandbox's default
LINKED = 0


def _shop(session, kind: str, code: str, endpoint: str, token: str, secret: str):
    from oms.models import MallKind, Shop
    from oms.services import malls

    shop = Shop(code=code, name=code, kind=MallKind(kind), api_endpoint=endpoint,
                settings={"rate_per_second": 1000}, poll_minutes=0)
    malls.set_credentials(shop, secret, token)
    session.add(shop)
    session.commit()
    return shop


def bench_import(app, sandbox, count: int) -> float:
    from jobs.marketplaces import poll_shop
    from oms.extensions import db
    from oms.models import Order

    sandbox.account("amazon", "bench-import", latency_ms=LATENCY_MS)
    for start in range(0, count, 10_000):
        sandbox.generate("amazon", "bench-import", min(10_000, count - start), seed=start)
    with app.app_context():
        shop = _shop(db.session, "amazon", "bench-import", sandbox.endpoint("amazon"),
                     "bench-import", app.config["SECRET_KEY"])
        shop_id = shop.id
    started = time.perf_counter()
    with analyzing(os.environ["DATABASE_URL"]):
        poll_shop(shop_id)  # the job one worker runs
    elapsed = time.perf_counter() - started
    with app.app_context():
        imported = db.session.scalar(db.select(db.func.count()).select_from(Order).where(
            Order.shop_id == shop_id))
    assert imported == count, f"imported {imported} of {count}"
    print(f"import: {count:,} orders in {elapsed:.1f} s")
    return count / elapsed


def bench_refresh(app, sandbox, count: int) -> float:
    from jobs.lanes import run as run_lane
    from jobs.marketplaces import poll_shop
    from oms.extensions import db
    from oms.models import JobState, Notification

    sandbox.account("amazon", "bench-refresh", latency_ms=0)
    sandbox.generate("amazon", "bench-refresh", count, seed=1)
    with app.app_context():
        shop = _shop(db.session, "amazon", "bench-refresh", sandbox.endpoint("amazon"),
                     "bench-refresh", app.config["SECRET_KEY"])
        shop_id = shop.id
    poll_shop(shop_id)
    sandbox.account("amazon", "bench-refresh", latency_ms=LATENCY_MS)
    with app.app_context():
        note = Notification(kind="mall_refresh", params={"search": f"shop_id={shop_id}",
                                                         "locale": "en"})
        db.session.add(note)
        db.session.commit()
        note_id = note.id
    started = time.perf_counter()
    run_lane(note_id)  # the lane one worker runs
    elapsed = time.perf_counter() - started
    with app.app_context():
        note = db.session.get(Notification, note_id)
        assert note.state is JobState.succeeded and note.done == count, (note.state, note.error)
    print(f"refresh: {count:,} orders in {elapsed:.1f} s")
    return count / elapsed


def bench_link(url: str, from_scratch: bool) -> float:
    global LINKED
    os.environ["DATABASE_URL"] = url
    from flask_babel import force_locale

    from oms import create_app
    from oms.extensions import db
    from oms.models import Order
    from oms.sandbox.connect import _learn_mappings
    from oms.services import item_links

    app = create_app()
    with app.app_context(), force_locale("ja"):
        session = db.session
        from oms.models import Shop

        for shop in session.scalars(db.select(Shop)):
            _learn_mappings(session, shop)  # as make run does: the demo keeps its links
        session.commit()
        if from_scratch:
            with psycopg.connect(url, autocommit=True) as conn:
                conn.execute("UPDATE order_lines SET sku_id = NULL, link_result = NULL, "
                             "link_error = NULL")
                conn.execute("DELETE FROM order_links")
                conn.execute("VACUUM (ANALYZE) order_lines, order_links")
        started = time.perf_counter()
        LINKED = item_links.link(session, [Order.deleted_at.is_(None)],
                                 lambda done: session.commit() if from_scratch else None)
        session.flush()
        elapsed = time.perf_counter() - started
        session.rollback()
    with psycopg.connect(url, autocommit=True) as conn:  # without the dead rows
        conn.execute("VACUUM (ANALYZE) orders, order_lines, order_links, sku_mappings")
    print(f"link: {LINKED:,} orders in {elapsed:.1f} s")
    return elapsed


@contextmanager
def analyzing(url: str, every: float = 5.0):
    """ANALYZE the growing tables every few seconds, as autovacuum would: a planner that
    still believes a table is empty picks scans that no production database would."""
    stop = threading.Event()

    def run() -> None:
        with psycopg.connect(url, autocommit=True) as conn:
            while not stop.wait(every):
                conn.execute("ANALYZE orders, order_lines, mall_order_states, status_history")

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def recreate(url: str) -> None:
    info = psycopg.conninfo.conninfo_to_dict(url)
    name = info.pop("dbname")
    with psycopg.connect(**{**info, "dbname": "postgres"}, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
            sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


if __name__ == "__main__":
    main()
