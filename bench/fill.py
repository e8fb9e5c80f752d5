"""Filling a big table for a bench, set-based (PostgreSQL): rows numbered g = 1 … N made by
INSERT … SELECT over generate_series, one statement and one commit per batch, each row on
an order `o` chosen by a prime stride, so that an order's rows lie scattered over the
table as rows written over months would."""

import sys
import time

import sqlalchemy as sa
from sqlalchemy.orm import Session

from oms.models import Order

BATCH = 500_000  # rows per INSERT … SELECT: one statement, a bounded transaction
STRIDE = 7919  # prime: consecutive rows go to orders far apart


def spread_over_orders(session: Session, table: str, columns: str, values: str, *,
                       have: int, rows: int, label: str) -> None:
    """Add rows have+1 … rows to `table`: `values` is the SELECT list (SQL over `g`, the
    row's number, `o`, its order, and `:span`, the number of order ids) for `columns`."""
    low, high = session.execute(sa.select(sa.func.min(Order.id), sa.func.max(Order.id))).one()
    if low is None:
        sys.exit("no orders: run `flask seed --orders N` first")
    span = high - low + 1
    started = time.perf_counter()
    for first in range(have + 1, rows + 1, BATCH):
        last = min(first + BATCH - 1, rows)
        session.execute(sa.text(f"""
            INSERT INTO {table} ({columns})
            SELECT {values}
            FROM generate_series(CAST(:first AS bigint), CAST(:last AS bigint)) AS g
            JOIN orders o ON o.id = :low + (g::bigint * {STRIDE}) % :span
            """), {"first": first, "last": last, "low": low, "span": span})  # noqa: S608
        session.commit()
        print(f"  {label}: {last:,} bench rows ({time.perf_counter() - started:.0f} s)",
              flush=True)
    session.execute(sa.text(f"ANALYZE {table}"))
    session.commit()
