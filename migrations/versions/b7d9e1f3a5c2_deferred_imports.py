"""deferred payments (P4 G7–G12): the checked 与信結果 / 出荷報告結果 files, kept between
the check and 取り込む.

Revision ID: b7d9e1f3a5c2
Revises: e2f4a6b8c0d1
Create Date: 2026-12-03 20:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


revision = 'b7d9e1f3a5c2'
down_revision = 'e2f4a6b8c0d1'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'deferred_imports',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('file', sa.Enum('credit', 'ship', name='deferredfile', native_enum=False,
                                  length=8), nullable=False),
        sa.Column('gateway', sa.Enum('card', 'rakuten_card', 'np', 'gmo', name='gateway',
                                     native_enum=False, length=16), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('file_name', sa.String(length=255), nullable=False),
        sa.Column('rows', sa.JSON(), nullable=False),
        sa.Column('errors', sa.JSON(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('applied_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('notification_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['notification_id'], ['notifications.id'],
                                name=op.f('fk_deferred_imports_notification_id_notifications'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                                name=op.f('fk_deferred_imports_user_id_users'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_deferred_imports')),
    )


def downgrade():
    op.drop_table('deferred_imports')
