from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, SelectChoice
from wtforms.validators import AnyOf, DataRequired

from oms.models import TABS


class ExportForm(FlaskForm):
    tab = HiddenField(validators=[DataRequired(), AnyOf(list(TABS))])
    encoding = RadioField(
        _l("Encoding"),
        choices=[
            SelectChoice("cp932", _l("Shift_JIS (CP932, for Excel)")),
            SelectChoice("utf8", _l("UTF-8 with BOM")),
        ],
        default="cp932",
    )
