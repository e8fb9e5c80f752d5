"""Sending mail for orders (seed 001 メール送信, 送信メール照会; SCOPE P3 M1, M3–M7).

Every send is a job over frozen targets (oms.services.mail_step.MailStep, kind `mail`),
recorded with the change that asks for it and run after its commit: one order from the
detail screen, the checked orders or a whole search from the list, a system mail raised by
an event (出荷完了, 代引き変更 …), 再送. The text of a send from the detail screen is stored
rendered and edited on its `sent_mails` row (`queued`); a bulk or system send keeps its text
with tags in the job and renders it per order when the job reaches it.
"""

from dataclasses import dataclass
from email.utils import make_msgid, parseaddr

import sqlalchemy as sa
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from oms.models import (
    MailEvent,
    MailState,
    MailTemplate,
    Notification,
    Order,
    SentMail,
    SystemMail,
    TargetState,
)
from oms.services import jobs, mail_templates, marketplace_jobs
from oms.services.actor import Actor, Person

KIND = "mail"
# Orders without an address listed by the bulk page's dry run.
DRY_RUN_SHOWN = 20


class MailRefused(ValueError):
    """The send is refused; `errors` maps a form field to why."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(errors.values()))
        self.errors = errors


def new_message_id(from_header: str) -> str:
    """A Message-ID in the sender's domain, unique to this message."""
    domain = parseaddr(from_header)[1].rpartition("@")[2] or "oms.localhost"
    return make_msgid("oms", domain=domain)


def no_address() -> str:
    return _("The orderer has no e-mail address.")


def _params(user: Person | None, locale: str, **values) -> dict:
    return {"locale": locale, **{k: v for k, v in values.items() if v is not None}}


def _job(session: Session, user: Person | None, params: dict, order_ids: list[int]
         ) -> Notification:
    note = jobs.start(session, KIND, user, params, orders=len(order_ids))
    note.total = marketplace_jobs.freeze(session, note, sa.select(
        sa.literal(note.id), Order.id, sa.literal(TargetState.pending.value), sa.null())
        .where(Order.id.in_(order_ids)))
    return note


def send_one(session: Session, order: Order, template: MailTemplate, subject: str, body: str,
             user: Person, actor: Actor, locale: str) -> SentMail:
    """メール送信 from the detail screen (M1): the text as rendered and edited for this send
    only (never saved to the template), recorded as `queued` and sent by a job. Refused
    without an address (M4) or with a tag that is not a メールタグ."""
    body = body.replace("\r\n", "\n")
    errors = mail_templates.check_text(subject, body)
    if not order.buyer_email:
        errors["template_id"] = no_address()
    if errors:
        raise MailRefused(errors)
    note = _job(session, user, _params(user, locale, ip=actor.ip), [order.id])
    return _queue_row(session, order.id, template, None, subject, body, user, note.id)


def _queue_row(session: Session, order_id: int, template: MailTemplate | None,
               event: MailEvent | None, subject: str, body: str, user: Person | None,
               notification_id: int, to_address: str | None = None,
               from_header: str | None = None, bcc: str | None = None) -> SentMail:
    from_header = from_header or mail_templates.sender(template)
    if to_address is None:
        to_address = session.scalar(sa.select(Order.buyer_email).where(Order.id == order_id))
    row = SentMail(order_id=order_id, template_id=template.id if template else None,
                   event=event, from_header=from_header, to_address=to_address or "",
                   bcc=bcc if bcc is not None else (template.bcc if template else None),
                   subject=subject, body=body, status=MailState.queued,
                   message_id=new_message_id(from_header),
                   user_id=user.id if user else None, username=user.username if user else None,
                   notification_id=notification_id)
    session.add(row)
    session.flush()
    return row


def start_bulk(session: Session, user: Person, where: list[sa.ColumnElement[bool]],
               orders: int, template: MailTemplate, subject: str, body: str, actor: Actor,
               locale: str) -> Notification:
    """メール送信 for checked orders or a whole search: the text with its tags, rendered
    per order by the job; the targets frozen now."""
    body = body.replace("\r\n", "\n")
    errors = mail_templates.check_text(subject, body)
    if errors:
        raise MailRefused(errors)
    note = jobs.start(session, KIND, user, _params(
        user, locale, template_id=template.id, subject=subject, body=body, ip=actor.ip),
        orders=orders)
    note.total = marketplace_jobs.freeze(session, note, sa.select(
        sa.literal(note.id), Order.id, sa.literal(TargetState.pending.value), sa.null())
        .where(*where))
    return note


@dataclass(frozen=True)
class DryRun:
    count: int
    without_address: int
    shown: list[str]  # the first order numbers without an address


def dry_run(session: Session, where: list[sa.ColumnElement[bool]]) -> DryRun:
    """How many orders a bulk send reaches, and which of them have no address (M4)."""
    missing = sa.func.coalesce(sa.func.trim(Order.buyer_email), "") == ""
    count = session.scalar(sa.select(sa.func.count()).select_from(Order).where(*where)) or 0
    without = session.scalar(sa.select(sa.func.count()).select_from(Order)
                             .where(*where, missing)) or 0
    shown = list(session.scalars(sa.select(Order.order_number).where(*where, missing)
                                 .order_by(Order.id).limit(DRY_RUN_SHOWN)))
    return DryRun(count, without, shown)


def queue_system_mail(session: Session, event: MailEvent, order_ids: list[int], actor: Actor,
                      *, locale: str | None = None) -> Notification | None:
    """Queue the system mail of `event` to these orders, in the caller's transaction (its
    job runs after the commit). None when the event is off or has no active template.
    出荷完了 (M5) goes only to orders not marked 出荷完了メール送信済み, and marks them."""
    if not order_ids:  # an import batch or a bulk chunk with nothing for this mail
        return None
    setting = session.get(SystemMail, event)
    if setting is None or not setting.enabled or setting.template_id is None:
        return None
    template = session.get(MailTemplate, setting.template_id)
    if template is None or not template.active:
        return None
    ids = sorted(set(order_ids))
    if event is MailEvent.ship_complete:
        ids = list(session.scalars(sa.select(Order.id).where(
            Order.id.in_(ids), Order.ship_mail_sent.is_(False))))
        if not ids:
            return None
        mark_ship_mail_sent(session, ids)
    return _job(session, None, _params(None, locale or str(get_locale() or "ja"),
                                       template_id=template.id,
                                       event=event.value, ip=actor.ip), ids)


def mark_ship_mail_sent(session: Session, order_ids: list[int]) -> None:
    """出荷完了メール送信済み (M5), with a new version so no open edit screen undoes it."""
    session.execute(
        sa.update(Order).where(Order.id.in_(order_ids), Order.ship_mail_sent.is_(False))
        .values(ship_mail_sent=True, version=Order.version + 1)
        .execution_options(synchronize_session=False))
    for order in session.identity_map.values():
        if isinstance(order, Order) and order.id in order_ids:
            session.expire(order, ["ship_mail_sent", "version"])


# ------------------------------------------------------------------ 送信メール照会, 再送

def history(session: Session, order: Order, limit: int = 200) -> list[SentMail]:
    """送信メール照会 (M3): the order's mails, newest first (index order_id, id)."""
    return list(session.scalars(sa.select(SentMail).where(SentMail.order_id == order.id)
                                .order_by(SentMail.id.desc()).limit(limit)))


def template_names(session: Session, mails: list[SentMail]) -> dict[int, str]:
    ids = {m.template_id for m in mails if m.template_id}
    if not ids:
        return {}
    return dict(session.execute(sa.select(MailTemplate.id, MailTemplate.name)
                                .where(MailTemplate.id.in_(ids))).all())


def resend(session: Session, mail: SentMail, user: Person, actor: Actor, locale: str, *,
           unknown_confirmed: bool = False) -> SentMail:
    """再送 of one failed mail; of a mail in doubt (不明) only when the operator says so,
    since it may have arrived. The copy is a new message to the orderer's address now."""
    if mail.status is MailState.unknown and not unknown_confirmed:
        raise MailRefused({"confirm": _(
            "This mail may have arrived. Confirm that it is to be sent again.")})
    if not mail.status.resendable:
        raise MailRefused({"confirm": _("Only a mail that failed or is in doubt can be "
                                        "sent again.")})
    note = _job(session, user, _params(user, locale, ip=actor.ip), [mail.order_id])
    return _copy(session, mail, user, note.id)


def _copy(session: Session, mail: SentMail, user: Person | None, notification_id: int
          ) -> SentMail:
    template = session.get(MailTemplate, mail.template_id) if mail.template_id else None
    return _queue_row(session, mail.order_id, template, mail.event, mail.subject, mail.body,
                      user, notification_id, from_header=mail.from_header, bcc=mail.bcc)


def failed_of(session: Session, job_id: int) -> list[SentMail]:
    """The job's mails that failed (not those in doubt), each order's last."""
    last = (sa.select(sa.func.max(SentMail.id)).where(SentMail.notification_id == job_id)
            .group_by(SentMail.order_id))
    return list(session.scalars(sa.select(SentMail).where(
        SentMail.id.in_(last), SentMail.status == MailState.failed).order_by(SentMail.id)))


def resend_failed(session: Session, job: Notification, user: Person, actor: Actor,
                  locale: str) -> Notification | None:
    """「失敗分を再送」: a new job sending again only the job's failed mails (never those in
    doubt); None when there is none."""
    failed = failed_of(session, job.id)
    if not failed:
        return None
    note = _job(session, user, _params(user, locale, ip=actor.ip, resend_of=job.id),
                [m.order_id for m in failed])
    for mail in failed:
        _copy(session, mail, user, note.id)
    return note
