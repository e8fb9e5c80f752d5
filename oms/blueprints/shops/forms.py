from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, DecimalField, IntegerField, PasswordField, StringField
from wtforms.validators import URL, DataRequired, Length, NumberRange, Optional


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
        NumberRange(0, 1440, message=_l("Enter 0 to 1440."))])
    rate_per_second = DecimalField(_l("Calls per second at most"), places=None, validators=[
        Optional(), NumberRange(0.1, 100, message=_l("Enter 0.1 to 100."))])
    lookback_days = IntegerField(_l("Days of orders to re-read (Rakuten)"), validators=[
        Optional(), NumberRange(1, 63, message=_l("Enter 1 to 63."))])


class MappingForm(FlaskForm):
    shop_id = IntegerField(_l("Shop"), validators=[DataRequired()])
    product_code = StringField(_l("Mall product code"), validators=[DataRequired(),
                                                                     Length(max=64)])
    option = StringField(_l("Option (empty: any)"), validators=[Length(max=100)])
    sku_code = StringField(_l("SKU code"), validators=[DataRequired(), Length(max=64)])


class MappingImportForm(FlaskForm):
    file = FileField(_l("CSV file"), validators=[FileRequired()])

