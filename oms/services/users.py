"""Accounts: creating users, the password policy, signing in with attempt limits."""

from dataclasses import dataclass
from datetime import timedelta
from typing import ClassVar

import sqlalchemy as sa
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from oms.models import AuditEvent, Role, User
from oms.models.base import utcnow
from oms.models.users import Identity
from oms.services import audit, list_cache
from oms.services.actor import Actor

MIN_PASSWORD_LENGTH = 12
# A short list of the most common choices; ASVS 6.2.12 asks to refuse them.
COMMON_PASSWORDS = frozenset(
    [
        "password", "password1", "password123", "123456789012", "qwertyuiop12",
        "iloveyou1234", "admin1234567", "letmein12345", "welcome12345", "passw0rd1234",
        "abc123456789", "111111111111", "000000000000", "monkey123456", "dragon123456",
        "baseball1234", "superman1234", "trustno11234",
    ]
)
# A stable hash compared when the user does not exist, so timing does not reveal names.
_DUMMY_HASH = generate_password_hash("not-a-real-password")


class UserError(ValueError):
    """A user cannot be created as asked; the message says why."""


def password_problem(username: str, password: str) -> str | None:
    """Why this password is refused, or None when it is acceptable."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"at least {MIN_PASSWORD_LENGTH} characters are required"
    lowered = password.lower()
    if lowered in COMMON_PASSWORDS or len(set(password)) < 4:
        return "this password is too common or too simple"
    if username.lower() in lowered:
        return "the password must not contain the user name"
    return None


def create_user(
    session: Session, username: str, password: str, role: Role, *, check_strength: bool = True
) -> User:
    username = username.strip()
    if not username or len(username) > 64:
        raise UserError("user name must be 1 to 64 characters")
    if session.scalar(sa.select(User.id).where(User.username == username)):
        raise UserError(f"user {username!r} already exists")
    if check_strength and (problem := password_problem(username, password)):
        raise UserError(problem)
    user = User(username=username, password_hash=generate_password_hash(password), role=role)
    session.add(user)
    session.flush()
    return user


@dataclass(frozen=True)
class LoginResult:
    user: User | None
    locked: bool = False


def _recent_failures(session: Session, column, value: str, minutes: int) -> int:
    since = utcnow() - timedelta(minutes=minutes)
    return session.scalar(
        sa.select(sa.func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.action == "login_failed", AuditEvent.created_at >= since, column == value)
    )


def authenticate(
    session: Session,
    username: str,
    password: str,
    ip: str | None,
    *,
    max_failures: int,
    lock_minutes: int,
) -> LoginResult:
    """Check a sign-in. After `max_failures` failures for a name within `lock_minutes`
    (or ten times that from one address) further attempts are refused unchecked."""
    if (
        _recent_failures(session, AuditEvent.username, username, lock_minutes) >= max_failures
        or _recent_failures(session, AuditEvent.ip, ip or "", lock_minutes) >= 10 * max_failures
    ):
        audit.record(session, Actor(None, username, ip), "login_locked", entity_type="user")
        return LoginResult(None, locked=True)
    user = session.scalar(sa.select(User).where(User.username == username))
    valid = check_password_hash(user.password_hash if user else _DUMMY_HASH, password)
    if user is None or not valid or not user.active:
        audit.record(session, Actor(None, username, ip), "login_failed", entity_type="user")
        return LoginResult(None)
    user.last_login_at = utcnow()
    audit.record(session, Actor(user.id, user.username, ip), "login", entity_type="user",
                 entity_id=user.id)
    return LoginResult(user)


@dataclass(frozen=True, slots=True)
class SignedIn(Identity):
    """The signed-in user as a request knows them (Flask-Login's `current_user`): plain
    values from their row. Every page reads that row first, and making a User of it (the
    ORM's loading, identity map and instance state) cost a twentieth of the order list's
    Python time."""

    id: int
    username: str
    role: Role
    session_epoch: int

    # Flask-Login's user interface: only an active user is ever signed in.
    is_authenticated: ClassVar[bool] = True
    is_active: ClassVar[bool] = True
    is_anonymous: ClassVar[bool] = False


# Built once: a statement keeps its cache key, and this one is read on every request. The
# lists' token comes with the row (list_cache.first_with_token).
_SIGNED_IN = list_cache.with_token(
    sa.select(User.id, User.username, User.role, User.session_epoch)
    .where(User.id == sa.bindparam("user_id"), User.session_epoch == sa.bindparam("epoch"),
           User.active))


def signed_in(session: Session, user_id: int, session_epoch: int) -> SignedIn | None:
    """The user a session cookie names, while they are active and have not signed out
    everywhere since (their session epoch is still the cookie's)."""
    row = list_cache.first_with_token(session, _SIGNED_IN,
                                      {"user_id": user_id, "epoch": session_epoch})
    return None if row is None else SignedIn(*row[:-1])


def end_sessions(session: Session, user_id: int, actor: Actor) -> None:
    """Invalidate every session of the user (logout everywhere)."""
    session.execute(sa.update(User).where(User.id == user_id)
                    .values(session_epoch=User.session_epoch + 1))
    audit.record(session, actor, "logout", entity_type="user", entity_id=user_id)
