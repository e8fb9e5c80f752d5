"""shipment confirmation: 出荷済 joins the auto-advance index; shipments by import

The workflow sweep reads only orders that may still move by themselves (the partial index
ix_orders_auto_advance); 出荷済 now leaves by itself (→ 完了 / 後払入金待, SCOPE P2 S5), so
the index's predicate gains it. A plain DROP and CREATE INDEX: no batch copy of orders,
so SQLite keeps the status counter triggers. An import's result page finds its shipments
by shipments.import_id.

Revision ID: b51c0e7a9d42
Revises: 7d458b48331f
Create Date: 2026-12-03 15:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


revision = 'b51c0e7a9d42'
down_revision = '7d458b48331f'
branch_labels = None
depends_on = None

BEFORE = ("auto_advance AND deleted_at IS NULL AND status IN ('pending_review', "
          "'awaiting_payment', 'new', 'awaiting_allocation', 'awaiting_deferred_payment')")
AFTER = ("auto_advance AND deleted_at IS NULL AND status IN ('pending_review', "
         "'awaiting_payment', 'new', 'awaiting_allocation', 'shipped', "
         "'awaiting_deferred_payment')")


def _index(where: str) -> None:
    op.drop_index('ix_orders_auto_advance', 'orders')
    op.create_index('ix_orders_auto_advance', 'orders', ['status', 'ordered_at', 'id'],
                    unique=False, postgresql_where=sa.text(where), sqlite_where=sa.text(where))


def upgrade():
    _index(AFTER)
    op.create_index(op.f('ix_shipments_import_id'), 'shipments', ['import_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_shipments_import_id'), table_name='shipments')
    _index(BEFORE)
