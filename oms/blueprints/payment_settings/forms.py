"""The form of 設定 > 決済設定: the card gateway, 楽天カード決済API and the automatic steps
(`payments.settings.PaymentSettings`). A key field left empty keeps the stored key."""

from dataclasses import replace

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, StringField
from wtforms.validators import InputRequired, Length, Optional, Regexp

from oms.services.payments.settings import MAX_VALID_DAYS, PaymentSettings
from oms.validation import IntegerField

URL = Regexp(r"^https?://[^\s]+$", message=_l("Enter an http:// or https:// address."))


class PaymentSettingsForm(FlaskForm):
    endpoint = StringField(_l("Card gateway address"), [Optional(), Length(max=300), URL])
    api_key = PasswordField(_l("Card gateway API key"), [Length(max=300)],
                            description=_l("Leave empty to keep the stored key."))
    rakuten_card_endpoint = StringField(_l("Rakuten card API address"),
                                        [Optional(), Length(max=300), URL])
    rakuten_card_api_key = PasswordField(_l("Rakuten card API key"), [Length(max=300)],
                                         description=_l("Leave empty to keep the stored key."))
    remove_keys = BooleanField(_l("Remove the stored keys"))
    auto_authorize = BooleanField(_l("Authorize card orders awaiting review automatically"))
    auto_capture_on_shipped = BooleanField(_l("Capture card payments when orders are shipped"))
    auth_valid_days = IntegerField(
        _l("Days an authorization is valid"),
        [InputRequired(_l("Enter 1 to %(max)s.", max=MAX_VALID_DAYS))],
        minimum=1, maximum=MAX_VALID_DAYS, full_width=False)

    def settings(self, current: PaymentSettings) -> PaymentSettings:
        return replace(current, endpoint=(self.endpoint.data or "").strip(),
                       rakuten_card_endpoint=(self.rakuten_card_endpoint.data or "").strip(),
                       auto_authorize=self.auto_authorize.data,
                       auto_capture_on_shipped=self.auto_capture_on_shipped.data,
                       auth_valid_days=self.auth_valid_days.data)


def form_data(settings: PaymentSettings) -> dict:
    return {"endpoint": settings.endpoint,
            "rakuten_card_endpoint": settings.rakuten_card_endpoint,
            "auto_authorize": settings.auto_authorize,
            "auto_capture_on_shipped": settings.auto_capture_on_shipped,
            "auth_valid_days": settings.auth_valid_days}
