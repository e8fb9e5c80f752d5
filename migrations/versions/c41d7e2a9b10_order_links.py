"""order link results beside the order (order_links); lines updated in place

Linking a million orders rewrote every order row through all of its indexes; the result
now lives in a narrow table. The lines' link columns leave their index and the lines'
pages keep free space, so PostgreSQL can update them in place (HOT).

Plain DROP COLUMN (no batch copy), so SQLite keeps the status-counter triggers.

Revision ID: c41d7e2a9b10
Revises: 5b2d9e41c7aa
Create Date: 2026-11-24 08:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'c41d7e2a9b10'
down_revision = '5b2d9e41c7aa'
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer, "sqlite")
FAIL = sa.text("result = 'FAIL'")


def upgrade():
    op.create_table(
        'order_links',
        sa.Column('order_id', BigId, nullable=False),
        sa.Column('result', sa.Enum('OK', 'FAIL', name='linkresult', native_enum=False,
                                    length=8), nullable=False),
        sa.ForeignKeyConstraint(['order_id'], ['orders.id'],
                                name=op.f('fk_order_links_order_id_orders'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('order_id', name=op.f('pk_order_links')))
    op.create_index('ix_order_links_fail', 'order_links', ['order_id'],
                    postgresql_where=FAIL, sqlite_where=FAIL)
    op.execute("INSERT INTO order_links (order_id, result) "
               "SELECT id, link_result FROM orders WHERE link_result IS NOT NULL")
    op.drop_index('ix_orders_link_fail', table_name='orders')
    op.drop_column('orders', 'link_result')
    op.drop_index('ix_order_lines_link_result_order_id', table_name='order_lines')
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("ALTER TABLE order_lines SET (fillfactor = 80)")
        op.execute("ANALYZE order_links")


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("ALTER TABLE order_lines RESET (fillfactor)")
    op.create_index('ix_order_lines_link_result_order_id', 'order_lines',
                    ['link_result', 'order_id'])
    op.add_column('orders', sa.Column('link_result', sa.String(length=8), nullable=True))
    op.execute("UPDATE orders SET link_result = (SELECT result FROM order_links "
               "WHERE order_links.order_id = orders.id)")
    old_fail = sa.text("link_result = 'FAIL'")
    op.create_index('ix_orders_link_fail', 'orders', ['ordered_at'],
                    postgresql_where=old_fail, sqlite_where=old_fail)
    op.drop_index('ix_order_links_fail', table_name='order_links')
    op.drop_table('order_links')
