"""A shop's shipping settings (Settings → Shops): the ご依頼主 printed on labels, the B2
billing codes, and how the mall learns tracking numbers. Kept in `Shop.settings["shipping"]`."""

import re
from dataclasses import asdict, dataclass, fields, replace
from enum import StrEnum

from flask_babel import gettext as _

from oms.models import Shop
from oms.services.contact_keys import phone_key


class TrackingChannel(StrEnum):
    api = "api"  # 受注APIを利用する: reported by the report job
    csv = "csv"  # 利用しない: listed for the 楽天 CSV / Amazon TSV the operator uploads


@dataclass(frozen=True)
class ShopShipping:
    sender_name: str = ""
    sender_phone: str = ""
    sender_postcode: str = ""
    sender_address1: str = ""
    sender_address2: str = ""
    b2_billing_code: str = ""  # 請求先顧客コード (10–12 digits)
    b2_freight_no: str = ""    # 運賃管理番号 (2 digits)
    tracking_channel: TrackingChannel = TrackingChannel.api
    amazon_tsv_version: str = "2011.1102"
    # The 楽天 発送情報 CSV's header row; its exact text is uncertain (FORMATS.md 3b).
    rakuten_csv_header: str = "注文番号,送付先ID,発送明細ID,お荷物伝票番号,配送会社,発送日"


def for_shop(shop: Shop) -> ShopShipping:
    stored = (shop.settings or {}).get("shipping") or {}
    known = {f.name for f in fields(ShopShipping)}
    values = {k: v for k, v in stored.items() if k in known and isinstance(v, str)}
    if values.get("tracking_channel") not in TrackingChannel.__members__:
        values.pop("tracking_channel", None)
    else:
        values["tracking_channel"] = TrackingChannel(values["tracking_channel"])
    return ShopShipping(**values)


def stored(value: ShopShipping) -> dict[str, str]:
    """The JSON form kept in `Shop.settings["shipping"]`."""
    return {k: str(v) for k, v in asdict(value).items()}


class ShippingRefused(ValueError):
    """Some shipping settings are refused; `errors` maps a field to why. Nothing changed."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


_POSTCODE = re.compile(r"([0-9]{3})-?([0-9]{4})")
_LONGEST = {"sender_name": 32, "sender_phone": 15, "sender_address1": 64,
            "sender_address2": 64, "rakuten_csv_header": 500}
_RAKUTEN_COLUMNS = 6


def checked(value: ShopShipping) -> ShopShipping:
    """The settings trimmed, the postcode as NNN-NNNN; ShippingRefused with every problem."""
    value = replace(value, **{f.name: getattr(value, f.name).strip() for f in fields(value)
                              if isinstance(getattr(value, f.name), str)
                              and f.name != "tracking_channel"})
    errors = {name: _("Enter at most %(n)d characters.", n=longest)
              for name, longest in _LONGEST.items() if len(getattr(value, name)) > longest}
    if value.sender_phone and phone_key(value.sender_phone) is None:
        errors["sender_phone"] = _("Enter a phone number such as 03-1234-5678.")
    if value.sender_postcode:
        if match := _POSTCODE.fullmatch(value.sender_postcode):
            value = replace(value, sender_postcode=f"{match[1]}-{match[2]}")
        else:
            errors["sender_postcode"] = _("Enter the postcode as 7 half-width digits, "
                                          "e.g. 150-0002.")
    if value.b2_billing_code and not re.fullmatch(r"[0-9]{10,12}", value.b2_billing_code):
        errors["b2_billing_code"] = _("Enter 10 to 12 half-width digits.")
    if value.b2_freight_no and not re.fullmatch(r"[0-9]{2}", value.b2_freight_no):
        errors["b2_freight_no"] = _("Enter 2 half-width digits.")
    if not re.fullmatch(r"[0-9]{4}\.[0-9]{4}", value.amazon_tsv_version):
        errors["amazon_tsv_version"] = _("Enter the version as Amazon prints it, e.g. "
                                         "2011.1102.")
    cells = value.rakuten_csv_header.split(",")
    if len(cells) != _RAKUTEN_COLUMNS or not all(cell.strip() for cell in cells):
        errors.setdefault("rakuten_csv_header", _(
            "Enter the %(n)d column names, separated by commas.", n=_RAKUTEN_COLUMNS))
    if errors:
        raise ShippingRefused(errors)
    return value
