"""Our carrier names as each mall codes them (FORMATS.md 11)."""

# carrier -> (Amazon carrierCode, Rakuten deliveryCompany, Qoo10 ShippingCorp, Yahoo code)
CARRIERS = {
    "ヤマト運輸": ("Yamato Transport", "1001", "ヤマト宅急便", "1"),
    "佐川急便": ("Sagawa Express", "1002", "佐川急便", "2"),
    "日本郵便": ("Japan Post", "1003", "ゆうパック", "3"),
    "西濃運輸": ("Seino Transportation", "1004", "西濃運輸", "4"),
    "福山通運": ("Fukuyama Transport", "1006", "福山通運", "5"),
    "日本通運": ("Nippon Express", "1021", "日本通運", "6"),
}
OTHER = ("Other", "1000", "その他", "99")
AMAZON, RAKUTEN, QOO10, YAHOO = range(4)


def code(carrier: str, mall: int) -> str:
    return CARRIERS.get(carrier, OTHER)[mall]


def digits(tracking_number: str) -> str:
    """Tracking numbers go to malls as digits only (FORMATS.md 11)."""
    return "".join(ch for ch in tracking_number if ch.isalnum())
