"""masters (P3): media, wrappings and stock_locations; `active` on handling statuses, tags and
attention reasons; conversion_settings (成果通知設定). The new lists are seeded from what
orders and settings already use, so nothing disappears from the screens: every media and
wrapping text of an order becomes a row, and the workflow settings' allocation locations
(else "main") become the stock locations in the same order; other locations that hold
stock are listed inactive (allocation did not try them).

Revision ID: f3a5c7e9b1d2
Revises: b7d9e1f3a5c2
Create Date: 2026-12-05 10:00:00.000000

"""
import json

from alembic import op
import sqlalchemy as sa


revision = 'f3a5c7e9b1d2'
down_revision = 'b7d9e1f3a5c2'
branch_labels = None
depends_on = None

RETIRABLE = ('handling_statuses', 'attention_reasons', 'tags')


def upgrade():
    for table in RETIRABLE:
        op.add_column(table, sa.Column('active', sa.Boolean(), server_default=sa.true(),
                                       nullable=False))
    media = op.create_table(
        'media',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=64), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_media')),
        sa.UniqueConstraint('name', name=op.f('uq_media_name')))
    wrappings = op.create_table(
        'wrappings',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=64), nullable=False),
        sa.Column('fee', sa.Integer(), nullable=False),
        sa.Column('tax_rate', sa.SmallInteger(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_wrappings')),
        sa.UniqueConstraint('name', name=op.f('uq_wrappings_name')))
    locations = op.create_table(
        'stock_locations',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('code', sa.String(length=32), nullable=False),
        sa.Column('name', sa.String(length=64), nullable=False),
        sa.Column('priority', sa.Integer(), nullable=False),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_stock_locations')),
        sa.UniqueConstraint('code', name=op.f('uq_stock_locations_code')))
    op.create_table(
        'conversion_settings',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('url', sa.String(length=500), nullable=False),
        sa.Column('method', sa.String(length=4), nullable=False),
        sa.Column('event', sa.Enum('order_created', 'shipped', name='conversionevent',
                                   native_enum=False, length=16), nullable=False),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_conversion_settings')))
    _seed(op.get_bind(), media, wrappings, locations)


def _seed(conn, media, wrappings, locations) -> None:
    orders = sa.table('orders', sa.column('media', sa.String), sa.column('wrapping', sa.String),
                      sa.column('wrapping_fee', sa.Integer),
                      sa.column('stock_location', sa.String))
    names = conn.execute(sa.select(orders.c.media).where(orders.c.media.is_not(None))
                         .distinct().order_by(orders.c.media)).scalars().all()
    if names:
        conn.execute(media.insert(), [{'name': name, 'position': i, 'active': True}
                                      for i, name in enumerate(names, 1)])
    fees = conn.execute(sa.select(orders.c.wrapping, sa.func.min(orders.c.wrapping_fee))
                        .where(orders.c.wrapping.is_not(None))
                        .group_by(orders.c.wrapping).order_by(orders.c.wrapping)).all()
    if fees:
        conn.execute(wrappings.insert(), [
            {'name': name, 'fee': fee or 0, 'tax_rate': 10, 'position': i, 'active': True}
            for i, (name, fee) in enumerate(fees, 1)])
    settings = sa.table('app_settings', sa.column('key', sa.String), sa.column('value', sa.JSON))
    saved = conn.execute(sa.select(settings.c.value).where(settings.c.key == 'workflow')).scalar()
    if isinstance(saved, str):
        saved = json.loads(saved)
    tried = list((saved or {}).get('allocation_locations') or ['main'])
    stocks = sa.table('stocks', sa.column('location', sa.String))
    held = set(conn.execute(sa.select(stocks.c.location).distinct()).scalars())
    held |= set(conn.execute(sa.select(orders.c.stock_location)
                             .where(orders.c.stock_location.is_not(None)).distinct()).scalars())
    others = sorted(held - set(tried))
    conn.execute(locations.insert(), [
        {'code': code, 'name': code, 'priority': i, 'active': code in tried}
        for i, code in enumerate([*tried, *others], 1)])


def downgrade():
    op.drop_table('conversion_settings')
    op.drop_table('stock_locations')
    op.drop_table('wrappings')
    op.drop_table('media')
    for table in RETIRABLE:
        with op.batch_alter_table(table) as batch:
            batch.drop_column('active')
