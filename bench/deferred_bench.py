"""後払い files at scale (SCOPE P4 performance): the NP 取引登録 export of 10,000 orders and
the 与信結果 import of 10,000 rows. Goals: export under 10 s, import under 15 s.

Run against a seeded PostgreSQL database (`flask seed --orders N`), e.g.
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1/oms_bench \\
        .venv/bin/python bench/deferred_bench.py --orders 10000
Each run works inside one transaction that it rolls back: the oldest own-shop orders with
an address become NP orders in 確認待ち, the export job's step writes their rows and
registers them chunk by chunk (the runner's per-chunk commits and the file assembly are
left out), a 与信結果 file approving every one (00) is checked and applied as one chunk of
the import job would be (the job commits every JOB_CHUNK rows), and the database is left
as it was.
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask_babel import force_locale

from oms import create_app
from oms.extensions import db
from oms.models import (
    DeferredFile,
    Gateway,
    JobTarget,
    Order,
    PaymentKind,
    PaymentMethod,
    PaymentStatus,
)
from oms.services import deferred_import, runner
from oms.services.actor import Actor
from oms.services.deferred_export import CHUNK, Choice, start
from oms.services.deferred_export_step import DeferredExportStep

ACTOR = Actor(None, "bench", None, "import")


def prepare(session, count: int) -> list[int]:
    """`count` own-shop orders with an address, made NP orders awaiting registration."""
    method = session.scalar(sa.select(PaymentMethod.id)
                            .where(PaymentMethod.kind == PaymentKind.deferred_np).limit(1))
    ids = list(session.scalars(sa.text(
        "SELECT o.id FROM orders o JOIN shops s ON s.id = o.shop_id WHERE s.kind = 'own' "
        "AND o.deleted_at IS NULL AND o.buyer_postcode IS NOT NULL "
        "AND o.buyer_address1 IS NOT NULL AND o.buyer_phone IS NOT NULL "
        "AND o.ship_postcode IS NOT NULL AND o.ship_address1 IS NOT NULL "
        "ORDER BY o.ordered_at, o.id LIMIT :n"), {"n": count}))
    # Goods lines must add up to the total: the bench's orders are made to (seed data
    # carries cancelled lines and mall-side amounts that would refuse some).
    session.execute(sa.text(
        "UPDATE orders SET status = 'pending_review', payment_status = 'unpaid', "
        "payment_method_id = :m, auto_advance = true, needs_attention = false, "
        "total = subtotal - discount - points_used + wrapping_fee + shipping_fee "
        "+ payment_fee + tax_10 + tax_8 + adjustment WHERE id = ANY(:ids)"),
        {"m": method, "ids": ids})
    session.execute(sa.text(
        "UPDATE orders o SET subtotal = l.s, total = o.total - o.subtotal + l.s FROM "
        "(SELECT order_id, sum(quantity * unit_price) AS s FROM order_lines "
        "WHERE status <> 'cancelled' AND order_id = ANY(:ids) GROUP BY order_id) l "
        "WHERE o.id = l.order_id"), {"ids": ids})
    return ids


def export(session, ids: list[int]) -> tuple[float, list[str]]:
    choice = Choice(Gateway.np, DeferredFile.credit)
    note = start(session, None, choice, [Order.id.in_(ids)], len(ids), None, "ja")
    session.flush()
    targets = [runner.Target(t.id, t.order_id, None) for t in session.scalars(
        sa.select(JobTarget).where(JobTarget.job_id == note.id).order_by(JobTarget.id))]
    step = DeferredExportStep(session, note)
    started = time.perf_counter()
    texts = []
    for first in range(0, len(targets), CHUNK):
        for outcome in step.apply(session, targets[first:first + CHUNK]):
            if outcome.after:
                texts.append(outcome.after["text"])
    session.flush()
    return time.perf_counter() - started, texts


def result_file(session, ids: list[int]) -> bytes:
    numbers = session.scalars(sa.select(Order.order_number).where(
        Order.id.in_(ids), Order.payment_status == PaymentStatus.deferred_registered))
    lines = ["shop_transaction_id,np_transaction_id,authori_result,authori_ng,authori_hold"]
    lines += [f"{n},{19_000_000_000 + i},00,," for i, n in enumerate(numbers)]
    return ("\r\n".join(lines) + "\r\n").encode("cp932")


def run(session, count: int) -> tuple[float, float, float, int]:
    ids = prepare(session, count)
    session.flush()
    exported, texts = export(session, ids)
    data = result_file(session, ids)
    started = time.perf_counter()
    upload = deferred_import.check(session, None, "bench.csv", data, Gateway.np,
                                   DeferredFile.credit)
    checked = time.perf_counter() - started
    started = time.perf_counter()
    deferred_import.apply_rows(session, upload, deferred_import.good_rows(upload), ACTOR)
    applied = time.perf_counter() - started
    return exported, checked, applied, len(texts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    app = create_app()
    results = []
    with app.app_context(), force_locale("ja"):
        session = db.session
        for _ in range(args.runs):
            try:
                result = run(session, args.orders)
            finally:
                session.rollback()  # the database stays as it was
            results.append(result)
            print("  run: export {:.1f} s, check {:.1f} s, apply {:.1f} s ({} rows)".format(
                *result), file=sys.stderr)
    exported = statistics.median(r[0] for r in results)
    imported = statistics.median(r[1] + r[2] for r in results)
    print(f"NP 取引登録 export of {results[0][3]} orders: {exported:.1f} s")
    print(f"与信結果 import of {results[0][3]} rows (check + apply): {imported:.1f} s")


if __name__ == "__main__":
    main()
