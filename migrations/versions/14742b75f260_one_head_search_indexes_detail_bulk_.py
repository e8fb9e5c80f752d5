"""one head: search indexes, detail, bulk, marketplaces

Revision ID: 14742b75f260
Revises: 3c5e0a7d21b4, 67fa99afddc8, b684ef2e1662, efa98d848c7c
Create Date: 2026-11-24 05:49:43.586687

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '14742b75f260'
down_revision = ('3c5e0a7d21b4', '67fa99afddc8', 'b684ef2e1662', 'efa98d848c7c')
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
