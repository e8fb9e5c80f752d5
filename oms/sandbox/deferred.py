"""The sandbox's NP後払い / GMO後払い "admin" (SCOPE P4 Sandbox): the operator uploads a
取引登録 CSV and downloads the 与信結果 CSV, uploads a 配送伝票 CSV and downloads the
出荷報告結果 CSV. Over HTTP: `POST /<np|gmo>/admin/transactions` and
`POST /<np|gmo>/admin/shipments` with the CSV as the body; the answer is the result CSV
(CP932, CRLF), with the columns of FORMATS §7/§8 as oms.services.deferred_files names them.

The verdicts are scripted by markers, so tests and the demo choose them:

与信 (the buyer's name, customer_name / fullName, and billed_amount):
* a name containing 「保留」 → NP 10 / GMO 保留, hold reason RE009 (住所確認);
* a name containing 「審査」 → NP 40 / GMO 審査中;
* a name containing NG and three digits (「NG001」) → NP 20 / GMO NG with that reason;
* a name containing 「与信NG」 → NP 20 / GMO NG, reason NG999 (re-authorisable, seed 004);
* billed_amount over 55,000 yen (NP's limit) → NP 20 / GMO NG, reason NG002;
* otherwise NP 00 / GMO OK.
Registering an order again while its transaction is not NG replays that transaction; after
NG it is a new transaction (再与信) judged again.

出荷報告 (per transaction id): NG when the id is unknown, its credit is not approved, the
carrier code is empty (NP: not 5 digits) or the slip number is not digits; and the first
report of a transaction whose buyer name contains 「出荷NG」 is NG (伝票番号が確認できません),
later ones OK. Otherwise OK.
"""

import csv
import io
import re

from werkzeug.wrappers import Request, Response

from oms.sandbox.store import SandboxError, Store

_SCHEMA = """
CREATE TABLE IF NOT EXISTS deferred_transactions (
    id INTEGER PRIMARY KEY, gateway TEXT NOT NULL, shop_id TEXT NOT NULL, name TEXT NOT NULL,
    amount INTEGER NOT NULL, code TEXT NOT NULL, reason TEXT NOT NULL,
    ship_reports INTEGER NOT NULL DEFAULT 0, ship_ng INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS deferred_shop ON deferred_transactions (gateway, shop_id);
"""
NP_LIMIT = 55_000
# Column names per provider: (register key, name, amount), (result columns),
# (ship id, carrier code, slip), (ship result columns).
COLUMNS = {
    "np": {"register": ("shop_transaction_id", "customer_name", "billed_amount"),
           "result": ("shop_transaction_id", "np_transaction_id", "authori_result",
                      "authori_ng", "authori_hold"),
           "ship": ("np_transaction_id", "pd_company_code", "slip_no"),
           "ship_result": ("np_transaction_id", "result", "message")},
    "gmo": {"register": ("shopTransactionId", "fullName", "billedAmount"),
            "result": ("shopTransactionId", "gmoTransactionId", "authorResult", "reason"),
            "ship": ("gmoTransactionId", "pdcompanycode", "slipno"),
            "ship_result": ("gmoTransactionId", "result", "message")},
}
CODES = {"np": {"ok": "00", "hold": "10", "ng": "20", "review": "40"},
         "gmo": {"ok": "OK", "hold": "保留", "ng": "NG", "review": "審査中"}}
_NG_CODE = re.compile(r"NG\d{3}")


def _verdict(name: str, amount: int) -> tuple[str, str]:
    if "保留" in name:
        return "hold", "RE009"
    if "審査" in name:
        return "review", ""
    if found := _NG_CODE.search(name):
        return "ng", found.group()
    if "与信NG" in name:
        return "ng", "NG999"
    if amount > NP_LIMIT:
        return "ng", "NG002"
    return "ok", ""


class DeferredAdmin:
    def __init__(self, store: Store):
        self.store = store
        store.db.executescript(_SCHEMA)

    def handle(self, request: Request, gateway: str, action: str) -> Response:
        rows = _read(request.get_data())
        with self.store.lock:
            if action == "transactions":
                out = self._register(gateway, rows)
            else:
                out = self._ship(gateway, rows)
        return _csv(out)

    def _register(self, gateway: str, rows: list[dict[str, str]]) -> list[list[str]]:
        key, name_col, amount_col = COLUMNS[gateway]["register"]
        out = [list(COLUMNS[gateway]["result"])]
        seen = set()
        for row in rows:  # one row per goods line: the first of a transaction counts
            shop_id = row.get(key, "")
            if not shop_id or shop_id in seen:
                continue
            seen.add(shop_id)
            try:
                amount = int(row.get(amount_col) or 0)
            except ValueError as error:
                raise SandboxError(f"{amount_col} of {shop_id} is not a number") from error
            tx_id, verdict, reason = self._transaction(gateway, shop_id,
                                                       row.get(name_col, ""), amount)
            code = CODES[gateway][verdict]
            if gateway == "np":
                out.append([shop_id, tx_id, code, reason if verdict == "ng" else "",
                            reason if verdict == "hold" else ""])
            else:
                out.append([shop_id, tx_id, code, reason])
        return out

    def _transaction(self, gateway: str, shop_id: str, name: str, amount: int
                     ) -> tuple[str, str, str]:
        db = self.store.db
        last = db.execute("SELECT id, code, reason FROM deferred_transactions WHERE gateway=? "
                          "AND shop_id=? ORDER BY id DESC LIMIT 1", (gateway, shop_id)).fetchone()
        if last is not None and last[1] != "ng":
            return _tx_id(gateway, last[0]), last[1], last[2]
        verdict, reason = _verdict(name, amount)
        cursor = db.execute("INSERT INTO deferred_transactions (gateway, shop_id, name, amount, "
                            "code, reason) VALUES (?, ?, ?, ?, ?, ?)",
                            (gateway, shop_id, name, amount, verdict, reason))
        return _tx_id(gateway, cursor.lastrowid), verdict, reason

    def _ship(self, gateway: str, rows: list[dict[str, str]]) -> list[list[str]]:
        id_col, code_col, slip_col = COLUMNS[gateway]["ship"]
        out = [list(COLUMNS[gateway]["ship_result"])]
        for row in rows:
            tx_id = row.get(id_col, "")
            message = self._ship_one(gateway, tx_id, row.get(code_col, ""),
                                     row.get(slip_col, ""))
            out.append([tx_id, "NG" if message else "OK", message])
        return out

    def _ship_one(self, gateway: str, tx_id: str, company: str, slip: str) -> str:
        db = self.store.db
        row = db.execute("SELECT id, name, code, ship_ng FROM deferred_transactions "
                         "WHERE id=? AND gateway=?", (_row_id(gateway, tx_id), gateway)
                         ).fetchone()
        if row is None:
            return "取引が存在しません"
        if row[2] != "ok":
            return "与信が完了していません"
        if not company or (gateway == "np" and not re.fullmatch(r"\d{5}", company)):
            return "配送会社コードが不正です"
        if not (slip.isascii() and slip.isdigit()):
            return "伝票番号が不正です"
        db.execute("UPDATE deferred_transactions SET ship_reports = ship_reports + 1 "
                   "WHERE id=?", (row[0],))
        if "出荷NG" in row[1] and not row[3]:
            db.execute("UPDATE deferred_transactions SET ship_ng = 1 WHERE id=?", (row[0],))
            return "伝票番号が確認できません"
        return ""


def _tx_id(gateway: str, row_id: int) -> str:
    # NP's np_transaction_id has 11 characters (FORMATS §7).
    return f"{row_id + 19_000_000_000}" if gateway == "np" else f"GMO{row_id:010d}"


def _row_id(gateway: str, tx_id: str) -> int:
    try:
        return int(tx_id) - 19_000_000_000 if gateway == "np" else int(tx_id.removeprefix("GMO"))
    except ValueError:
        return 0


def _read(data: bytes) -> list[dict[str, str]]:
    for encoding in ("utf-8-sig", "cp932"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise SandboxError("the file is neither UTF-8 nor CP932")
    return list(csv.DictReader(io.StringIO(text)))


def _csv(rows: list[list[str]]) -> Response:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return Response(out.getvalue().encode("cp932"), mimetype="text/csv")
