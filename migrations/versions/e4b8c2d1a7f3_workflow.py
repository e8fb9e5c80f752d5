"""workflow: settings, bank accounts, stock allocations, the sweep's and the allocation's indexes

Orders gain 強制引当 and the payer and bank account of a transfer, and their allocation
state beside them (order_allocations, a narrow table as order_links);
status history gains the reason of an automatic move. Plain ALTERs on orders (no batch
copy), so SQLite keeps the status counter triggers.

Revision ID: e4b8c2d1a7f3
Revises: d7e3f1a2b4c5
Create Date: 2026-12-03 11:55:31.614931

"""
from alembic import op
import sqlalchemy as sa


revision = 'e4b8c2d1a7f3'
down_revision = 'd7e3f1a2b4c5'
branch_labels = None
depends_on = None

AUTO_WHERE = ("auto_advance AND deleted_at IS NULL AND status IN ('pending_review', "
              "'awaiting_payment', 'new', 'awaiting_allocation', 'awaiting_deferred_payment')")


def upgrade():
    op.create_table('bank_accounts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('bank_name', sa.String(length=64), nullable=False),
    sa.Column('branch_name', sa.String(length=64), nullable=False),
    sa.Column('account_type', sa.Enum('ordinary', 'current', name='accounttype', native_enum=False, length=16), nullable=False),
    sa.Column('account_number', sa.String(length=16), nullable=False),
    sa.Column('holder_kana', sa.String(length=100), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bank_accounts'))
    )
    op.create_table('app_settings',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('value', sa.JSON(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_app_settings_updated_by_id_users')),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_app_settings'))
    )
    op.create_table('stock_allocations',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('order_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('order_line_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('sku_id', sa.Integer(), nullable=False),
    sa.Column('location', sa.String(length=32), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('forced', sa.Boolean(), nullable=False),
    sa.Column('allocated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('released_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_stock_allocations_order_id_orders'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['order_line_id'], ['order_lines.id'], name=op.f('fk_stock_allocations_order_line_id_order_lines'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['sku_id'], ['skus.id'], name=op.f('fk_stock_allocations_sku_id_skus')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stock_allocations'))
    )
    with op.batch_alter_table('stock_allocations', schema=None) as batch_op:
        batch_op.create_index('ix_stock_allocations_active', ['sku_id', 'location'], unique=False, postgresql_where=sa.text('released_at IS NULL'), sqlite_where=sa.text('released_at IS NULL'))
        batch_op.create_index('ix_stock_allocations_order_id', ['order_id'], unique=False)
        batch_op.create_index('uq_stock_allocations_active_line', ['order_line_id'], unique=True, postgresql_where=sa.text('released_at IS NULL'), sqlite_where=sa.text('released_at IS NULL'))

    pg = op.get_bind().dialect.name == "postgresql"
    op.add_column('orders', sa.Column('force_allocation', sa.Boolean(), server_default=sa.false(), nullable=False))
    op.add_column('orders', sa.Column('payer_name', sa.String(length=100), nullable=True))
    op.add_column('orders', sa.Column('bank_account_id', sa.Integer(), nullable=True))
    if pg:
        op.create_foreign_key(op.f('fk_orders_bank_account_id_bank_accounts'), 'orders', 'bank_accounts', ['bank_account_id'], ['id'])
    op.create_table('order_allocations',
    sa.Column('order_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('state', sa.Enum('none', 'partial', 'allocated', 'forced', name='allocationstate', native_enum=False, length=16), nullable=False),
    sa.Column('note', sa.String(length=300), nullable=True),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_order_allocations_order_id_orders'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('order_id', name=op.f('pk_order_allocations'))
    )
    op.create_index('ix_order_allocations_state_order_id', 'order_allocations', ['state', 'order_id'], unique=False)
    op.create_index('ix_orders_auto_advance', 'orders', ['status', 'ordered_at', 'id'], unique=False, postgresql_where=sa.text(AUTO_WHERE), sqlite_where=sa.text(AUTO_WHERE))
    op.add_column('status_history', sa.Column('reason', sa.String(length=200), nullable=True))


def downgrade():
    pg = op.get_bind().dialect.name == "postgresql"
    _drop_columns('status_history', ['reason'])
    op.drop_index('ix_orders_auto_advance', 'orders')
    op.drop_table('order_allocations')
    if pg:
        op.drop_constraint(op.f('fk_orders_bank_account_id_bank_accounts'), 'orders', type_='foreignkey')
    _drop_columns('orders', ['bank_account_id', 'payer_name', 'force_allocation'])
    op.drop_table('stock_allocations')
    op.drop_table('app_settings')
    op.drop_table('bank_accounts')


def _drop_columns(table, names):
    for name in names:
        if op.get_bind().dialect.name == "sqlite":
            op.execute(f"ALTER TABLE {table} DROP COLUMN {name}")
        else:
            op.drop_column(table, name)
