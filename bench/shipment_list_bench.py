"""出荷一覧 speed at scale: the SQL of the first page and of a tracking-number search.

    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1/oms_bench \
        .venv/bin/python bench/shipment_list_bench.py [--orders 40000] [--runs 30]

The seeded database holds few orders in 出荷待ち/出荷中, so `--orders` of its newest
completed orders are moved there (spread over two weeks of 出荷予定日) inside a transaction
that is rolled back at the end: the database is left as it was. Prints the median SQL time
of each case (tab counts + page + the page's parcels, as the screen runs them).
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from zoneinfo import ZoneInfo

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("OMS_SECURE_COOKIES", "1")

from oms import create_app
from oms.extensions import db
from oms.models import Order, OrderStatus, Shipment
from oms.services import shipment_list


def move_orders_to_shipping(session, count: int) -> None:
    """Half to 出荷待ち, half to 出荷中, with 出荷予定日 over the next two weeks."""
    chosen = (sa.select(Order.id).where(Order.status == OrderStatus.completed)
              .order_by(Order.id.desc()).limit(count).scalar_subquery())
    session.execute(sa.update(Order).where(Order.id.in_(chosen)).values(
        status=sa.case((Order.id % 2 == 0, OrderStatus.ready_to_ship.value),
                       else_=OrderStatus.shipping.value),
        scheduled_ship_date=sa.func.current_date() + sa.cast(Order.id % 14, sa.Integer))
        .execution_options(synchronize_session=False))
    session.execute(sa.text("ANALYZE orders"))  # rolled back with the rest


def show(session, search: shipment_list.ShipmentSearch, tz: ZoneInfo) -> int:
    counts = shipment_list.tab_counts(session, search, tz)
    return len(shipment_list.fetch_page(session, search, counts[search.status], tz).rows)


def measure(session, tz: ZoneInfo, *, runs: int = 30) -> dict[str, float]:
    """Median SQL milliseconds of each case, on the data as it stands in `session`."""
    spent = [0.0]
    engine = session.get_bind()

    def start(conn, cursor, statement, params, context, executemany):
        conn.info["t0"] = time.perf_counter()

    def stop(conn, cursor, statement, params, context, executemany):
        spent[0] += time.perf_counter() - conn.info.pop("t0")

    sa.event.listen(engine, "before_cursor_execute", start)
    sa.event.listen(engine, "after_cursor_execute", stop)
    number = session.scalar(
        sa.select(Shipment.tracking_number).join(Order, Order.id == Shipment.order_id)
        .where(Order.status == OrderStatus.shipping).limit(1))
    cases = {
        "shipment list first page": shipment_list.ShipmentSearch(),
        "tracking-number search": shipment_list.ShipmentSearch(
            status=OrderStatus.shipping, tracking=number[:10]),
    }
    results = {}
    try:
        for name, search in cases.items():
            times = []
            for run in range(runs + 2):
                spent[0] = 0.0
                assert show(session, search, tz) > 0, name
                if run >= 2:  # the first runs warm caches
                    times.append(spent[0] * 1000)
            results[name] = statistics.median(times)
    finally:
        sa.event.remove(engine, "before_cursor_execute", start)
        sa.event.remove(engine, "after_cursor_execute", stop)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, default=40_000)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    app = create_app()
    with app.app_context():
        session = db.session
        tz = ZoneInfo(app.config["OMS_TZ"])
        try:
            move_orders_to_shipping(session, args.orders)
            waiting = session.scalar(sa.select(sa.func.count()).select_from(Order).where(
                Order.status.in_([OrderStatus.ready_to_ship, OrderStatus.shipping])))
            print(f"{waiting:,} orders in 出荷待ち/出荷中 · {args.runs} runs · median SQL time")
            for name, ms in measure(session, tz, runs=args.runs).items():
                print(f"{name}: {ms:.0f} ms")
        finally:
            session.rollback()


if __name__ == "__main__":
    main()
