"""Declarative base and the column types every model shares."""

from datetime import UTC, datetime
from enum import Enum

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import DeclarativeBase, Session, registry
from sqlalchemy.types import TypeDecorator

# 64-bit ids on PostgreSQL; SQLite's INTEGER PRIMARY KEY is already 64-bit and only
# autoincrements under that exact name.
BigId = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """A timestamp stored in UTC and always returned timezone-aware.

    SQLite has no zone-aware type, so values are normalised to UTC before storing and
    tagged as UTC when read (RELIABILITY.md E).
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use an aware datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def upsert(bind: Session | sa.Connection, table: sa.Table):
    """An INSERT that takes ON CONFLICT clauses, in the dialect of the database in use."""
    dialect = bind.dialect if isinstance(bind, sa.Connection) else bind.get_bind().dialect
    return (postgresql.insert if dialect.name == "postgresql" else sqlite.insert)(table)


def enum_column(enum_cls: type[Enum], length: int = 32) -> sa.Enum:
    """Store an Enum by value as VARCHAR, so adding a member needs no type migration."""
    return sa.Enum(
        enum_cls,
        native_enum=False,
        length=length,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


class Base(DeclarativeBase):
    registry = registry(
        metadata=sa.MetaData(
            naming_convention={
            "ix": "ix_%(table_name)s_%(column_0_N_name)s",
            "uq": "uq_%(table_name)s_%(column_0_N_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
            }
        ),
        type_annotation_map={datetime: UTCDateTime()},
    )
