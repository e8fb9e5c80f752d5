"""A client for the sandbox's control API, for tests, the demo set-up and benchmarks."""

from typing import Any

import httpx


class Sandbox:
    def __init__(self, url: str):
        self.url = url.rstrip("/")
        self.http = httpx.Client(base_url=self.url, timeout=120)

    def endpoint(self, kind: str) -> str:
        """The API endpoint a shop of this kind (or the card gateway: "gateway",
        "rakuten_card") points at."""
        return f"{self.url}/{kind}"

    def _post(self, path: str, body: Any) -> Any:
        response = self.http.post(path, json=body)
        response.raise_for_status()
        return response.json()

    def _get(self, path: str) -> Any:
        response = self.http.get(path)
        response.raise_for_status()
        return response.json()

    def echo_url(self, name: str) -> str:
        """A receiver of outbound notifications; it answers 200 until told otherwise."""
        return f"{self.url}/_sandbox/echo/{name}"

    def echo_answer(self, name: str, status: int) -> None:
        self._post(f"/_sandbox/echo/{name}/answer", {"status": status})

    def echo_hits(self, name: str) -> list[dict]:
        response = self.http.get(f"/_sandbox/echo/{name}/hits")
        response.raise_for_status()
        return response.json()["hits"]

    def account(self, kind: str, token: str, name: str | None = None, **settings) -> dict:
        return self._post("/_sandbox/accounts",
                          {"kind": kind, "token": token, "name": name, "settings": settings})

    def products(self, kind: str, token: str, products: list[dict]) -> int:
        return self._post(f"/_sandbox/{kind}/{token}/products", products)["products"]

    def generate(self, kind: str, token: str, count: int = 1, **options) -> list[str]:
        return self._post(f"/_sandbox/{kind}/{token}/orders",
                          {"count": count, **options})["order_ids"]

    def adopt(self, kind: str, token: str, orders: list[dict]) -> int:
        return self._post(f"/_sandbox/{kind}/{token}/adopt", orders)["adopted"]

    def order(self, kind: str, token: str, order_id: str) -> dict:
        return self._get(f"/_sandbox/{kind}/{token}/orders/{order_id}")

    def event(self, kind: str, token: str, order_id: str, event: str, **details) -> dict:
        return self._post(f"/_sandbox/{kind}/{token}/orders/{order_id}/{event}", details)

    def change_lines(self, kind: str, token: str, order_id: str, lines: list[dict]) -> dict:
        """Replace an order's lines at the mall: [{code, option, name, qty, price, tax_rate}]."""
        return self._post(f"/_sandbox/{kind}/{token}/orders/{order_id}/lines", {"lines": lines})

    def faults(self, kind: str, token: str, *queue: str) -> None:
        self._post(f"/_sandbox/{kind}/{token}/faults", {"queue": list(queue)})

    # --- the card gateway (gateway.py): one merchant per API key ------------------------
    def gateway(self, api_key: str, **settings) -> dict:
        """Set a merchant's latency_ms, async_seconds, auth_valid_days, timeout_seconds."""
        return self._post(f"/_sandbox/gateway/{api_key}", settings)["settings"]

    def gateway_faults(self, api_key: str, *queue: str) -> None:
        """Faults for the merchant's next calls: 500, 503, timeout, timeout_after_commit,
        pass."""
        self._post(f"/_sandbox/gateway/{api_key}/faults", {"queue": list(queue)})

    def gateway_effects(self, api_key: str) -> dict:
        """{"keys": {key: {operation, effects, requests, status}}, "totals": {operation: n}}"""
        return self._get(f"/_sandbox/gateway/{api_key}/effects")

    def gateway_adopt(self, api_key: str, transactions: list[dict]) -> int:
        """Authorizations the merchant already holds: [{id, token, amount, order_ref}]."""
        return self._post(f"/_sandbox/gateway/{api_key}/adopt", transactions)["adopted"]

    def gateway_transaction(self, api_key: str, transaction_id: str) -> dict:
        """The whole record: amounts, token, fraud verdict, history of operations and keys."""
        return self._get(f"/_sandbox/gateway/{api_key}/transactions/{transaction_id}")

    def deferred_file(self, gateway: str, action: str, data: bytes) -> bytes:
        """Upload a file to the NP / GMO admin ("transactions": 取引登録, "shipments":
        配送伝票) and return the result file it answers with."""
        response = self.http.post(f"/{gateway}/admin/{action}", content=data,
                                  headers={"Content-Type": "text/csv"})
        response.raise_for_status()
        return response.content
