"""The sandbox marketplace as one WSGI app: `/<kind>/...` speaks each mall's dialect,
`/_sandbox/...` lets tests, the demo and benchmarks set the mall up and watch it. The card
gateway (`/gateway/...`, `/rakuten_card/...`, `/_sandbox/gateway/...`) is its own app, mounted
here (gateway.py).

The control API has no authentication: the server listens on loopback only.
"""

import threading
from typing import Any

from werkzeug.exceptions import HTTPException, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from oms.sandbox.amazon import Amazon
from oms.sandbox.deferred import DeferredAdmin
from oms.sandbox.dialect import Dialect, json_response
from oms.sandbox.gateway import Gateway
from oms.sandbox.qoo10 import Qoo10
from oms.sandbox.rakuten import Rakuten
from oms.sandbox.store import FAULTS, SandboxError, Store
from oms.sandbox.yahoo import Yahoo

DIALECTS: dict[str, Dialect] = {d.kind: d for d in (Amazon(), Rakuten(), Qoo10(), Yahoo())}


def _rules() -> Map:
    rules = [
        Rule("/_sandbox/health", endpoint="health", methods=["GET"]),
        Rule("/_sandbox/accounts", endpoint="put_account", methods=["POST"]),
        Rule("/_sandbox/<kind>/<token>/products", endpoint="put_products", methods=["POST"]),
        Rule("/_sandbox/<kind>/<token>/orders", endpoint="generate", methods=["POST"]),
        Rule("/_sandbox/<kind>/<token>/adopt", endpoint="adopt", methods=["POST"]),
        Rule("/_sandbox/<kind>/<token>/orders/<order_id>", endpoint="show", methods=["GET"]),
        # A static last segment wins over <event>: "lines" is no event.
        Rule("/_sandbox/<kind>/<token>/orders/<order_id>/lines", endpoint="change_lines",
             methods=["POST"]),
        Rule("/_sandbox/<kind>/<token>/orders/<order_id>/<event>", endpoint="event",
             methods=["POST"]),
        Rule("/_sandbox/<kind>/<token>/faults", endpoint="faults", methods=["POST"]),
        # NP後払い / GMO後払い: the admin's file upload and its result (oms.sandbox.deferred).
        Rule("/<any(np, gmo):gateway>/admin/<any(transactions, shipments):action>",
             endpoint="deferred", methods=["POST"]),
        # A receiver of outbound notifications (成果通知): answers as configured, keeps hits.
        Rule("/_sandbox/echo/<name>", endpoint="echo", methods=["GET", "POST"]),
        Rule("/_sandbox/echo/<name>/answer", endpoint="echo_answer", methods=["POST"]),
        Rule("/_sandbox/echo/<name>/hits", endpoint="echo_hits", methods=["GET"]),
    ]
    for kind, dialect in DIALECTS.items():
        for path, method, handler in dialect.routes:
            rules.append(Rule(f"/{kind}/{path}", endpoint=f"{kind}:{handler}",
                              methods=[method]))
    return Map(rules)


class SandboxApp:
    def __init__(self, store: Store):
        self.store = store
        self.url_map = _rules()
        self.gateway = Gateway(store)
        self.deferred_admin = DeferredAdmin(store)
        # Echo receivers live in memory: they serve one test run, not the mall's state.
        self.echo_lock = threading.Lock()
        self.echo_status: dict[str, int] = {}
        self.echo_seen: dict[str, list[dict[str, str]]] = {}

    def __call__(self, environ, start_response):
        request = Request(environ)
        if self.gateway.owns(request.path):
            return self.gateway(environ, start_response)
        try:
            endpoint, args = self.url_map.bind_to_environ(environ).match()
            if ":" in endpoint:
                kind, handler = endpoint.split(":")
                response = DIALECTS[kind].handle(self.store, request, handler, **args)
            else:
                response = getattr(self, endpoint)(request, **args)
        except SandboxError as error:
            response = json_response({"error": error.message}, error.status)
        except HTTPException as error:
            response = error.get_response(environ)
        return response(environ, start_response)

    def deferred(self, request: Request, gateway: str, action: str) -> Response:
        return self.deferred_admin.handle(request, gateway, action)

    # --- control API ----------------------------------------------------------------
    def health(self, request: Request) -> Response:
        return json_response({"status": "ok", "accounts": len(self.store.accounts())})

    def _body(self, request: Request) -> dict[str, Any]:
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            raise SandboxError("send a JSON object")
        return body

    def _account(self, kind: str, token: str):
        account = self.store.account(kind, token)
        if account is None:
            raise NotFound(f"no {kind} account with that token")
        return account

    def put_account(self, request: Request) -> Response:
        body = self._body(request)
        account = self.store.put_account(body.get("kind", ""), str(body.get("token", "")),
                                         str(body.get("name") or body.get("token")),
                                         body.get("settings") or {})
        return json_response({"id": account.id, "kind": account.kind.name,
                              "settings": account.settings})

    def put_products(self, request: Request, kind: str, token: str) -> Response:
        products = request.get_json(silent=True)
        if not isinstance(products, list):
            raise SandboxError("send a JSON list of products")
        return json_response({"products": self.store.put_products(self._account(kind, token),
                                                                  products)})

    def generate(self, request: Request, kind: str, token: str) -> Response:
        body = self._body(request)
        ids = self.store.generate(self._account(kind, token), int(body.get("count", 1)),
                                  status=body.get("status"), at=body.get("at"),
                                  seed=body.get("seed"))
        return json_response({"order_ids": ids})

    def adopt(self, request: Request, kind: str, token: str) -> Response:
        orders = request.get_json(silent=True)
        if not isinstance(orders, list):
            raise SandboxError("send a JSON list of orders")
        return json_response({"adopted": self.store.adopt(self._account(kind, token), orders)})

    def show(self, request: Request, kind: str, token: str, order_id: str) -> Response:
        order = self.store.get(self._account(kind, token), order_id)
        if order is None:
            raise NotFound(order_id)
        return json_response({"order_id": order.order_id, "status": order.status,
                              "created": order.created, "updated": order.updated,
                              **order.doc})

    def event(self, request: Request, kind: str, token: str, order_id: str, event: str
              ) -> Response:
        details = request.get_json(silent=True) or {}
        order = self.store.apply(self._account(kind, token), order_id, event, **details)
        return json_response({"order_id": order.order_id, "status": order.status})

    def change_lines(self, request: Request, kind: str, token: str, order_id: str
                     ) -> Response:
        order = self.store.change_lines(self._account(kind, token), order_id,
                                        self._body(request).get("lines"))
        return json_response({"order_id": order.order_id, "status": order.status,
                              "lines": order.doc["lines"], "total": order.doc["total"]})

    def echo(self, request: Request, name: str) -> Response:
        with self.echo_lock:
            self.echo_seen.setdefault(name, []).append({
                "method": request.method, "url": request.url,
                "body": request.get_data(as_text=True)})
            status = self.echo_status.get(name, 200)
        return Response(f"received {name}" if status < 400 else f"error {status}",
                        status=status, content_type="text/plain; charset=utf-8")

    def echo_answer(self, request: Request, name: str) -> Response:
        status = int(self._body(request).get("status", 200))
        with self.echo_lock:
            self.echo_status[name] = status
        return json_response({"status": status})

    def echo_hits(self, request: Request, name: str) -> Response:
        with self.echo_lock:
            return json_response({"hits": list(self.echo_seen.get(name, []))})

    def faults(self, request: Request, kind: str, token: str) -> Response:
        body = self._body(request)
        account = self._account(kind, token)
        self.store.queue_faults(account, body.get("queue") or [])
        return json_response({"queued": body.get("queue") or [], "known": FAULTS})
