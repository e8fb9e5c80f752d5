from dataclasses import replace

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, PasswordField, RadioField, StringField
from wtforms.validators import URL, DataRequired, InputRequired, Length, NumberRange, Optional

from oms.blueprints.orders.detail_forms import options, text_field
from oms.services.shop_shipping import ShopShipping, TrackingChannel
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
    # Shipping (shop_shipping.ShopShipping): the ご依頼主 on labels, B2 codes, reports.
    sender_name = text_field(_l("Sender name"), 32)
    sender_phone = text_field(_l("Sender phone"), 15)
    sender_postcode = text_field(_l("Sender postcode"), 8)
    sender_address1 = text_field(_l("Sender address"), 64)
    sender_address2 = text_field(_l("Sender building, room"), 64)
    b2_billing_code = text_field(_l("B2 billing customer code"), 12,
                                 description=_l("10 to 12 digits (請求先顧客コード)."))
    b2_freight_no = text_field(_l("B2 freight number"), 2,
                               description=_l("2 digits (運賃管理番号)."))
    tracking_channel = RadioField(_l("Tracking number report"), default="api", choices=options([
        (TrackingChannel.api.value, _l("Through the order API")),
        (TrackingChannel.csv.value, _l("Not through the API (CSV / TSV upload)"))]))
    amazon_tsv_version = text_field(_l("Amazon shipping file version"), 16)
    rakuten_csv_header = text_field(_l("Rakuten shipping CSV header row"), 500,
                                    description=_l("Six column names separated by commas."))

    def shipping(self, current: ShopShipping) -> ShopShipping:
        """The shipping settings asked for; a field the request did not carry keeps its
        value."""
        return replace(current, **{name: self[name].data or "" for name in SHIPPING_FIELDS
                                   if self[name].raw_data})


SHIPPING_FIELDS = ("sender_name", "sender_phone", "sender_postcode", "sender_address1",
                   "sender_address2", "b2_billing_code", "b2_freight_no", "tracking_channel",
                   "amazon_tsv_version", "rakuten_csv_header")


class RakutenCardForm(FlaskForm):
    rakuten_card_api = BooleanField(_l("Card orders go through the Rakuten card payment API"))


class MappingForm(FlaskForm):
    shop_id = IntegerField(_l("Shop"), validators=[DataRequired()], minimum=1)
    product_code = StringField(_l("Mall product code"), validators=[DataRequired(),
                                                                     Length(max=64)])
    option = StringField(_l("Option (empty: any)"), validators=[Length(max=100)])
    sku_code = StringField(_l("SKU code"), validators=[DataRequired(), Length(max=64)])


class MappingImportForm(FlaskForm):
    file = FileField(_l("CSV file"), validators=[FileRequired()])

