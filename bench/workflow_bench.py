"""Workflow speed at scale (SCOPE P1): the idle sweep, a sweep that moves 10,000 orders, and
FIFO allocation of 10,000 orders.

Run against a database filled by the seed command, e.g.
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1/oms_bench \\
        .venv/bin/python bench/workflow_bench.py
It changes the data it measures on (that is what a sweep does): use a bench database.

1. Catch up once (the seed leaves orders due), then time the sweep with nothing eligible.
2. Put 10,000 old orders back to 確認待ち as COD orders, and time the sweep
   that moves them to 新規 (1,000 orders a transaction, counters checked after).
3. Put 10,000 orders in 引当待ち with three lines each (30,000 lines) linked to 5,000 fresh
   SKUs with ample stock, and time their allocation in 1,000-order transactions, oldest
   first.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from oms import create_app
from oms.extensions import db
from oms.models import OrderStatus, PaymentKind, PaymentMethod
from oms.services import allocation, app_settings, auto_advance, order_search
from oms.services.actor import Actor

ACTOR = Actor(None, "bench", None, "auto")
S = OrderStatus


def timed(work) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def use_mode(session, mode: str) -> None:
    settings = app_settings.workflow(session)
    settings.allocation_mode = mode
    app_settings.save_workflow(session, settings, ACTOR)
    session.commit()


def idle_sweeps(session, runs: int) -> list[float]:
    caught_up = timed(lambda: auto_advance.sweep(session, commit=session.commit))
    print(f"catch-up sweep (moves what the seed left due): {caught_up:.1f} s")
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        moved = auto_advance.sweep(session, commit=session.commit)
        times.append(time.perf_counter() - started)
        assert moved == 0, f"an idle sweep moved {moved} orders"
    return times


def pick(session, count: int, where: str) -> list[int]:
    """The oldest orders that match: the recent ones, which the lists show first, stay
    as they are (so bench/list_bench.py can run after this one)."""
    return list(session.scalars(sa.text(
        f"SELECT id FROM orders WHERE deleted_at IS NULL AND {where} "  # noqa: S608 (ours)
        "ORDER BY ordered_at, id LIMIT :n"), {"n": count}))


def make_due(session, count: int) -> list[int]:
    """`count` completed orders (long past their delay) become COD orders waiting for
    review."""
    cod = session.scalar(sa.select(PaymentMethod.id).where(PaymentMethod.kind == PaymentKind.cod)
                         .limit(1))
    ids = pick(session, count, "status = 'completed' AND customer_id IS NULL "
                               "AND blacklist_entry_id IS NULL")
    if len(ids) < count:  # customers are usually set: take any that is not blacklisted
        ids = pick(session, count, "status = 'completed' AND blacklist_entry_id IS NULL "
                                   "AND customer_id NOT IN (SELECT id FROM customers "
                                   "WHERE blacklist_status = 'blacklisted')")
    session.execute(sa.text(
        "UPDATE orders SET status = 'pending_review', auto_advance = true, "
        "needs_attention = false, shipping_hold = false, payment_method_id = :cod "
        "WHERE id = ANY(:ids)"), {"cod": cod, "ids": ids})
    session.commit()
    return ids


def prepare_allocation(session, count: int, skus: int, lines: int) -> list[int]:
    """`count` orders in 引当待ち with `lines` lines each, linked to `skus` new SKUs with
    ample stock."""
    ids = pick(session, count, "status = 'completed'")
    # Orders with fewer lines get copies of their first line (another product code).
    session.execute(sa.text(
        "INSERT INTO order_lines (order_id, line_no, mall_product_code, mall_option, "
        "product_name, quantity, unit_price, tax_rate, status) "
        "SELECT l.order_id, 100 + g, l.mall_product_code || '-' || g, l.mall_option, "
        "l.product_name, l.quantity, l.unit_price, l.tax_rate, l.status "
        "FROM order_lines l JOIN (SELECT order_id, count(*) AS n, min(line_no) AS first "
        "FROM order_lines WHERE order_id = ANY(:ids) GROUP BY order_id) c "
        "ON c.order_id = l.order_id AND l.line_no = c.first "
        "CROSS JOIN generate_series(1, :lines) g WHERE g <= :lines - c.n"),
        {"ids": ids, "lines": lines})
    first = session.scalar(sa.text(
        "INSERT INTO skus (code, name, price, tax_rate, active) "
        "SELECT 'BENCH-' || g || '-' || extract(epoch from now())::bigint, 'bench item', "
        "1000, 10, true FROM generate_series(1, :n) g RETURNING id"), {"n": skus})
    sku_ids = list(session.scalars(sa.text(
        "SELECT id FROM skus WHERE id >= :first ORDER BY id LIMIT :n"),
        {"first": first, "n": skus}))
    session.execute(sa.text(
        "INSERT INTO stocks (sku_id, location, quantity, allocated) "
        "SELECT unnest(:ids), 'main', 1000000, 0"), {"ids": sku_ids})
    session.execute(sa.text(
        "UPDATE order_lines SET sku_id = (:ids)[1 + (id % :n)], link_result = 'OK', "
        "status = 'preparing' WHERE order_id = ANY(:orders)"),
        {"ids": sku_ids, "n": len(sku_ids), "orders": ids})
    session.execute(sa.text(
        "UPDATE stock_allocations SET released_at = now() WHERE order_id = ANY(:orders) "
        "AND released_at IS NULL"), {"orders": ids})
    session.execute(sa.text(
        "UPDATE orders SET status = 'awaiting_allocation', force_allocation = false, "
        "stock_location = NULL WHERE id = ANY(:ids)"), {"ids": ids})
    session.execute(sa.text("DELETE FROM order_allocations WHERE order_id = ANY(:ids)"),
                    {"ids": ids})
    session.commit()
    return ids


def allocate_all(session, ids: list[int]) -> None:
    ordered = list(session.scalars(sa.text(
        "SELECT id FROM orders WHERE id = ANY(:ids) ORDER BY ordered_at, id"), {"ids": ids}))
    for start in range(0, len(ordered), auto_advance.CHUNK):
        allocation.allocate(session, ordered[start:start + auto_advance.CHUNK], ACTOR)
        session.commit()


def counters_exact(session) -> bool:
    stored = order_search.stored_status_counts(session)
    counted = dict(session.execute(sa.text(
        "SELECT status, count(*) FROM orders WHERE deleted_at IS NULL GROUP BY status")).all())
    return all(stored.get(S(status), 0) == n for status, n in counted.items())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="idle sweeps to time")
    parser.add_argument("--orders", type=int, default=10_000)
    parser.add_argument("--skus", type=int, default=5_000)
    parser.add_argument("--lines", type=int, default=3, help="lines per allocated order")
    args = parser.parse_args()
    app = create_app()
    with app.app_context():
        session = db.session
        if session.get_bind().dialect.name != "postgresql":
            sys.exit("run this against PostgreSQL (DATABASE_URL)")
        total = session.scalar(sa.text("SELECT count(*) FROM orders"))
        print(f"orders in the database: {total:,}")
        use_mode(session, "auto")
        session.execute(sa.text("ANALYZE orders"))
        session.commit()
        idle = idle_sweeps(session, args.runs)
        print(f"idle sweep: {statistics.median(idle) * 1000:.0f} ms")
        print(f"  (median of {len(idle)}; min {min(idle) * 1000:.0f} ms, "
              f"max {max(idle) * 1000:.0f} ms)")

        use_mode(session, "manual")  # the moved orders stay in 新規 either way
        due = make_due(session, args.orders)
        moved = []
        took = timed(lambda: moved.append(auto_advance.sweep(session, commit=session.commit)))
        print(f"sweep of {len(due)} orders: {took:.1f} s")
        print(f"  ({moved[0]:,} moves; status counters exact: {counters_exact(session)})")

        ids = prepare_allocation(session, args.orders, args.skus, args.lines)
        lines = session.scalar(sa.text(
            "SELECT count(*) FROM order_lines WHERE order_id = ANY(:ids)"), {"ids": ids})
        took = timed(lambda: allocate_all(session, ids))
        allocated = session.scalar(sa.text(
            "SELECT count(*) FROM order_allocations WHERE order_id = ANY(:ids) "
            "AND state = 'allocated'"),
            {"ids": ids})
        print(f"allocation of {len(ids)} orders: {took:.1f} s")
        print(f"  ({lines:,} lines over {args.skus:,} SKUs; {allocated:,} orders 受注引当済)")
        use_mode(session, os.environ.get("BENCH_LEAVE_MODE", "auto"))


if __name__ == "__main__":
    main()
