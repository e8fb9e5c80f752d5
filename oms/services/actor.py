"""Who acts: a person on a screen, a bulk job, a mall job, an import. Services take an
Actor and write it to the audit trail and the status history; they never read the request.

`via` says through what the change came: "screen", "import", "auto", "system",
"bulk:<bulk job id>" or "job:<job id>" (a mall job in the notification log).
"""

from dataclasses import dataclass
from typing import Protocol

SCREEN, IMPORT, AUTO, SYSTEM = "screen", "import", "auto", "system"
BULK, JOB = "bulk", "job"


@dataclass(frozen=True)
class Actor:
    """Who is acting, for audit rows and status history."""

    user_id: int | None
    username: str | None
    ip: str | None = None
    via: str = SCREEN


class Person(Protocol):
    """A user that services act for or show things to: the signed-in user of a request
    (users.SignedIn), or a User row."""

    @property
    def id(self) -> int: ...

    @property
    def username(self) -> str: ...

    @property
    def is_admin(self) -> bool: ...


@dataclass(frozen=True)
class Via:
    """A `via` value taken apart: its kind, and the job's id for "bulk:" and "job:"."""

    kind: str
    job_id: int | None = None


def parse_via(via: str | None) -> Via:
    kind, _, ident = (via or SYSTEM).partition(":")
    if kind in (BULK, JOB):
        try:
            return Via(kind, int(ident))
        except ValueError:
            return Via(via or SYSTEM)
    return Via(kind)
