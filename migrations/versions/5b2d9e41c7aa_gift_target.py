"""gift: the product the gift is for, and how many (seed 002 ギフト情報)

Plain ADD COLUMN (no batch copy), so SQLite keeps the status-counter triggers.

Revision ID: 5b2d9e41c7aa
Revises: 14742b75f260
Create Date: 2026-11-24 06:20:00

"""
from alembic import op
import sqlalchemy as sa


revision = '5b2d9e41c7aa'
down_revision = '14742b75f260'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('orders', sa.Column('gift_target_product', sa.String(length=200), nullable=True))
    op.add_column('orders', sa.Column('gift_quantity', sa.SmallInteger(), nullable=True))


def downgrade():
    # Plain DROP COLUMN (SQLite 3.35+): a batch copy cannot re-insert the generated `tab`.
    op.drop_column('orders', 'gift_quantity')
    op.drop_column('orders', 'gift_target_product')
