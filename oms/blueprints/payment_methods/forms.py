from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length

from oms import labels
from oms.blueprints.orders.detail_forms import options, stripped
from oms.models import CardPlan, DeferredVariant, Gateway, PaymentKind
from oms.services.payment_methods import FEE_MAX, MethodSpec
from oms.validation import IntegerField


def _none_or(kind):
    return lambda value: kind(value) if value else None


class MethodForm(FlaskForm):
    """One method of 支払い方法管理; which gateway and plan fit a kind is the service's."""

    code = StringField(_l("Code"), [DataRequired(), Length(max=32)], filters=[stripped],
                       description=_l("Lower-case letters, digits, - or _; it cannot be "
                                      "changed later."))
    name = StringField(_l("Name"), [DataRequired(), Length(max=64)], filters=[stripped])
    kind = SelectField(_l("Kind"), [InputRequired()], choices=options(
        (k.value, labels.PAYMENT_KIND[k]) for k in PaymentKind))
    fee = IntegerField(_l("Fee (yen, tax included)"), [InputRequired()], default=0,
                       minimum=0, maximum=FEE_MAX)
    requires_login = BooleanField(_l("Only for customers who sign in"))
    gateway = SelectField(_l("Gateway"), coerce=_none_or(Gateway), choices=options(
        [("", "—"), *((g.value, labels.GATEWAY[g]) for g in Gateway)]))
    card_plan = SelectField(_l("Card plan"), coerce=_none_or(CardPlan), choices=options(
        [("", "—"), *((p.value, labels.CARD_PLAN[p]) for p in CardPlan)]))
    deferred_variant = SelectField(
        _l("Deferred payment product"), coerce=_none_or(DeferredVariant), choices=options(
            [("", "—"), *((v.value, labels.DEFERRED_VARIANT[v]) for v in DeferredVariant)]))

    def spec(self) -> MethodSpec:
        return MethodSpec(name=self.name.data, kind=PaymentKind(self.kind.data),
                          fee=self.fee.data, requires_login=bool(self.requires_login.data),
                          gateway=self.gateway.data, card_plan=self.card_plan.data,
                          deferred_variant=self.deferred_variant.data)
