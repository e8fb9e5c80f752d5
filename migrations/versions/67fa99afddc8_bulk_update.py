"""bulk update: selections, jobs, one outcome row per target; orders.linkage_text

Revision ID: 67fa99afddc8
Revises: fad4f26db587
Create Date: 2026-11-24 04:46:13.671027

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '67fa99afddc8'
down_revision = 'fad4f26db587'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('bulk_jobs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('operation', sa.String(length=32), nullable=False),
    sa.Column('options', sa.JSON(), nullable=False),
    sa.Column('source', sa.Enum('selected', 'search', 'csv', name='selectionsource', native_enum=False, length=16), nullable=False),
    sa.Column('search', sa.String(length=2000), nullable=True),
    sa.Column('file_name', sa.String(length=255), nullable=True),
    sa.Column('skipped', sa.Integer(), nullable=False),
    sa.Column('undo_of_id', sa.Integer(), nullable=True),
    sa.Column('ip', sa.String(length=45), nullable=True),
    sa.Column('locale', sa.String(length=8), nullable=False),
    sa.Column('heartbeat_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('recoveries', sa.Integer(), nullable=False),
    sa.Column('lane_errors', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['id'], ['notifications.id'], name=op.f('fk_bulk_jobs_id_notifications'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['undo_of_id'], ['bulk_jobs.id'], name=op.f('fk_bulk_jobs_undo_of_id_bulk_jobs')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bulk_jobs'))
    )
    with op.batch_alter_table('bulk_jobs', schema=None) as batch_op:
        batch_op.create_index('ix_bulk_jobs_undo_of_id', ['undo_of_id'], unique=False)

    op.create_table('bulk_selections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('source', sa.Enum('selected', 'search', 'csv', name='selectionsource', native_enum=False, length=16), nullable=False),
    sa.Column('search', sa.String(length=2000), nullable=True),
    sa.Column('file_name', sa.String(length=255), nullable=True),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('job_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['job_id'], ['notifications.id'], name=op.f('fk_bulk_selections_job_id_notifications'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_bulk_selections_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bulk_selections'))
    )
    with op.batch_alter_table('bulk_selections', schema=None) as batch_op:
        batch_op.create_index('ix_bulk_selections_user_id_id', ['user_id', 'id'], unique=False)

    op.create_table('bulk_items',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('job_id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('state', sa.Enum('pending', 'ok', 'failed', 'skipped', name='itemstate', native_enum=False, length=16), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('before', sa.JSON(), nullable=True),
    sa.Column('after', sa.JSON(), nullable=True),
    sa.Column('applied_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['job_id'], ['bulk_jobs.id'], name=op.f('fk_bulk_items_job_id_bulk_jobs'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_bulk_items_order_id_orders')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bulk_items')),
    sa.UniqueConstraint('job_id', 'order_id', name=op.f('uq_bulk_items_job_id_order_id'))
    )
    with op.batch_alter_table('bulk_items', schema=None) as batch_op:
        batch_op.create_index('ix_bulk_items_job_id_state_id', ['job_id', 'state', 'id'], unique=False)

    op.create_table('bulk_selection_orders',
    sa.Column('selection_id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.ForeignKeyConstraint(['selection_id'], ['bulk_selections.id'], name=op.f('fk_bulk_selection_orders_selection_id_bulk_selections'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('selection_id', 'order_id', name=op.f('pk_bulk_selection_orders'))
    )
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('linkage_text', sa.Text(), nullable=True))


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        # Native DROP COLUMN (SQLite 3.35+): a batch copy of orders would lose its triggers.
        op.execute("ALTER TABLE orders DROP COLUMN linkage_text")
    else:
        op.drop_column('orders', 'linkage_text')

    op.drop_table('bulk_selection_orders')
    with op.batch_alter_table('bulk_items', schema=None) as batch_op:
        batch_op.drop_index('ix_bulk_items_job_id_state_id')

    op.drop_table('bulk_items')
    with op.batch_alter_table('bulk_selections', schema=None) as batch_op:
        batch_op.drop_index('ix_bulk_selections_user_id_id')

    op.drop_table('bulk_selections')
    with op.batch_alter_table('bulk_jobs', schema=None) as batch_op:
        batch_op.drop_index('ix_bulk_jobs_undo_of_id')

    op.drop_table('bulk_jobs')
