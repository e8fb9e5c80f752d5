from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from oms.blueprints.orders.detail_forms import stripped
from oms.services import mail_templates
from oms.services.mail_templates import TemplateSpec
from oms.validation import IntegerField, coerce_optional_int, parse_int


class TemplateForm(FlaskForm):
    """One メールテンプレート; the tag and address rules are the service's."""

    name = StringField(_l("Template name"), [DataRequired(), Length(max=64)],
                       filters=[stripped])
    subject = StringField(_l("Subject"), [DataRequired(),
                                          Length(max=mail_templates.SUBJECT_MAX)])
    body = TextAreaField(_l("Body"), [DataRequired(), Length(max=mail_templates.BODY_MAX)],
                         render_kw={"rows": 16})
    from_name = StringField(_l("Sender name"), [Optional(), Length(max=64)], filters=[stripped])
    from_address = StringField(_l("Sender address"), [Optional(), Length(max=254)],
                               filters=[stripped])
    bcc = StringField(_l("BCC"), [Optional(), Length(max=254)], filters=[stripped])
    active = BooleanField(_l("Active"), default=True)
    position = IntegerField(_l("Position"), [Optional()], default=0, minimum=0, maximum=9999)
    # The version the form was filled from (an edit's optimistic lock).
    version = HiddenField()

    def version_number(self) -> int:
        number = parse_int(self.version.data, 0)
        return -1 if number is None else number

    def spec(self) -> TemplateSpec:
        return TemplateSpec(
            name=self.name.data, subject=self.subject.data, body=self.body.data,
            from_name=self.from_name.data, from_address=self.from_address.data,
            bcc=self.bcc.data, active=self.active.data, position=self.position.data or 0)


class SendForm(FlaskForm):
    """メール送信: a template, and the text for this send (never saved to the template)."""

    template_id = SelectField(_l("Template"), coerce=coerce_optional_int,
                              validate_choice=False)
    subject = StringField(_l("Subject"), [DataRequired(),
                                          Length(max=mail_templates.SUBJECT_MAX)])
    body = TextAreaField(_l("Body"), [DataRequired(), Length(max=mail_templates.BODY_MAX)],
                         render_kw={"rows": 14})

    def set_choices(self, choices: list[tuple[int, str]]) -> None:
        self.template_id.choices = [("", "—"), *choices]
        ids = {i for i, _name in choices}
        if self.template_id.data not in ids:
            self.template_id.data = None


class ResendForm(FlaskForm):
    confirm = BooleanField(_l("I understand that this mail may already have arrived, and "
                              "send it again"))


class SystemMailForm(FlaskForm):
    """One event of システムメール管理."""

    template_id = SelectField(_l("Template"), coerce=coerce_optional_int)
    enabled = BooleanField(_l("Send"))
