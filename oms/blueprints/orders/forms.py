from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, SelectChoice, StringField
from wtforms.validators import AnyOf, DataRequired, Length, ValidationError

from oms.extensions import db
from oms.services import order_search


class SelectionForm(FlaskForm):
    """What a per-tab control acts on: the checked orders (read by
    oms.services.list_controls), or every order of the search."""

    scope = HiddenField(default="selected", validators=[AnyOf(["selected", "search"])])
    search = HiddenField(validators=[Length(max=2000)])

    def validate_search(self, field) -> None:
        """A search is checked before anything (a job) runs it."""
        if problems := order_search.search_problems(db.session, field.data or ""):
            raise ValidationError(_l("The search cannot be used: %(problems)s",
                                     problems=" ".join(problems)))

    def refusal(self, default: str) -> str:
        """The message for a refused form: what is wrong with the search, else `default`."""
        return str(self.search.errors[0]) if self.search.errors else default


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
