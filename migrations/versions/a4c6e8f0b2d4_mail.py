"""mail (P3): mail templates, system mails (event -> template, on/off) and sent mails, with
two default templates and the system mail rows.

Revision ID: a4c6e8f0b2d4
Revises: f3a5c7e9b1d2
Create Date: 2026-12-05 10:00:00.000000

"""
from datetime import UTC, datetime

from alembic import op
import sqlalchemy as sa


revision = 'a4c6e8f0b2d4'
down_revision = 'f3a5c7e9b1d2'
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer, "sqlite")
EVENT = sa.Enum('ship_complete', 'cod_changed', 'payment_received', 'order_received',
                name='mailevent', native_enum=False, length=32)

SHIPPED_BODY = """{注文者名} 様

このたびは{ショップ名}をご利用いただき、誠にありがとうございます。
ご注文の商品を本日発送いたしました。

ご注文番号: {受注番号}
配送業者: {配送業者}
伝票番号: {伝票番号}
お荷物の状況: {追跡URL}
お届け予定日: {お届け予定日} {お届け時間}

{商品明細}

今後とも{ショップ名}をよろしくお願いいたします。
"""

RECEIVED_BODY = """{注文者名} 様

このたびは{ショップ名}にてご注文いただき、誠にありがとうございます。
以下の内容でご注文を承りました。

ご注文番号: {受注番号}
ご注文日: {注文日}
お支払方法: {支払方法}

{商品明細}

小計: {小計}
送料: {送料}
手数料: {手数料}
合計: {合計}

お届け先: {お届け先名} 様
{お届け先住所}

{お客様へのお知らせ}
"""


def upgrade():
    templates = op.create_table(
        'mail_templates',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=64), nullable=False),
        sa.Column('subject', sa.String(length=200), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('from_name', sa.String(length=64), nullable=True),
        sa.Column('from_address', sa.String(length=254), nullable=True),
        sa.Column('bcc', sa.String(length=254), nullable=True),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('updated_by', sa.String(length=64), nullable=True),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_mail_templates')),
        sa.UniqueConstraint('name', name=op.f('uq_mail_templates_name')),
    )
    system_mails = op.create_table(
        'system_mails',
        sa.Column('event', EVENT, nullable=False),
        sa.Column('template_id', sa.Integer(), nullable=True),
        sa.Column('enabled', sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(['template_id'], ['mail_templates.id'],
                                name=op.f('fk_system_mails_template_id_mail_templates')),
        sa.PrimaryKeyConstraint('event', name=op.f('pk_system_mails')),
    )
    op.create_table(
        'sent_mails',
        sa.Column('id', BigId, nullable=False),
        sa.Column('order_id', BigId, nullable=False),
        sa.Column('template_id', sa.Integer(), nullable=True),
        sa.Column('event', EVENT, nullable=True),
        sa.Column('from_header', sa.String(length=400), nullable=False),
        sa.Column('to_address', sa.String(length=254), nullable=False),
        sa.Column('bcc', sa.String(length=254), nullable=True),
        sa.Column('subject', sa.String(length=400), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('status', sa.Enum('queued', 'sending', 'sent', 'failed', 'unknown',
                                    name='mailstate', native_enum=False, length=16),
                  nullable=False),
        sa.Column('error', sa.String(length=500), nullable=True),
        sa.Column('message_id', sa.String(length=255), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('username', sa.String(length=64), nullable=True),
        sa.Column('notification_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['order_id'], ['orders.id'], ondelete='CASCADE',
                                name=op.f('fk_sent_mails_order_id_orders')),
        sa.ForeignKeyConstraint(['template_id'], ['mail_templates.id'], ondelete='SET NULL',
                                name=op.f('fk_sent_mails_template_id_mail_templates')),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='SET NULL',
                                name=op.f('fk_sent_mails_user_id_users')),
        sa.ForeignKeyConstraint(['notification_id'], ['notifications.id'], ondelete='SET NULL',
                                name=op.f('fk_sent_mails_notification_id_notifications')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_sent_mails')),
        sa.UniqueConstraint('message_id', name=op.f('uq_sent_mails_message_id')),
    )
    op.create_index('ix_sent_mails_order_id_id', 'sent_mails', ['order_id', 'id'])
    op.create_index('ix_sent_mails_notification_id_order_id', 'sent_mails',
                    ['notification_id', 'order_id'])

    now = datetime.now(UTC)
    op.bulk_insert(templates, [
        {'id': 1, 'name': '発送のお知らせ', 'subject': '【{ショップ名}】商品発送のお知らせ（ご注文番号: {受注番号}）',
         'body': SHIPPED_BODY, 'active': True, 'position': 1, 'version': 1, 'updated_at': now},
        {'id': 2, 'name': 'ご注文確認', 'subject': '【{ショップ名}】ご注文ありがとうございます（ご注文番号: {受注番号}）',
         'body': RECEIVED_BODY, 'active': True, 'position': 2, 'version': 1, 'updated_at': now},
    ])
    op.bulk_insert(system_mails, [
        # Off until an admin turns it on: customers get no mail from a fresh installation.
        {'event': 'ship_complete', 'template_id': 1, 'enabled': False},
        {'event': 'cod_changed', 'template_id': None, 'enabled': False},
        {'event': 'payment_received', 'template_id': None, 'enabled': False},
        {'event': 'order_received', 'template_id': 2, 'enabled': False},
    ])
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("SELECT setval('mail_templates_id_seq', 2)")


def downgrade():
    op.drop_index('ix_sent_mails_notification_id_order_id', table_name='sent_mails')
    op.drop_index('ix_sent_mails_order_id_id', table_name='sent_mails')
    op.drop_table('sent_mails')
    op.drop_table('system_mails')
    op.drop_table('mail_templates')
