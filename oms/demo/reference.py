"""The shop's configuration and catalogue: malls, payment methods, the lists orders pick from."""

import itertools
import random
from dataclasses import dataclass

from oms.models import AccountType, DateStamp, MallKind, OrderStatus, PaymentKind

M, P, S = MallKind, PaymentKind, OrderStatus

# code, name, kind, auto_confirm, share of orders. Qoo10 confirms by itself (seed 000).
SHOPS = (
    ("rakuten", "楽天市場店", M.rakuten, False, 35),
    ("amazon", "Amazon店", M.amazon, False, 30),
    ("yahoo", "Yahoo!ショッピング店", M.yahoo, False, 15),
    ("own", "公式オンラインストア", M.own, False, 12),
    ("qoo10", "Qoo10店", M.qoo10, True, 8),
)

# code, name, kind, fee (yen, tax included)
PAYMENT_METHODS = (
    ("card", "クレジットカード", P.card, 0),
    ("cod", "代金引換", P.cod, 330),
    ("bank", "銀行振込(前払い)", P.prepaid_bank, 0),
    ("konbini", "コンビニ決済(前払い)", P.prepaid_konbini, 220),
    ("np", "NP後払い", P.deferred_np, 209),
    ("gmo", "GMO後払い", P.deferred_gmo, 250),
    ("zero", "0円決済", P.zero_yen, 0),
    ("points", "ポイント払い", P.points, 0),
)

# 銀行振込の口座設定: bank, branch, type, number, holder (the account number is the key).
BANK_ACCOUNTS = (
    ("三井住友銀行", "渋谷支店", AccountType.ordinary, "1234567", "カ）オーエムエスショウジ"),
    ("ゆうちょ銀行", "〇一八支店", AccountType.ordinary, "7654321", "カ）オーエムエスショウジ"),
)

# Which methods each mall offers and how often buyers choose them. Deferred payment and
# zero-yen samples are contracts of our own shop; the malls settle those themselves.
PAYMENT_MIX = {
    M.amazon: {P.card: 82, P.cod: 7, P.prepaid_konbini: 6, P.points: 5},
    M.rakuten: {P.card: 66, P.cod: 8, P.prepaid_bank: 6, P.prepaid_konbini: 8, P.points: 12},
    M.yahoo: {P.card: 64, P.cod: 7, P.prepaid_bank: 5, P.prepaid_konbini: 9, P.points: 15},
    M.qoo10: {P.card: 78, P.prepaid_konbini: 14, P.points: 8},
    M.own: {P.card: 44, P.cod: 12, P.prepaid_bank: 6, P.prepaid_konbini: 6, P.deferred_np: 15,
            P.deferred_gmo: 10, P.zero_yen: 4, P.points: 3},
}

PREPAID = frozenset({P.prepaid_bank, P.prepaid_konbini})
DEFERRED = frozenset({P.deferred_np, P.deferred_gmo})

# The payment kinds an order can have while in a status, where that is restricted.
STATUS_PAYMENTS = {
    S.pending_review: frozenset({P.card, *DEFERRED}),
    S.awaiting_payment: PREPAID,
    S.awaiting_deferred_payment: DEFERRED,
}

# name, date it stamps (seed 002), position
HANDLING_STATUSES = (
    ("未対応", DateStamp.none),
    ("対応中", DateStamp.none),
    ("発送完了", DateStamp.shipped),
    ("配送完了", DateStamp.delivered),
    ("保留中", DateStamp.none),
)

ADDRESS_PROBLEM = "住所不備"
CREDIT_NG = "与信NG"
OUT_OF_STOCK = "在庫不足"
BUNDLE_CHECK = "同梱確認"
REMARKS_CHECK = "備考確認"
UNLINKED = "商品未連携"
ATTENTION_REASONS = (ADDRESS_PROBLEM, CREDIT_NG, OUT_OF_STOCK, BUNDLE_CHECK, REMARKS_CHECK,
                     UNLINKED)

# The gift wrapping (ラッピング管理): its fee excludes tax, added at 10%.
WRAPPING, WRAPPING_FEE = "ギフトラッピング", 300

BUNDLE, GIFT, PREORDER, CHECK, REPEATER = "同梱", "ギフト", "予約", "要確認", "リピーター"
TAGS = ((BUNDLE, "blue"), (GIFT, "pink"), (PREORDER, "purple"), (CHECK, "red"),
        (REPEATER, "green"))

# Carrier code (配送業者管理's defaults, oms.services.carriers.DEFAULTS) and share of the
# domestic orders; their services and time slots come from the same defaults.
# International orders go by 日本郵便 with no service chosen (EMS is not among them).
CARRIER_SHARES = (("yamato", 55), ("sagawa", 30), ("japanpost", 15))

LINK_ERROR = "商品コードが見つかりません"

# prefecture, first three postcode digits (low, high), share of buyers (roughly population)
PREFECTURES = (
    ("北海道", 40, 99, 4), ("青森県", 30, 39, 1), ("岩手県", 20, 29, 1), ("宮城県", 980, 989, 2),
    ("秋田県", 10, 19, 1), ("山形県", 990, 999, 1), ("福島県", 960, 979, 1),
    ("茨城県", 300, 319, 2), ("栃木県", 320, 329, 2), ("群馬県", 370, 379, 2),
    ("埼玉県", 330, 369, 6), ("千葉県", 260, 299, 5), ("東京都", 100, 208, 11),
    ("神奈川県", 210, 259, 7), ("新潟県", 940, 959, 2), ("富山県", 930, 939, 1),
    ("石川県", 920, 929, 1), ("福井県", 910, 919, 1), ("山梨県", 400, 409, 1),
    ("長野県", 380, 399, 2), ("岐阜県", 500, 509, 2), ("静岡県", 410, 439, 3),
    ("愛知県", 440, 499, 6), ("三重県", 510, 519, 1), ("滋賀県", 520, 529, 1),
    ("京都府", 600, 629, 2), ("大阪府", 530, 599, 7), ("兵庫県", 650, 679, 4),
    ("奈良県", 630, 639, 1), ("和歌山県", 640, 649, 1), ("鳥取県", 680, 689, 1),
    ("島根県", 690, 699, 1), ("岡山県", 700, 719, 2), ("広島県", 720, 739, 2),
    ("山口県", 740, 759, 1), ("徳島県", 770, 779, 1), ("香川県", 760, 769, 1),
    ("愛媛県", 790, 799, 1), ("高知県", 780, 789, 1), ("福岡県", 800, 839, 4),
    ("佐賀県", 840, 849, 1), ("長崎県", 850, 859, 1), ("熊本県", 860, 869, 1),
    ("大分県", 870, 879, 1), ("宮崎県", 880, 889, 1), ("鹿児島県", 890, 899, 1),
    ("沖縄県", 900, 909, 1),
)
REMOTE_PREFECTURES = frozenset({"北海道", "沖縄県"})

# country, a few street addresses: a small share of the own shop's buyers live abroad.
ABROAD = (
    ("TW", "No. 45, Sec. 1, Zhongxiao E. Rd., Zhongzheng Dist., Taipei City", "100"),
    ("HK", "Flat 12B, 88 Nathan Road, Tsim Sha Tsui, Kowloon", None),
    ("US", "1200 Pine Street, Apt 4, Seattle, WA", "98101"),
    ("SG", "21 Orchard Boulevard, #08-03", "248645"),
    ("KR", "15 Teheran-ro 4-gil, Gangnam-gu, Seoul", "06232"),
    ("AU", "42 George Street, Sydney NSW", "2000"),
)

NOSHI = ("御祝", "内祝", "御礼", "御中元", "御歳暮", "粗品")
CUSTOMER_COMMENTS = (
    "不在の場合は宅配ボックスに入れてください。",
    "できるだけ早く届けていただけると助かります。",
    "のしは不要です。",
    "領収書を同梱してください。宛名は会社名でお願いします。",
    "前回の注文と同梱できますか。",
    "置き配を希望します。",
)
REMARKS = (
    "お客様より電話あり：配達日を変更希望。",
    "住所の番地が不足。メールで確認中。",
    "同梱依頼あり。前回注文と合わせて発送。",
    "ギフト用。金額のわかるものは同梱しない。",
    "初回購入。サンプル同梱。",
)
BLACKLIST_REASONS = ("受取拒否 3回", "後払い未入金", "いたずら注文", "転売目的の大量注文")
CANDIDATE_REASONS = ("受取拒否 1回", "住所不備が続く", "短期間に同一住所から複数名義")


@dataclass(frozen=True, slots=True)
class SkuSpec:
    code: str
    name: str
    option: str | None  # how the malls that sell variations as options name this one
    price: int  # yen, tax excluded
    tax_rate: int


# code, name, price, food?, variation axes (each: label, ((code, name, price delta), ...))
_SIZES = ("サイズ", (("S", "S", 0), ("M", "M", 0), ("L", "L", 0), ("XL", "XL", 200)))
_COLORS = ("カラー", (("WH", "ホワイト", 0), ("BK", "ブラック", 0), ("NV", "ネイビー", 0),
                      ("GY", "グレー", 0), ("BE", "ベージュ", 0)))
_CAPACITY = ("容量", (("350", "350ml", 0), ("500", "500ml", 300), ("750", "750ml", 600)))
_WEIGHT = ("内容量", (("100", "100g", 0), ("200", "200g", 500), ("500", "500g", 1400)))
_BEANS = ("焙煎", (("L", "浅煎り", 0), ("M", "中煎り", 0), ("D", "深煎り", 0)))
_GRIND = ("挽き", (("B", "豆のまま", 0), ("G", "中挽き", 0)))
_PACK = ("入数", (("1", "1個", 0), ("3", "3個セット", 1800), ("6", "6個セット", 3900)))
_RICE = ("内容量", (("2", "2kg", 0), ("5", "5kg", 1700), ("10", "10kg", 4200)))
_PHONES = ("対応機種", (("15", "iPhone 15", 0), ("15P", "iPhone 15 Pro", 0),
                        ("16", "iPhone 16", 0), ("16P", "iPhone 16 Pro", 0),
                        ("PX8", "Pixel 8", 0), ("SO", "Xperia 10 V", 0)))
_SCENTS = ("香り", (("YZ", "ゆず", 0), ("HN", "ひのき", 0), ("LV", "ラベンダー", 0),
                    ("WT", "ホワイトティー", 0)))
_FLAVORS = ("味", (("PL", "プレーン", 0), ("MT", "抹茶", 100), ("ST", "いちご", 100),
                   ("YZ", "ゆず", 100)))

_CATALOGUE = (
    ("TEE", "オーガニックコットン Tシャツ", 2900, False, (_SIZES, _COLORS)),
    ("LTEE", "ロングスリーブ Tシャツ", 3900, False, (_SIZES, _COLORS)),
    ("HOOD", "スウェットパーカー", 6900, False, (_SIZES, _COLORS)),
    ("SOX", "綿混ソックス 3足組", 1200, False, (_SIZES, _COLORS)),
    ("APRON", "デニムエプロン", 3400, False, (_COLORS,)),
    ("SHIRT", "リネン シャツ", 7900, False, (_SIZES, _COLORS)),
    ("PANTS", "ワイドパンツ", 5900, False, (_SIZES, _COLORS)),
    ("TOTE", "キャンバス トートバッグ", 2600, False, (_SIZES, _COLORS)),
    ("CANDLE", "アロマキャンドル", 1800, False, (_SCENTS, _PACK)),
    ("DIFF", "リードディフューザー", 2400, False, (_SCENTS, _CAPACITY)),
    ("FTWL", "今治タオル フェイスタオル", 1100, False, (_COLORS, _PACK)),
    ("BTWL", "今治タオル バスタオル", 2800, False, (_COLORS, _PACK)),
    ("TENUG", "注染 手ぬぐい", 1300, False, (_COLORS,)),
    ("BOTTLE", "真空断熱ステンレスボトル", 2300, False, (_CAPACITY, _COLORS)),
    ("TUMB", "保冷保温タンブラー", 1900, False, (_CAPACITY, _COLORS)),
    ("MUG", "波佐見焼 マグカップ", 1800, False, (_COLORS, _PACK)),
    ("BENTO", "曲げわっぱ 弁当箱", 4800, False, (_PACK,)),
    ("ECOBAG", "折りたたみエコバッグ", 1500, False, (_COLORS,)),
    ("CASE", "手帳型スマホケース", 2480, False, (_PHONES, _COLORS)),
    ("CABLE", "USB-C 充電ケーブル 1m", 990, False, (_COLORS, _PACK)),
    ("UMB", "晴雨兼用 折りたたみ傘", 3200, False, (_COLORS,)),
    ("SOAP", "無添加 石けん", 600, False, (_PACK,)),
    ("SHAMP", "アミノ酸シャンプー", 1980, False, (_CAPACITY, _PACK)),
    ("HCRM", "ハンドクリーム ゆず", 880, False, (_PACK,)),
    ("BATH", "薬用入浴剤", 700, False, (_PACK,)),
    ("PEN", "ゲルインクボールペン 0.5", 220, False, (_COLORS, _PACK)),
    ("NOTE", "方眼ノート A5", 380, False, (_COLORS, _PACK)),
    ("SENCHA", "静岡 深蒸し煎茶", 1080, True, (_WEIGHT,)),
    ("HOJI", "京都 ほうじ茶", 860, True, (_WEIGHT,)),
    ("MATCHA", "宇治抹茶 パウダー", 1480, True, (_WEIGHT,)),
    ("COFFEE", "スペシャルティコーヒー", 1200, True, (_BEANS, _GRIND, _WEIGHT)),
    ("DRIP", "ドリップバッグコーヒー 10袋", 1100, True, (_BEANS, _PACK)),
    ("TEA", "和紅茶 ティーバッグ", 860, True, (_FLAVORS, _PACK)),
    ("GRANOLA", "国産素材のグラノーラ", 780, True, (_WEIGHT, _PACK)),
    ("JELLY", "果実ゼリー", 480, True, (_FLAVORS, _PACK)),
    ("OLIVE", "小豆島 オリーブオイル", 1800, True, (_CAPACITY, _PACK)),
    ("IMO", "茨城 紅はるか 干し芋", 800, True, (_WEIGHT, _PACK)),
    ("FURI", "国産 ふりかけ", 350, True, (_FLAVORS, _PACK)),
    ("HONEY", "国産 百花はちみつ", 1680, True, (_WEIGHT,)),
    ("RICE", "新潟県産 コシヒカリ", 1900, True, (_RICE,)),
    ("MISO", "信州 米みそ", 780, True, (_WEIGHT, _PACK)),
    ("SHOYU", "木桶仕込み 醤油", 680, True, (_CAPACITY, _PACK)),
    ("DASHI", "かつお昆布 だしパック", 980, True, (_PACK,)),
    ("CURRY", "国産牛 レトルトカレー", 540, True, (_PACK,)),
    ("RAMEN", "札幌 味噌ラーメン 2食入", 720, True, (_PACK,)),
    ("UME", "紀州南高梅 はちみつ梅", 1580, True, (_WEIGHT,)),
    ("NORI", "有明海産 焼のり", 880, True, (_PACK,)),
    ("CHOCO", "生チョコレート", 1400, True, (_PACK,)),
    ("COOKIE", "バタークッキー 詰め合わせ", 1600, True, (_PACK,)),
    ("DORA", "どら焼き 5個入", 1200, True, (_PACK,)),
    ("JAM", "瀬戸内レモンジャム", 720, True, (_PACK,)),
    ("NUTS", "素焼きミックスナッツ", 990, True, (_WEIGHT,)),
    ("FRUIT", "ドライマンゴー", 650, True, (_WEIGHT, _PACK)),
)


def catalogue() -> list[SkuSpec]:
    """Every variation of every product: about 500 SKUs, food at the reduced 8% rate."""
    skus = []
    for code, name, price, food, axes in _CATALOGUE:
        for combo in itertools.product(*(values for _, values in axes)):
            option = " ".join(f"{label}:{value[1]}" for (label, _), value in zip(axes, combo,
                                                                                    strict=True))
            skus.append(SkuSpec(
                code="-".join((code, *(value[0] for value in combo))),
                name=" ".join((name, *(value[1] for value in combo))),
                option=option,
                price=price + sum(value[2] for value in combo),
                tax_rate=8 if food else 10,
            ))
    return skus


def mall_codes(rng: random.Random, sku_codes: list[str]) -> dict[MallKind, list[str]]:
    """Each mall's own product code for every SKU, shaped as that mall shapes them."""
    letters = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"
    qoo10 = rng.sample(range(100_000_000, 999_999_999), len(sku_codes))
    return {
        M.amazon: ["B0" + "".join(rng.choices(letters, k=8)) for _ in sku_codes],
        M.rakuten: [code.lower() for code in sku_codes],
        M.yahoo: [code.lower().replace("-", "") for code in sku_codes],
        M.qoo10: [str(number) for number in qoo10],
        M.own: list(sku_codes),
    }
