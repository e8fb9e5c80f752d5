"""bulk_selections.report: what reading an uploaded CSV found, for its result page

The CSV upload of the bulk update answers with a redirect (Post/Redirect/Get); the page it
leads to shows the file's bad lines from here.

Revision ID: d7e3f1a2b4c5
Revises: d7a3c9e5f120
Create Date: 2026-12-01 09:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'd7e3f1a2b4c5'
down_revision = 'd7a3c9e5f120'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('bulk_selections', sa.Column('report', sa.JSON(), nullable=True))


def downgrade():
    op.drop_column('bulk_selections', 'report')
