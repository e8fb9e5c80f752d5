"""order update times beside the order, so most order changes update no order index

A bulk update of a hundred thousand orders spent most of its time adding an entry for
every changed row to each of the order indexes, only because the update time (which the
list sorts by) is indexed. That index moves to order_update_times, kept by triggers; the
order pages keep free space (fillfactor), so changing tags, texts or the update time is
a HOT update on PostgreSQL.

Revision ID: d7a3f1c2b4e5
Revises: c41d7e2a9b10
Create Date: 2026-11-24 08:10:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'd7a3f1c2b4e5'
down_revision = 'c41d7e2a9b10'
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer, "sqlite")

# PostgreSQL: statement-level triggers with transition tables, one statement per bulk
# statement; rows whose time and tab did not change are not written.
PG_TRIGGERS = [
    """CREATE FUNCTION orders_update_time_insert() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      INSERT INTO order_update_times (order_id, tab, updated_at)
      SELECT id, tab, updated_at FROM new_rows;
      RETURN NULL;
    END $$""",
    """CREATE FUNCTION orders_update_time_update() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      UPDATE order_update_times AS t SET tab = n.tab, updated_at = n.updated_at
      FROM new_rows AS n
      WHERE t.order_id = n.id AND (t.updated_at IS DISTINCT FROM n.updated_at
                                   OR t.tab IS DISTINCT FROM n.tab);
      RETURN NULL;
    END $$""",
    """CREATE TRIGGER orders_update_time_insert AFTER INSERT ON orders
       REFERENCING NEW TABLE AS new_rows
       FOR EACH STATEMENT EXECUTE FUNCTION orders_update_time_insert()""",
    """CREATE TRIGGER orders_update_time_update AFTER UPDATE ON orders
       REFERENCING NEW TABLE AS new_rows
       FOR EACH STATEMENT EXECUTE FUNCTION orders_update_time_update()""",
]
SQLITE_TRIGGERS = [
    """CREATE TRIGGER orders_update_time_insert AFTER INSERT ON orders
       BEGIN
         INSERT INTO order_update_times (order_id, tab, updated_at)
         VALUES (new.id, new.tab, new.updated_at);
       END""",
    """CREATE TRIGGER orders_update_time_update AFTER UPDATE OF updated_at, status ON orders
       WHEN old.updated_at IS NOT new.updated_at OR old.tab IS NOT new.tab
       BEGIN
         UPDATE order_update_times SET tab = new.tab, updated_at = new.updated_at
         WHERE order_id = new.id;
       END""",
    # SQLite runs without foreign-key enforcement here: no cascade to rely on.
    """CREATE TRIGGER orders_update_time_delete AFTER DELETE ON orders
       BEGIN DELETE FROM order_update_times WHERE order_id = old.id; END""",
]


def upgrade():
    pg = op.get_bind().dialect.name == 'postgresql'
    op.create_table(
        'order_update_times',
        sa.Column('order_id', BigId, nullable=False),
        sa.Column('tab', sa.String(length=16), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['order_id'], ['orders.id'],
                                name=op.f('fk_order_update_times_order_id_orders'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('order_id', name=op.f('pk_order_update_times')))
    op.execute("INSERT INTO order_update_times (order_id, tab, updated_at) "
               "SELECT id, tab, updated_at FROM orders")
    op.create_index('ix_order_update_times_updated_at', 'order_update_times',
                    ['updated_at', 'order_id'])
    op.create_index('ix_order_update_times_tab_updated_at', 'order_update_times',
                    ['tab', 'updated_at', 'order_id'])
    for statement in PG_TRIGGERS if pg else SQLITE_TRIGGERS:
        op.execute(statement)
    op.drop_index('ix_orders_updated_at_id', table_name='orders')
    op.drop_index('ix_orders_tab_updated_at_id', table_name='orders')
    if pg:
        # New pages only; existing ones get the room as rows move (or on VACUUM FULL).
        op.execute("ALTER TABLE orders SET (fillfactor = 85)")
        op.execute("ANALYZE order_update_times")


def downgrade():
    pg = op.get_bind().dialect.name == 'postgresql'
    if pg:
        op.execute("ALTER TABLE orders RESET (fillfactor)")
    op.create_index('ix_orders_tab_updated_at_id', 'orders', ['tab', 'updated_at', 'id'])
    op.create_index('ix_orders_updated_at_id', 'orders', ['updated_at', 'id'])
    for name in ('insert', 'update', 'delete'):
        op.execute(f"DROP TRIGGER IF EXISTS orders_update_time_{name}"
                   + (" ON orders" if pg else ""))
        if pg:
            op.execute(f"DROP FUNCTION IF EXISTS orders_update_time_{name}()")
    op.drop_table('order_update_times')
