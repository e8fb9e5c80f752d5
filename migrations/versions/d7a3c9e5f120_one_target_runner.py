"""one target runner: job_targets for every job over frozen targets

bulk_items (bulk updates) and sync_targets (mall refresh/confirm) become one table keyed by
the job's notification; the lane bookkeeping (heartbeat, recoveries, lane errors, skipped
count) moves from bulk_jobs to notifications, so every such job is run and recovered alike.

Plain ADD/DROP COLUMN (no batch copy), so SQLite keeps its triggers.

Revision ID: d7a3c9e5f120
Revises: c41d7e2a9b10
Create Date: 2026-12-03 09:45:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'd7a3c9e5f120'
down_revision = 'c41d7e2a9b10'
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer, "sqlite")
LANE_COLUMNS = ("skipped", "heartbeat_at", "recoveries", "lane_errors")


def _lane_columns():
    return [sa.Column('skipped', sa.Integer(), nullable=False, server_default='0'),
            sa.Column('heartbeat_at', sa.DateTime(timezone=True), nullable=True),
            sa.Column('recoveries', sa.Integer(), nullable=False, server_default='0'),
            sa.Column('lane_errors', sa.Integer(), nullable=False, server_default='0')]


def _drop_columns(table, names):
    for name in names:
        if op.get_bind().dialect.name == "sqlite":
            op.execute(f"ALTER TABLE {table} DROP COLUMN {name}")
        else:
            op.drop_column(table, name)


def _copy_lane_columns(source, target):
    for name in LANE_COLUMNS:
        op.execute(f"UPDATE {target} SET {name} = (SELECT s.{name} FROM {source} s "
                   f"WHERE s.id = {target}.id) WHERE id IN (SELECT id FROM {source})")


def upgrade():
    for column in _lane_columns():
        op.add_column('notifications', column)
    _copy_lane_columns('bulk_jobs', 'notifications')
    _drop_columns('bulk_jobs', LANE_COLUMNS)

    op.create_table(
        'job_targets',
        sa.Column('id', BigId, nullable=False),
        sa.Column('job_id', sa.Integer(), nullable=False),
        sa.Column('order_id', BigId, nullable=False),
        sa.Column('version', sa.Integer(), nullable=True),
        sa.Column('state', sa.Enum('pending', 'calling', 'ok', 'failed', 'skipped',
                                   name='targetstate', native_enum=False, length=16),
                  nullable=False),
        sa.Column('error', sa.Text(), nullable=True),
        sa.Column('before', sa.JSON(), nullable=True),
        sa.Column('after', sa.JSON(), nullable=True),
        sa.Column('key', sa.String(length=80), nullable=True),
        sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('applied_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['job_id'], ['notifications.id'],
                                name=op.f('fk_job_targets_job_id_notifications'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['order_id'], ['orders.id'],
                                name=op.f('fk_job_targets_order_id_orders'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_job_targets')),
        sa.UniqueConstraint('job_id', 'order_id', name=op.f('uq_job_targets_job_id_order_id')))
    op.create_index('ix_job_targets_job_id_state_id', 'job_targets', ['job_id', 'state', 'id'])
    op.execute("INSERT INTO job_targets (job_id, order_id, version, state, error, before, "
               "after, applied_at) SELECT job_id, order_id, version, state, error, before, "
               "after, applied_at FROM bulk_items ORDER BY id")
    op.execute("INSERT INTO job_targets (job_id, order_id, state, error) "
               "SELECT notification_id, order_id, state, error FROM sync_targets "
               "ORDER BY notification_id, order_id")
    op.drop_index('ix_bulk_items_job_id_state_id', table_name='bulk_items')
    op.drop_table('bulk_items')
    op.drop_index('ix_sync_targets_state', table_name='sync_targets')
    op.drop_table('sync_targets')


def downgrade():
    op.create_table(
        'sync_targets',
        sa.Column('notification_id', sa.Integer(), nullable=False),
        sa.Column('order_id', BigId, nullable=False),
        sa.Column('state', sa.Enum('pending', 'ok', 'failed', 'skipped', name='targetstate',
                                   native_enum=False, length=16), nullable=False),
        sa.Column('error', sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(['notification_id'], ['notifications.id'],
                                name=op.f('fk_sync_targets_notification_id_notifications'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['order_id'], ['orders.id'],
                                name=op.f('fk_sync_targets_order_id_orders'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('notification_id', 'order_id', name=op.f('pk_sync_targets')))
    op.create_index('ix_sync_targets_state', 'sync_targets',
                    ['notification_id', 'state', 'order_id'])
    op.create_table(
        'bulk_items',
        sa.Column('id', BigId, nullable=False),
        sa.Column('job_id', sa.Integer(), nullable=False),
        sa.Column('order_id', BigId, nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('state', sa.Enum('pending', 'ok', 'failed', 'skipped', name='itemstate',
                                   native_enum=False, length=16), nullable=False),
        sa.Column('error', sa.Text(), nullable=True),
        sa.Column('before', sa.JSON(), nullable=True),
        sa.Column('after', sa.JSON(), nullable=True),
        sa.Column('applied_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['job_id'], ['bulk_jobs.id'],
                                name=op.f('fk_bulk_items_job_id_bulk_jobs'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['order_id'], ['orders.id'],
                                name=op.f('fk_bulk_items_order_id_orders')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_bulk_items')),
        sa.UniqueConstraint('job_id', 'order_id', name=op.f('uq_bulk_items_job_id_order_id')))
    op.create_index('ix_bulk_items_job_id_state_id', 'bulk_items', ['job_id', 'state', 'id'])
    op.execute("INSERT INTO bulk_items (job_id, order_id, version, state, error, before, "
               "after, applied_at) SELECT t.job_id, t.order_id, t.version, t.state, t.error, "
               "t.before, t.after, t.applied_at FROM job_targets t "
               "JOIN bulk_jobs b ON b.id = t.job_id ORDER BY t.id")
    op.execute("INSERT INTO sync_targets (notification_id, order_id, state, error) "
               "SELECT job_id, order_id, CASE WHEN state = 'calling' THEN 'pending' "
               "ELSE state END, substr(error, 1, 500) FROM job_targets "
               "WHERE job_id NOT IN (SELECT id FROM bulk_jobs)")
    op.drop_index('ix_job_targets_job_id_state_id', table_name='job_targets')
    op.drop_table('job_targets')

    for column in _lane_columns():
        op.add_column('bulk_jobs', column)
    _copy_lane_columns('notifications', 'bulk_jobs')
    _drop_columns('notifications', LANE_COLUMNS)
