"""payments (P4): the payment_transactions ledger; the gateway's amounts, the authorization's
expiry, the deferred-payment verdict and 出荷報告 on orders; gateway, card plan and deferred
variant on payment methods. Plain ADD COLUMNs (no batch copy of orders, so SQLite keeps the
status counter triggers).

Revision ID: e2f4a6b8c0d1
Revises: c8d2f4a6e1b3
Create Date: 2026-12-03 19:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


revision = 'e2f4a6b8c0d1'
down_revision = 'c8d2f4a6e1b3'
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer, "sqlite")
OPEN = "state IN ('pending', 'unknown')"
ORDER_COLUMNS = ('authorized_amount', 'captured_amount', 'auth_expires_at', 'reauth_required',
                 'deferred_ref', 'deferred_result', 'deferred_reason', 'ship_report_state',
                 'ship_report_error')
METHOD_COLUMNS = ('gateway', 'card_plan', 'deferred_variant')


def upgrade():
    op.create_table(
        'payment_transactions',
        sa.Column('id', BigId, nullable=False),
        sa.Column('order_id', BigId, nullable=False),
        sa.Column('kind', sa.Enum('authorize', 'reauthorize', 'capture', 'void', 'refund',
                                  'deferred_register', 'deferred_result', 'ship_report',
                                  'ship_report_result', 'manual_status',
                                  name='transactionkind', native_enum=False, length=24),
                  nullable=False),
        sa.Column('gateway', sa.Enum('card', 'rakuten_card', 'np', 'gmo', name='gateway',
                                     native_enum=False, length=16), nullable=True),
        sa.Column('amount', sa.Integer(), nullable=False),
        sa.Column('state', sa.Enum('pending', 'succeeded', 'failed', 'unknown',
                                   name='transactionstate', native_enum=False, length=16),
                  nullable=False),
        sa.Column('idempotency_key', sa.String(length=128), nullable=False),
        sa.Column('external_ref', sa.String(length=64), nullable=True),
        sa.Column('result_code', sa.String(length=32), nullable=True),
        sa.Column('message', sa.String(length=500), nullable=True),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('user_name', sa.String(length=64), nullable=True),
        sa.Column('via', sa.String(length=32), nullable=True),
        sa.Column('notification_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['notification_id'], ['notifications.id'],
                                name=op.f('fk_payment_transactions_notification_id_notifications'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['order_id'], ['orders.id'],
                                name=op.f('fk_payment_transactions_order_id_orders'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                                name=op.f('fk_payment_transactions_user_id_users'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_payment_transactions')),
        sa.UniqueConstraint('idempotency_key',
                            name=op.f('uq_payment_transactions_idempotency_key')),
    )
    op.create_index('ix_payment_transactions_order_id_id', 'payment_transactions',
                    ['order_id', 'id'], unique=False)
    op.create_index('ix_payment_transactions_open', 'payment_transactions',
                    ['state', 'created_at'], unique=False,
                    postgresql_where=sa.text(OPEN), sqlite_where=sa.text(OPEN))

    op.add_column('orders', sa.Column('authorized_amount', sa.Integer(), nullable=False,
                                      server_default='0'))
    op.add_column('orders', sa.Column('captured_amount', sa.Integer(), nullable=False,
                                      server_default='0'))
    op.add_column('orders', sa.Column('auth_expires_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('orders', sa.Column('reauth_required', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
    op.add_column('orders', sa.Column('deferred_ref', sa.String(length=64), nullable=True))
    op.add_column('orders', sa.Column(
        'deferred_result', sa.Enum('ok', 'hold', 'ng', 'review', name='deferredresult',
                                   native_enum=False, length=8), nullable=True))
    op.add_column('orders', sa.Column('deferred_reason', sa.String(length=64), nullable=True))
    op.add_column('orders', sa.Column(
        'ship_report_state', sa.Enum('none', 'pending', 'ok', 'ng', name='shipreportstate',
                                     native_enum=False, length=8),
        nullable=False, server_default='none'))
    op.add_column('orders', sa.Column('ship_report_error', sa.String(length=500),
                                      nullable=True))

    op.add_column('payment_methods', sa.Column(
        'gateway', sa.Enum('card', 'rakuten_card', 'np', 'gmo', name='gateway',
                           native_enum=False, length=16), nullable=True))
    op.add_column('payment_methods', sa.Column(
        'card_plan', sa.Enum('lump', 'installments', 'revolving', name='cardplan',
                             native_enum=False, length=16), nullable=True))
    op.add_column('payment_methods', sa.Column(
        'deferred_variant', sa.Enum('np', 'np_wiz', 'gmo', name='deferredvariant',
                                    native_enum=False, length=16), nullable=True))
    # The methods that exist move money through the gateway of their kind.
    op.execute("UPDATE payment_methods SET gateway = 'card', card_plan = 'lump' "
               "WHERE kind = 'card'")
    op.execute("UPDATE payment_methods SET gateway = 'np', deferred_variant = 'np' "
               "WHERE kind = 'deferred_np'")
    op.execute("UPDATE payment_methods SET gateway = 'gmo', deferred_variant = 'gmo' "
               "WHERE kind = 'deferred_gmo'")


def downgrade():
    with op.batch_alter_table('payment_methods') as batch_op:
        for column in METHOD_COLUMNS:
            batch_op.drop_column(column)
    with op.batch_alter_table('orders') as batch_op:
        for column in ORDER_COLUMNS:
            batch_op.drop_column(column)
    op.drop_index('ix_payment_transactions_open', table_name='payment_transactions')
    op.drop_index('ix_payment_transactions_order_id_id', table_name='payment_transactions')
    op.drop_table('payment_transactions')
