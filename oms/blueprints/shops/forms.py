from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, PasswordField, StringField
from wtforms.validators import URL, DataRequired, InputRequired, Length, NumberRange, Optional

from oms.validation import DecimalField, IntegerField


class ShopForm(FlaskForm):
    api_endpoint = StringField(_l("API endpoint"), validators=[
        Optional(), URL(require_tld=False, message=_l("Enter an http or https address.")),
        Length(max=255)])
    credentials = PasswordField(_l("API credentials"), validators=[Length(max=500)],
                                description=_l("Leave empty to keep the stored credentials."))
    clear_credentials = BooleanField(_l("Remove the stored credentials"))
    auto_confirm = BooleanField(_l("Confirm new orders automatically (skip New)"))
    active = BooleanField(_l("Active"))
    poll_minutes = IntegerField(_l("Import every (minutes; 0 = off)"), validators=[
        InputRequired(_l("Enter 0 to 1440."))], minimum=0, maximum=1440)
    rate_per_second = DecimalField(_l("Calls per second at most"), places=None, validators=[
        Optional(), NumberRange(0.1, 100, message=_l("Enter 0.1 to 100."))])
    lookback_days = IntegerField(_l("Days of orders to re-read (Rakuten)"),
                                 validators=[Optional()], minimum=1, maximum=63)


class MappingForm(FlaskForm):
    shop_id = IntegerField(_l("Shop"), validators=[DataRequired()], minimum=1)
    product_code = StringField(_l("Mall product code"), validators=[DataRequired(),
                                                                     Length(max=64)])
    option = StringField(_l("Option (empty: any)"), validators=[Length(max=100)])
    sku_code = StringField(_l("SKU code"), validators=[DataRequired(), Length(max=64)])


class MappingImportForm(FlaskForm):
    file = FileField(_l("CSV file"), validators=[FileRequired()])

