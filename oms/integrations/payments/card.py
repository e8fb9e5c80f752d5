"""The card gateway over HTTP: JSON effects under an `Idempotency-Key`, as the sandbox
gateway (oms/sandbox/gateway.py) speaks at `/gateway` and, answering later, `/rakuten_card`.

Timeouts, lost connections and 5xx are retried WITH THE SAME KEY: the gateway replays its
first answer instead of charging twice. How answers map to the interface:

* 200 → `Charge` with the latest operation's result (succeeded, or pending at rakuten_card);
* a declined card (402) or an operation the transaction's state or amounts refuse
  (400, 404, 409) → `Charge(state=failed, code, message)`: nothing happened;
* 422 (the key was used with other parameters) → `KeyMismatch`;
* no usable answer (retries exhausted, a bad API key, an unreadable body) → `GatewayError`:
  the effect may have happened; call again with the same key.
"""

from datetime import datetime
from typing import Any
from urllib.parse import quote

import httpx

from oms.integrations.http import RetryingHttp
from oms.integrations.payments import Charge, ChargeState, GatewayError, KeyMismatch

REFUSED = frozenset({400, 402, 404, 409})


class GatewayHttp(RetryingHttp):
    peer = "the card gateway"
    unavailable = GatewayError


class HttpCardGateway:
    """A `CardGateway` for one merchant account (its API key) at `base_url`."""

    def __init__(self, base_url: str, api_key: str, *, timeout: float = 10,
                 retries: int = 3, backoff: float = 0.5):
        # No key at all (not configured yet) goes without the header: the gateway's 401
        # says what is missing.
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.http = GatewayHttp(base_url, headers, timeout=timeout, retries=retries,
                                backoff=backoff)

    def authorize(self, key: str, *, token: str, amount: int, order_ref: str) -> Charge:
        return self._effect("authorize", key, token=token, amount=amount, order_ref=order_ref)

    def capture(self, key: str, *, transaction_id: str, amount: int) -> Charge:
        return self._effect("capture", key, transaction_id=transaction_id, amount=amount)

    def void(self, key: str, *, transaction_id: str) -> Charge:
        return self._effect("void", key, transaction_id=transaction_id)

    def refund(self, key: str, *, transaction_id: str, amount: int) -> Charge:
        return self._effect("refund", key, transaction_id=transaction_id, amount=amount)

    def reauthorize(self, key: str, *, transaction_id: str, token: str, amount: int
                    ) -> Charge:
        return self._effect("reauthorize", key, transaction_id=transaction_id, token=token,
                            amount=amount)

    def get(self, transaction_id: str) -> Charge:
        """The transaction's latest operation and its result (a pending one's outcome)."""
        return _charge(self.http.request("GET", f"transactions/{quote(transaction_id, safe='')}"))

    def close(self) -> None:
        self.http.close()

    def _effect(self, operation: str, key: str, **params: Any) -> Charge:
        return _charge(self.http.request("POST", operation, json=params,
                                         headers={"Idempotency-Key": key}))


def connect(endpoint: str, api_key: str, timeout: float = 10) -> HttpCardGateway:
    """The gateway at `endpoint`, e.g. http://127.0.0.1:8765/gateway or …/rakuten_card."""
    return HttpCardGateway(endpoint, api_key, timeout=timeout)


def _charge(response: httpx.Response) -> Charge:
    status = response.status_code
    try:
        body = response.json()
        if status == 200:
            return _succeeded(body)
        error = body["error"]
        message = str(error["message"])
        if status == 422:
            raise KeyMismatch(message)
        if status in REFUSED:
            transaction = body.get("transaction") or {}
            return Charge(state=ChargeState.failed, transaction_id=transaction.get("id"),
                          code=str(error["code"]), message=message)
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise GatewayError(f"the card gateway's answer (HTTP {status}) could not be read: "
                           f"{error!r}: {response.text[:200]}") from error
    raise GatewayError(f"HTTP {status}: {response.text[:200]}")


def _succeeded(body: dict[str, Any]) -> Charge:
    fraud = body.get("fraud") or {}
    expires = body.get("expires_at")
    amount = body["amount"]
    if type(amount) is not int:
        raise TypeError(f"amount {amount!r} is not an integer")
    return Charge(state=ChargeState(body["result"]), transaction_id=str(body["id"]),
                  amount=amount, code=body.get("code"), message=body.get("message"),
                  fraud=fraud.get("verdict"),
                  fraud_reasons=tuple(str(r) for r in fraud.get("reasons") or ()),
                  expires_at=datetime.fromisoformat(expires) if expires else None)
