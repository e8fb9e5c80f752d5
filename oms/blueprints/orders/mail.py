"""メール送信 and 送信メール照会 on the order detail screen (seed 001; SCOPE P3 M1, M3, M4)."""

from zoneinfo import ZoneInfo

from flask import current_app, flash, request
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from oms import validation
from oms.access import Access, access, current_actor
from oms.blueprints.common import get_or_404
from oms.blueprints.mail.forms import ResendForm, SendForm
from oms.blueprints.orders import bp
from oms.blueprints.orders.detail import back_to_detail, get_order, render_panel
from oms.extensions import db
from oms.models import MailTemplate, Order, SentMail
from oms.services import mail, mail_templates


def _send_page(order: Order, form: SendForm, status: int = 200):
    return render_panel("orders/mail_send.html", status, order=order, form=form)


@bp.route("/<order_number>/mail", methods=["GET", "POST"])
@access(Access.operator)
def send_mail(order_number: str):
    """メール送信: choose a template (GET), whose text is filled for this order and may be
    edited for this send only; 送信 (POST) queues it."""
    order = get_order(order_number)
    choices = mail_templates.choices(db.session)
    if request.method == "GET":
        form = SendForm(formdata=None)
        form.template_id.data = validation.arg_id(request.args, "template_id")
        form.set_choices(choices)
        if form.template_id.data:
            template = db.session.get(MailTemplate, form.template_id.data)
            form.subject.data, form.body.data = mail_templates.render(
                db.session, order, template.subject, template.body,
                ZoneInfo(current_app.config["OMS_TZ"]))
        return _send_page(order, form)
    form = SendForm()
    form.set_choices(choices)
    if not form.validate() or not form.template_id.data:
        if not form.template_id.data:
            form.template_id.errors = [_("Choose a template.")]
        return _send_page(order, form, 422)
    try:
        mail.send_one(db.session, order, db.session.get(MailTemplate, form.template_id.data),
                      form.subject.data, form.body.data, current_user, current_actor(),
                      str(get_locale()))
    except mail.MailRefused as refused:
        for name, message in refused.errors.items():
            form[name].errors = [*form[name].errors, message]
        return _send_page(order, form, 422)
    flash(_("The mail is being sent to %(address)s.", address=order.buyer_email), "success")
    return back_to_detail(order)


@bp.get("/<order_number>/mails")
@access(Access.operator)
def mails(order_number: str):
    """送信メール照会: every mail of the order, newest first."""
    order = get_order(order_number)
    rows = mail.history(db.session, order)
    return render_panel("orders/mails.html", order=order, rows=rows,
                        template_names=mail.template_names(db.session, rows))


def _mail(order: Order, mail_id: int) -> SentMail:
    return get_or_404(SentMail, mail_id, order_id=order.id)


def _mail_page(order: Order, sent: SentMail, form: ResendForm, status: int = 200):
    return render_panel("orders/mail_show.html", status, order=order, mail=sent, form=form,
                        template_names=mail.template_names(db.session, [sent]))


@bp.get("/<order_number>/mails/<bigid:mail_id>")
@access(Access.operator)
def show_mail(order_number: str, mail_id: int):
    """One mail exactly as sent (shown escaped: M10)."""
    order = get_order(order_number)
    return _mail_page(order, _mail(order, mail_id), ResendForm(formdata=None))


@bp.post("/<order_number>/mails/<bigid:mail_id>/resend")
@access(Access.operator)
def resend_mail(order_number: str, mail_id: int):
    """再送 of a failed mail; of one in doubt (不明) only when the operator confirms."""
    order = get_order(order_number)
    sent = _mail(order, mail_id)
    form = ResendForm()
    if not form.validate():
        return _mail_page(order, sent, form, 422)
    try:
        mail.resend(db.session, sent, current_user, current_actor(), str(get_locale()),
                    unknown_confirmed=form.confirm.data)
    except mail.MailRefused as refused:
        form.confirm.errors = list(refused.errors.values())
        return _mail_page(order, sent, form, 422)
    flash(_("The mail is being sent again."), "success")
    return back_to_detail(order)
