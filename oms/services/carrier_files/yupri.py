"""Japan Post ゆうプリR (FORMATS.md §6): CSV, CP932, CRLF, one header row. ゆうプリR reads
files through a user-defined フィルタ; `filter_file()` is the description of this layout the
operator downloads beside the CSV to set that フィルタ up (取込開始行 2: the header is skipped).

    1 お客様側管理番号 = 注文番号 (echoed with the 追跡番号 in the issue result)
    2 発送予定日 yyyymmdd, 3 発送予定時間区分 (blank)
    4 郵便種別: the service's code (0 ゆうパック, 9 ゆうパケット)
    5 保冷種別 0, 6 元/着払/代引: 0 元払, or the service's 代引 code (2)
    7 書留・特定記録 (blank), 8 時間帯指定 (00 none, 51 午前中, 52 12–14 …), 9 送り状種別
    10 お届け先コード, 11 お届け先郵便番号 NNN-NNNN, 12–14 お届け先住所1–3 (50 bytes each:
    the address, the building), 15 お届け先名称 (50 bytes), 16 敬称 様, 17 お届け先電話番号
    18 お届け予定日 yyyymmdd, 19 品名 (50 bytes, shortened to fit)
    20 代引金額 = orders.total, 21 代引消費税 = tax_10 + tax_8 (代引 only)
    22 ご依頼主郵便番号, 23–24 ご依頼主住所1–2, 25 ご依頼主名称, 26 ご依頼主電話番号
"""

from oms.services.carrier_files import common as c

HEADER = [
    "お客様側管理番号", "発送予定日", "発送予定時間区分", "郵便種別", "保冷種別", "元着払代引",
    "書留特定記録", "時間帯指定", "送り状種別", "お届け先コード", "お届け先郵便番号",
    "お届け先住所1", "お届け先住所2", "お届け先住所3", "お届け先名称", "お届け先敬称",
    "お届け先電話番号", "お届け予定日", "品名", "代引金額", "代引消費税", "ご依頼主郵便番号",
    "ご依頼主住所1", "ご依頼主住所2", "ご依頼主名称", "ご依頼主電話番号",
]
# The ゆうプリR item each column is mapped to in the フィルタ.
FILTER_ITEMS = [
    "お客様側管理番号", "発送予定日", "発送予定時間区分", "郵便種別", "保冷種別",
    "元/着払/代引", "書留/特定記録", "配達指定時間帯", "送り状種別", "お届け先 コード",
    "お届け先 郵便番号", "お届け先 住所1", "お届け先 住所2", "お届け先 住所3",
    "お届け先 名称", "お届け先 敬称", "お届け先 電話番号", "配達希望日", "品名",
    "代引金額", "代引消費税", "ご依頼主 郵便番号", "ご依頼主 住所1", "ご依頼主 住所2",
    "ご依頼主 名称", "ご依頼主 電話番号",
]
FIELD = 50
DATE = "%Y%m%d"


def cells(p: c.Parcel, s: c.Settings) -> list[c.Cell]:
    sender = p.sender
    return [
        p.order_number, s.ship_date.strftime(DATE), "", s.slip_code, "0",
        s.cod_slip_code if p.cod else "0", "", s.slots.get(p.slot or "", "00"), "", "",
        p.postcode, c.Text(p.address, c.RECIPIENT_ADDRESS, FIELD, required=True),
        c.Text(p.building, c.RECIPIENT_BUILDING, FIELD), "",
        c.Text(p.name, c.RECIPIENT_NAME, FIELD, required=True), "様",
        c.Text(p.phone, c.RECIPIENT_PHONE, 15, required=True),
        p.delivery_date.strftime(DATE) if p.delivery_date else "",
        c.Text(c.cut(p.product, FIELD), c.PRODUCT), p.total if p.cod else "",
        p.tax if p.cod else "", sender.sender_postcode,
        c.Text(sender.sender_address1, c.SENDER_ADDRESS, FIELD),
        c.Text(sender.sender_address2, c.SENDER_BUILDING, FIELD),
        c.Text(sender.sender_name, c.SENDER_NAME, FIELD), sender.sender_phone,
    ]


def filter_file() -> list[list[str]]:
    """The フィルタ description: column, this file's header, the ゆうプリR item."""
    return [["列", "CSV項目", "ゆうプリR項目"],
            *([str(n), name, item] for n, (name, item)
              in enumerate(zip(HEADER, FILTER_ITEMS, strict=True), start=1))]
