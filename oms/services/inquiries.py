"""Customer consultations per order (seed 003 お問い合わせ対応): editable until completed."""

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from oms.models import Inquiry, InquiryCategory, InquiryResult, Order, OrderMemo
from oms.models.base import utcnow
from oms.services import audit
from oms.services.actor import Actor

MAX_LENGTH = 4000


class InquiryError(ValueError):
    """The consultation cannot be saved; `errors` maps a field to its message."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(errors.values()))
        self.errors = errors


class InquiryLocked(Exception):
    """The consultation is completed and can no longer be changed."""


def for_order(session: Session, order: Order) -> list[Inquiry]:
    return list(session.scalars(
        sa.select(Inquiry).where(Inquiry.order_id == order.id).order_by(Inquiry.id.desc())))


def _texts(content: str | None, reply: str | None) -> tuple[str | None, str | None]:
    content, reply = (content or "").strip() or None, (reply or "").strip() or None
    errors = {}
    if not content:
        errors["content"] = str(_l("Write what the customer asked."))
    for name, text in (("content", content), ("reply", reply)):
        if text and len(text) > MAX_LENGTH:
            errors[name] = str(_l("At most %(n)d characters.", n=MAX_LENGTH))
    if errors:
        raise InquiryError(errors)
    return content, reply


def _set_result(inquiry: Inquiry, result: InquiryResult) -> None:
    inquiry.result = result
    if result is InquiryResult.completed:
        inquiry.completed_at = utcnow()


def register(session: Session, order: Order, actor: Actor, *, category: InquiryCategory,
             content: str | None, reply: str | None, result: InquiryResult) -> Inquiry:
    content, reply = _texts(content, reply)
    inquiry = Inquiry(order_id=order.id, customer_name=order.buyer_name, category=category,
                      content=content, reply=reply, created_by_id=actor.user_id,
                      created_by_name=actor.username)
    _set_result(inquiry, result)
    session.add(inquiry)
    session.flush()
    audit.record(session, actor, "inquiry.register", entity_type="inquiry",
                 entity_id=inquiry.id, details={"order_id": order.id, "result": result.value})
    return inquiry


def register_from_memo(session: Session, order: Order, memo: OrderMemo, actor: Actor
                       ) -> Inquiry:
    """お問い合わせに対する回答の同時登録: the memo's text becomes a reply of its own."""
    inquiry = Inquiry(order_id=order.id, customer_name=order.buyer_name,
                      category=InquiryCategory.other, reply=memo.body,
                      result=InquiryResult.in_progress, created_by_id=actor.user_id,
                      created_by_name=actor.username)
    session.add(inquiry)
    session.flush()
    audit.record(session, actor, "inquiry.register", entity_type="inquiry",
                 entity_id=inquiry.id, details={"order_id": order.id, "memo_id": memo.id})
    return inquiry


def update(session: Session, inquiry: Inquiry, actor: Actor, *, category: InquiryCategory,
           content: str | None, reply: str | None, result: InquiryResult) -> None:
    """Change a consultation; refused once its result is completed (seed 003)."""
    if inquiry.locked:
        raise InquiryLocked
    content, reply = _texts(content, reply)
    for name, new in (("category", category), ("content", content), ("reply", reply),
                      ("result", result)):
        old = getattr(inquiry, name)
        if old != new:
            audit.record(session, actor, "inquiry.update", entity_type="inquiry",
                         entity_id=inquiry.id, field=name, old=getattr(old, "value", old),
                         new=getattr(new, "value", new),
                         details={"order_id": inquiry.order_id})
    inquiry.category, inquiry.content, inquiry.reply = category, content, reply
    _set_result(inquiry, result)
    inquiry.updated_by_name = actor.username
    inquiry.updated_at = utcnow()
    session.flush()
