"""Writing the audit trail."""

from typing import Any

from sqlalchemy.orm import Session

from oms.models import AuditEvent
from oms.services.actor import Actor


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def record(
    session: Session,
    actor: Actor | None,
    action: str,
    **what: Any,
) -> AuditEvent:
    """Add one audit row (keywords as for `values`)."""
    event = AuditEvent(**values(actor, action, **what))
    session.add(event)
    return event


def values(
    actor: Actor | None,
    action: str,
    *,
    entity_type: str | None = None,
    entity_id: Any = None,
    field: str | None = None,
    old: Any = None,
    new: Any = None,
    details: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The columns of an audit row; bulk jobs insert many of them in one statement."""
    return {
        "user_id": actor.user_id if actor else None,
        "username": actor.username if actor else None,
        "ip": actor.ip if actor else None,
        "via": actor.via if actor else "system",
        "action": action,
        "entity_type": entity_type,
        "entity_id": _text(entity_id),
        "field": field,
        "old_value": _text(old),
        "new_value": _text(new),
        "details": details,
    }
