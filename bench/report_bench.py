"""How fast 荷物番号報告 reaches a mall under its rate limit, and that nothing is sent twice;
prints `mall reports: N per second, duplicates 0`.

    .venv/bin/python bench/report_bench.py [--reports 200] [--kind rakuten] [--rate 5]
        [--db postgresql://postgres@127.0.0.1/oms_report_bench]

The sandbox marketplace (a child process) holds `--reports` orders of one seller account
that allows `--rate` calls per second (429 beyond); the OMS shop is throttled to the same
rate through Redis, as every worker is. The orders are imported from the sandbox, shipped
here with one parcel each, and their reports run as one lane of the report job (what one
worker does). The database (`--db`) is created for the run and dropped after it; Redis is
REDIS_URL's.
A Rakuten report is three calls (the basket read, updateOrderShipping, and the read of its
shippingDetailId), an Amazon one a single call.
"""

import argparse
import sys
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.sync_bench import migrated_app, sandbox_running  # noqa: E402

READY = {"amazon": "Unshipped", "rakuten": "300", "qoo10": "3", "yahoo": "2-1"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=200)
    parser.add_argument("--kind", choices=sorted(READY), default="rakuten")
    parser.add_argument("--rate", type=float, default=5.0, help="mall calls per second")
    parser.add_argument("--db", default="postgresql://postgres@127.0.0.1/oms_report_bench")
    args = parser.parse_args()
    app = migrated_app(args.db, "report-bench")
    with sandbox_running() as sandbox:
        rate, duplicates, states = bench(app, sandbox, args.kind, args.reports, args.rate)
    drop(args.db)
    print(f"{args.kind}: {args.reports} reports at {args.rate:g} calls/s, states {states}")
    print(f"mall reports: {rate:.2f} per second, duplicates {duplicates}")


def bench(app, sandbox, kind: str, count: int, rate: float) -> tuple[float, int, dict]:
    import sqlalchemy as sa

    from jobs.lanes import run as run_lane
    from jobs.marketplaces import poll_shop
    from oms.extensions import db
    from oms.models import MallKind, Order, OrderStatus, Shipment, Shop, TrackingReport
    from oms.queue import get_queue
    from oms.services import malls, tracking_reports
    from oms.services.actor import SYSTEM, Actor

    token = "bench-report" if kind != "rakuten" else "bench-report:licence"
    sandbox.account(kind, token, latency_ms=20, rate_per_second=rate)
    mall_ids = sandbox.generate(kind, token, count, status=READY[kind], seed=1)
    with app.app_context():
        session = db.session
        shop = Shop(code="bench-report", name="bench-report", kind=MallKind(kind),
                    api_endpoint=sandbox.endpoint(kind), poll_minutes=0,
                    settings={"rate_per_second": rate, "import_days": 1})
        malls.set_credentials(shop, app.config["SECRET_KEY"], token)
        session.add(shop)
        session.commit()
        shop_id = shop.id
    poll_shop(shop_id)
    with app.app_context():
        session = db.session
        orders = session.execute(sa.select(Order.id, Order.mall_order_id)
                                 .where(Order.shop_id == shop_id)).all()
        assert len(orders) == count, f"imported {len(orders)} of {count}"
        session.execute(sa.update(Order).where(Order.shop_id == shop_id)
                        .values(status=OrderStatus.shipped, carrier="ヤマト運輸"))
        shipped = datetime.now(UTC) - timedelta(minutes=5)
        session.add_all([Shipment(order_id=order_id, carrier="ヤマト運輸", service="宅急便",
                                  tracking_number=f"4000-{n:04d}-{n:04d}",
                                  ship_date=date.today(), shipped_at=shipped)
                         for n, (order_id, _m) in enumerate(orders)])
        session.flush()
        shipment_ids = list(session.scalars(sa.select(Shipment.id)))
        tracking_reports.request(session, shipment_ids, Actor(None, None, via=SYSTEM))
        session.commit()
        note_id = session.scalar(sa.select(TrackingReport.notification_id).limit(1))
    started = time.perf_counter()
    run_lane(note_id)  # the lane one worker runs
    elapsed = time.perf_counter() - started
    with app.app_context():
        states = Counter(s.value for s in db.session.scalars(sa.select(TrackingReport.state)))
        get_queue(long=False).empty()  # the copy the commit queued for a worker
        get_queue(long=True).empty()
    rows = Counter()
    for mall_id in mall_ids:
        for row in sandbox.order(kind, token, mall_id)["tracking"]:
            rows[(mall_id, row["number"])] += 1
    duplicates = sum(n - 1 for n in rows.values())
    return count / elapsed, duplicates, dict(states)


def drop(url: str) -> None:
    info = psycopg.conninfo.conninfo_to_dict(url)
    name = info.pop("dbname")
    with psycopg.connect(**{**info, "dbname": "postgres"}, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
            sql.Identifier(name)))


if __name__ == "__main__":
    main()
