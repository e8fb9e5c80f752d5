"""Shipping speed at scale (SCOPE P2): the 出荷指示 export of 20,000 出荷待ち orders (B2),
then 出荷確定インポート of 20,000 rows (bench/shipment_import_bench.py) and the 出荷一覧
(bench/shipment_list_bench.py). The export runs end to end through the job: targets
frozen at 出力, the runner's lanes (OMS_BULK_LANES of them, one process each, as workers
would run them) writing 2,000 orders a transaction, the file assembled; with the peak
memory of a lane.

    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1/oms_bench \\
        .venv/bin/python bench/shipping_bench.py

It leaves the database as it found it: the orders it moves to 出荷待ち are put back (status,
lines, 出力済, version), and what the job wrote (shipments, history, audit, the job) is
deleted; the allocation setting is set to 引当しない for the run and restored.
"""

import argparse
import os
import resource
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import sqlalchemy as sa
from flask_babel import force_locale

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from oms import create_app
from oms.extensions import db
from oms.models import Carrier, JobState, Notification, Order, User
from oms.services import app_settings, carriers, jobs, runner, shipping_export
from oms.services.actor import Actor

ORDERS = 20_000


def move_in(session, count: int) -> tuple[list[int], str]:
    """The oldest completed orders become 出荷待ち (自動); their old values are kept in a
    table for move_out."""
    session.execute(sa.text("DROP TABLE IF EXISTS bench_ship_orders, bench_ship_lines"))
    session.execute(sa.text(
        "CREATE TABLE bench_ship_orders AS SELECT id, status, auto_advance, shipping_hold, "
        "shipping_list_exported_at, version, updated_at FROM orders "
        "WHERE status = 'completed' AND deleted_at IS NULL ORDER BY ordered_at, id LIMIT :n"),
        {"n": count})
    session.execute(sa.text(
        "CREATE TABLE bench_ship_lines AS SELECT l.id, l.status FROM order_lines l "
        "JOIN bench_ship_orders b ON b.id = l.order_id"))
    session.execute(sa.text(
        "UPDATE orders o SET status = 'ready_to_ship', auto_advance = true, "
        "shipping_hold = false, shipping_list_exported_at = NULL "
        "FROM bench_ship_orders b WHERE b.id = o.id"))
    session.commit()
    return list(session.scalars(sa.text("SELECT id FROM bench_ship_orders")))


def move_out(session, job_id: int) -> None:
    for statement in (
        "DELETE FROM shipments WHERE export_id = :job",
        "DELETE FROM status_history WHERE via = :via",
        "DELETE FROM audit_events WHERE via = :via",
        "DELETE FROM notifications WHERE id = :job",
        "UPDATE orders o SET status = b.status, auto_advance = b.auto_advance, "
        "shipping_hold = b.shipping_hold, shipping_list_exported_at = "
        "b.shipping_list_exported_at, version = b.version, updated_at = b.updated_at "
        "FROM bench_ship_orders b WHERE b.id = o.id",
        "UPDATE order_lines l SET status = b.status FROM bench_ship_lines b WHERE b.id = l.id",
        "DROP TABLE bench_ship_orders, bench_ship_lines",
    ):
        session.execute(sa.text(statement), {"job": job_id, "via": f"job:{job_id}"})
    session.commit()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=ORDERS)
    parser.add_argument("--export-only", action="store_true",
                        help="leave out the import and the shipment list")
    parser.add_argument("--lane-of", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    app = create_app()
    if args.lane_of:
        with app.app_context(), force_locale("ja"):  # as a worker's lane runs
            runner.run_lane(db.session, args.lane_of, lease=timedelta(minutes=5))
        return
    with app.app_context(), app.test_request_context():
        session = db.session
        carriers.ensure_defaults(session)
        settings = app_settings.workflow(session)
        mode = settings.allocation_mode
        settings.allocation_mode = "off"
        actor = Actor(None, "bench", None, "system")
        app_settings.save_workflow(session, settings, actor)
        session.commit()
        ids = move_in(session, args.orders)
        job_id = None
        try:
            yamato = session.scalar(sa.select(Carrier).where(Carrier.code == "yamato"))
            choice = shipping_export.Choice(yamato.id, yamato.services[0].id, date.today())
            user = session.scalar(sa.select(User).limit(1))
            started = time.perf_counter()
            p = shipping_export.plan(session, choice)
            moved = sa.select(sa.text("id")).select_from(sa.text("bench_ship_orders"))
            note = shipping_export.start(session, user, p, [Order.id.in_(moved)], len(ids),
                                         None, "ja")
            session.commit()
            job_id = note.id
            # As many lanes as the job gets, each in a process of its own (a worker each).
            others = [subprocess.Popen([sys.executable, __file__, "--lane-of", str(job_id)])
                      for _ in range(jobs.parallel_lanes(session) - 1)]
            runner.run_lane(session, job_id, lease=timedelta(minutes=5))
            for other in others:
                other.wait()
            elapsed = time.perf_counter() - started
            session.expire_all()
            note = session.get(Notification, job_id)
            with open(note.result_path, "rb") as written:
                lines = sum(1 for _ in written) - 1
            assert note.state is JobState.succeeded, note.error
            print(f"export of {len(ids)} orders: {elapsed:.1f} s")
            print(f"rows written: {lines} (refused with their reason: {note.failed})")
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            print(f"peak RSS: {peak:.0f} MB")
            os.unlink(note.result_path)
        finally:
            session.rollback()
            move_out(session, job_id or 0)
            settings = app_settings.workflow(session)
            settings.allocation_mode = mode
            app_settings.save_workflow(session, settings, actor)
            session.execute(sa.text("DELETE FROM audit_events WHERE username = 'bench'"))
            session.commit()
    if not args.export_only:
        # The import and the list, each leaving the database as it found it.
        for script in ("shipment_import_bench.py", "shipment_list_bench.py"):
            subprocess.run([sys.executable, str(Path(__file__).with_name(script))], check=True)


if __name__ == "__main__":
    main()
