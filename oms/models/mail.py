"""Mail (seed 001 メールの送信, SCOPE P3): templates, the template of each system event, and
every message sent for an order, exactly as sent."""

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from oms.models.base import Base, BigId, enum_column, utcnow


class MailTemplate(Base):
    """メールテンプレート: subject and body with メールタグ ({受注番号} …), and the sender."""

    __tablename__ = "mail_templates"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(64), unique=True)
    subject: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text)
    from_name: Mapped[str | None] = mapped_column(sa.String(64))
    from_address: Mapped[str | None] = mapped_column(sa.String(254))
    bcc: Mapped[str | None] = mapped_column(sa.String(254))
    active: Mapped[bool] = mapped_column(default=True)
    position: Mapped[int] = mapped_column(default=0)
    version: Mapped[int] = mapped_column(default=1)
    # Two admins editing one template: the second save is refused, not silently lost.
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 (SQLAlchemy reads it once)
    updated_by: Mapped[str | None] = mapped_column(sa.String(64))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class MailEvent(StrEnum):
    """システムメール: what happened to an order that sends it a mail by itself."""

    ship_complete = "ship_complete"
    cod_changed = "cod_changed"
    payment_received = "payment_received"
    order_received = "order_received"


class SystemMail(Base):
    """システムメール管理: each event's template, on or off."""

    __tablename__ = "system_mails"

    event: Mapped[MailEvent] = mapped_column(enum_column(MailEvent, 32), primary_key=True)
    template_id: Mapped[int | None] = mapped_column(sa.ForeignKey("mail_templates.id"))
    enabled: Mapped[bool] = mapped_column(default=False)


class MailState(StrEnum):
    queued = "queued"      # recorded, its job not yet at it
    sending = "sending"    # committed with its Message-ID before the SMTP call (M7)
    sent = "sent"
    failed = "failed"      # not sent; may be sent again
    unknown = "unknown"    # its worker died during the call: sent or not, nobody knows

    @property
    def resendable(self) -> bool:
        return self in {MailState.failed, MailState.unknown}


class SentMail(Base):
    """One message to an order's orderer (送信メール照会), stored exactly as sent: the text
    edited for this send only lives here, never in the template (M1)."""

    __tablename__ = "sent_mails"
    __table_args__ = (
        sa.Index("ix_sent_mails_order_id_id", "order_id", "id"),
        # A job's messages: its re-runs, its failures, 失敗分を再送.
        sa.Index("ix_sent_mails_notification_id_order_id", "notification_id", "order_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    order_id: Mapped[int] = mapped_column(BigId, sa.ForeignKey("orders.id", ondelete="CASCADE"))
    template_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("mail_templates.id", ondelete="SET NULL"))
    event: Mapped[MailEvent | None] = mapped_column(enum_column(MailEvent, 32))
    from_header: Mapped[str] = mapped_column(sa.String(400))
    to_address: Mapped[str] = mapped_column(sa.String(254))
    bcc: Mapped[str | None] = mapped_column(sa.String(254))
    subject: Mapped[str] = mapped_column(sa.String(400))
    body: Mapped[str] = mapped_column(sa.Text)
    status: Mapped[MailState] = mapped_column(enum_column(MailState, 16),
                                              default=MailState.queued)
    error: Mapped[str | None] = mapped_column(sa.String(500))
    message_id: Mapped[str] = mapped_column(sa.String(255), unique=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    username: Mapped[str | None] = mapped_column(sa.String(64))
    notification_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("notifications.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
