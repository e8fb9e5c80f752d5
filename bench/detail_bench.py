"""Order detail speed at scale: the detail page of an order with five lines, and its parts.

Run against a database filled by the seed command, e.g.
    DATABASE_URL=postgresql://postgres@127.0.0.1/oms_bench .venv/bin/python bench/detail_bench.py
Prints the median and p95 in milliseconds of the whole request (as the app serves it to the
Flask test client: see request_timing.ServedClock), of the SQL it ran, and how many
statements that were. --decorate first gives the chosen order what a worked-on order has
(memos, a consultation, a recipient change, custom field answers), once; without it the
data is only read.
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
from oms.models import (
    CustomField,
    CustomFieldValue,
    FieldType,
    InquiryCategory,
    InquiryResult,
    Order,
    OrderLine,
    OrderMemo,
    User,
)
from oms.services import inquiries, memos, order_edit
from oms.services.actor import Actor

MARK = "bench: detail page"


def order_with_five_lines(session) -> Order:
    """An order from the middle of the data with exactly five lines."""
    middle = session.scalar(sa.select(sa.func.max(Order.id))) // 2
    lines = (sa.select(sa.func.count()).select_from(OrderLine)
             .where(OrderLine.order_id == Order.id).scalar_subquery())
    order = session.scalar(sa.select(Order).where(
        Order.id >= middle, Order.deleted_at.is_(None), lines == 5).order_by(Order.id).limit(1))
    if order is None:
        sys.exit("no order with five lines found")
    return order


def decorate(session, order: Order, user: User) -> None:
    """Memos, a consultation, a recipient change and custom answers, like a worked order."""
    if session.scalar(sa.select(OrderMemo.id).where(OrderMemo.order_id == order.id,
                                                    OrderMemo.body == MARK)):
        return
    actor = Actor(user.id, user.username, "127.0.0.1")
    memos.add(session, order, actor, MARK, pinned=True)
    memos.add(session, order, actor, "配達日の変更を承りました。", important=True,
              also_inquiry=True)
    memos.add(session, order, actor, "同梱物の確認済み。")
    inquiries.register(session, order, actor, category=InquiryCategory.delivery,
                       content="届く日を変えたい", reply="変更しました",
                       result=InquiryResult.completed)
    order_edit.update_order(session, order, order_edit.OrderEdit(
        values={"ship_address2": "101号室"}), actor, version=order.version,
        today=order.ordered_at.date())
    for name, kind in (("bench: pet", FieldType.text), ("bench: birthday", FieldType.date)):
        field = session.scalar(sa.select(CustomField).where(CustomField.name == name))
        if field is None:
            field = CustomField(name=name, field_type=kind, choices=[])
            session.add(field)
            session.flush()
        session.add(CustomFieldValue(order_id=order.id, field_id=field.id,
                                     value="ポチ" if kind is FieldType.text else "2020-02-14"))
    session.commit()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--decorate", action="store_true",
                        help="add memos, a consultation, answers to the order (once)")
    args = parser.parse_args()

    app = create_app({"WTF_CSRF_ENABLED": False})
    with app.app_context():
        engine = db.engine
        clock = SqlClock(engine)
        user = bench_user()
        order = order_with_five_lines(db.session)
        if args.decorate:
            decorate(db.session, order, user)
        number = order.order_number
        total = db.session.scalar(sa.select(sa.func.count()).select_from(Order))

    client = signed_in(app)
    served = ServedClock(app)
    dialog = {"HX-Request": "true", "HX-Target": "dialog"}
    cases = [
        ("detail page", f"/orders/{number}", {}),
        ("detail as dialog (fragment)", f"/orders/{number}", dialog),
        ("edit page", f"/orders/{number}/edit", {}),
        ("status history (fragment)", f"/orders/{number}/history", dialog),
    ]
    print(f"{total:,} orders · {engine.dialect.name} · order {number} (5 lines) · "
          f"{args.runs} runs per case")
    print(f"{'case':30} {'request med':>11} {'p95':>7} {'SQL med':>8} {'p95':>7} {'stmts':>6}")
    for name, url, headers in cases:
        requests, sqls, statements = [], [], 0
        for run in range(args.runs + 3):
            clock.reset()
            response = client.get(url, headers=headers)
            assert response.status_code == 200, (url, response.status_code)
            if run >= 3:  # the first runs warm caches
                requests.append(served.seconds * 1000)
                sqls.append(clock.seconds * 1000)
                statements = clock.statements
        print(f"{name:30} {statistics.median(requests):11.1f} {p95(requests):7.1f} "
              f"{statistics.median(sqls):8.1f} {p95(sqls):7.1f} {statements:6d}")


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1]


if __name__ == "__main__":
    main()
