"""What every sandbox mall API shares: finding the seller account, faults, latency, and
rate limits, around the dialect's own handlers (amazon.py, rakuten.py, qoo10.py, yahoo.py)."""

import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from werkzeug.wrappers import Request, Response

from oms.sandbox.store import Account, SandboxError, Store

JST = timezone(timedelta(hours=9))


@dataclass
class Call:
    """One API call as a handler sees it."""

    store: Store
    account: Account
    request: Request
    fault: str | None

    def json(self) -> dict[str, Any]:
        try:
            body = json.loads(self.request.get_data(as_text=True) or "{}")
        except ValueError as error:
            raise SandboxError(f"the request body is not JSON: {error}") from error
        if not isinstance(body, dict):
            raise SandboxError("the request body must be a JSON object")
        return body

    def records(self, records: list[dict[str, Any]], corrupt: Callable[[dict], None]
                ) -> list[dict[str, Any]]:
        """Apply a "bad_record" or "duplicate" fault to a list of orders being returned."""
        if records and self.fault == "bad_record":
            records = [dict(records[0]), *records[1:]]
            corrupt(records[0])
        if records and self.fault == "duplicate":
            records = [records[0], *records]
        return records


class Dialect:
    """A mall API: subclasses name the kind, read credentials and shape errors."""

    kind: str
    # (path under /<kind>/, HTTP method, handler name)
    routes: tuple[tuple[str, str, str], ...] = ()

    def token(self, request: Request) -> str | None:
        raise NotImplementedError

    def error(self, status: int, code: str, message: str) -> Response:
        return json_response({"errors": [{"code": code, "message": message}]}, status)

    def throttled(self) -> Response:
        return self.error(429, "QuotaExceeded", "Too many requests.")

    def handle(self, store: Store, request: Request, handler: str, **args) -> Response:
        token = self.token(request)
        account = store.account(self.kind, token) if token else None
        if account is None:
            return self.error(401, "Unauthorized", "Access to requested resource is denied.")
        store.tick(account)
        fault = store.next_fault(account)
        if fault == "429" or not store.take_token(account):
            return self.throttled()
        if fault in ("500", "503"):
            # Infrastructure fails in plain HTTP, whatever the mall's own error format.
            return Response("<html><body>Service error</body></html>", status=int(fault),
                            content_type="text/html")
        latency = float(account.settings.get("latency_ms") or 0) / 1000
        timeout = float(account.settings.get("timeout_seconds") or 15)
        time.sleep(latency + (timeout if fault == "timeout" else 0))
        if fault == "malformed":
            return Response('{"payload": {"Orders": [{"AmazonOrderId": "2', status=200,
                            content_type="application/json")
        try:
            response = getattr(self, handler)(Call(store, account, request, fault), **args)
        except SandboxError as error:
            response = self.error(error.status, "InvalidInput", error.message)
        if fault == "lost":
            time.sleep(timeout)  # done at the mall, but the caller gives up waiting
        return response


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None
                  ) -> Response:
    return Response(json.dumps(body, ensure_ascii=False), status=status,
                    content_type="application/json; charset=utf-8", headers=headers)


def iso_utc(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_iso(text: str) -> float:
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as error:
        raise SandboxError(f"not an ISO-8601 time: {text!r}") from error
    if value.tzinfo is None:
        raise SandboxError(f"the time {text!r} has no zone")
    return value.timestamp()


def jst(epoch: float, fmt: str) -> str:
    return datetime.fromtimestamp(epoch, JST).strftime(fmt)


def parse_jst(text: str, fmt: str) -> float:
    try:
        return datetime.strptime(text, fmt).replace(tzinfo=JST).timestamp()
    except (TypeError, ValueError) as error:
        raise SandboxError(f"not a time in the form {fmt}: {text!r}") from error


_NUMBER = re.compile(r"[0-9A-Za-z]{1,120}")


def tracking_number(value: Any, field: str, limit: int = 120) -> str:
    """A tracking number as the malls take it: ASCII digits and letters (no hyphens)."""
    text = "" if value is None else str(value)
    if not _NUMBER.fullmatch(text) or len(text) > limit:
        raise SandboxError(f"{field} must be 1 to {limit} digits or letters: {text[:40]!r}")
    return text


def ship_date(value: Any, field: str, fmt: str) -> str:
    """A ship date in the mall's form (`fmt` for strptime)."""
    try:
        datetime.strptime(str(value), fmt)
    except (TypeError, ValueError) as error:
        raise SandboxError(f"{field} must be a date in the form {fmt}: {value!r}") from error
    return str(value)
