"""People who sign in, and the audit trail of what they changed."""

from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column

from oms.models.base import Base, enum_column, utcnow


class Role(StrEnum):
    admin = "admin"
    operator = "operator"


class Identity:
    """What a session and the screens know a user by, the same for a User row and the
    signed-in user of a request (services.users.SignedIn): their session cookie's id,
    "<user id>:<session epoch>", and whether they administer."""

    @property
    def is_admin(self) -> bool:
        return self.role is Role.admin

    def get_id(self) -> str:
        return f"{self.id}:{self.session_epoch}"


class User(Identity, UserMixin, Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(sa.String(256))
    role: Mapped[Role] = mapped_column(enum_column(Role, 16))
    active: Mapped[bool] = mapped_column(default=True)
    # Bumped on logout and password change: older session cookies stop working (ASVS 7.4.1).
    session_epoch: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]

    @property
    def is_active(self) -> bool:
        return self.active


class AuditEvent(Base):
    """Append-only record of who changed what, when, from where and through what."""

    __tablename__ = "audit_events"
    __table_args__ = (
        sa.Index("ix_audit_events_entity", "entity_type", "entity_id", "id"),
        sa.Index("ix_audit_events_action_created", "action", "created_at"),
    )

    id: Mapped[int] = mapped_column(sa.BigInteger().with_variant(sa.Integer, "sqlite"),
                                    primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    username: Mapped[str | None] = mapped_column(sa.String(64))
    ip: Mapped[str | None] = mapped_column(sa.String(45))
    action: Mapped[str] = mapped_column(sa.String(64))
    entity_type: Mapped[str | None] = mapped_column(sa.String(32))
    entity_id: Mapped[str | None] = mapped_column(sa.String(64))
    field: Mapped[str | None] = mapped_column(sa.String(64))
    old_value: Mapped[str | None] = mapped_column(sa.Text)
    new_value: Mapped[str | None] = mapped_column(sa.Text)
    # "screen", "job:<notification id>", "import", "cli", "auto"
    via: Mapped[str] = mapped_column(sa.String(64), default="screen")
    details: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
