from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField


class CsvForm(FlaskForm):
    file = FileField(_l("CSV file of order numbers"), validators=[FileRequired(
        message=_l("Choose a CSV file."))])
    kind = HiddenField()  # the list the orders are chosen for (wizard.LISTS)


class RunForm(FlaskForm):
    """The final confirmation (確定); the operation's options travel as further fields."""

    selection = HiddenField()
    op = HiddenField()
