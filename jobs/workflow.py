"""The workflow sweep (自動遷移): queued by the scheduler every minute, at most one at a time."""

from jobs import _app
from oms.extensions import db
from oms.services import auto_advance


def sweep() -> int:
    """Move every order the automatic transitions allow, committing each chunk."""
    with _app().app_context():
        session = db.session
        moved = auto_advance.sweep(session, commit=session.commit)
        session.commit()
        return moved
