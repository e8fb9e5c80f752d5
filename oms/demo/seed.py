"""Loading the demo: reference rows, customers, then orders in chunks, in one transaction."""

import random
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from tqdm import tqdm

from oms.demo import reference as ref
from oms.demo.load import writer_for
from oms.demo.orders import (
    ALLOCATION_COLUMNS,
    HISTORY_COLUMNS,
    LINE_COLUMNS,
    ORDER_ALLOCATION_COLUMNS,
    ORDER_COLUMNS,
    ORDER_LINK_COLUMNS,
    ORDER_TAG_COLUMNS,
    SHIPMENT_COLUMNS,
    Chunk,
    Ids,
    OrderRows,
)
from oms.demo.people import ADDRESS_COLUMNS, CUSTOMER_COLUMNS, Customers, People
from oms.demo.plan import plan
from oms.services import list_cache

DEFAULT_SEED = 20240401
CHUNK = 20_000  # orders built and copied at a time: bounded memory, few COPY statements
# The tables the orders are loaded into, in the order their foreign keys need.
ORDER_TABLES = (
    ("orders", ORDER_COLUMNS), ("order_lines", LINE_COLUMNS), ("shipments", SHIPMENT_COLUMNS),
    ("status_history", HISTORY_COLUMNS), ("order_tags", ORDER_TAG_COLUMNS),
    ("order_links", ORDER_LINK_COLUMNS), ("order_allocations", ORDER_ALLOCATION_COLUMNS),
    ("stock_allocations", ALLOCATION_COLUMNS),
)
BULK_TABLES = ("customers", "customer_addresses", *(name for name, _ in ORDER_TABLES))
REFERENCE_TABLES = ("shops", "payment_methods", "handling_statuses", "attention_reasons", "tags",
                    "skus", "stocks", "bank_accounts", "wrappings", "stock_locations")


class NotEmpty(Exception):
    """The database already has orders or customers; the demo only goes into an empty one."""


@dataclass
class Options:
    orders: int
    random_seed: int = DEFAULT_SEED
    reset: bool = False
    now: datetime | None = None
    progress: bool = True


def seed(engine: sa.Engine, metadata: sa.MetaData, options: Options) -> dict[str, int]:
    """Load the demo and return the row count of each table it fills."""
    rng = random.Random(options.random_seed)
    now = (options.now or datetime.now(UTC)).timestamp()
    with engine.begin() as conn:
        writer = writer_for(conn, metadata)
        if options.reset:
            writer.reset()
        elif existing := writer.order_count():
            raise NotEmpty(f"the database already has {existing:,} orders")
        elif writer.has_rows("customers"):
            raise NotEmpty("the database already has customers")
        ids = _reference(conn, metadata, rng)
        people = People(rng)
        order_plan = plan(rng, options.orders, now)
        customers = Customers(people, order_plan.first_orders)
        writer.prepare(BULK_TABLES)
        writer.write("customers", CUSTOMER_COLUMNS, customers.rows)
        writer.write("customer_addresses", ADDRESS_COLUMNS, customers.address_rows)
        customers.rows = customers.address_rows = []  # written: let them go
        rows = OrderRows(rng, ids, people, customers, order_plan, now)
        with tqdm(total=options.orders, unit=" orders", unit_scale=True, file=sys.stderr,
                  disable=not options.progress, mininterval=0.5) as bar:
            for chunk in _ahead(rows.chunks(CHUNK)):
                for table, columns in ORDER_TABLES:
                    writer.write(table, columns, getattr(chunk, table))
                bar.update(len(chunk.orders))
            _stock_allocated(conn, metadata)
            bar.set_postfix_str("building indexes")
            writer.finish()
    writer.analyze(engine)
    with engine.connect() as conn:
        return {name: conn.scalar(sa.select(sa.func.count()).select_from(sa.table(name)))
                for name in (*REFERENCE_TABLES, *BULK_TABLES)}


def _ahead(chunks: Iterator[Chunk]) -> Iterator[Chunk]:
    """Build the next chunk in a thread while the current one is copied: Python builds rows
    whenever the main thread waits for the database, instead of the database idling."""
    with ThreadPoolExecutor(1, thread_name_prefix="demo-orders") as pool:
        upcoming = pool.submit(next, chunks, None)
        while (chunk := upcoming.result()) is not None:
            upcoming = pool.submit(next, chunks, None)
            yield chunk


def _reference(conn: sa.Connection, metadata: sa.MetaData, rng: random.Random) -> Ids:
    """Shops, payment methods, lists and the catalogue; rows already there are kept."""
    shops = _ensure(conn, metadata.tables["shops"], "code", [
        {"code": code, "name": name, "kind": kind.value, "auto_confirm": auto, "active": True,
         "settings": {}} for code, name, kind, auto, _ in ref.SHOPS])
    methods = _ensure(conn, metadata.tables["payment_methods"], "code", [
        {"code": code, "name": name, "kind": kind.value, "fee": fee, "requires_login": False,
         "active": True} for code, name, kind, fee in ref.PAYMENT_METHODS])
    handling = _ensure(conn, metadata.tables["handling_statuses"], "name", [
        {"name": name, "position": i, "stamps": stamps.value, "active": True}
        for i, (name, stamps) in enumerate(ref.HANDLING_STATUSES, 1)])
    reasons = _ensure(conn, metadata.tables["attention_reasons"], "name", [
        {"name": name, "position": i, "active": True}
        for i, name in enumerate(ref.ATTENTION_REASONS, 1)])
    tags = _ensure(conn, metadata.tables["tags"], "name", [
        {"name": name, "color": color, "active": True} for name, color in ref.TAGS])
    # ラッピング管理 and 在庫ロケーション管理: what the demo's orders use.
    _ensure(conn, metadata.tables["wrappings"], "name", [
        {"name": ref.WRAPPING, "fee": ref.WRAPPING_FEE, "tax_rate": 10, "position": 1,
         "active": True}])
    _ensure(conn, metadata.tables["stock_locations"], "code", [
        {"code": "main", "name": "本社倉庫", "priority": 1, "active": True}])
    list_cache.changed(conn)  # running processes read the lists again
    catalogue = ref.catalogue()
    sku_table = metadata.tables["skus"]
    sku_ids = _ensure(conn, sku_table, "code", [
        {"code": s.code, "name": s.name, "price": s.price, "tax_rate": s.tax_rate,
         "active": True} for s in catalogue])
    # Prices and names as stored: a kept SKU may differ from our catalogue.
    stored = {row.code: row for row in conn.execute(
        sa.select(sku_table).where(sku_table.c.code.in_(list(sku_ids))))}
    _stock(conn, metadata.tables["stocks"], rng, [sku_ids[s.code] for s in catalogue])
    accounts = _ensure(conn, metadata.tables["bank_accounts"], "account_number", [
        {"bank_name": bank, "branch_name": branch, "account_type": kind.value,
         "account_number": number, "holder_kana": holder, "position": i, "active": True}
        for i, (bank, branch, kind, number, holder) in enumerate(ref.BANK_ACCOUNTS, 1)])
    return Ids(
        shops=shops,
        methods={kind: (methods[code], fee) for code, _, kind, fee in ref.PAYMENT_METHODS},
        handling=handling,
        reasons=reasons,
        tags=tags,
        skus=[(sku_ids[s.code], stored[s.code].name, s.option, stored[s.code].price,
               stored[s.code].tax_rate) for s in catalogue],
        sku_codes={sku_ids[s.code]: s.code for s in catalogue},
        mall_codes=ref.mall_codes(rng, [s.code for s in catalogue]),
        bank_accounts=[accounts[account[3]] for account in ref.BANK_ACCOUNTS],
    )


def _ensure(conn: sa.Connection, table: sa.Table, key: str, rows: list[dict]) -> dict:
    """Insert the rows whose key is missing; return the id of every row by key."""
    keys = [row[key] for row in rows]
    found = dict(conn.execute(sa.select(table.c[key], table.c.id)
                              .where(table.c[key].in_(keys))).all())
    missing = [row for row in rows if row[key] not in found]
    if missing:
        conn.execute(table.insert(), missing)
        found = dict(conn.execute(sa.select(table.c[key], table.c.id)
                                  .where(table.c[key].in_(keys))).all())
    return found


def _stock(conn: sa.Connection, table: sa.Table, rng: random.Random, sku_ids: list[int]) -> None:
    """Stock in the main warehouse for every SKU; a few are sold out, some also in a second."""
    have = set(conn.execute(sa.select(table.c.sku_id, table.c.location)).all())
    rows = []
    for sku_id in sku_ids:
        quantity = 0 if rng.random() < 0.06 else rng.randint(1, 400)
        # Allocated follows from the orders' stock_allocations (_stock_allocated).
        rows.append({"sku_id": sku_id, "location": "main", "quantity": quantity,
                     "allocated": 0})
        if rng.random() < 0.2:
            rows.append({"sku_id": sku_id, "location": "sub", "quantity": rng.randint(0, 120),
                         "allocated": 0})
    rows = [row for row in rows if (row["sku_id"], row["location"]) not in have]
    if rows:
        conn.execute(table.insert(), rows)


def _stock_allocated(conn: sa.Connection, metadata: sa.MetaData) -> None:
    """Each stock row's `allocated` becomes the sum of its active allocations, in one
    statement. The demo's allocations were made when the stock was there: a row holding
    more than its quantity is raised to it, so no stock shows a negative availability."""
    stocks, allocations = metadata.tables["stocks"], metadata.tables["stock_allocations"]
    held = (sa.select(allocations.c.sku_id, allocations.c.location,
                      sa.func.sum(allocations.c.quantity).label("n"))
            .where(allocations.c.released_at.is_(None))
            .group_by(allocations.c.sku_id, allocations.c.location).subquery())
    conn.execute(sa.update(stocks).values(
        allocated=held.c.n,
        quantity=sa.case((stocks.c.quantity < held.c.n, held.c.n), else_=stocks.c.quantity),
    ).where(stocks.c.sku_id == held.c.sku_id, stocks.c.location == held.c.location))
