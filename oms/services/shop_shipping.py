"""A shop's shipping settings (Settings → Shops): the ご依頼主 printed on labels, the B2
billing codes, and how the mall learns tracking numbers. Kept in `Shop.settings["shipping"]`."""

from dataclasses import asdict, dataclass, fields
from enum import StrEnum

from oms.models import Shop


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
