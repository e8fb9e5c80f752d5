"""How fast `flask seed` fills PostgreSQL: recreate a database, migrate it, seed it, print figures.

    .venv/bin/python bench/seed_bench.py [--database-url URL] [--orders N]

The database is dropped and created again (it must not be one you need), and is left
loaded so that other benchmarks can use it.
"""

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
FLASK = [sys.executable, "-m", "flask", "--app", "wsgi"]
TABLES = ("customers", "customer_addresses", "orders", "order_lines", "shipments",
          "status_history", "order_tags")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1/oms_bench")
    parser.add_argument("--orders", type=int, default=1_000_000)
    args = parser.parse_args()

    recreate(args.database_url)
    env = {**os.environ, "DATABASE_URL": args.database_url}
    subprocess.run([*FLASK, "db", "upgrade", "heads"], cwd=ROOT, env=env, check=True,
                   capture_output=True)
    started = time.perf_counter()
    subprocess.run([*FLASK, "seed", "--orders", str(args.orders)], cwd=ROOT, env=env,
                   check=True)
    elapsed = time.perf_counter() - started

    with psycopg.connect(args.database_url) as conn:
        rows = {t: conn.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(t)))
                .fetchone()[0] for t in TABLES}
        size = conn.execute("SELECT pg_size_pretty(pg_database_size(current_database()))"
                            ).fetchone()[0]
    total = sum(rows.values())
    print()
    print(f"seed of {args.orders:,} orders into {args.database_url}")
    print(f"  load time          {elapsed:10.1f} s   (whole `flask seed` process)")
    print(f"  orders per second  {args.orders / elapsed:10,.0f}")
    print(f"  rows per second    {total / elapsed:10,.0f}   ({total:,} rows in the tables below)")
    for table, count in rows.items():
        print(f"    {table:<20} {count:>12,}")
    print(f"  database size      {size:>10}")


def recreate(url: str) -> None:
    """Drop and create the database, connected to the server's maintenance database."""
    info = psycopg.conninfo.conninfo_to_dict(url)
    name = info.pop("dbname")
    with psycopg.connect(**{**info, "dbname": "postgres"}, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
            sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


if __name__ == "__main__":
    main()
