"""The 出荷指示エクスポート wizard's settings (step 1), sent by GET to the preview and by
POST to 出力, so both read the same fields."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, HiddenField, RadioField, SelectChoice, SelectField
from wtforms.validators import DataRequired, InputRequired

from oms.services.shipping_export import Choice


class ExportSettingsForm(FlaskForm):
    selection = HiddenField()
    carrier = SelectField(_l("Carrier"), coerce=int, validators=[InputRequired()])
    service = SelectField(_l("Slip type"), coerce=int, validators=[InputRequired()],
                          validate_choice=False)
    ship_date = DateField(_l("Scheduled ship date"), validators=[DataRequired()])
    encoding = RadioField(_l("Encoding"), default="cp932", choices=[
        SelectChoice("cp932", _l("Shift_JIS (CP932)")),
        SelectChoice("utf8", _l("UTF-8 with BOM"))])
    reprint = BooleanField(_l("Reprint orders already exported"))
    substitute = BooleanField(_l("Write characters outside JIS levels 1 and 2 as 〓"))

    def choice(self) -> Choice:
        return Choice(self.carrier.data, self.service.data, self.ship_date.data,
                      self.encoding.data, self.reprint.data, self.substitute.data)
