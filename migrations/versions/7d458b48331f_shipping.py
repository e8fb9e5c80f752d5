"""shipping: carriers with their partner codes, 出荷指示 exports, 出荷確定 imports, tracking reports

Shipments gain the service, 出荷予定日, the export and import that made them, a void time
and the mall's parcel id; orders gain the 出荷一覧's 出荷予定日 index (a plain CREATE
INDEX, no batch copy of orders, so SQLite keeps the status counter triggers).

Revision ID: 7d458b48331f
Revises: e4b8c2d1a7f3
Create Date: 2026-12-03 15:00:10.558412

"""
from alembic import op
import sqlalchemy as sa


revision = '7d458b48331f'
down_revision = 'e4b8c2d1a7f3'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('carriers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=32), nullable=False),
    sa.Column('file_format', sa.Enum('b2', 'ehiden2', 'yupri', 'none', name='carrierformat', native_enum=False, length=16), nullable=False),
    sa.Column('amazon_code', sa.String(length=64), nullable=False),
    sa.Column('amazon_name', sa.String(length=50), nullable=True),
    sa.Column('rakuten_code', sa.String(length=8), nullable=False),
    sa.Column('qoo10_name', sa.String(length=64), nullable=True),
    sa.Column('yahoo_code', sa.String(length=16), nullable=True),
    sa.Column('np_code', sa.String(length=16), nullable=True),
    sa.Column('gmo_code', sa.String(length=16), nullable=True),
    sa.Column('tracking_url', sa.String(length=255), nullable=True),
    sa.Column('tracking_pattern', sa.String(length=100), nullable=True),
    sa.Column('tracking_hint', sa.String(length=32), nullable=True),
    sa.Column('cod_limit', sa.Integer(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_carriers')),
    sa.UniqueConstraint('code', name=op.f('uq_carriers_code')),
    sa.UniqueConstraint('name', name=op.f('uq_carriers_name'))
    )
    op.create_table('carrier_services',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('carrier_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=32), nullable=False),
    sa.Column('slip_code', sa.String(length=8), nullable=False),
    sa.Column('cod_slip_code', sa.String(length=8), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['carrier_id'], ['carriers.id'], name=op.f('fk_carrier_services_carrier_id_carriers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_carrier_services')),
    sa.UniqueConstraint('carrier_id', 'name', name=op.f('uq_carrier_services_carrier_id_name'))
    )
    op.create_table('carrier_time_slots',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('carrier_id', sa.Integer(), nullable=False),
    sa.Column('label', sa.String(length=16), nullable=False),
    sa.Column('b2_code', sa.String(length=8), nullable=True),
    sa.Column('ehiden_code', sa.String(length=8), nullable=True),
    sa.Column('yupri_code', sa.String(length=8), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['carrier_id'], ['carriers.id'], name=op.f('fk_carrier_time_slots_carrier_id_carriers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_carrier_time_slots')),
    sa.UniqueConstraint('carrier_id', 'label', name=op.f('uq_carrier_time_slots_carrier_id_label'))
    )
    op.create_table('shipment_imports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('file_name', sa.String(length=255), nullable=False),
    sa.Column('format', sa.String(length=16), nullable=False),
    sa.Column('encoding', sa.String(length=16), nullable=False),
    sa.Column('rows', sa.JSON(), nullable=False),
    sa.Column('errors', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('applied_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('notification_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['notification_id'], ['notifications.id'], name=op.f('fk_shipment_imports_notification_id_notifications'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_shipment_imports_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shipment_imports'))
    )
    op.create_table('shipping_exports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('carrier_id', sa.Integer(), nullable=False),
    sa.Column('service_id', sa.Integer(), nullable=True),
    sa.Column('format', sa.String(length=16), nullable=False),
    sa.Column('ship_date', sa.Date(), nullable=False),
    sa.Column('encoding', sa.String(length=16), nullable=False),
    sa.Column('reprint', sa.Boolean(), nullable=False),
    sa.Column('order_count', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['carrier_id'], ['carriers.id'], name=op.f('fk_shipping_exports_carrier_id_carriers')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_shipping_exports_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['id'], ['notifications.id'], name=op.f('fk_shipping_exports_id_notifications'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['service_id'], ['carrier_services.id'], name=op.f('fk_shipping_exports_service_id_carrier_services')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shipping_exports'))
    )
    op.create_table('tracking_reports',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('shipment_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('order_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.Enum('api', 'rakuten_csv', 'amazon_tsv', name='reportchannel', native_enum=False, length=16), nullable=False),
    sa.Column('state', sa.Enum('pending', 'ok', 'failed', name='reportstate', native_enum=False, length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('error', sa.String(length=500), nullable=True),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('reported_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('notification_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['notification_id'], ['notifications.id'], name=op.f('fk_tracking_reports_notification_id_notifications'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_tracking_reports_order_id_orders'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['shipment_id'], ['shipments.id'], name=op.f('fk_tracking_reports_shipment_id_shipments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_tracking_reports_shop_id_shops')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tracking_reports')),
    sa.UniqueConstraint('shipment_id', 'channel', name=op.f('uq_tracking_reports_shipment_id_channel'))
    )
    with op.batch_alter_table('tracking_reports', schema=None) as batch_op:
        batch_op.create_index('ix_tracking_reports_open', ['state', 'requested_at'], unique=False, postgresql_where=sa.text("state <> 'ok'"), sqlite_where=sa.text("state <> 'ok'"))
        batch_op.create_index(batch_op.f('ix_tracking_reports_order_id'), ['order_id'], unique=False)

    op.create_index('ix_orders_status_scheduled_ship_date_id', 'orders', ['status', 'scheduled_ship_date', 'id'], unique=False)

    # Plain ALTERs: a batch copy of shipments would reflect orders (expression indexes).
    pg = op.get_bind().dialect.name == "postgresql"
    op.add_column('shipments', sa.Column('service', sa.String(length=32), nullable=True))
    op.add_column('shipments', sa.Column('ship_date', sa.Date(), nullable=True))
    op.add_column('shipments', sa.Column('export_id', sa.Integer(), nullable=True))
    op.add_column('shipments', sa.Column('import_id', sa.Integer(), nullable=True))
    op.add_column('shipments', sa.Column('voided_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('shipments', sa.Column('mall_ref', sa.String(length=64), nullable=True))
    if pg:
        op.create_foreign_key(op.f('fk_shipments_import_id_shipment_imports'), 'shipments', 'shipment_imports', ['import_id'], ['id'], ondelete='SET NULL')
        op.create_foreign_key(op.f('fk_shipments_export_id_shipping_exports'), 'shipments', 'shipping_exports', ['export_id'], ['id'], ondelete='SET NULL')



def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint(op.f('fk_shipments_export_id_shipping_exports'), 'shipments', type_='foreignkey')
        op.drop_constraint(op.f('fk_shipments_import_id_shipment_imports'), 'shipments', type_='foreignkey')
    for column in ('mall_ref', 'voided_at', 'import_id', 'export_id', 'ship_date', 'service'):
        op.drop_column('shipments', column)

    op.drop_index('ix_orders_status_scheduled_ship_date_id', table_name='orders')

    with op.batch_alter_table('tracking_reports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tracking_reports_order_id'))
        batch_op.drop_index('ix_tracking_reports_open', postgresql_where=sa.text("state <> 'ok'"), sqlite_where=sa.text("state <> 'ok'"))

    op.drop_table('tracking_reports')
    op.drop_table('shipping_exports')
    op.drop_table('shipment_imports')
    op.drop_table('carrier_time_slots')
    op.drop_table('carrier_services')
    op.drop_table('carriers')
