"""設定 > メールテンプレート設定 and システムメール管理 (admins)."""

from zoneinfo import ZoneInfo

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from oms import labels
from oms.access import Access, access, current_actor
from oms.blueprints.common import get_or_404
from oms.blueprints.mail import bp
from oms.blueprints.mail.forms import SystemMailForm, TemplateForm
from oms.extensions import db
from oms.htmx import render_page
from oms.models import MailEvent, MailTemplate
from oms.services import mail_tags, mail_templates, order_detail


def _index():
    return redirect(url_for("mail.templates"), 303)


@bp.route("/templates/")
@access(Access.admin)
def templates():
    """メールテンプレート設定: the templates, by position."""
    return render_template("mail/templates.html",
                           templates=mail_templates.templates(db.session))


def _form_page(form: TemplateForm, target: MailTemplate | None):
    if request.method == "POST" and form.validate():
        try:
            if target is None:
                mail_templates.create(db.session, form.spec(), current_actor())
            else:
                mail_templates.update(db.session, target, form.spec(), current_actor(),
                                      version=form.version_number())
        except mail_templates.TemplateConflict:
            return _conflict(form, target)
        except mail_templates.TemplateRefused as refused:
            for name, message in refused.errors.items():
                form[name].errors = [*form[name].errors, message]
        else:
            flash(_("The template was saved."), "success")
            return _index()
    status = 422 if request.method == "POST" else 200
    return render_template("mail/template_form.html", form=form, target=target,
                           tags=mail_tags.TAGS), status


def _conflict(form: TemplateForm, target: MailTemplate):
    """Another admin saved the template since this form was filled: nothing was saved.
    Show what they saved where it differs from this edit, which is kept; saving again
    replaces theirs knowingly."""
    db.session.rollback()
    db.session.refresh(target)
    differing = mail_templates.differences(target, form.spec())
    form.version.data = str(target.version)
    return render_template("mail/template_form.html", form=form, target=target,
                           tags=mail_tags.TAGS, conflict=differing), 409


@bp.route("/templates/new", methods=["GET", "POST"])
@access(Access.admin)
def new_template():
    """Add a template."""
    return _form_page(TemplateForm() if request.method == "POST"
                      else TemplateForm(formdata=None), None)


@bp.route("/templates/<int:template_id>/edit", methods=["GET", "POST"])
@access(Access.admin)
def edit_template(template_id: int):
    """Change a template."""
    target = get_or_404(MailTemplate, template_id)
    form = TemplateForm() if request.method == "POST" else TemplateForm(formdata=None, obj=target)
    return _form_page(form, target)


@bp.get("/templates/<int:template_id>/preview")
@access(Access.admin)
def preview(template_id: int):
    """The template filled for a given 注文番号 (htmx: only the preview)."""
    target = get_or_404(MailTemplate, template_id)
    number = request.args.get("order_number", "").strip()[:20]
    order = order_detail.find(db.session, number) if number else None
    problem = _("No order has this order number.") if number and order is None else None
    rendered = (mail_templates.render(db.session, order, target.subject, target.body,
                                      ZoneInfo(current_app.config["OMS_TZ"]))
                if order else None)
    return render_page("mail/preview.html", "preview", "mail-preview", mail_template=target,
                       number=number, rendered=rendered, problem=problem), (
        404 if problem else 200)


@bp.route("/system/", methods=["GET", "POST"])
@access(Access.admin)
def system_mails():
    """システムメール管理: each event's template, on or off."""
    current = mail_templates.system_mails(db.session)
    choices = [("", "—"), *mail_templates.choices(db.session)]
    forms = {}
    for event in MailEvent:
        row = current[event]
        form = SystemMailForm(
            formdata=request.form if request.method == "POST" else None, prefix=event.value,
            data={"template_id": row.template_id, "enabled": row.enabled},
            meta={"csrf": False})  # CSRFProtect checks the page's one token
        form.template_id.choices = choices
        forms[event] = form
    if request.method == "POST":
        if not all(f.validate() for f in forms.values()):
            abort(400)
        refused = False
        for event, form in forms.items():
            try:
                mail_templates.save_system_mail(db.session, event, form.template_id.data,
                                                form.enabled.data, current_actor())
            except mail_templates.TemplateRefused as error:
                form.template_id.errors = list(error.errors.values())
                refused = True
        if not refused:
            flash(_("The system mails were saved."), "success")
            return redirect(url_for("mail.system_mails"), 303)
    status = 422 if request.method == "POST" else 200
    return render_template("mail/system_mails.html", forms=forms, labels=labels), status
