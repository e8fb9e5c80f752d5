from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, SelectChoice, StringField
from wtforms.validators import AnyOf, DataRequired, Length


class SelectionForm(FlaskForm):
    """What a per-tab control acts on: the checked orders, or every order of the search."""

    scope = HiddenField(default="selected", validators=[AnyOf(["selected", "search"])])
    search = HiddenField(validators=[Length(max=2000)])


class ExportForm(SelectionForm):
    encoding = RadioField(
        _l("Encoding"),
        choices=[
            SelectChoice("cp932", _l("Shift_JIS (CP932, for Excel)")),
            SelectChoice("utf8", _l("UTF-8 with BOM")),
        ],
        default="cp932",
    )


class PresetForm(FlaskForm):
    name = StringField(_l("Preset name"), validators=[DataRequired(), Length(max=64)])
    query = HiddenField(validators=[Length(max=2000)])

