"""The sandbox card gateway (SCOPE P4 "Sandbox"), served by the sandbox server next to the
malls, its state in the same SQLite file.

Two modes, the same endpoints under each prefix:

* `/gateway/...`: our card gateway; every answer is final.
* `/rakuten_card/...`: 楽天カード決済API, which answers later: authorize, reauthorize and
  capture answer `pending` and complete `async_seconds` later (the seed's 「最短30分程度」);
  `GET transactions/<id>` tells the final state.

Effects (JSON bodies; amounts are integer yen):

* `POST authorize` {token, amount, order_ref};
* `POST capture` {transaction_id, amount ≤ authorized} (once; the rest is released);
* `POST void` {transaction_id}: only an authorization not captured;
* `POST refund` {transaction_id, amount ≤ captured − refunded} (several allowed);
* `POST reauthorize` {transaction_id, token, amount}: authorizes anew (a new transaction) and,
  once that succeeds, voids the old authorization; a decline leaves the old one as it was.
  Refused for a captured transaction;
* `GET transactions/<id>`: the transaction and the outcome of its latest operation.

Merchants are API keys (`Authorization: Bearer <key>`): any key is a merchant of its own,
created on first use with `DEFAULTS`, so tests never see each other's state.

Idempotency, as Stripe's: every effect needs an `Idempotency-Key` header (400 without one).
The first answer produced by the operation, success or refusal, is saved and replayed exactly
(with `Idempotent-Replayed: true`) for the same key; the same key with other parameters or on
another endpoint is 422. Bad parameters (400), injected faults and a refusal because the
transaction is still pending (409 `pending`, transient) save nothing. Each key's operation
runs at most once; the control API counts operations and requests per key.

Answers: 200 with the transaction (`operation`, `result` succeeded / pending, `amount`);
402 for a declined card and 409 for an operation the transaction's state refuses, both with
{"error": {code, message}} (messages in Japanese, as a gateway for Japan answers) and the
transaction when there is one; 404 for an unknown transaction.

Test tokens (any other token starting with `tok_` is a good card; anything else is
`invalid_token`):

* `tok_ok`: authorized, fraud verdict OK;
* `tok_decline`: card_declined 「カードが承認されませんでした。」;
* `tok_insufficient`: insufficient_funds;
* `tok_timeout_after_commit`: authorized, then the first answer is lost: the server holds it
  for `timeout_seconds` (past the caller's timeout); a retry with the same key gets the replay;
* `tok_fraud_review`, `tok_fraud_hold`, `tok_fraud_ng`: authorized (the card company said yes)
  with the O-PLUX-like screening's verdict REVIEW, HOLD or NG and its reasons (seed 002);
  the merchant decides what to do with the order.

Authorizations expire `auth_valid_days` after they succeed (default 7; fractions allowed, so
a test can let one lapse): a capture after that is refused; reauthorize instead.

Control API (no authentication: loopback only), under `/_sandbox/gateway/<api key>`:

* `POST` {latency_ms, async_seconds, auth_valid_days, timeout_seconds}: settings;
* `POST .../faults` {"queue": [...]}: faults for the next calls, in order: `500`, `503`
  (nothing done), `timeout` (held `timeout_seconds`, nothing done), `timeout_after_commit`
  (done, then the answer held), `pass` (no fault: aims a fault at a later call);
* `GET .../effects`: per key {operation, effects, requests, status} and per operation the
  number of effects;
* `GET .../transactions/<id>`: the whole record, with the token and the operations' history;
* `POST .../adopt` [{id, token, amount, order_ref}]: authorizations the merchant already
  holds (the demo's history) become transactions of `/gateway/` under their ids, authorized
  whatever the token, so they can be captured, voided or replaced; ids known are skipped.
"""

import hashlib
import json
import secrets
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from oms.sandbox.dialect import iso_utc, json_response
from oms.sandbox.store import SandboxError, Store

MODES = ("gateway", "rakuten_card")
DEFAULTS: dict[str, float] = {
    "latency_ms": 20,  # every answer waits this long
    "async_seconds": 10,  # rakuten_card: how long authorize and capture stay pending
    "auth_valid_days": 7,  # an authorization lapses this long after it succeeds
    "timeout_seconds": 15,  # how long a lost answer keeps the caller waiting
}
FAULTS = ("pass", "500", "503", "timeout", "timeout_after_commit")
MAX_AMOUNT = 10**9  # more than any order; keeps the numbers sane
LOST_ANSWER = "tok_timeout_after_commit"
DECLINES = {
    "tok_decline": ("card_declined", "カードが承認されませんでした。"),
    "tok_insufficient": ("insufficient_funds",
                         "残高不足または利用限度額超過のため、カードが承認されませんでした。"),
}
FRAUD = {
    "tok_fraud_review": ("REVIEW", ("配送先住所が過去の不正注文と類似",
                                    "短時間に同一カードで複数回の注文")),
    "tok_fraud_hold": ("HOLD", ("注文者と配送先の氏名が不一致", "高額注文")),
    "tok_fraud_ng": ("NG", ("ネガティブリストの配送先住所と一致",
                            "不正利用の疑いがあるメールアドレス")),
}

_SCHEMA = """
CREATE TABLE IF NOT EXISTS gateway_merchants (
    api_key TEXT PRIMARY KEY, settings TEXT NOT NULL, faults TEXT NOT NULL DEFAULT '[]');
CREATE TABLE IF NOT EXISTS gateway_keys (
    api_key TEXT NOT NULL, key TEXT NOT NULL, operation TEXT NOT NULL, params TEXT NOT NULL,
    status INTEGER NOT NULL, body TEXT NOT NULL, requests INTEGER NOT NULL DEFAULT 1,
    created REAL NOT NULL, PRIMARY KEY (api_key, key));
CREATE TABLE IF NOT EXISTS gateway_transactions (
    id TEXT PRIMARY KEY, api_key TEXT NOT NULL, mode TEXT NOT NULL, doc TEXT NOT NULL);
"""


class Refusal(Exception):
    """The operation ran and said no: the answer is saved under the key like a success."""

    def __init__(self, status: int, code: str, message: str, tx: dict | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.tx = status, code, message, tx


def _rules() -> Map:
    rules = [Rule(f"/{mode}/{op}", endpoint=op, methods=["POST"], defaults={"mode": mode})
             for mode in MODES
             for op in ("authorize", "capture", "void", "refund", "reauthorize")]
    rules += [Rule(f"/{mode}/transactions/<tx_id>", endpoint="show", methods=["GET"],
                   defaults={"mode": mode}) for mode in MODES]
    control = "/_sandbox/gateway/<api_key>"
    rules += [Rule(control, endpoint="configure", methods=["POST"]),
              Rule(f"{control}/faults", endpoint="faults", methods=["POST"]),
              Rule(f"{control}/effects", endpoint="effects", methods=["GET"]),
              Rule(f"{control}/adopt", endpoint="adopt", methods=["POST"]),
              Rule(f"{control}/transactions/<tx_id>", endpoint="record", methods=["GET"])]
    return Map(rules)


class Gateway:
    """The gateway's WSGI app (mounted by SandboxApp) and its state."""

    prefixes = (*(f"/{mode}/" for mode in MODES), "/_sandbox/gateway/")

    def __init__(self, store: Store):
        self.db, self.lock = store.db, store.lock
        self.db.executescript(_SCHEMA)
        self.url_map = _rules()
        self.operations: dict[str, Callable[..., dict]] = {
            "authorize": self._authorize, "capture": self._capture, "void": self._void,
            "refund": self._refund, "reauthorize": self._reauthorize}

    def owns(self, path: str) -> bool:
        return path.startswith(self.prefixes)

    def __call__(self, environ, start_response):
        request = Request(environ)
        try:
            endpoint, args = self.url_map.bind_to_environ(environ).match()
            if endpoint in self.operations:
                response = self._api(request, lambda: self._effect(request, endpoint, **args))
            elif endpoint == "show":
                response = self._api(request, lambda: self._show(request, **args))
            else:
                response = getattr(self, endpoint)(request, **args)
        except SandboxError as error:
            response = _error(error.status, "invalid_request", error.message)
        except HTTPException as error:  # no such route or method: still a JSON answer
            response = _error(error.code or 400, "not_found" if error.code == 404
                              else "invalid_request", error.description or "")
        return response(environ, start_response)

    # --- the API: merchant, latency, faults ---------------------------------------------
    def _api(self, request: Request, answer: Callable[[], tuple[Response, bool]]) -> Response:
        api_key = _bearer(request)
        if not api_key:
            return _error(401, "unauthorized", "APIキーがありません (Authorization: Bearer …)。")
        settings = self._merchant(api_key)
        time.sleep(settings["latency_ms"] / 1000)
        fault = self._next_fault(api_key)
        if fault in ("500", "503"):
            # Infrastructure fails in plain HTTP, before the operation runs.
            return Response("<html><body>Service error</body></html>", status=int(fault),
                            content_type="text/html")
        if fault == "timeout":
            time.sleep(settings["timeout_seconds"])
            return Response("Gateway Timeout", status=504)
        response, lose = answer()
        if lose or fault == "timeout_after_commit":
            time.sleep(settings["timeout_seconds"])  # done, but the caller gives up waiting
        return response

    def _merchant(self, api_key: str) -> dict[str, float]:
        row = self.db.execute("SELECT settings FROM gateway_merchants WHERE api_key=?",
                              (api_key,)).fetchone()
        return {**DEFAULTS, **(json.loads(row[0]) if row else {})}

    def _next_fault(self, api_key: str) -> str | None:
        with self.lock:
            row = self.db.execute("SELECT faults FROM gateway_merchants WHERE api_key=?",
                                  (api_key,)).fetchone()
            queued = json.loads(row[0]) if row else []
            if not queued:
                return None
            self.db.execute("UPDATE gateway_merchants SET faults=? WHERE api_key=?",
                            (json.dumps(queued[1:]), api_key))
            return queued[0]

    # --- effects under an idempotency key -------------------------------------------------
    def _effect(self, request: Request, operation: str, mode: str) -> tuple[Response, bool]:
        """Replay the key's saved answer, or run the operation once and save its answer.
        Returns the answer and whether it is to be lost (tok_timeout_after_commit)."""
        api_key = _bearer(request)
        key = request.headers.get("Idempotency-Key", "")
        if not key:
            raise SandboxError("Idempotency-Key ヘッダーが必要です。")
        if len(key) > 255:
            raise SandboxError("Idempotency-Key は255文字以内です。")
        body = _json(request)
        params = _params(operation, body)
        fingerprint = hashlib.sha256(
            json.dumps([mode, operation, params], sort_keys=True).encode()).hexdigest()
        with self.lock:
            saved = self.db.execute(
                "SELECT params, status, body FROM gateway_keys WHERE api_key=? AND key=?",
                (api_key, key)).fetchone()
            if saved:
                if saved[0] != fingerprint:
                    return _error(422, "idempotency_key_in_use",
                                  "このIdempotency-Keyは別のリクエストに使用済みです。"), False
                self.db.execute("UPDATE gateway_keys SET requests = requests + 1 "
                                "WHERE api_key=? AND key=?", (api_key, key))
                return json_response(json.loads(saved[2]), saved[1],
                                     headers={"Idempotent-Replayed": "true"}), False
            self.db.execute("BEGIN IMMEDIATE")
            try:
                try:
                    tx = self.operations[operation](api_key, mode, key, **params)
                    status, answer = (402, _declined(tx)) if tx["result"] == "failed" \
                        else (200, _view(tx))
                except Refusal as refusal:
                    if refusal.code == "pending":
                        # Like Stripe's conflict with a request still running: nothing is
                        # saved, so the same key may try again once the result is in.
                        self.db.execute("ROLLBACK")
                        return json_response(_refusal_body(refusal), refusal.status), False
                    status, answer = refusal.status, _refusal_body(refusal)
                self.db.execute(
                    "INSERT INTO gateway_keys (api_key, key, operation, params, status, body, "
                    "created) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (api_key, key, operation, fingerprint, status,
                     json.dumps(answer, ensure_ascii=False), time.time()))
                self.db.execute("COMMIT")
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
        lose = operation in ("authorize", "reauthorize") and params["token"] == LOST_ANSWER
        return json_response(answer, status), lose

    def _show(self, request: Request, mode: str, tx_id: str) -> tuple[Response, bool]:
        with self.lock:
            tx = self._load(_bearer(request), mode, tx_id)
            if tx is None:
                return _error(404, "not_found", f"取引 {tx_id} は見つかりません。"), False
            self._settle(tx)
        return (json_response(_declined(tx), 402) if tx["result"] == "failed"
                else json_response(_view(tx))), False

    # --- the operations (under the lock, in the key's database transaction) ----------------
    def _authorize(self, api_key: str, mode: str, key: str, *, token: str, amount: int,
                   order_ref: str, replaces: str | None = None) -> dict:
        now = time.time()
        tx = {"id": f"txn_{secrets.token_hex(12)}", "api_key": api_key, "mode": mode,
              "order_ref": order_ref, "token": token, "status": "pending",
              "authorized_amount": 0, "captured_amount": 0, "refunded_amount": 0,
              "fraud": None, "expires_at": None, "created_at": now, "replaces": replaces,
              "code": None, "message": None, "history": []}
        self._begin(tx, "reauthorize" if replaces else "authorize", amount, key, now)
        if mode == "gateway":
            self._finish(tx, now)
        return self._save(tx)

    def _reauthorize(self, api_key: str, mode: str, key: str, *, transaction_id: str,
                     token: str, amount: int) -> dict:
        old = self._open(api_key, mode, transaction_id)
        _allow(old, "authorized", "voided", "declined")
        return self._authorize(api_key, mode, key, token=token, amount=amount,
                               order_ref=old["order_ref"], replaces=old["id"])

    def _capture(self, api_key: str, mode: str, key: str, *, transaction_id: str,
                 amount: int) -> dict:
        tx = self._open(api_key, mode, transaction_id)
        _allow(tx, "authorized")
        if _expired(tx):
            raise Refusal(409, "authorization_expired",
                          "オーソリの有効期限が切れています。再オーソリしてください。", tx)
        if amount > tx["authorized_amount"]:
            raise Refusal(409, "amount_too_large",
                          f"売上金額 {amount}円 がオーソリ金額 {tx['authorized_amount']}円 を"
                          "超えています。", tx)
        now = time.time()
        self._begin(tx, "capture", amount, key, now)
        if mode == "gateway":
            self._finish(tx, now)
        return self._save(tx)

    def _void(self, api_key: str, mode: str, key: str, *, transaction_id: str) -> dict:
        tx = self._open(api_key, mode, transaction_id)
        _allow(tx, "authorized")
        self._apply_void(tx, key, time.time())
        return self._save(tx)

    def _refund(self, api_key: str, mode: str, key: str, *, transaction_id: str,
                amount: int) -> dict:
        tx = self._open(api_key, mode, transaction_id)
        _allow(tx, "captured")
        left = tx["captured_amount"] - tx["refunded_amount"]
        if amount > left:
            raise Refusal(409, "amount_too_large",
                          f"返金額 {amount}円 が返金可能額 {left}円 を超えています。", tx)
        tx["refunded_amount"] += amount
        if tx["refunded_amount"] == tx["captured_amount"]:
            tx["status"] = "refunded"
        self._record(tx, "refund", amount, key, time.time(), "succeeded")
        return self._save(tx)

    # --- transaction state ---------------------------------------------------------------
    def _begin(self, tx: dict, operation: str, amount: int, key: str, now: float) -> None:
        """Start an operation; rakuten_card's authorize and capture complete later."""
        self._record(tx, operation, amount, key, now, "pending")
        settings = self._merchant(tx["api_key"])
        tx["ready_at"] = now + settings["async_seconds"]

    def _finish(self, tx: dict, now: float) -> None:
        """Complete the pending operation: the card's answer decides an authorization."""
        tx["ready_at"] = None
        amount = tx["amount"]
        if tx["operation"] == "capture":
            tx["status"], tx["captured_amount"], tx["result"] = "captured", amount, "succeeded"
            return
        token = tx["token"]
        declined = DECLINES.get(token) or (None if token.startswith("tok_") else (
            "invalid_token", "カード情報が無効です。"))
        if declined:
            tx["status"], tx["result"] = "declined", "failed"
            tx["code"], tx["message"] = declined
            return
        verdict, reasons = FRAUD.get(token, ("OK", ()))
        days = self._merchant(tx["api_key"])["auth_valid_days"]
        tx.update(status="authorized", result="succeeded", authorized_amount=amount,
                  fraud={"verdict": verdict, "reasons": list(reasons)},
                  expires_at=now + days * 86400)
        if tx["replaces"]:
            old = self._load(tx["api_key"], tx["mode"], tx["replaces"])
            if old and old["status"] == "authorized":
                self._apply_void(old, tx["history"][-1]["key"], now)
                self._save(old)

    def _settle(self, tx: dict) -> None:
        """rakuten_card: complete a pending operation whose time has come."""
        if tx.get("ready_at") and time.time() >= tx["ready_at"]:
            self._finish(tx, tx["ready_at"])
            self._save(tx)

    def _apply_void(self, tx: dict, key: str, now: float) -> None:
        tx["status"] = "voided"
        self._record(tx, "void", tx["authorized_amount"], key, now, "succeeded")

    def _record(self, tx: dict, operation: str, amount: int, key: str, now: float,
                result: str) -> None:
        tx.update(operation=operation, amount=amount, result=result, code=None, message=None)
        tx["history"].append({"operation": operation, "amount": amount, "key": key,
                              "at": iso_utc(now)})

    def _open(self, api_key: str, mode: str, tx_id: str) -> dict:
        tx = self._load(api_key, mode, tx_id)
        if tx is None:
            raise Refusal(404, "not_found", f"取引 {tx_id} は見つかりません。")
        self._settle(tx)
        return tx

    def _load(self, api_key: str, mode: str, tx_id: str) -> dict | None:
        row = self.db.execute(
            "SELECT doc FROM gateway_transactions WHERE id=? AND api_key=? AND mode=?",
            (tx_id, api_key, mode)).fetchone()
        return json.loads(row[0]) if row else None

    def _save(self, tx: dict) -> dict:
        self.db.execute("INSERT OR REPLACE INTO gateway_transactions VALUES (?, ?, ?, ?)",
                        (tx["id"], tx["api_key"], tx["mode"],
                         json.dumps(tx, ensure_ascii=False)))
        return tx

    # --- control API ---------------------------------------------------------------------
    def configure(self, request: Request, api_key: str) -> Response:
        body = _json(request)
        unknown = sorted(set(body) - set(DEFAULTS))
        if unknown:
            raise SandboxError(f"unknown settings {unknown}; known: {', '.join(DEFAULTS)}")
        changes = {name: _number(value, name) for name, value in body.items()}
        with self.lock:
            settings = {**self._merchant(api_key), **changes}
            self.db.execute(
                "INSERT INTO gateway_merchants (api_key, settings) VALUES (?, ?) "
                "ON CONFLICT (api_key) DO UPDATE SET settings=excluded.settings",
                (api_key, json.dumps(settings)))
        return json_response({"api_key": api_key, "settings": settings})

    def faults(self, request: Request, api_key: str) -> Response:
        queue = _json(request).get("queue") or []
        if not isinstance(queue, list) or any(f not in FAULTS for f in queue):
            raise SandboxError(f"send a list of faults; known: {', '.join(FAULTS)}")
        with self.lock:
            self.db.execute("INSERT OR IGNORE INTO gateway_merchants (api_key, settings) "
                            "VALUES (?, '{}')", (api_key,))
            current = json.loads(self.db.execute(
                "SELECT faults FROM gateway_merchants WHERE api_key=?", (api_key,)).fetchone()[0])
            self.db.execute("UPDATE gateway_merchants SET faults=? WHERE api_key=?",
                            (json.dumps(current + queue), api_key))
        return json_response({"queued": queue, "known": FAULTS})

    def effects(self, request: Request, api_key: str) -> Response:
        """Counted from what the transactions went through (their history), not from the
        keys: an operation that ran twice under one key would show 2."""
        with self.lock:
            keys = self.db.execute("SELECT key, operation, requests, status FROM gateway_keys "
                                   "WHERE api_key=? ORDER BY created", (api_key,)).fetchall()
            docs = self.db.execute("SELECT doc FROM gateway_transactions WHERE api_key=?",
                                   (api_key,)).fetchall()
        ran = Counter((step["key"], step["operation"])
                      for (doc,) in docs for step in json.loads(doc)["history"])
        return json_response({
            "keys": {key: {"operation": operation, "effects": ran[key, operation],
                           "requests": requests, "status": status}
                     for key, operation, requests, status in keys},
            "totals": dict(Counter(operation for _, operation in ran.elements()))})

    def adopt(self, request: Request, api_key: str) -> Response:
        items = request.get_json(silent=True)
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            raise SandboxError("send a list of {id, token, amount, order_ref}")
        # An authorization's parameters, checked as a reauthorize's (id, token, amount).
        checked = [(_params("reauthorize", {**item, "transaction_id": item.get("id")}), item)
                   for item in items]
        now = time.time()
        days = self._merchant(api_key)["auth_valid_days"]
        with self.lock:
            self.db.execute("BEGIN IMMEDIATE")  # one commit for the whole list
            try:
                adopted = sum(self._adopt(api_key, params, item, now, days)
                              for params, item in checked)
                self.db.execute("COMMIT")
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
        return json_response({"adopted": adopted})

    def _adopt(self, api_key: str, params: dict, item: dict, now: float, days: float) -> int:
        """One adopted authorization (1), or 0 for an id the gateway already knows."""
        tx_id = params["transaction_id"]
        if self.db.execute("SELECT 1 FROM gateway_transactions WHERE id=?",
                           (tx_id,)).fetchone():
            return 0
        tx = {"id": tx_id, "api_key": api_key, "mode": "gateway",
              "order_ref": str(item.get("order_ref") or tx_id)[:128],
              "token": params["token"], "status": "authorized",
              "authorized_amount": params["amount"], "captured_amount": 0,
              "refunded_amount": 0, "fraud": {"verdict": "OK", "reasons": []},
              "expires_at": now + days * 86400, "created_at": now, "replaces": None,
              "ready_at": None, "history": []}
        self._record(tx, "authorize", params["amount"], f"adopted:{tx_id}", now, "succeeded")
        self._save(tx)
        return 1

    def record(self, request: Request, api_key: str, tx_id: str) -> Response:
        with self.lock:
            row = self.db.execute("SELECT mode FROM gateway_transactions WHERE id=? AND "
                                  "api_key=?", (tx_id, api_key)).fetchone()
            tx = self._load(api_key, row[0], tx_id) if row else None
            if tx is None:
                return _error(404, "not_found", f"no transaction {tx_id}")
            self._settle(tx)
        return json_response({**tx, "view": _view(tx)})


# Why a transaction in this state refuses the operation asked (409).
_REFUSALS = {
    "pending": ("pending", "処理中の取引です。結果が出てから操作してください。"),
    "declined": ("not_authorized", "オーソリが承認されていない取引です。"),
    "authorized": ("not_captured", "売上確定前の取引です。返金ではなく取消してください。"),
    "captured": ("already_captured", "売上確定済みの取引です。取消ではなく返金してください。"),
    "voided": ("already_voided", "取消済みの取引です。"),
    "refunded": ("already_refunded", "返金済みの取引です。"),
}


def _allow(tx: dict, *states: str) -> None:
    """Refuse (409) unless the transaction is in one of `states` with nothing pending."""
    state = "pending" if tx["result"] == "pending" else tx["status"]
    if state not in states:
        raise Refusal(409, *_REFUSALS[state], tx)


def _bearer(request: Request) -> str:
    scheme, _, key = request.headers.get("Authorization", "").partition(" ")
    return key.strip() if scheme.lower() == "bearer" else ""


def _json(request: Request) -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise SandboxError("JSONオブジェクトを送ってください。")
    return body


_FIELDS = {
    "authorize": ("token", "amount", "order_ref"),
    "capture": ("transaction_id", "amount"),
    "void": ("transaction_id",),
    "refund": ("transaction_id", "amount"),
    "reauthorize": ("transaction_id", "token", "amount"),
}


def _params(operation: str, body: dict[str, Any]) -> dict[str, Any]:
    """The operation's parameters, checked; SandboxError (400, nothing saved) if bad."""
    params: dict[str, Any] = {}
    for name in _FIELDS[operation]:
        value = body.get(name)
        if name == "amount":
            if type(value) is not int or not 0 < value <= MAX_AMOUNT:
                raise SandboxError(f"amount は1以上{MAX_AMOUNT}以下の整数 (円) です: {value!r}")
        elif not isinstance(value, str) or not 0 < len(value) <= 128:
            raise SandboxError(f"{name} は1〜128文字の文字列です。")
        params[name] = value
    return params


def _number(value: Any, name: str) -> float:
    if type(value) not in (int, float) or not 0 <= value <= 10**6:
        raise SandboxError(f"{name} must be a number from 0 to 1000000")
    return value


def _expired(tx: dict) -> bool:
    return tx["status"] == "authorized" and time.time() >= tx["expires_at"]


def _view(tx: dict) -> dict[str, Any]:
    """The transaction as the API shows it: never the token."""
    return {
        "id": tx["id"], "object": "transaction", "mode": tx["mode"],
        "status": "expired" if _expired(tx) else tx["status"],
        "operation": tx["operation"], "result": tx["result"], "amount": tx["amount"],
        "authorized_amount": tx["authorized_amount"],
        "captured_amount": tx["captured_amount"], "refunded_amount": tx["refunded_amount"],
        "order_ref": tx["order_ref"], "fraud": tx["fraud"],
        "expires_at": iso_utc(tx["expires_at"]) if tx["expires_at"] else None,
        "created_at": iso_utc(tx["created_at"]), "replaces": tx["replaces"],
        "code": tx["code"], "message": tx["message"]}


def _declined(tx: dict) -> dict[str, Any]:
    return {"error": {"type": "card_error", "code": tx["code"], "message": tx["message"]},
            "transaction": _view(tx)}


def _refusal_body(refusal: Refusal) -> dict[str, Any]:
    body: dict[str, Any] = {"error": {"type": "invalid_request_error", "code": refusal.code,
                                      "message": refusal.message}}
    if refusal.tx is not None:
        body["transaction"] = _view(refusal.tx)
    return body


def _error(status: int, code: str, message: str) -> Response:
    return json_response({"error": {"type": "invalid_request_error", "code": code,
                                    "message": message}}, status)
