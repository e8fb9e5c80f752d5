"""メール送信 for checked orders or a whole search (the order list's control), 失敗分を再送
on a mail job's page, and the file sink's 送信済みメール page for the demo."""

import email
import email.policy
import re
from pathlib import Path
from zoneinfo import ZoneInfo

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from oms import validation
from oms.access import Access, access, current_actor
from oms.blueprints.common import EmptyForm, or_404
from oms.blueprints.mail import bp
from oms.blueprints.mail.forms import SendForm
from oms.blueprints.orders.controls import keep_selection, own_selection, selection_lost
from oms.extensions import db
from oms.htmx import render_page
from oms.integrations.mail import Transport
from oms.models import BulkSelection, MailTemplate
from oms.services import mail, mail_tags, mail_templates, notifications
from oms.services.bulk import selection

SELECTION_KIND = "mail"
TARGET = "mail-compose"


def _tz() -> ZoneInfo:
    return ZoneInfo(current_app.config["OMS_TZ"])


@bp.post("/start")
@access(Access.operator)
def start():
    """The control on the order list: keep what it acts on, then show the send page."""
    chosen = keep_selection("mail", SELECTION_KIND)
    return redirect(url_for("mail.compose", selection=chosen.id), 303)


def _selection(values) -> BulkSelection | None:
    return own_selection(values, SELECTION_KIND)


def _compose(chosen: BulkSelection, form: SendForm, status: int = 200):
    where = selection.conditions(db.session, chosen, _tz())
    return render_page("mail/compose.html", "compose", TARGET, form=form, selection=chosen,
                       dry=mail.dry_run(db.session, where), tags=mail_tags.TAGS), status


@bp.get("/compose")
@access(Access.operator)
def compose():
    """One page: the template, its text with tags (rendered per order when sent), how many
    orders, and which have no address (the dry run); 確定 starts the job."""
    chosen = _selection(request.args)
    if chosen is None:
        return selection_lost()
    form = SendForm(formdata=None)
    form.template_id.data = validation.arg_id(request.args, "template_id")
    form.set_choices(mail_templates.choices(db.session))
    if form.template_id.data:
        template = db.session.get(MailTemplate, form.template_id.data)
        form.subject.data, form.body.data = template.subject, template.body
    return _compose(chosen, form)


@bp.post("/run")
@access(Access.operator)
def run():
    """確定: the job over the selection (pressing it twice starts one job)."""
    chosen = _selection(request.form)
    if chosen is None:
        return selection_lost()
    if chosen.job_id is not None:
        return redirect(url_for("notifications.show", notification_id=chosen.job_id), 303)
    form = SendForm()
    form.set_choices(mail_templates.choices(db.session))
    if not form.validate() or not form.template_id.data:
        if not form.template_id.data:
            form.template_id.errors = [_("Choose a template.")]
        return _compose(chosen, form, 422)
    try:
        note = mail.start_bulk(db.session, current_user, selection.conditions(
            db.session, chosen, _tz()), chosen.count,
            db.session.get(MailTemplate, form.template_id.data), form.subject.data,
            form.body.data, current_actor(), str(get_locale()))
    except mail.MailRefused as refused:
        for name, message in refused.errors.items():
            form[name].errors = [*form[name].errors, message]
        return _compose(chosen, form, 422)
    chosen.job_id = note.id
    return redirect(url_for("notifications.show", notification_id=note.id), 303)


@bp.post("/jobs/<int:notification_id>/resend-failed")
@access(Access.operator)
def resend_failed(notification_id: int):
    """「失敗分を再送」: the job's failed mails again (never those in doubt)."""
    note = or_404(notifications.get_for(db.session, current_user, notification_id))
    if note.kind != mail.KIND or not EmptyForm().validate():
        abort(400 if note.kind == mail.KIND else 404)
    again = mail.resend_failed(db.session, note, current_user, current_actor(),
                               str(get_locale()))
    if again is None:
        flash(_("No mail of this job failed."), "info")
        return redirect(url_for("notifications.show", notification_id=note.id), 303)
    flash(_("The %(n)d failed mails are being sent again.", n=again.total), "success")
    return redirect(url_for("notifications.show", notification_id=again.id), 303)


# ------------------------------------------------------------------ the file sink

_EML = re.compile(r"[A-Za-z0-9._-]{1,200}\.eml")
SHOWN = 100


def _folder() -> Path | None:
    transport = Transport.from_url(current_app.config["MAIL_URL"])
    return transport.folder


@bp.get("/outbox/")
@access(Access.operator)
def outbox():
    """送信済みメール (file): what the file sink holds, newest first, when MAIL_URL is one."""
    folder = _folder()
    files = sorted(folder.glob("*.eml"), key=lambda p: p.stat().st_mtime, reverse=True)[:SHOWN] \
        if folder is not None and folder.is_dir() else []
    rows = [(path.name, _read(path)) for path in files]
    return render_template("mail/outbox.html", rows=rows, folder=folder, shown=SHOWN)


@bp.get("/outbox/<file_name>")
@access(Access.operator)
def outbox_message(file_name: str):
    """One message of the file sink, as written (shown escaped)."""
    folder = _folder()
    if folder is None or not _EML.fullmatch(file_name) or not (folder / file_name).is_file():
        abort(404)
    return render_template("mail/outbox_message.html", name=file_name,
                           message=_read(folder / file_name))


def _read(path: Path) -> email.message.EmailMessage:
    return email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
