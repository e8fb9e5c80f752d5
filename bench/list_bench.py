"""Order list speed at scale: whole request vs. its SQL, per case.

Run against a database filled by the seed command, e.g.
    DATABASE_URL=postgresql://postgres@127.0.0.1/oms_bench .venv/bin/python bench/list_bench.py
Prints the median and p95 in milliseconds of the whole request (tabs, counts and page,
as the app serves it to the Flask test client: see request_timing.ServedClock) and of the
SQL it ran, and how many statements that were.
"""

import argparse
import os
import statistics
import sys
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("OMS_SECURE_COOKIES", "1")

from bench.request_timing import ServedClock, SqlClock, bench_user, signed_in
from oms import create_app
from oms.extensions import db
from oms.models import Order, Shipment


def sample_values(session) -> dict[str, str]:
    """Real values from the middle of the data, so searches hit existing orders."""
    middle = session.scalar(sa.select(sa.func.max(Order.id))) // 2
    order = session.scalar(sa.select(Order).where(Order.id >= middle).order_by(Order.id).limit(1))
    tracking = session.scalar(sa.select(Shipment.tracking_number)
                              .where(Shipment.tracking_number.is_not(None)).limit(1)
                              .offset(1000))
    return {
        "order_number": order.order_number,
        "email": order.buyer_email,
        "name": order.buyer_name.replace(" ", "")[1:4],
        "family": order.buyer_name.split(" ")[0],
        "tracking": tracking,
        "shop_id": str(order.shop_id),
        "month": order.ordered_at.strftime("%Y-%m"),
    }


def cases(v: dict[str, str]) -> list[tuple[str, str]]:
    return [
        ("default list", "/orders/"),
        ("status tab: new", "/orders/?tab=new"),
        ("status tab: processing", "/orders/?tab=processing"),
        ("status tab: done", "/orders/?tab=done"),
        ("date range + shop",
         f"/orders/?date_from={v['month']}-01&date_to={v['month']}-28&shop_id={v['shop_id']}"),
        ("order-number search", f"/orders/?q={v['order_number']}"),
        ("email search", f"/orders/?q={v['email']}"),
        ("name partial search (3 chars)", f"/orders/?q={v['name']}"),
        ("family-name search", f"/orders/?q={v['family']}"),
        ("tracking-number search", f"/orders/?q={v['tracking']}"),
        ("page 1,000 of a tab", "/orders/?tab=done&page=1000"),
        ("tab sorted by updated date", "/orders/?tab=processing&sort=updated_at"),
        ("updated-date range (a month)",
         f"/orders/?date_basis=updated_at&date_from={v['month']}-01&date_to={v['month']}-28"),
        ("item-link FAIL", "/orders/?link_result=FAIL"),
        ("200 rows per page", "/orders/?per_page=200"),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()

    app = create_app({"WTF_CSRF_ENABLED": False})
    with app.app_context():
        engine = db.engine
        clock = SqlClock(engine)
        bench_user()
        values = sample_values(db.session)
        total = db.session.scalar(sa.select(sa.func.count()).select_from(Order))

    client = signed_in(app)
    served = ServedClock(app)
    print(f"{total:,} orders · {engine.dialect.name} · {args.runs} runs per case")
    print(f"{'case':34} {'request med':>11} {'p95':>7} {'SQL med':>8} {'p95':>7} {'ratio':>6} "
          f"{'stmts':>6}")
    for name, url in cases(values):
        requests, sqls, statements = [], [], 0
        for run in range(args.runs + 2):
            clock.reset()
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
            if run >= 2:  # the first runs warm caches
                requests.append(served.seconds * 1000)
                sqls.append(clock.seconds * 1000)
                statements = clock.statements
        req_med, sql_med = statistics.median(requests), statistics.median(sqls)
        print(f"{name:34} {req_med:11.1f} {p95(requests):7.1f} {sql_med:8.1f} "
              f"{p95(sqls):7.1f} {req_med / sql_med if sql_med else 0:6.2f} {statements:6d}")


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1]


if __name__ == "__main__":
    main()
