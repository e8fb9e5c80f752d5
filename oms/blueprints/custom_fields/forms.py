from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from oms.blueprints.orders.detail_forms import optional_int, options, stripped
from oms.models import FieldType
from oms.services.custom_field_definitions import MAX_TEXT
from oms.validation import INT8_MAX, INT8_MIN, IntegerField


class FieldForm(FlaskForm):
    name = StringField(_l("Name"), [DataRequired(), Length(max=64)], filters=[stripped])
    field_type = SelectField(_l("Input type"), choices=[])
    category_id = SelectField(_l("Category"), coerce=optional_int, choices=[])
    required = BooleanField(_l("Answer required (marked ※; saving stays allowed)"))
    max_length = IntegerField(_l("Maximum length"), [Optional()], minimum=1, maximum=MAX_TEXT)
    min_value = IntegerField(_l("Minimum"), [Optional()], minimum=INT8_MIN, maximum=INT8_MAX)
    max_value = IntegerField(_l("Maximum"), [Optional()], minimum=INT8_MIN, maximum=INT8_MAX)
    choices = TextAreaField(_l("Choices, one per line"), [Optional(), Length(max=10000)])
    position = IntegerField(_l("Position"), [Optional()], default=0)

    def set_choices(self, labels, categories) -> None:
        self.field_type.choices = options((t.value, labels.FIELD_TYPE[t]) for t in FieldType)
        self.category_id.choices = options([("", _l("No category")),
                                            *((c.id, c.name) for c in categories)])


class CategoryForm(FlaskForm):
    name = StringField(_l("Name"), [DataRequired(), Length(max=64)], filters=[stripped])
    multiple = BooleanField(_l("Allow several answers (+/- buttons on the order)"))
    position = IntegerField(_l("Position"), [Optional()], default=0)

