"""The forms of the lists (oms.services.masters): one small form per list, same shape."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from oms import labels
from oms.blueprints.orders.detail_forms import options, stripped
from oms.models import ConversionEvent, DateStamp
from oms.services.conversions import METHODS, TAGS
from oms.services.masters import TAG_COLORS, TAX_RATES
from oms.validation import IntegerField, coerce_int

MAX_FEE = 1_000_000


def _name(label=None, length: int = 64):
    return StringField(label or _l("Name"), [DataRequired(), Length(max=length)],
                       filters=[stripped])


def _position(label=None):
    return IntegerField(label or _l("Position"), [Optional()], default=0, minimum=0,
                        maximum=9999)


class MasterForm(FlaskForm):
    def values(self) -> dict:
        """The row's columns as submitted (every field but the token is a column)."""
        return {name: field.data or 0 if isinstance(field, IntegerField) else field.data
                for name, field in self._fields.items() if name != "csrf_token"}


class HandlingStatusForm(MasterForm):
    name = _name()
    position = _position()
    stamps = RadioField(_l("Date it fills"), [InputRequired()], default=DateStamp.none.value,
                        choices=options((s.value, labels.DATE_STAMP[s]) for s in DateStamp),
                        coerce=DateStamp)


class TagForm(MasterForm):
    name = _name()
    color = SelectField(_l("Colour"), [InputRequired()], default="gray",
                        choices=options((c, labels.TAG_COLOR[c]) for c in TAG_COLORS))


class AttentionReasonForm(MasterForm):
    name = _name()
    position = _position()


class MediaForm(MasterForm):
    name = _name()
    position = _position()


class WrappingForm(MasterForm):
    name = _name()
    fee = IntegerField(_l("Fee (excluding tax)"), [InputRequired()], minimum=0,
                       maximum=MAX_FEE)
    tax_rate = SelectField(_l("Tax rate"), [InputRequired()], coerce=coerce_int, default=10,
                           choices=options((r, f"{r}%") for r in TAX_RATES))
    position = _position()


class StockLocationForm(MasterForm):
    code = _name(_l("Code"), 32)
    name = _name()
    priority = _position(_l("Priority"))


class ConversionSettingForm(MasterForm):
    name = _name(length=100)
    url = StringField(_l("URL"), [DataRequired(), Length(max=500)], filters=[stripped],
                      description=_l("Tags you can use: %(tags)s",
                                     tags=" ".join(f"{{{tag}}}" for tag in TAGS)))
    method = SelectField(_l("Method"), [InputRequired()], default="GET",
                         choices=options((m, m) for m in METHODS))
    event = SelectField(_l("Sent when"), [InputRequired()], coerce=ConversionEvent,
                        choices=options((e.value, labels.CONVERSION_EVENT[e])
                                        for e in ConversionEvent))


FORMS = {"handling-statuses": HandlingStatusForm, "tags": TagForm,
         "attention-reasons": AttentionReasonForm, "media": MediaForm,
         "wrappings": WrappingForm, "stock-locations": StockLocationForm,
         "conversion-settings": ConversionSettingForm}
