"""Sagawa e飛伝II 便種対応版 標準パターン (FORMATS.md §5): CSV, CP932, CRLF, one header
row, then 42 columns per order.

    1 住所録コード (blank: no address book entry), 2 お届け先電話番号 (hyphenated),
    3 お届け先郵便番号 NNN-NNNN, 4–6 お届け先住所1–3 (16 full-width characters each: the
    address, then the building, cut where a field is full), 7–8 お届け先名称1–2 (16 each),
    9 お客様管理ナンバー = 注文番号 (echoed in the issue result), 10 お客様コード,
    11 部署・担当者, 12 荷送人電話番号, 13–18 ご依頼主 電話, 郵便番号, 住所1–2, 名称1–2,
    19 荷姿コード 001 (箱), 20–24 品名1–5 (品名1: the first line's product, 16),
    25 出荷個数 1, 26 便種(スピード): the service's code (000 飛脚宅配便),
    27 便種(商品) 001, 28 配達日 YYYYMMDD, 29 配達指定時間帯 (01, 12, 14, 16, 04 …),
    30 配達指定時間(時分), 31 代引金額 = orders.total, 32 消費税 = tax_10 + tax_8,
    33 決済種別 (1 all, 代引 only), 34–35 保険金額, 保険金額印字,
    36–38 指定シール1–3 (007 時間帯, 005 指定日), 39 営業店止め 0, 40 SRC区分,
    41 営業店コード, 42 元着区分 1 (元払)
"""

from dataclasses import replace

from oms.services.carrier_files import common as c

HEADER = [
    "住所録コード", "お届け先電話番号", "お届け先郵便番号", "お届け先住所1", "お届け先住所2",
    "お届け先住所3", "お届け先名称1", "お届け先名称2", "お客様管理ナンバー", "お客様コード",
    "部署・担当者", "荷送人電話番号", "ご依頼主電話番号", "ご依頼主郵便番号", "ご依頼主住所1",
    "ご依頼主住所2", "ご依頼主名称1", "ご依頼主名称2", "荷姿コード", "品名1", "品名2", "品名3",
    "品名4", "品名5", "出荷個数", "便種(スピード)", "便種(商品)", "配達日", "配達指定時間帯",
    "配達指定時間(時分)", "代引金額", "消費税", "決済種別", "保険金額", "保険金額印字",
    "指定シール1", "指定シール2", "指定シール3", "営業店止め", "SRC区分", "営業店コード",
    "元着区分",
]
FIELD = 32  # 16 full-width characters


def _padded(pieces: list[str], count: int) -> list[str] | None:
    return pieces + [""] * (count - len(pieces)) if len(pieces) <= count else None


def address_fields(address: str, building: str) -> list[str] | None:
    """住所1–3: the building starts a field of its own when that fits, else runs on;
    None when even that needs more than three fields."""
    own = _padded(c.split_width(address, FIELD) + c.split_width(building, FIELD), 3)
    return own or _padded(c.split_width(address + building, FIELD), 3)


def _texts(pieces: list[str] | None, whole: str, count: int, label) -> list[c.Cell]:
    """`count` checked fields; text that does not fit is refused as too long."""
    if pieces is None:
        return [c.Text(whole, label, FIELD * count), *[""] * (count - 1)]
    return [c.Text(piece, label, FIELD, required=n == 0) for n, piece in enumerate(pieces)]


def _optional(text: str, count: int, label) -> list[c.Cell]:
    """The sender's fields: checked like the recipient's, but none is required."""
    return [replace(cell, required=False) if isinstance(cell, c.Text) else cell
            for cell in _texts(_padded(c.split_width(text, FIELD), count), text, count, label)]


def cells(p: c.Parcel, s: c.Settings) -> list[c.Cell]:
    sender = p.sender
    sender_address = sender.sender_address1 + sender.sender_address2
    code = s.slots.get(p.slot or "", "")
    return [
        "", c.Text(p.phone, c.RECIPIENT_PHONE, 14, required=True), p.postcode,
        *_texts(address_fields(p.address, p.building), p.address + p.building, 3,
                c.RECIPIENT_ADDRESS),
        *_texts(_padded(c.split_width(p.name, FIELD), 2), p.name, 2, c.RECIPIENT_NAME),
        p.order_number, "", "", sender.sender_phone,
        sender.sender_phone, sender.sender_postcode,
        *_optional(sender_address, 2, c.SENDER_ADDRESS),
        *_optional(sender.sender_name, 2, c.SENDER_NAME),
        "001", c.Text(c.cut(p.product, FIELD), c.PRODUCT), "", "", "", "", 1,
        s.cod_slip_code if p.cod and s.cod_slip_code else s.slip_code, "001",
        p.delivery_date.strftime("%Y%m%d") if p.delivery_date else "", code, "",
        p.total if p.cod else "", p.tax if p.cod else "", "1" if p.cod else "", "", "",
        "007" if code else "", "005" if p.delivery_date else "", "", "0", "", "", "1",
    ]
