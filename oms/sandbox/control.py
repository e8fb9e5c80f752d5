"""A client for the sandbox's control API, for tests, the demo set-up and benchmarks."""

from typing import Any

import httpx


class Sandbox:
    def __init__(self, url: str):
        self.url = url.rstrip("/")
        self.http = httpx.Client(base_url=self.url, timeout=120)

    def endpoint(self, kind: str) -> str:
        """The API endpoint a shop of this kind points at."""
        return f"{self.url}/{kind}"

    def _post(self, path: str, body: Any) -> Any:
        response = self.http.post(path, json=body)
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
        response = self.http.get(f"/_sandbox/{kind}/{token}/orders/{order_id}")
        response.raise_for_status()
        return response.json()

    def event(self, kind: str, token: str, order_id: str, event: str, **details) -> dict:
        return self._post(f"/_sandbox/{kind}/{token}/orders/{order_id}/{event}", details)

    def change_lines(self, kind: str, token: str, order_id: str, lines: list[dict]) -> dict:
        """Replace an order's lines at the mall: [{code, option, name, qty, price, tax_rate}]."""
        return self._post(f"/_sandbox/{kind}/{token}/orders/{order_id}/lines", {"lines": lines})

    def faults(self, kind: str, token: str, *queue: str) -> None:
        self._post(f"/_sandbox/{kind}/{token}/faults", {"queue": list(queue)})
