"""The mail job (kind `mail`): a runner step that calls out (M7, no silent double send).

Intent: each target's message is recorded `sending` with its Message-ID (rendered now for
a bulk or system send, taken as queued for one from the detail screen or a 再送), committed
by the runner before anything leaves. Call: one SMTP connection for the chunk, no
transaction open. Result: `sent` with the time, or `failed` with the reason.

A message found `sending` when its target is claimed again was in a call whose lane was
lost: it may have left, so it becomes `unknown` (不明) and is never sent again by itself;
the operator decides on 送信メール照会. A re-run skips what is `sent`.
"""

from collections import Counter
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from oms.integrations.mail import Delivery, Outgoing, Reason, Result, Transport
from oms.models import (
    MailEvent,
    MailState,
    MailTemplate,
    Notification,
    SentMail,
    SystemMail,
    TargetState,
)
from oms.models.base import utcnow
from oms.services import mail, mail_tags, mail_templates, runner


@dataclass(frozen=True)
class Work:
    """One target's message to send now (or None: decided already, with its outcome)."""

    target: runner.Target
    mail_id: int
    outgoing: Outgoing | None
    state: MailState
    error: str | None = None
    ship_complete: bool = False  # the 出荷完了 mail: sending it marks the order (M5)


class MailStep(runner.Step):
    calls_out = True
    chunk = 100  # one SMTP connection a chunk; at most this many in doubt after a kill

    def __init__(self, session: Session, job: Notification):
        super().__init__(session, job)
        params = job.params or {}
        self.user_id = job.user_id
        self.username = job.user.username if job.user else None
        self.event = MailEvent(params["event"]) if params.get("event") else None
        self.template = (session.get(MailTemplate, params["template_id"])
                         if params.get("template_id") else None)
        subject = params.get("subject", self.template.subject if self.template else None)
        body = params.get("body", self.template.body if self.template else None)
        self.text = (None if subject is None or body is None
                     else (mail_tags.Compiled.of(subject), mail_tags.Compiled.of(body)))
        self.tz = ZoneInfo(current_app.config["OMS_TZ"])
        self.transport = Transport.from_url(current_app.config["MAIL_URL"])

    def prepare(self, session: Session, targets: list[runner.Target]) -> list[Work]:
        rows = {m.order_id: m for m in session.scalars(
            sa.select(SentMail).where(SentMail.notification_id == self.job_id,
                                      SentMail.order_id.in_([t.order_id for t in targets]))
            .order_by(SentMail.id))}
        fresh = [t.order_id for t in targets if t.order_id not in rows]
        if fresh:
            rows |= self._render(session, fresh)
        now = utcnow()
        ship_template = session.scalar(sa.select(SystemMail.template_id).where(
            SystemMail.event == MailEvent.ship_complete))
        work = []
        for target in targets:
            row = rows.get(target.order_id)
            if row is None:  # the order was deleted since the targets were frozen
                continue
            if row.status is MailState.sending:
                row.status, row.error = MailState.unknown, in_doubt()
            elif row.status is MailState.queued and not row.to_address:
                row.status, row.error = MailState.failed, mail.no_address()
            elif row.status is MailState.queued:
                row.status, row.created_at = MailState.sending, now
            outgoing = (Outgoing(row.message_id, row.from_header, row.to_address, row.subject,
                                 row.body, row.bcc)
                        if row.status is MailState.sending else None)
            work.append(Work(target, row.id, outgoing, row.status, row.error,
                             ship_complete=row.event is MailEvent.ship_complete
                             or (ship_template is not None
                                 and row.template_id == ship_template)))
        session.flush()
        return work

    def _render(self, session: Session, order_ids: list[int]) -> dict[int, SentMail]:
        facts = mail_tags.load(session, order_ids, self.tz)
        from_header = mail_templates.sender(self.template)
        made = {}
        for order_id, f in facts.items():
            if self.text is None:
                subject = body = ""
                status, error = MailState.failed, str(_l("The template of this mail is gone."))
            else:
                names = self.text[0].tags() | self.text[1].tags()
                values = mail_tags.values(f, names)
                subject, body = (c.render(values) for c in self.text)
                status, error = MailState.queued, None
            made[order_id] = SentMail(
                order_id=order_id, template_id=self.template.id if self.template else None,
                event=self.event, from_header=from_header,
                to_address=(f.order.buyer_email or "").strip(),
                bcc=self.template.bcc if self.template else None,
                subject=subject.replace("\n", " ")[:400], body=body, status=status,
                error=error, message_id=mail.new_message_id(from_header),
                user_id=self.user_id, username=self.username, notification_id=self.job_id)
        session.add_all(made.values())
        session.flush()
        return made

    def call(self, work: list[Work]) -> list[tuple[Work, Result | None]]:
        outgoing = [w.outgoing for w in work if w.outgoing is not None]
        results = iter(self.transport.send_all(outgoing) if outgoing else [])
        return [(w, None if w.outgoing is None else next(results)) for w in work]

    def record(self, session: Session, targets: list[runner.Target],
               answers: list[tuple[Work, Result | None]]) -> list[runner.Outcome]:
        now = utcnow()
        outcomes, marked = [], []
        for w, result in answers:
            state, error = w.state, w.error
            if result is not None:
                state, error = _state(result), _reason(result)
            values = {"status": state, "error": error}
            if state is MailState.sent:
                values["sent_at"] = now
                if w.ship_complete:
                    marked.append(w.target.order_id)
            session.execute(sa.update(SentMail).where(SentMail.id == w.mail_id).values(values)
                            .execution_options(synchronize_session=False))
            outcomes.append(runner.Outcome(
                w.target.id, TargetState.ok if state is MailState.sent else TargetState.failed,
                error))
        decided = {w.target.id for w, _result in answers}
        outcomes += [runner.Outcome(t.id, TargetState.skipped, str(_l("The order is gone.")))
                     for t in targets if t.id not in decided]
        if marked:
            mail.mark_ship_mail_sent(session, marked)  # sent by hand also counts (M5)
        return outcomes

    def summary(self, done: Counter) -> str:
        return str(_l("%(ok)s mails sent, %(failed)s not sent.",
                      ok=f"{done[TargetState.ok]:,}", failed=f"{done[TargetState.failed]:,}"))


def in_doubt() -> str:
    return _("The worker stopped while this mail was being sent: it may or may not have "
             "arrived. It is not sent again unless an operator chooses to.")


def _state(result: Result) -> MailState:
    return {Delivery.sent: MailState.sent, Delivery.refused: MailState.failed,
            Delivery.uncertain: MailState.unknown}[result.delivery]


def _reason(result: Result) -> str | None:
    if result.reason is None:
        return None
    text = {
        Reason.no_server: _("Cannot connect to the SMTP server"),
        Reason.server_refused: _("The SMTP server refused the mail"),
        Reason.connection_lost: _("The connection to the SMTP server broke while the mail "
                                  "was being sent: it may or may not have arrived"),
        Reason.not_tried: _("Not sent: the connection to the SMTP server had broken"),
        Reason.no_folder: _("The mail folder cannot be written"),
    }[result.reason]
    return (f"{text} ({result.detail})" if result.detail else text)[:500]
