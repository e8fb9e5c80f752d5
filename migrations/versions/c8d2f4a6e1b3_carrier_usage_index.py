"""carrier usage: an index for 配送業者管理's 「N件の注文で使用中」 (a count per carrier,
service and time slot scanned a million orders; a plain CREATE INDEX, no batch copy)

Revision ID: c8d2f4a6e1b3
Revises: a3c5e7f9b2d4
Create Date: 2026-12-03 16:25:00.000000

"""
from alembic import op
import sqlalchemy as sa


revision = 'c8d2f4a6e1b3'
down_revision = 'a3c5e7f9b2d4'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_orders_carrier_usage', 'orders',
                    ['carrier', 'delivery_method', 'delivery_time_slot'], unique=False,
                    postgresql_where=sa.text('deleted_at IS NULL'),
                    sqlite_where=sa.text('deleted_at IS NULL'))


def downgrade():
    op.drop_index('ix_orders_carrier_usage', table_name='orders')
