"""orders.mall_package_id: the mall's 送付先 (Rakuten basketId) the 楽天荷物番号報告CSV keys on

A plain ADD COLUMN (no batch copy of orders, so SQLite keeps the status counter triggers).

Revision ID: a3c5e7f9b2d4
Revises: b51c0e7a9d42
Create Date: 2026-12-03 15:20:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'a3c5e7f9b2d4'
down_revision = 'b51c0e7a9d42'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('orders', sa.Column('mall_package_id', sa.String(length=32), nullable=True))


def downgrade():
    with op.batch_alter_table('orders') as batch_op:
        batch_op.drop_column('mall_package_id')
