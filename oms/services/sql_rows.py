"""Writing many rows, each with its own values, in one statement (bulk jobs, the workflow
sweep, stock allocation), and finding many rows by key: on PostgreSQL the values travel
as one array per column, so the statement is the same however many rows there are."""

import json
from datetime import datetime
from enum import Enum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session


def one_of(session: Session, column, values) -> sa.ColumnElement[bool]:
    """`column IN values` for many values: on PostgreSQL one array parameter (`= ANY`),
    as a thousand parameters cost more to send than the lookup costs to run. Text goes
    as text[], never cast to the column's VARCHAR(n), which would cut a longer value."""
    values = list(values)
    if session.get_bind().dialect.name != "postgresql":
        return column.in_(values)
    item = sa.Text() if isinstance(column.type, sa.String) else column.type
    return column == sa.any_(sa.bindparam(None, values, type_=ARRAY(item)))


def insert_rows(session: Session, table: sa.Table, rows: list[dict[str, Any]], *,
                returning: tuple[str, ...] = ()) -> list[sa.Row]:
    """Insert many rows in one statement (an INSERT ... SELECT of unnested arrays on
    PostgreSQL, the same statement for any number of rows); with `returning`, those
    columns of the new rows (their ids, say), in no particular order."""
    statement = sa.insert(table)
    if returning:
        statement = statement.returning(*(table.c[name] for name in returning))
    if session.get_bind().dialect.name != "postgresql":
        result = session.execute(statement, rows)
        return result.all() if returning else []
    values, params = _given(table, rows, keep=list(rows[0])[:1])
    result = session.execute(
        statement.from_select(list(values), sa.select(*values.values())), params)
    return result.all() if returning else []


def update_rows(session: Session, table: sa.Table, rows: list[dict[str, Any]], *,
                match: tuple[str, ...], also: dict[str, Any] | None = None) -> int:
    """Update many rows, each with its own values, in one statement; rows are found by
    the `match` columns. Returns how many rows matched."""
    columns = [c for c in rows[0] if c not in match]
    if session.get_bind().dialect.name != "postgresql":
        # SQLite runs in-process: one statement per row costs no round trip.
        result = session.execute(
            sa.update(table)
            .where(*(table.c[m] == sa.bindparam(f"_{m}") for m in match))
            .values({c: sa.bindparam(c) for c in columns} | (also or {})),
            [{**{f"_{m}": r[m] for m in match}, **{c: r[c] for c in columns}} for r in rows])
        return result.rowcount
    values, params = _given(table, rows, keep=list(match))
    result = session.execute(
        sa.update(table)
        .where(*(table.c[m] == values[m] for m in match))
        .values({c: values[c] for c in columns} | (also or {})),
        params)
    return result.rowcount


def _given(table: sa.Table, rows: list[dict[str, Any]], *, keep: list[str]
           ) -> tuple[dict[str, Any], dict[str, Any]]:
    """Each column's values as SQL: one text array per column, unnested into rows (a
    constant statement, compiled once, however many rows there are), except that a value
    every row shares is sent once rather than as an array of copies (a chunk's audit rows
    share the user, action and time). `keep` stays an array (it finds or makes the rows)."""
    first = rows[0]
    shared = {n: first[n] for n in first
              if n not in keep and all(r[n] == first[n] for r in rows)}
    varying = [n for n in first if n not in shared]
    unnested = _unnested(varying)
    values = {n: _typed(unnested.c[n], table.c[n].type) for n in varying}
    values |= {n: _typed(sa.bindparam(f"s_{n}", _as_text(v), type_=sa.Text), table.c[n].type)
               for n, v in shared.items()}
    return {n: values[n] for n in first}, _arrays(varying, rows)


def _unnested(names: list[str]):
    return sa.func.unnest(
        *(sa.bindparam(f"a{n}", type_=ARRAY(sa.Text)) for n in range(len(names)))
    ).table_valued(*names).render_derived(name="given")


def _arrays(names: list[str], rows: list[dict[str, Any]]) -> dict[str, list[str | None]]:
    return {f"a{n}": [_as_text(r[name]) for r in rows] for n, name in enumerate(names)}


def _as_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _typed(text, column_type):
    """Text back to the column's type. Text stays text: a cast to VARCHAR(n) would cut
    what is too long silently, the column itself refuses it."""
    if isinstance(column_type, sa.String):
        return text
    if isinstance(column_type, sa.TypeDecorator):
        column_type = column_type.impl
    return sa.cast(text, column_type)


def expire_loaded(session: Session, model: type, ids, attributes: list[str] | None = None
                  ) -> None:
    """Rows written by a statement around the ORM: the copies this session already holds
    re-read them (`attributes`, or everything) on next use."""
    ids = set(ids)
    for obj in list(session.identity_map.values()):
        if isinstance(obj, model) and obj.id in ids:
            session.expire(obj, attributes)
