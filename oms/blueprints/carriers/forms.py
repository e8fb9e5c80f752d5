from dataclasses import fields

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import Optional

from oms import labels
from oms.blueprints.orders.detail_forms import options, text_field
from oms.models import CarrierFormat
from oms.services.carrier_settings import CarrierSpec, ServiceSpec, SlotSpec
from oms.validation import IntegerField


def _position() -> IntegerField:
    return IntegerField(_l("Position"), [Optional()], default=0, minimum=0, maximum=9999)


class SpecForm(FlaskForm):
    """A form whose fields are named as its service's spec; `spec()` builds the spec."""

    spec_class: type

    def spec(self):
        values = {f.name: self[f.name].data for f in fields(self.spec_class)}
        for name, value in values.items():
            if value is None and isinstance(self[name], StringField):
                values[name] = ""
        values["position"] = values["position"] or 0
        return self.spec_class(**values)


class CarrierForm(SpecForm):
    """One carrier of 配送業者管理 with every partner's code for it (FORMATS.md 11)."""

    spec_class = CarrierSpec
    code = text_field(_l("Code"), 32, required=True,
                      description=_l("Lower-case letters, e.g. yamato."))
    name = text_field(_l("Name"), 32, required=True)
    file_format = SelectField(_l("Shipping instruction file"), coerce=CarrierFormat,
                              choices=options((f.value, labels.CARRIER_FORMAT[f])
                                              for f in CarrierFormat))
    amazon_code = text_field(_l("Amazon carrier code"), 64, required=True,
                             description=_l("Other: Amazon shows the carrier name below."))
    amazon_name = text_field(_l("Amazon carrier name"), 50)
    rakuten_code = text_field(_l("Rakuten carrier code"), 8, required=True,
                              description=_l("e.g. 1001"))
    qoo10_name = text_field(_l("Qoo10 carrier name"), 64)
    yahoo_code = text_field(_l("Yahoo! carrier code"), 16)
    np_code = text_field(_l("NP deferred payment carrier code"), 16)
    gmo_code = text_field(_l("GMO deferred payment carrier code"), 16)
    tracking_url = text_field(_l("Tracking page address"), 255,
                              description=_l("With {number} where the tracking number goes."))
    tracking_pattern = text_field(_l("Tracking number pattern"), 100,
                                  description=_l("A regular expression for the digits, e.g. "
                                                 "\\d{12}. Empty: any number."))
    tracking_hint = text_field(_l("Tracking number form"), 32,
                               description=_l("Shown in messages, e.g. 12桁."))
    cod_limit = IntegerField(_l("Cash on delivery limit (yen)"), [Optional()], minimum=0,
                             description=_l("Empty: the carrier does not collect."))
    position = _position()


class ServiceForm(SpecForm):
    spec_class = ServiceSpec
    name = text_field(_l("Delivery method"), 32, required=True)
    slip_code = text_field(_l("Slip code"), 8, required=True,
                           description=_l("B2 送り状種類, e飛伝 便種 or ゆうプリ 郵便種別."))
    cod_slip_code = text_field(_l("Cash on delivery slip code"), 8,
                               description=_l("Empty: this method does not collect."))
    position = _position()


class SlotForm(SpecForm):
    spec_class = SlotSpec
    label = text_field(_l("Delivery time"), 16, required=True)
    b2_code = text_field(_l("B2 code"), 8, description=_l("e.g. 0812"))
    ehiden_code = text_field(_l("e飛伝 code"), 8, description=_l("e.g. 01"))
    yupri_code = text_field(_l("ゆうプリ code"), 8, description=_l("e.g. 51"))
    position = _position()
