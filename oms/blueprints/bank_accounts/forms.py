from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from oms import labels
from oms.blueprints.orders.detail_forms import options, stripped
from oms.models import AccountType
from oms.services.bank_accounts import HOLDER_MAX, AccountSpec
from oms.validation import IntegerField


class AccountForm(FlaskForm):
    """One account of 銀行振込の口座設定; the number and holder rules are the service's."""

    bank_name = StringField(_l("Bank"), [DataRequired(), Length(max=64)], filters=[stripped])
    branch_name = StringField(_l("Branch"), [DataRequired(), Length(max=64)],
                              filters=[stripped])
    account_type = RadioField(
        _l("Account type"), [InputRequired()], default="ordinary",
        choices=options((t.value, labels.ACCOUNT_TYPE[t]) for t in AccountType))
    account_number = StringField(_l("Account number"), [DataRequired(), Length(max=16)],
                                 filters=[stripped], description=_l("Half-width digits, up to 8."))
    holder_kana = StringField(_l("Account holder (kana)"),
                              [DataRequired(), Length(max=HOLDER_MAX)], filters=[stripped],
                              description=_l("Full-width katakana, e.g. カ）サンプルショウジ"))
    position = IntegerField(_l("Position"), [Optional()], default=0, minimum=0, maximum=9999)

    def spec(self) -> AccountSpec:
        return AccountSpec(
            bank_name=self.bank_name.data, branch_name=self.branch_name.data,
            account_type=AccountType(self.account_type.data),
            account_number=self.account_number.data, holder_kana=self.holder_kana.data,
            position=self.position.data or 0)
