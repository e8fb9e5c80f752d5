"""The migrations are the schema: one head, and what they build matches the models."""

import warnings

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from oms import MIGRATIONS
from oms.extensions import db


def test_there_is_exactly_one_head():
    config = Config()
    config.set_main_option("script_location", MIGRATIONS)
    assert len(ScriptDirectory.from_config(config).get_heads()) == 1


def test_the_models_match_what_the_migrations_built(app):
    with app.app_context(), db.engine.connect() as connection, warnings.catch_warnings():
        # Expression indexes: SQLite cannot reflect them, PostgreSQL cannot compare those
        # with an operator class inside the expression.
        warnings.filterwarnings("ignore", "Skipped unsupported reflection", sa.exc.SAWarning)
        warnings.filterwarnings("ignore", "autogenerate skipping metadata-specified expression")
        warnings.filterwarnings("ignore", "Expression #1 .* operator clause")
        context = MigrationContext.configure(connection, opts={
            "compare_type": True, "include_object": _built_on(connection.dialect.name)})
        differences = compare_metadata(context, db.metadata)
    assert differences == []


# Columns added to orders after it was created: SQLite can add a foreign key only by
# rebuilding the table, which would drop its status-counter triggers, so there the
# columns came without the constraint (PostgreSQL has both).
SQLITE_ADDED_WITHOUT_FK = {"fk_orders_customer_card_id_customer_cards",
                           "fk_orders_bank_account_id_bank_accounts",
                           "fk_orders_blacklist_entry_id_blacklist_entries",
                           "fk_shipments_import_id_shipment_imports",
                           "fk_shipments_export_id_shipping_exports"}


def _built_on(dialect: str):
    """Leave out what the models build only on another database (ddl_if)."""

    def include(item, name, kind, reflected, compare_to) -> bool:
        if dialect == "sqlite" and kind == "foreign_key_constraint" \
                and name in SQLITE_ADDED_WITHOUT_FK:
            return False
        only_on = getattr(item, "_ddl_if", None)
        return only_on is None or only_on.dialect in (None, dialect)

    return include
