"""Writing rows fast: COPY on PostgreSQL, batched inserts on SQLite, both in the caller's
transaction so that a failed load leaves nothing behind."""

from collections.abc import Iterable, Sequence

import sqlalchemy as sa
from psycopg import sql

# What --reset empties. Users and the audit trail stay: they are not demo data, and the
# audit trail is append-only. Tables that reference these are emptied with them.
BUSINESS_TABLES = (
    "stock_allocations", "order_allocations", "order_tags", "status_history", "shipments",
    "order_lines", "orders",
    "customer_addresses", "customers", "stocks", "skus", "tags", "attention_reasons",
    "handling_statuses", "payment_methods", "bank_accounts", "shops", "notifications",
    "wrappings", "stock_locations",
)
# Kept per status by triggers on orders, which TRUNCATE does not fire: emptied with them.
COUNTERS = "order_status_counts"
SQLITE_BATCH = 5000


def writer_for(conn: sa.Connection, metadata: sa.MetaData) -> "Writer":
    if conn.dialect.name == "postgresql":
        return PostgresWriter(conn, metadata)
    return Writer(conn, metadata)


class Writer:
    """The portable writer: SQLAlchemy inserts in batches (SQLite, the embedded default)."""

    def __init__(self, conn: sa.Connection, metadata: sa.MetaData):
        self.conn = conn
        self.metadata = metadata

    def order_count(self) -> int:
        return self.conn.scalar(sa.text("SELECT count(*) FROM orders"))

    def has_rows(self, table: str) -> bool:
        return self.conn.scalar(sa.select(sa.exists().select_from(sa.table(table))))

    def reset(self) -> None:
        # Row by row, so the triggers keep the status counters right.
        doomed = _with_dependents(self.metadata, BUSINESS_TABLES)
        for table in reversed(self.metadata.sorted_tables):
            if table.name in doomed:
                self.conn.execute(table.delete())

    def prepare(self, tables: Sequence[str]) -> None:
        """Get ready to fill these (empty) tables."""

    def write(self, table: str, columns: Sequence[str], rows: Iterable[tuple]) -> None:
        insert = self.metadata.tables[table].insert()
        batch: list[dict] = []
        for row in rows:
            batch.append(dict(zip(columns, row, strict=True)))
            if len(batch) == SQLITE_BATCH:
                self.conn.execute(insert, batch)
                batch = []
        if batch:
            self.conn.execute(insert, batch)

    def finish(self) -> None:
        """Restore what prepare() set aside."""

    def analyze(self, engine: sa.Engine) -> None:
        with engine.begin() as conn:
            conn.execute(sa.text("ANALYZE"))


class PostgresWriter(Writer):
    """Binary COPY through psycopg 3.

    Indexes other than the unique ones and foreign keys of the loaded tables are dropped
    before the load and rebuilt after it: one sort per index and one join per key are far
    cheaper than a million single-row updates and checks. All of it happens inside the
    transaction, so a failure rolls the schema back too.
    """

    def __init__(self, conn: sa.Connection, metadata: sa.MetaData):
        super().__init__(conn, metadata)
        self.cursor = conn.connection.driver_connection.cursor()
        self.set_aside: list[sql.Composable] = []
        self.tables: Sequence[str] = ()
        self.freeze = False
        self.column_types: dict[str, dict[str, int]] = {}

    def reset(self) -> None:
        tables = [*BUSINESS_TABLES, *([COUNTERS] if COUNTERS in self.metadata.tables else [])]
        names = sql.SQL(", ").join(map(sql.Identifier, tables))
        self.cursor.execute(sql.SQL("TRUNCATE {} RESTART IDENTITY CASCADE").format(names))

    def prepare(self, tables: Sequence[str]) -> None:
        self.tables = tables
        cur = self.cursor
        # Rows copied into a table emptied in this transaction can be written frozen and
        # all-visible: the first reader need not rewrite every page to set hint bits, and
        # index-only scans work at once. TRUNCATE must take every table that references
        # them along; when all of those are empty too, that loses nothing.
        cur.execute(
            "WITH RECURSIVE t(oid) AS (SELECT unnest(%s::regclass[])::oid UNION"
            " SELECT c.conrelid FROM pg_constraint c JOIN t ON c.confrelid = t.oid"
            " WHERE c.contype = 'f') SELECT oid::regclass::text FROM t",
            [list(tables)],
        )
        related = [sql.SQL(name) for (name,) in cur.fetchall()]
        if not any(cur.execute(sql.SQL("SELECT EXISTS (SELECT FROM {})").format(name))
                   .fetchone()[0] for name in related):
            cur.execute(sql.SQL("TRUNCATE {}").format(sql.SQL(", ").join(related)))
            self.freeze = True
        cur.execute("SET LOCAL maintenance_work_mem = '512MB'")
        cur.execute("SET LOCAL work_mem = '256MB'")
        cur.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid)"
            " FROM pg_constraint WHERE contype = 'f' AND conrelid = ANY(%s::regclass[])",
            [list(tables)],
        )
        for table, name, definition in cur.fetchall():
            cur.execute(sql.SQL("ALTER TABLE {} DROP CONSTRAINT {}").format(
                sql.SQL(table), sql.Identifier(name)))
            self.set_aside.append(sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} {}").format(
                sql.SQL(table), sql.Identifier(name), sql.SQL(definition)))
        cur.execute(
            "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index"
            " WHERE indrelid = ANY(%s::regclass[]) AND NOT indisunique AND NOT indisprimary",
            [list(tables)],
        )
        for name, definition in cur.fetchall():
            cur.execute(sql.SQL("DROP INDEX {}").format(sql.SQL(name)))
            # Rebuilt before the keys come back: validating a key can use the index.
            self.set_aside.insert(0, sql.SQL(definition))

    def write(self, table: str, columns: Sequence[str], rows: Iterable[tuple]) -> None:
        statement = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT BINARY{})").format(
            sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, columns)),
            sql.SQL(", FREEZE" if self.freeze else ""))
        types = self._types(table)
        with self.cursor.copy(statement) as copy:
            copy.set_types([types[column] for column in columns])
            for row in rows:
                copy.write_row(row)

    def _types(self, table: str) -> dict[str, int]:
        """Type oids by column name: binary COPY needs them, and spares the server parsing."""
        if table not in self.column_types:
            self.cursor.execute(
                "SELECT attname, atttypid::int FROM pg_attribute"
                " WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped", [table])
            self.column_types[table] = dict(self.cursor.fetchall())
        return self.column_types[table]

    def finish(self) -> None:
        for statement in self.set_aside:
            self.cursor.execute(statement)
        # We chose the ids: move each sequence past them.
        for table in self.tables:
            if "id" not in self.metadata.tables[table].c:
                continue
            self.cursor.execute(sql.SQL(
                "SELECT setval(pg_get_serial_sequence({name}, 'id'),"
                " coalesce(max(id), 0) + 1, false) FROM {table}").format(
                    name=sql.Literal(table), table=sql.Identifier(table)))

    def analyze(self, engine: sa.Engine) -> None:
        with engine.connect() as conn:
            conn.execute(sa.text("ANALYZE"))
            conn.commit()


def _with_dependents(metadata: sa.MetaData, names: Iterable[str]) -> set[str]:
    """The tables and every table that references one of them, directly or not."""
    found = set(names)
    grew = True
    while grew:
        grew = False
        for table in metadata.sorted_tables:
            if table.name not in found and any(
                fk.column.table.name in found for fk in table.foreign_keys
            ):
                found.add(table.name)
                grew = True
    return found
