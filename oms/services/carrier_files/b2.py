"""Yamato B2クラウド 送り状発行データ (FORMATS.md §4, SCOPE P2): CSV, CP932, CRLF, one
header row, then one row of the 42 documented columns per order.

    1 お客様管理番号 = 注文番号 (B2 echoes it in its issued-data export, columns 1 + 4)
    2 送り状種類: the service's slip code (0 発払, 8 コンパクト …); 代引: its collect code (2)
    3 クール区分, 4 伝票番号 (blank: B2 fills it)
    5 出荷予定日 YYYY/MM/DD, 6 お届け予定日 YYYY/MM/DD, 7 配達時間帯 (0812 …)
    8 お届け先コード, 9 お届け先電話番号 (hyphenated), 10 枝番, 11 郵便番号 NNN-NNNN
    12 お届け先住所 (32 full-width), 13 アパートマンション名 (16), 14–15 会社・部門1/2
    16 お届け先名 (16), 17 略称カナ, 18 敬称 様
    19 ご依頼主コード, 20 電話, 21 枝番, 22 郵便番号, 23 住所 (32), 24 アパート (16),
    25 名 (16), 26 略称カナ
    27 品名コード1, 28 品名1 (25, shortened to fit), 29–33 品名コード2, 品名2, 荷扱い1/2, 記事
    34 コレクト代金引換額(税込) = orders.total, 35 内消費税額等 = tax_10 + tax_8 (コレクト only)
    36 止置き, 37 営業所コード, 38 発行枚数, 39 個数口表示フラグ
    40 請求先顧客コード, 41 請求先分類コード, 42 運賃管理番号 (the shop's settings)
"""

from oms.services.carrier_files import common as c

HEADER = [
    "お客様管理番号", "送り状種類", "クール区分", "伝票番号", "出荷予定日", "お届け予定日",
    "配達時間帯", "お届け先コード", "お届け先電話番号", "お届け先電話番号枝番",
    "お届け先郵便番号", "お届け先住所", "お届け先アパートマンション名", "お届け先会社・部門1",
    "お届け先会社・部門2", "お届け先名", "お届け先名(ｶﾅ)", "敬称", "ご依頼主コード",
    "ご依頼主電話番号", "ご依頼主電話番号枝番", "ご依頼主郵便番号", "ご依頼主住所",
    "ご依頼主アパートマンション", "ご依頼主名", "ご依頼主名(ｶﾅ)", "品名コード1", "品名1",
    "品名コード2", "品名2", "荷扱い1", "荷扱い2", "記事", "コレクト代金引換額（税込)",
    "内消費税額等", "止置き", "営業所コード", "発行枚数", "個数口表示フラグ", "請求先顧客コード",
    "請求先分類コード", "運賃管理番号",
]
DATE = "%Y/%m/%d"


def cells(p: c.Parcel, s: c.Settings) -> list[c.Cell]:
    sender = p.sender
    return [
        p.order_number, s.cod_slip_code if p.cod else s.slip_code, "", "",
        s.ship_date.strftime(DATE), p.delivery_date.strftime(DATE) if p.delivery_date else "",
        s.slots.get(p.slot or "", ""), "", c.Text(p.phone, c.RECIPIENT_PHONE, 15, required=True),
        "", p.postcode,
        c.Text(p.address, c.RECIPIENT_ADDRESS, 64, required=True),
        c.Text(p.building, c.RECIPIENT_BUILDING, 32), "", "",
        c.Text(p.name, c.RECIPIENT_NAME, 32, required=True), "", "様", "",
        sender.sender_phone, "", sender.sender_postcode,
        c.Text(sender.sender_address1, c.SENDER_ADDRESS, 64),
        c.Text(sender.sender_address2, c.SENDER_BUILDING, 32),
        c.Text(sender.sender_name, c.SENDER_NAME, 32), "", "",
        c.Text(c.cut(p.product, 50), c.PRODUCT), "", "", "", "", "",
        p.total if p.cod else "", p.tax if p.cod else "", "", "", "", "",
        sender.b2_billing_code, "", sender.b2_freight_no,
    ]
