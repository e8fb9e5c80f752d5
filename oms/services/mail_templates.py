"""メールテンプレート設定 and システムメール管理 (seed 001, 004; SCOPE P3 M1, M2, M5, M6).

A template is saved only when every tag it uses is a メールタグ (oms.services.mail_tags);
the refusal names the first unknown one. システムメール管理 points each event at a template
and turns it on or off.
"""

import re
from dataclasses import asdict, dataclass
from email.utils import formataddr
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from oms.models import MailEvent, MailTemplate, Order, SystemMail
from oms.services import audit, mail_tags
from oms.services.actor import Actor

_ADDRESS = re.compile(r"[^@\s<>,;\"]+@[^@\s<>,;\"]+\.[^@\s<>,;\"]+")
SUBJECT_MAX = 200
BODY_MAX = 20_000


class TemplateRefused(ValueError):
    """The template is refused; `errors` maps a form field to why."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(errors.values()))
        self.errors = errors


class TemplateConflict(Exception):
    """Someone saved the template after the version the edit was based on. Nothing
    changed."""


@dataclass
class TemplateSpec:
    name: str
    subject: str
    body: str
    from_name: str | None = None
    from_address: str | None = None
    bcc: str | None = None
    active: bool = True
    position: int = 0


def templates(session: Session, *, active_only: bool = False) -> list[MailTemplate]:
    query = sa.select(MailTemplate).order_by(MailTemplate.position, MailTemplate.id)
    if active_only:
        query = query.where(MailTemplate.active)
    return list(session.scalars(query))


def choices(session: Session) -> list[tuple[int, str]]:
    """The active templates as (id, name) for a select."""
    return [(t.id, t.name) for t in templates(session, active_only=True)]


def tag_problem(*texts: str) -> str | None:
    """「不明なタグ: {foo}」 for the first tag that is not a メールタグ, else None."""
    unknown = mail_tags.unknown_tags(*texts)
    return _("Unknown tag: {%(name)s}", name=unknown[0]) if unknown else None


def check_text(subject: str, body: str) -> dict[str, str]:
    """What is wrong with a subject and body (a template's, or one send's), by field."""
    errors = {}
    if not subject.strip():
        errors["subject"] = _("Enter a subject.")
    elif len(subject) > SUBJECT_MAX:
        errors["subject"] = _("Enter at most %(n)d characters.", n=SUBJECT_MAX)
    elif "\n" in subject or "\r" in subject:
        errors["subject"] = _("The subject must be one line.")
    elif problem := tag_problem(subject):
        errors["subject"] = problem
    if not body.strip():
        errors["body"] = _("Enter the body.")
    elif len(body) > BODY_MAX:
        errors["body"] = _("Enter at most %(n)d characters.", n=BODY_MAX)
    elif problem := tag_problem(body):
        errors["body"] = problem
    return errors


def _normalise(spec: TemplateSpec) -> TemplateSpec:
    spec.name = spec.name.strip()
    spec.from_name = (spec.from_name or "").strip() or None
    spec.from_address = (spec.from_address or "").strip() or None
    spec.bcc = (spec.bcc or "").strip() or None
    spec.body = spec.body.replace("\r\n", "\n")
    return spec


def _check(session: Session, spec: TemplateSpec, template: MailTemplate | None) -> None:
    _normalise(spec)
    errors = check_text(spec.subject, spec.body)
    if not 1 <= len(spec.name) <= 64:
        errors["name"] = _("Enter 1 to 64 characters.")
    elif session.scalar(sa.select(MailTemplate.id).where(
            MailTemplate.name == spec.name,
            MailTemplate.id != (template.id if template else -1))) is not None:
        errors["name"] = _("Another template has this name.")
    for name in ("from_address", "bcc"):
        value = getattr(spec, name)
        if value and not (len(value) <= 254 and _ADDRESS.fullmatch(value)):
            errors[name] = _("Enter one e-mail address, like shop@example.jp.")
    if spec.from_name and (len(spec.from_name) > 64 or "\n" in spec.from_name):
        errors["from_name"] = _("Enter at most %(n)d characters on one line.", n=64)
    if errors:
        raise TemplateRefused(errors)


def create(session: Session, spec: TemplateSpec, actor: Actor) -> MailTemplate:
    _check(session, spec, None)
    template = MailTemplate(**asdict(spec), updated_by=actor.username)
    session.add(template)
    session.flush()
    audit.record(session, actor, "mail_template.create", entity_type="mail_template",
                 entity_id=template.id, details={"name": spec.name})
    return template


def update(session: Session, template: MailTemplate, spec: TemplateSpec, actor: Actor, *,
           version: int) -> bool:
    """Change the template, as edited from `version`; one audit row per changed field.
    Returns whether anything changed. TemplateConflict when someone saved it since."""
    if version != template.version:
        raise TemplateConflict
    _check(session, spec, template)
    changed = False
    for name, value in asdict(spec).items():
        old = getattr(template, name)
        if old != value:
            audit.record(session, actor, "mail_template.update", entity_type="mail_template",
                         entity_id=template.id, field=name, old=old, new=value)
            setattr(template, name, value)
            changed = True
    if changed:
        template.updated_by = actor.username
    try:
        session.flush()  # the version column: a save that raced ours is caught here
    except StaleDataError as error:
        raise TemplateConflict from error
    return changed


def differences(template: MailTemplate, spec: TemplateSpec) -> list[str]:
    """The fields whose saved value differs from the edit's (shown on a conflict)."""
    edited = asdict(_normalise(spec))
    return [name for name, value in edited.items() if getattr(template, name) != value]


def sender(template: MailTemplate | None) -> str:
    """The From header of a template's mails; MAIL_FROM when it names no address."""
    if template is None or not template.from_address:
        return current_app.config["MAIL_FROM"]
    return formataddr((template.from_name or "", template.from_address))


def render(session: Session, order: Order, subject: str, body: str, tz: ZoneInfo
           ) -> tuple[str, str]:
    """A subject and body (with tags) filled for one order."""
    facts = mail_tags.load(session, [order.id], tz)[order.id]
    compiled = [mail_tags.Compiled.of(text) for text in (subject, body)]
    values = mail_tags.values(facts, set().union(*(c.tags() for c in compiled)))
    return compiled[0].render(values), compiled[1].render(values)


# ------------------------------------------------------------------ システムメール管理

def system_mails(session: Session) -> dict[MailEvent, SystemMail]:
    """Every event's setting; an event never configured is off, without a template."""
    found = {row.event: row for row in session.scalars(sa.select(SystemMail))}
    return {event: found.get(event) or SystemMail(event=event, enabled=False)
            for event in MailEvent}


def save_system_mail(session: Session, event: MailEvent, template_id: int | None,
                     enabled: bool, actor: Actor) -> None:
    """Point the event at a template (an active one) and turn it on or off."""
    if template_id is not None and session.get(MailTemplate, template_id) is None:
        raise TemplateRefused({"template_id": _("Choose one of the templates.")})
    if enabled and template_id is None:
        raise TemplateRefused({"template_id": _("Choose the template this event sends.")})
    row = session.get(SystemMail, event)
    if row is None:
        row = SystemMail(event=event, enabled=False)
        session.add(row)
    if (row.template_id, row.enabled) != (template_id, enabled):
        audit.record(session, actor, "system_mail.update", entity_type="system_mail",
                     entity_id=event.value, old=f"{row.template_id}:{row.enabled}",
                     new=f"{template_id}:{enabled}")
        row.template_id, row.enabled = template_id, enabled
    session.flush()
