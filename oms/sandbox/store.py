"""The sandbox marketplace's own state: seller accounts, their products and orders, in a
SQLite file of its own (never the OMS database: the mall is the outside world).

Orders keep the mall's native status (`Kind.statuses`) and a mall-neutral document
(buyer, lines, totals, tracking); each API dialect renders that document its own way.
New orders and buyer changes arrive over time: every API call first advances the
account's clock (`tick`), so the mall lives exactly as long as someone talks to it.
"""

import contextlib
import json
import random
import sqlite3
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from oms.sandbox.kinds import KINDS, Kind

DEFAULT_SETTINGS: dict[str, Any] = {
    "latency_ms": 20,  # every API answer waits this long (a real mall is never instant)
    "rate_per_second": 0,  # 0: no limit; else 429 beyond it (burst = 2 seconds' worth)
    "new_per_minute": 0.0,  # new orders per minute
    "changes_per_minute": 0.0,  # buyer events (payment, cancel/return requests) per minute
    "timeout_seconds": 15.0,  # how long a "timeout" fault keeps the caller waiting
    "fault_rates": {},  # fault name -> probability per API call
    "lag_seconds": 0,  # orders become visible to listings only this long after a change
}
# "pass" is no fault: it lets a test aim a fault at a later call.
FAULTS = ("pass", "429", "500", "503", "timeout", "lost", "malformed", "bad_record", "duplicate")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS accounts (
    id INTEGER PRIMARY KEY, kind TEXT NOT NULL, token TEXT NOT NULL, name TEXT NOT NULL,
    settings TEXT NOT NULL, faults TEXT NOT NULL DEFAULT '[]', seq INTEGER NOT NULL DEFAULT 0,
    clock REAL NOT NULL, UNIQUE (kind, token));
CREATE TABLE IF NOT EXISTS products (
    account_id INTEGER NOT NULL, code TEXT NOT NULL, option TEXT NOT NULL DEFAULT '',
    name TEXT NOT NULL, price INTEGER NOT NULL, tax_rate INTEGER NOT NULL DEFAULT 10,
    PRIMARY KEY (account_id, code, option));
CREATE TABLE IF NOT EXISTS orders (
    account_id INTEGER NOT NULL, order_id TEXT NOT NULL, status TEXT NOT NULL,
    created REAL NOT NULL, updated REAL NOT NULL, doc TEXT NOT NULL,
    PRIMARY KEY (account_id, order_id));
CREATE INDEX IF NOT EXISTS orders_updated ON orders (account_id, updated, order_id);
CREATE INDEX IF NOT EXISTS orders_created ON orders (account_id, created, order_id);
"""

# Used when an account lists no products of its own.
DEFAULT_PRODUCTS = (
    ("TEE-M-WH", "サイズ:M カラー:ホワイト", "オーガニックコットン Tシャツ M ホワイト", 2900, 10),
    ("TEE-L-BK", "サイズ:L カラー:ブラック", "オーガニックコットン Tシャツ L ブラック", 2900, 10),
    ("MUG-WH-1", "カラー:ホワイト 入数:1個", "波佐見焼 マグカップ ホワイト 1個", 1800, 10),
    ("SENCHA-100", "内容量:100g", "静岡 深蒸し煎茶 100g", 1080, 8),
    ("HONEY-200", "内容量:200g", "国産 百花はちみつ 200g", 2180, 8),
    ("OLD-CANDLE-YZ", "", "アロマキャンドル ゆず (旧品番)", 1800, 10),
)
FAMILY = ("佐藤", "鈴木", "高橋", "田中", "伊藤", "渡辺", "山本", "中村", "小林", "𠮷田")
GIVEN = ("太郎", "花子", "翔太", "美咲", "健一", "由美", "大輔", "①子", "愛", "<b>蓮</b>")
PREFECTURES = (("東京都", "100"), ("大阪府", "530"), ("北海道", "060"), ("福岡県", "810"),
               ("愛知県", "450"), ("神奈川県", "220"))
PAYMENTS = (("card", 70), ("cod", 10), ("konbini", 12), ("points", 8))


@dataclass
class Account:
    id: int
    kind: Kind
    token: str
    name: str
    settings: dict[str, Any]
    faults: list[str] = field(default_factory=list)


@dataclass
class Order:
    order_id: str
    status: str
    created: float
    updated: float
    doc: dict[str, Any]


class SandboxError(Exception):
    """An operation the mall refuses; the dialect turns it into the mall's error shape."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.message = message
        self.status = status


class Store:
    def __init__(self, path: str):
        self.db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(_SCHEMA)
        # One writer at a time; the sandbox is small and this keeps it obviously right.
        self.lock = threading.RLock()
        self.buckets: dict[int, tuple[float, float]] = {}  # account id -> (tokens, at)

    # --- accounts -------------------------------------------------------------------
    def put_account(self, kind: str, token: str, name: str, settings: dict[str, Any]
                    ) -> Account:
        if kind not in KINDS:
            raise SandboxError(f"unknown mall kind {kind!r}")
        with self.lock:
            row = self.db.execute("SELECT id, settings FROM accounts WHERE kind=? AND token=?",
                                  (kind, token)).fetchone()
            merged = {**DEFAULT_SETTINGS, **(json.loads(row[1]) if row else {}), **settings}
            if row:
                self.db.execute("UPDATE accounts SET name=?, settings=? WHERE id=?",
                                (name, json.dumps(merged), row[0]))
            else:
                self.db.execute(
                    "INSERT INTO accounts (kind, token, name, settings, clock) "
                    "VALUES (?, ?, ?, ?, ?)", (kind, token, name, json.dumps(merged), time.time()))
            return self.account(kind, token)

    def account(self, kind: str, token: str) -> Account | None:
        row = self.db.execute(
            "SELECT id, kind, token, name, settings, faults FROM accounts WHERE kind=? AND token=?",
            (kind, token)).fetchone()
        if row is None:
            return None
        return Account(row[0], KINDS[row[1]], row[2], row[3], json.loads(row[4]),
                       json.loads(row[5]))

    def accounts(self) -> list[Account]:
        rows = self.db.execute("SELECT kind, token FROM accounts ORDER BY id").fetchall()
        return [self.account(kind, token) for kind, token in rows]

    def queue_faults(self, account: Account, faults: Iterable[str]) -> None:
        faults = list(faults)
        unknown = [f for f in faults if f not in FAULTS]
        if unknown:
            raise SandboxError(f"unknown faults {unknown}; known: {', '.join(FAULTS)}")
        with self.lock:
            current = json.loads(self.db.execute(
                "SELECT faults FROM accounts WHERE id=?", (account.id,)).fetchone()[0])
            self.db.execute("UPDATE accounts SET faults=? WHERE id=?",
                            (json.dumps(current + faults), account.id))

    def next_fault(self, account: Account) -> str | None:
        """The next queued fault, else one drawn from the configured rates."""
        with self.lock:
            queued = json.loads(self.db.execute(
                "SELECT faults FROM accounts WHERE id=?", (account.id,)).fetchone()[0])
            if queued:
                self.db.execute("UPDATE accounts SET faults=? WHERE id=?",
                                (json.dumps(queued[1:]), account.id))
                return queued[0]
        for name, rate in account.settings.get("fault_rates", {}).items():
            if random.random() < float(rate):
                return name
        return None

    def take_token(self, account: Account) -> bool:
        """Token bucket per account: False when the caller is over the rate limit."""
        rate = float(account.settings.get("rate_per_second") or 0)
        if rate <= 0:
            return True
        with self.lock:
            now = time.monotonic()
            tokens, at = self.buckets.get(account.id, (rate * 2, now))
            tokens = min(rate * 2, tokens + (now - at) * rate)
            if tokens < 1:
                self.buckets[account.id] = (tokens, now)
                return False
            self.buckets[account.id] = (tokens - 1, now)
            return True

    # --- products -------------------------------------------------------------------
    def put_products(self, account: Account, products: list[dict[str, Any]]) -> int:
        with self.lock:
            self.db.execute("DELETE FROM products WHERE account_id=?", (account.id,))
            self.db.executemany(
                "INSERT OR REPLACE INTO products VALUES (?, ?, ?, ?, ?, ?)",
                [(account.id, p["code"], p.get("option") or "", p["name"], int(p["price"]),
                  int(p.get("tax_rate", 10))) for p in products])
        return len(products)

    def _products(self, account: Account) -> list[tuple]:
        rows = self.db.execute("SELECT code, option, name, price, tax_rate FROM products "
                               "WHERE account_id=?", (account.id,)).fetchall()
        return rows or list(DEFAULT_PRODUCTS)

    # --- orders ---------------------------------------------------------------------
    def generate(self, account: Account, count: int, *, status: str | None = None,
                 at: float | None = None, seed: int | None = None) -> list[str]:
        """Place `count` new orders (status: the kind's usual first status)."""
        rng = random.Random(seed)
        products = self._products(account)
        now = at or time.time()
        with self.lock:
            seq = self.db.execute("UPDATE accounts SET seq = seq + ? WHERE id=? RETURNING seq",
                                  (count, account.id)).fetchone()[0] - count
            rows = []
            for i in range(count):
                doc = _random_doc(rng, products, account.kind.max_lines)
                first = status or account.kind.first_status(doc["payment"])
                order_id = account.kind.order_id(seq + i + 1, now)
                # Distinct update times keep "updated since" listings strictly ordered.
                stamp = now + i * 1e-6
                rows.append((account.id, order_id, first, stamp, stamp, json.dumps(doc)))
            self.db.execute("BEGIN")
            self.db.executemany("INSERT INTO orders VALUES (?, ?, ?, ?, ?, ?)", rows)
            self.db.execute("COMMIT")
        return [row[1] for row in rows]

    def adopt(self, account: Account, orders: list[dict[str, Any]]) -> int:
        """Take over orders placed before the sandbox existed (the demo's history): each
        {order_id, status, created, lines: [{code, option, name, qty, price, tax_rate}],
        buyer: {...}, payment, shipping_fee}. Orders it already has are kept."""
        rows = []
        for order in orders:
            if order["status"] not in account.kind.statuses:
                raise SandboxError(f"unknown {account.kind.name} status {order['status']!r}")
            lines = order["lines"]
            fee = int(order.get("shipping_fee") or 0)
            doc = {"buyer": order["buyer"], "ship": order.get("ship") or order["buyer"],
                   "lines": lines, "payment": order.get("payment") or "card",
                   "shipping_fee": fee, **_amounts(lines, fee), "tracking": [], "flags": {},
                   "note": ""}
            created = float(order["created"])
            rows.append((account.id, str(order["order_id"]), order["status"], created, created,
                         json.dumps(doc)))
        with self.lock:
            self.db.execute("BEGIN")
            self.db.executemany("INSERT OR IGNORE INTO orders VALUES (?, ?, ?, ?, ?, ?)", rows)
            self.db.execute("COMMIT")
        return len(rows)

    def get(self, account: Account, order_id: str) -> Order | None:
        row = self.db.execute(
            "SELECT order_id, status, created, updated, doc FROM orders "
            "WHERE account_id=? AND order_id=?", (account.id, order_id)).fetchone()
        return _order(row) if row else None

    def get_many(self, account: Account, order_ids: list[str]) -> list[Order]:
        marks = ",".join("?" * len(order_ids))
        rows = self.db.execute(
            f"SELECT order_id, status, created, updated, doc FROM orders "  # noqa: S608
            f"WHERE account_id=? AND order_id IN ({marks})", (account.id, *order_ids)).fetchall()
        return [_order(row) for row in rows]

    def updated_after(self, account: Account, after: tuple[float, str], until: float,
                      limit: int) -> list[Order]:
        """Orders changed after the (time, id) cursor, oldest change first."""
        rows = self.db.execute(
            "SELECT order_id, status, created, updated, doc FROM orders WHERE account_id=? "
            "AND (updated > ? OR (updated = ? AND order_id > ?)) AND updated <= ? "
            "ORDER BY updated, order_id LIMIT ?",
            (account.id, after[0], after[0], after[1], until, limit)).fetchall()
        return [_order(row) for row in rows]

    def created_between(self, account: Account, start: float, end: float, limit: int,
                        offset: int = 0) -> tuple[int, list[Order]]:
        where = "account_id=? AND created >= ? AND created < ?"
        args = (account.id, start, end)
        total = self.db.execute(f"SELECT count(*) FROM orders WHERE {where}",  # noqa: S608
                                args).fetchone()[0]
        rows = self.db.execute(
            f"SELECT order_id, status, created, updated, doc FROM orders WHERE {where} "  # noqa: S608
            "ORDER BY created, order_id LIMIT ? OFFSET ?", (*args, limit, offset)).fetchall()
        return total, [_order(row) for row in rows]

    def apply(self, account: Account, order_id: str, event: str, **details: Any) -> Order:
        """Apply a seller or buyer event to one order (the kind's rules decide)."""
        with self.lock:
            order = self.get(account, order_id)
            if order is None:
                raise SandboxError(f"order {order_id} not found", 404)
            changed = account.kind.apply(order, event, details)
            if changed:
                order.updated = max(time.time(), order.updated + 1e-6)
                self.db.execute("UPDATE orders SET status=?, updated=?, doc=? "
                                "WHERE account_id=? AND order_id=?",
                                (order.status, order.updated, json.dumps(order.doc),
                                 account.id, order_id))
            return order

    def change_lines(self, account: Account, order_id: str, lines: list[dict[str, Any]]
                     ) -> Order:
        """Replace an order's lines, as a buyer's or the mall's change after the order was
        placed would: each {code, option, name, qty, price, tax_rate} (name, option and
        tax_rate may be left out). Totals follow, and so does the update time."""
        if not isinstance(lines, list) or not 1 <= len(lines) <= account.kind.max_lines:
            raise SandboxError(f"send 1 to {account.kind.max_lines} lines")
        try:
            clean = [{"code": str(ln["code"]), "option": str(ln.get("option") or ""),
                      "name": str(ln.get("name") or ln["code"]), "qty": int(ln["qty"]),
                      "price": int(ln["price"]), "tax_rate": int(ln.get("tax_rate", 10))}
                     for ln in lines]
        except (KeyError, TypeError, ValueError) as error:
            raise SandboxError(f"a line needs code, qty and price: {error}") from error
        if any(ln["qty"] < 1 or ln["price"] < 0 or ln["tax_rate"] not in (8, 10)
               for ln in clean):
            raise SandboxError("qty must be 1 or more, price 0 or more, tax_rate 8 or 10")
        with self.lock:
            order = self.get(account, order_id)
            if order is None:
                raise SandboxError(f"order {order_id} not found", 404)
            doc = order.doc
            doc["lines"] = clean
            doc.update(_amounts(clean, doc["shipping_fee"]))
            order.updated = max(time.time(), order.updated + 1e-6)
            self.db.execute("UPDATE orders SET updated=?, doc=? WHERE account_id=? AND order_id=?",
                            (order.updated, json.dumps(doc), account.id, order_id))
            return order

    def tick(self, account: Account) -> None:
        """Let the mall's time pass: new orders and buyer events since the last call."""
        new_rate = float(account.settings.get("new_per_minute") or 0)
        change_rate = float(account.settings.get("changes_per_minute") or 0)
        now = time.time()
        with self.lock:
            clock = self.db.execute("SELECT clock FROM accounts WHERE id=?",
                                    (account.id,)).fetchone()[0]
            minutes = (now - clock) / 60
            new = _poisson_count(new_rate * minutes)
            changes = _poisson_count(change_rate * minutes)
            if not (new or changes) and minutes < 1:
                return  # keep the fraction of a minute for the next call
            self.db.execute("UPDATE accounts SET clock=? WHERE id=?", (now, account.id))
            # Placed at moments spread over the time that passed, as buyers would.
            for _ in range(new):
                self.generate(account, 1, at=clock + random.random() * (now - clock))
            for _ in range(changes):
                self._buyer_event(account)

    def _buyer_event(self, account: Account) -> None:
        event = random.choice(account.kind.buyer_events)
        candidates = [s for s, e in account.kind.events_from(event)]
        if not candidates:
            return
        marks = ",".join("?" * len(candidates))
        row = self.db.execute(
            f"SELECT order_id FROM orders WHERE account_id=? AND status IN ({marks}) "  # noqa: S608
            "ORDER BY random() LIMIT 1", (account.id, *candidates)).fetchone()
        if row:
            # The chosen order may no longer allow it: then nothing happens this time.
            with contextlib.suppress(SandboxError):
                self.apply(account, row[0], event)


def _order(row) -> Order:
    return Order(row[0], row[1], row[2], row[3], json.loads(row[4]))


def _amounts(lines: list[dict[str, Any]], shipping_fee: int) -> dict[str, int]:
    """Goods, tax per rate and total. Prices exclude tax; tax is rounded down once per
    order per rate."""
    goods = sum(line["qty"] * line["price"] for line in lines)
    tax = {rate: sum(ln["qty"] * ln["price"] for ln in lines if ln["tax_rate"] == rate) * rate
           // 100 for rate in (8, 10)}
    return {"goods": goods, "tax8": tax[8], "tax10": tax[10],
            "total": goods + tax[8] + tax[10] + shipping_fee}


def _poisson_count(expected: float) -> int:
    """How many events happen in a stretch where `expected` are due on average."""
    whole = int(expected)
    return whole + (random.random() < expected - whole)


def _random_doc(rng: random.Random, products: list[tuple], max_lines: int) -> dict[str, Any]:
    prefecture, zip3 = rng.choice(PREFECTURES)
    name = f"{rng.choice(FAMILY)} {rng.choice(GIVEN)}"
    person = {
        "name": name, "kana": "ヤマダ タロウ", "email": f"buyer{rng.randrange(10**6)}@example.jp",
        "phone": f"090-{rng.randrange(10**4):04d}-{rng.randrange(10**4):04d}",
        "postcode": f"{zip3}-{rng.randrange(10**4):04d}", "prefecture": prefecture,
        "address1": f"{rng.randrange(1, 9)}-{rng.randrange(1, 30)}-{rng.randrange(1, 20)}",
    }
    lines = []
    count = min(len(products), max_lines, rng.choice((1, 1, 1, 2, 3)))
    for code, option, pname, price, tax_rate in rng.sample(products, k=count):
        lines.append({"code": code, "option": option, "name": pname,
                      "qty": rng.choice((1, 1, 2)), "price": price, "tax_rate": tax_rate})
    shipping_fee = rng.choice((0, 0, 600))
    payment = rng.choices([p for p, _ in PAYMENTS], [w for _, w in PAYMENTS])[0]
    return {"buyer": person, "ship": dict(person), "lines": lines, "payment": payment,
            "shipping_fee": shipping_fee, **_amounts(lines, shipping_fee),
            "tracking": [], "flags": {},
            # Buyer-controlled text reaches the OMS as it is (FORMATS.md 12.3).
            "note": rng.choice(("", "", "置き配希望", "<script>alert(1)</script>"))}
