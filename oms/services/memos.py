"""Operator memos (seed 003 運営者メモ): author, IP and time recorded; system memos locked."""

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from oms.models import Order, OrderMemo
from oms.models.base import utcnow
from oms.services import audit, inquiries
from oms.services.actor import Actor, Person

MAX_LENGTH = 4000


class MemoError(ValueError):
    """The memo cannot be written or changed; the message says why."""


def for_order(session: Session, order: Order) -> list[OrderMemo]:
    """Pinned memos first, then the newest first."""
    return list(session.scalars(
        sa.select(OrderMemo).where(OrderMemo.order_id == order.id)
        .order_by(OrderMemo.pinned.desc(), OrderMemo.id.desc())))


def may_change(memo: OrderMemo, user: Person) -> bool:
    """System memos are locked; an operator changes their own memos, an admin any."""
    return not memo.system and (user.is_admin or memo.author_id == user.id)


def _body(text: str) -> str:
    body = (text or "").strip()
    if not body:
        raise MemoError(str(_l("Write the memo first.")))
    if len(body) > MAX_LENGTH:
        raise MemoError(str(_l("A memo can have at most %(n)d characters.", n=MAX_LENGTH)))
    return body


def add(session: Session, order: Order, actor: Actor, body: str, *, important: bool = False,
        pinned: bool = False, also_inquiry: bool = False) -> OrderMemo:
    """Add a memo; `also_inquiry` registers the same text as an inquiry reply, which later
    edits of the memo do not change (seed 003)."""
    memo = OrderMemo(order_id=order.id, body=_body(body), important=important, pinned=pinned,
                     author_id=actor.user_id, author_name=actor.username, author_ip=actor.ip)
    session.add(memo)
    session.flush()
    audit.record(session, actor, "memo.add", entity_type="memo", entity_id=memo.id,
                 details={"order_id": order.id})
    if also_inquiry:
        inquiries.register_from_memo(session, order, memo, actor)
    return memo


def add_system(session: Session, order: Order, body: str) -> OrderMemo:
    """A memo written by the system (jobs, imports): nobody can edit or delete it."""
    memo = OrderMemo(order_id=order.id, body=_body(body), system=True)
    session.add(memo)
    session.flush()
    return memo


def _check(memo: OrderMemo, user: Person) -> None:
    if memo.system:
        raise MemoError(str(_l("Memos written by the system cannot be changed or deleted.")))
    if not may_change(memo, user):
        raise MemoError(str(_l("Only the author or an administrator can change this memo.")))


def edit(session: Session, memo: OrderMemo, user: Person, actor: Actor, body: str, *,
         important: bool, pinned: bool) -> None:
    _check(memo, user)
    old = memo.body
    memo.body = _body(body)
    memo.important = important
    memo.pinned = pinned
    memo.updated_at = utcnow()
    audit.record(session, actor, "memo.edit", entity_type="memo", entity_id=memo.id,
                 field="body", old=old, new=memo.body, details={"order_id": memo.order_id})
    session.flush()


def delete(session: Session, memo: OrderMemo, user: Person, actor: Actor) -> None:
    _check(memo, user)
    audit.record(session, actor, "memo.delete", entity_type="memo", entity_id=memo.id,
                 field="body", old=memo.body, details={"order_id": memo.order_id})
    session.delete(memo)
    session.flush()
