"""Payments at scale: 決済履歴 and the recovery scan over a ledger of millions of rows.

Run against a PostgreSQL database filled by the seed command, e.g.
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1/oms_bench \
        .venv/bin/python bench/payments_bench.py --rows 3500000
The ledger is filled once, set-based, up to --rows bench rows (keys `bench:<n>`, spread over
every order, one in a thousand still pending or unknown). Then each figure prints one line
that scripts read:
    payment history: 4 ms     (median of the 決済履歴 request, as the dialog fragment)
    recovery scan: 2 ms       (pending/unknown rows older than the lease: the partial index)
then bench/bulk_capture_bench.py adds its two (its lanes are processes of that script):
    bulk capture of 10000 orders: 75 orders/s
    duplicate effects: 0
"""

import argparse
import os
import subprocess
import sys
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("OMS_SECURE_COOKIES", "1")

from bench.fill import spread_over_orders
from bench.request_timing import bench_user, median_ms, signed_in
from oms import create_app
from oms.extensions import db
from oms.models import Order, PaymentTransaction, TransactionState
from oms.models.base import utcnow
from oms.services.payment_history import for_order as payment_history_rows

LEASE = timedelta(minutes=10)  # a pending row older than this is retried by the scan
KINDS = "ARRAY['authorize','capture','void','reauthorize','deferred_register','ship_report']"


def fill(rows: int) -> None:
    """Add bench rows up to `rows`, spread over the orders, set-based (PostgreSQL)."""
    session = db.session
    have = session.scalar(sa.select(sa.func.count()).select_from(PaymentTransaction)
                          .where(PaymentTransaction.idempotency_key.like("bench:%")))
    spread_over_orders(
        session, "payment_transactions",
        "order_id, kind, gateway, amount, state, idempotency_key, external_ref, result_code, "
        "message, user_name, via, created_at, finished_at",
        f"""o.id, ({KINDS})[1 + g % 6], 'card', o.total,
            CASE WHEN g % 1000 = 0 THEN 'pending' WHEN g % 1000 = 1 THEN 'unknown'
                 WHEN g % 50 = 2 THEN 'failed' ELSE 'succeeded' END,
            'bench:' || g, 'txn_' || g,
            CASE WHEN g % 50 = 2 THEN 'card_declined' END,
            CASE WHEN g % 50 = 2 THEN 'カードが利用できません' END,
            'bench', 'auto',
            now() - (g % 525600) * interval '1 minute',
            now() - (g % 525600) * interval '1 minute' + interval '2 seconds'""",
        have=have, rows=rows, label="ledger")


def payment_history(app, runs: int) -> str:
    """The 決済履歴 request of an order from the middle of the data, as the dialog asks."""
    with app.app_context():
        bench_user()
        middle = db.session.scalar(sa.select(sa.func.max(PaymentTransaction.order_id))) // 2
        order_id = db.session.scalar(
            sa.select(PaymentTransaction.order_id).where(PaymentTransaction.order_id >= middle)
            .order_by(PaymentTransaction.order_id).limit(1))
        number = db.session.get(Order, order_id).order_number
        shown = db.session.scalar(sa.select(sa.func.count()).select_from(PaymentTransaction)
                                  .where(PaymentTransaction.order_id == order_id))
    client = signed_in(app)
    url, headers = f"/orders/{number}/payments", {"HX-Request": "true", "HX-Target": "dialog"}

    def request() -> None:
        response = client.get(url, headers=headers)
        assert response.status_code == 200, response.status_code

    elapsed = median_ms(request, runs)
    with app.app_context():
        query_ms = median_ms(lambda: payment_history_rows(db.session, order_id), runs)
        db.session.rollback()
    print(f"  (order {number}: {shown} ledger rows; its query alone {query_ms:.1f} ms)")
    return f"payment history: {elapsed:.0f} ms"


def recovery_scan(app, runs: int) -> str:
    """The rows still in doubt past the lease, oldest first: what a recovery retries."""
    query = (sa.select(PaymentTransaction.id, PaymentTransaction.idempotency_key)
             .where(PaymentTransaction.state.in_((TransactionState.pending,
                                                  TransactionState.unknown)),
                    PaymentTransaction.created_at < utcnow() - LEASE)
             .order_by(PaymentTransaction.created_at).limit(1000))
    with app.app_context():
        plan = "\n".join(db.session.scalars(sa.text("EXPLAIN " + str(query.compile(
            db.engine, compile_kwargs={"literal_binds": True})))))
        found = len(db.session.execute(query).all())
        elapsed = median_ms(lambda: db.session.execute(query).all(), runs)
        db.session.rollback()
    print(f"  ({found} rows in doubt; partial index used: "
          f"{'ix_payment_transactions_open' in plan})")
    return f"recovery scan: {elapsed:.0f} ms"


FIGURES: list[Callable] = [payment_history, recovery_scan]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=3_500_000, help="bench ledger rows")
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()
    app = create_app({"WTF_CSRF_ENABLED": False})
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            sys.exit("payments_bench measures PostgreSQL: set DATABASE_URL")
        fill(args.rows)
        total = db.session.scalar(sa.select(sa.func.count()).select_from(PaymentTransaction))
        orders = db.session.scalar(sa.select(sa.func.count()).select_from(Order))
    print(f"{orders:,} orders · {total:,} ledger rows · {args.runs} runs per figure")
    for figure in FIGURES:
        print(figure(app, args.runs), flush=True)
    subprocess.run([sys.executable, str(Path(__file__).with_name("bulk_capture_bench.py"))],
                   check=True)


if __name__ == "__main__":
    main()
