"""Who is acting, for audit rows and status history: a person on a screen, a job, an import."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    user_id: int | None
    username: str | None
    ip: str | None = None
    via: str = "screen"
