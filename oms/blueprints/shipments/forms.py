from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField
from wtforms.validators import AnyOf, Length, ValidationError

from oms.extensions import db
from oms.services import shipment_list


class SelectionForm(FlaskForm):
    """一括更新 on 出荷一覧: the checked orders, or every order of the search."""

    scope = HiddenField(default="selected", validators=[AnyOf(["selected", "search"])])
    search = HiddenField(validators=[Length(max=2000)])

    def validate_search(self, field) -> None:
        if problems := shipment_list.search_problems(db.session, field.data or ""):
            raise ValidationError(_l("The search cannot be used: %(problems)s",
                                     problems=" ".join(problems)))
