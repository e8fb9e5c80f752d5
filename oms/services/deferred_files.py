"""The files exchanged with NP後払い and GMO後払い (FORMATS §7, §8; seed 001 §1, §5).

NP's CSV headers are partner-only, so every file is modelled on the providers' API fields
(FORMATS §7 "model them on the API fields"): one row per goods line for 取引登録 (the
transaction's columns repeated on each), one row per transaction for the others. Files
are CP932 with CRLF, the Japanese norm; a name outside CP932 refuses the order rather than
sending a substitute character to the provider.

Goods lines (G7): the order's lines at their unit price, then 消費税 per rate, 値引き and
ポイント利用 as negative lines, 送料, 決済手数料, ラッピング and 調整額 as lines of their own.
They must add up to billed_amount (the order's total), or the order is refused.
"""

import csv
import io
import unicodedata
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from oms.csvfiles import UploadError, header_key, read_rows, read_upload, to_cp932
from oms.models import DeferredFile, DeferredResult, Gateway, LineStatus, Order

NP_SETTLEMENT_TYPE = "02"  # 請求書別送
GMO_PAYMENT_TYPE = "2"  # 別送


@dataclass(frozen=True)
class Layout:
    """One provider's pair of files for one exchange: what we write, what comes back."""

    gateway: Gateway
    file: DeferredFile
    header: tuple[str, ...]
    # order key, provider ref, result, then the reasons or message
    result_header: tuple[str, ...]

    @property
    def name(self) -> str:
        return f"{self.gateway.value}-{self.file.value}"


NP, GMO = Gateway.np, Gateway.gmo
LAYOUTS = {(layout.gateway, layout.file): layout for layout in (
    Layout(NP, DeferredFile.credit, (
        "shop_transaction_id", "shop_order_date", "settlement_type", "billed_amount",
        "customer_name", "customer_name_kana", "zip_code", "address", "tel", "email",
        "dest_customer_name", "dest_customer_name_kana", "dest_zip_code", "dest_address",
        "dest_tel", "goods_name", "goods_price", "quantity"),
        ("shop_transaction_id", "np_transaction_id", "authori_result", "authori_ng",
         "authori_hold")),
    Layout(GMO, DeferredFile.credit, (
        "shopTransactionId", "shopOrderDate", "paymentType", "billedAmount", "fullName",
        "fullKanaName", "zipCode", "address", "tel1", "email1", "deliveryFullName",
        "deliveryFullKanaName", "deliveryZipCode", "deliveryAddress", "deliveryTel",
        "detailName", "detailPrice", "detailQuantity"),
        ("shopTransactionId", "gmoTransactionId", "authorResult", "reason")),
    Layout(NP, DeferredFile.ship, ("np_transaction_id", "pd_company_code", "slip_no"),
           ("np_transaction_id", "np_transaction_id", "result", "message")),
    Layout(GMO, DeferredFile.ship,
           ("gmoTransactionId", "pdcompanycode", "slipno", "invoiceIssueDate"),
           ("gmoTransactionId", "gmoTransactionId", "result", "message")),
)}

# 与信結果 codes → our verdict (NP 00/10/20/40, GMO OK/保留/NG/審査中).
CREDIT_CODES = {
    NP: {"00": DeferredResult.ok, "10": DeferredResult.hold, "20": DeferredResult.ng,
         "40": DeferredResult.review},
    GMO: {"OK": DeferredResult.ok, "保留": DeferredResult.hold, "NG": DeferredResult.ng,
          "審査中": DeferredResult.review},
}
SHIP_CODES = {"OK": True, "NG": False}


@dataclass(frozen=True)
class Goods:
    name: str
    price: int
    quantity: int


def goods(order: Order) -> list[Goods]:
    """The goods lines of 取引登録 (see the module's docstring)."""
    items = [Goods(line.product_name, line.unit_price, line.quantity)
             for line in order.lines if line.status is not LineStatus.cancelled]
    # The provider prints these on the buyer's invoice: Japanese whatever the screen's language.
    for name, amount in (("消費税10%", order.tax_10), ("消費税8%", order.tax_8),
                         ("値引き", -order.discount), ("ポイント利用", -order.points_used),
                         ("送料", order.shipping_fee), ("決済手数料", order.payment_fee),
                         ("ギフトラッピング", order.wrapping_fee), ("調整額", order.adjustment)):
        if amount:
            items.append(Goods(name, amount, 1))
    return items


def credit_rows(layout: Layout, order: Order, items: list[Goods]) -> list[list]:
    """The 取引登録 rows of one order (one per goods line)."""
    buyer_address = " ".join(filter(None, (order.buyer_prefecture, order.buyer_address1,
                                           order.buyer_address2)))
    ship_address = " ".join(filter(None, (order.ship_prefecture, order.ship_address1,
                                          order.ship_address2)))
    head = [order.order_number, f"{order.ordered_at:%Y-%m-%d}",
            NP_SETTLEMENT_TYPE if layout.gateway is NP else GMO_PAYMENT_TYPE, order.total,
            order.buyer_name, order.buyer_kana, postcode(order.buyer_postcode), buyer_address,
            order.buyer_phone, order.buyer_email, order.ship_name, order.ship_kana,
            postcode(order.ship_postcode), ship_address, order.ship_phone]
    return [[*head, item.name, item.price, item.quantity] for item in items]


def postcode(value: str | None) -> str:
    # ASCII digits only: NFKC turns full-width ones into them; other scripts' digits stay out.
    digits = "".join(ch for ch in unicodedata.normalize("NFKC", value or "")
                     if ch.isascii() and ch.isdigit())
    return f"{digits[:3]}-{digits[3:]}" if len(digits) == 7 else digits


def encoded(rows: list[list]) -> tuple[str | None, list[str]]:
    """The rows as CP932 CSV text, or None with the characters CP932 lacks (the text is
    converted once, not cell by cell: most orders have nothing to convert)."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(
        ["" if value is None else value for value in row] for row in rows)
    text, replaced = to_cp932(out.getvalue())
    if replaced:
        return None, [ch for ch in dict.fromkeys(out.getvalue()) if to_cp932(ch)[1]]
    return text, []


def header_line(layout: Layout) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow(layout.header)
    return out.getvalue()


@dataclass(frozen=True)
class ResultLine:
    """One row of a result file: its key (注文番号 or the provider's id), the provider's
    id, the code, and the reason or message; or the problem with the row."""

    line: int
    key: str = ""
    ref: str = ""
    code: str = ""
    reason: str = ""
    problem: str | None = None


def read_results(data: bytes, layout: Layout) -> list[ResultLine]:
    """The rows of a 与信結果 / 出荷報告結果 file. The header row is required (the columns
    are found by name). Raises UploadError for a file that cannot be read at all."""
    text, _encoding = read_upload(data)
    lines = read_rows(text)
    header = next(lines, None)
    if header is None or header.problem:
        raise UploadError(str(_l("The file is empty.")))
    keys = [header_key(cell) for cell in header.cells]
    names = [header_key(name) for name in layout.result_header]
    if not all(name in keys for name in names):
        raise UploadError(str(_l(
            "This is not a %(file)s file: the header row must name %(columns)s.",
            file=FILE_NAMES[layout.gateway, layout.file][1],
            columns=", ".join(dict.fromkeys(layout.result_header)))))
    columns = [keys.index(name) for name in names]
    found = []
    for row in lines:
        if row.problem:
            found.append(ResultLine(row.line, problem=row.problem))
            continue
        if not any(cell.strip() for cell in row.cells):
            continue
        cells = [unicodedata.normalize("NFKC", row.cells[i]).strip() if i < len(row.cells)
                 else "" for i in columns]
        # NP answers the NG reason and the hold reasons in columns of their own.
        found.append(ResultLine(row.line, *cells[:3], " ".join(filter(None, cells[3:]))))
    return found


# (what we write, what comes back), as the screens name them.
FILE_NAMES = {
    (NP, DeferredFile.credit): (_l("NP transaction registration"), _l("NP credit result")),
    (GMO, DeferredFile.credit): (_l("GMO transaction registration"), _l("GMO credit result")),
    (NP, DeferredFile.ship): (_l("NP shipping slip"), _l("NP shipment report result")),
    (GMO, DeferredFile.ship): (_l("GMO shipping slip"), _l("GMO shipment report result")),
}
