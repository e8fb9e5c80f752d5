"""Bulk capture speed (SCOPE P4): 決済状況一括変更 → 売上 over 10,000 authorized card orders
with the gateway answering after 50 ms, through the real path: targets frozen, lanes (one
process each, as workers run them) calling the sandbox gateway (a child process) with no
transaction open, results recorded and the orders advanced. Then the sandbox's per-key
counts prove that no capture happened twice.

    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1/oms_bench \\
        .venv/bin/python bench/bulk_capture_bench.py [--orders 10000]

`run()` is what bench/payments_bench.py calls. It leaves the database as it found it: the
orders it makes authorized own-shop card orders in 出荷済 are put back (with their lines),
and what the job wrote (ledger rows, history, audit, the job) is deleted; the payment
settings are restored.
"""

import argparse
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from flask_babel import force_locale

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from oms import create_app  # noqa: E402
from oms.extensions import db  # noqa: E402
from oms.integrations.payments.card import connect  # noqa: E402
from oms.models import (  # noqa: E402
    MallKind,
    PaymentKind,
    PaymentMethod,
    SelectionSource,
    Shop,
    User,
)
from oms.models.payments import PaymentTransaction  # noqa: E402
from oms.sandbox import server  # noqa: E402
from oms.sandbox.control import Sandbox  # noqa: E402
from oms.services import runner  # noqa: E402
from oms.services.actor import Actor  # noqa: E402
from oms.services.bulk import launch, operations, selection  # noqa: E402
from oms.services.payments import settings as payment_settings  # noqa: E402

PORT = 8797
SAVED = ("shop_id", "payment_method_id", "status", "payment_status", "auto_advance",
         "shipping_hold", "needs_attention", "attention_reason_id", "transaction_id",
         "authorized_at", "authorized_amount", "auth_expires_at", "captured_at",
         "captured_amount", "paid_total", "reauth_required", "version", "updated_at")
ACTOR = Actor(None, "bench", None, "system")


def move_in(session, count: int) -> list[int]:
    """The oldest completed orders become own-shop card orders in 出荷済 (自動), not yet
    authorized; their old values are kept for move_out."""
    shop = session.scalar(sa.select(Shop.id).where(Shop.kind == MallKind.own).limit(1))
    card = session.scalar(sa.select(PaymentMethod.id)
                          .where(PaymentMethod.kind == PaymentKind.card).limit(1))
    session.execute(sa.text("DROP TABLE IF EXISTS bench_capture_orders, bench_capture_lines"))
    session.execute(sa.text(
        f"CREATE TABLE bench_capture_orders AS SELECT id, {', '.join(SAVED)} FROM orders "  # noqa: S608 (fixed names)
        "WHERE status = 'completed' AND deleted_at IS NULL AND total > 0 "
        "ORDER BY ordered_at, id LIMIT :n"), {"n": count})
    session.execute(sa.text(
        "CREATE TABLE bench_capture_lines AS SELECT l.id, l.status FROM order_lines l "
        "JOIN bench_capture_orders b ON b.id = l.order_id"))
    session.execute(sa.text(
        "UPDATE orders o SET shop_id = :shop, payment_method_id = :card, status = 'shipped', "
        "payment_status = 'unpaid', auto_advance = true, shipping_hold = false, "
        "needs_attention = false, attention_reason_id = NULL, reauth_required = false, "
        "captured_at = NULL, captured_amount = 0, paid_total = 0 "
        "FROM bench_capture_orders b WHERE b.id = o.id"), {"shop": shop, "card": card})
    session.commit()
    return list(session.scalars(sa.text("SELECT id FROM bench_capture_orders ORDER BY id")))


def authorize(session, gateway, ids: list[int]) -> None:
    """Each order authorized at the sandbox (answering at once), set on the order."""
    totals = dict(session.execute(sa.text("SELECT id, total FROM orders WHERE id IN "
                                          "(SELECT id FROM bench_capture_orders)")).all())

    def one(order_id: int) -> dict:
        charge = gateway.authorize(f"bench-auth-{order_id}-{uuid.uuid4().hex[:8]}",
                                   token="tok_ok", amount=totals[order_id],
                                   order_ref=str(order_id))
        return {"id": order_id, "tx": charge.transaction_id, "amount": totals[order_id]}

    with ThreadPoolExecutor(16) as pool:
        rows = list(pool.map(one, ids))
    session.execute(sa.text(
        "UPDATE orders SET payment_status = 'authorized', transaction_id = :tx, "
        "authorized_amount = :amount, authorized_at = now(), "
        "auth_expires_at = now() + interval '7 days' WHERE id = :id"), rows)
    session.commit()


def move_out(session, job_id: int) -> None:
    assignments = ", ".join(f"{column} = b.{column}" for column in SAVED)
    for statement in (
        "DELETE FROM payment_transactions WHERE notification_id = :job",
        "DELETE FROM status_history WHERE via = :via",
        "DELETE FROM audit_events WHERE via = :via",
        "DELETE FROM job_targets WHERE job_id = :job",
        "DELETE FROM bulk_jobs WHERE id = :job",
        "DELETE FROM bulk_selections WHERE job_id = :job",
        "DELETE FROM notifications WHERE id = :job",
        f"UPDATE orders o SET {assignments} FROM bench_capture_orders b WHERE b.id = o.id",  # noqa: S608
        "UPDATE order_lines l SET status = b.status FROM bench_capture_lines b "
        "WHERE b.id = l.id",
        "DROP TABLE bench_capture_orders, bench_capture_lines",
    ):
        session.execute(sa.text(statement), {"job": job_id, "via": f"bulk:{job_id}"})
    session.commit()


def run(orders: int = 10_000, latency_ms: int = 50, lanes: int = 4) -> None:
    app = create_app()
    with tempfile.TemporaryDirectory() as folder, app.app_context(), force_locale("ja"):
        sandbox_process = server.start(Path(folder) / "sandbox.db", PORT)
        session = db.session
        saved = payment_settings.read(session)
        job_id = 0
        try:
            sandbox = Sandbox(f"http://127.0.0.1:{PORT}")
            api_key = f"sk_bench_{uuid.uuid4().hex[:12]}"
            sandbox.gateway(api_key, latency_ms=0, auth_valid_days=7)
            payment_settings.save(session, payment_settings.with_keys(
                payment_settings.PaymentSettings(endpoint=sandbox.endpoint("gateway"),
                                                 timeout_seconds=10),
                app.config["SECRET_KEY"], api_key=api_key), ACTOR)
            session.commit()
            ids = move_in(session, orders)
            gateway = connect(sandbox.endpoint("gateway"), api_key)
            authorize(session, gateway, ids)
            gateway.close()
            sandbox.gateway(api_key, latency_ms=latency_ms)

            user = session.scalar(sa.select(User).order_by(User.id).limit(1))
            chosen = selection.from_ids(session, user, ids, SelectionSource.selected)
            operation = operations.get("card_payment")
            job, _ = launch.start(session, chosen, operation, {"action": "capture"},
                                  selection.conditions(session, chosen, None), user,
                                  ip=None, locale="ja")
            session.commit()  # the lanes queued here are not run: this script runs them
            job_id = job.id
            started = time.perf_counter()
            others = [subprocess.Popen([sys.executable, __file__, "--lane-of",
                                   str(job_id)]) for _ in range(lanes - 1)]
            runner.run_lane(session, job_id, lease=timedelta(minutes=5))
            for other in others:
                other.wait()
            elapsed = time.perf_counter() - started
            counted = sandbox.gateway_effects(api_key)
            captures = [row["effects"] for key, row in counted["keys"].items()
                        if key.startswith(f"bulk:{job_id}:")]
            done = session.scalar(sa.select(sa.func.count()).select_from(PaymentTransaction)
                                  .where(PaymentTransaction.notification_id == job_id,
                                         PaymentTransaction.state == "succeeded"))
            assert done == len(ids), f"{done} of {len(ids)} captured"
            print(f"bulk capture of {len(ids)} orders: {len(ids) / elapsed:.0f} orders/s")
            print(f"duplicate effects: {sum(n - 1 for n in captures if n > 1)}")
        finally:
            session.rollback()
            move_out(session, job_id)
            payment_settings.save(session, saved, ACTOR)
            session.execute(sa.text("DELETE FROM audit_events WHERE username = 'bench'"))
            session.commit()
            sandbox_process.terminate()
            sandbox_process.wait()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=10_000)
    parser.add_argument("--latency-ms", type=int, default=50)
    parser.add_argument("--lanes", type=int, default=4)
    parser.add_argument("--lane-of", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.lane_of:
        app = create_app()
        with app.app_context(), force_locale("ja"):  # as a worker's lane runs
            runner.run_lane(db.session, args.lane_of, lease=timedelta(minutes=5))
        return
    run(args.orders, args.latency_ms, args.lanes)


if __name__ == "__main__":
    main()
