"""search: prefix-searchable e-mail and phone indexes in any collation

PostgreSQL uses a plain btree for LIKE 'prefix%' only under the C collation; with any
other (C.UTF-8 included) the expression indexes need text_pattern_ops.

Revision ID: 3c5e0a7d21b4
Revises: fad4f26db587
Create Date: 2026-11-24 04:50:00

"""
from alembic import op


revision = '3c5e0a7d21b4'
down_revision = 'fad4f26db587'
branch_labels = None
depends_on = None

EXPRESSIONS = {
    "ix_orders_email_lower": "lower(buyer_email)",
    "ix_orders_phone_digits": "replace(buyer_phone, '-', '')",
}


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for name, expression in EXPRESSIONS.items():
        op.execute(f"DROP INDEX IF EXISTS {name}")
        op.execute(f"CREATE INDEX {name} ON orders (({expression}) text_pattern_ops)")
    # Statistics on the indexed expressions let the planner see that a prefix matches few.
    op.execute("ANALYZE orders")


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for name, expression in EXPRESSIONS.items():
        op.execute(f"DROP INDEX IF EXISTS {name}")
        op.execute(f"CREATE INDEX {name} ON orders (({expression}))")
