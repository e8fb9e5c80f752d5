"""出荷確定インポート at scale (SCOPE P2 performance): checking and applying a B2 read-back
file of 20,000 rows. Goals: check under 5 s, apply under 20 s.

Run against the 1,000,000-order database, e.g.
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1/oms_bench \\
        .venv/bin/python bench/shipment_import_bench.py
Each run works inside one transaction that it rolls back: 20,000 of the oldest completed
orders are put in 出荷中 (their old parcels voided, their lines 出荷待ち), the file is checked
and applied as the import job applies it (2,000 rows a step; the job's per-step commits
are left out so that everything can be rolled back), and the database is left as it was.
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
from oms.services import shipment_import
from oms.services.actor import Actor

ACTOR = Actor(None, "bench", None, "import")


def prepare(session, count: int) -> list[str]:
    """`count` old completed orders waiting in 出荷中 for their numbers (in the transaction)."""
    ids = list(session.scalars(sa.text(
        "SELECT id FROM orders WHERE status = 'completed' AND deleted_at IS NULL "
        "ORDER BY ordered_at, id LIMIT :n"), {"n": count}))
    session.execute(sa.text(
        "UPDATE orders SET status = 'shipping', auto_advance = true, shipping_hold = false, "
        "carrier = 'ヤマト運輸', ship_confirmed_at = NULL WHERE id = ANY(:ids)"), {"ids": ids})
    session.execute(sa.text("UPDATE order_lines SET status = 'awaiting_pickup' "
                            "WHERE order_id = ANY(:ids)"), {"ids": ids})
    session.execute(sa.text("UPDATE shipments SET voided_at = now() "
                            "WHERE order_id = ANY(:ids) AND voided_at IS NULL"), {"ids": ids})
    return list(session.scalars(sa.text(
        "SELECT order_number FROM orders WHERE id = ANY(:ids) ORDER BY id"), {"ids": ids}))


def b2_file(order_numbers: list[str]) -> bytes:
    """The B2 issued-data file: 注文番号 in column 1, a 12-digit 伝票番号 in column 4."""
    return "".join(f"{number},0,,{990000000000 + i},2026/12/01\r\n"
                   for i, number in enumerate(order_numbers)).encode("cp932")


def run(session, count: int) -> tuple[float, float]:
    data = b2_file(prepare(session, count))
    session.flush()
    started = time.perf_counter()
    upload = shipment_import.check(session, None, "bench.csv", data, "b2")
    checked = time.perf_counter() - started
    rows = shipment_import.good_rows(upload)
    assert len(rows) == count, upload.errors[:5]
    started = time.perf_counter()
    for start in range(0, count, shipment_import.JOB_CHUNK):
        outcome = shipment_import.confirm_rows(session, upload,
                                           rows[start:start + shipment_import.JOB_CHUNK], ACTOR)
        assert not outcome.refused, outcome.refused[:3]
    session.flush()
    applied = time.perf_counter() - started
    shipped = session.scalar(sa.text(
        "SELECT count(*) FROM shipments WHERE import_id = :id"), {"id": upload.id})
    assert shipped == count, shipped
    return checked, applied


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    app = create_app()
    checks, applies = [], []
    with app.app_context(), force_locale("ja"):
        session = db.session
        for _ in range(args.runs):
            try:
                checked, applied = run(session, args.rows)
            finally:
                session.rollback()  # the database stays as it was
            checks.append(checked)
            applies.append(applied)
            print(f"  run: check {checked:.1f} s, apply {applied:.1f} s", file=sys.stderr)
    print(f"import check of {args.rows} rows: {statistics.median(checks):.1f} s")
    print(f"import apply of {args.rows} rows: {statistics.median(applies):.1f} s")


if __name__ == "__main__":
    main()
