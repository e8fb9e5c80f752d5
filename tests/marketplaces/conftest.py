"""The sandbox marketplace for these tests: the real server over HTTP on loopback, one per
test session; every test gets seller accounts of its own, so tests never see each other's
orders."""

import socket
import uuid
from dataclasses import dataclass

import pytest

from oms.models import MallKind, Shop
from oms.sandbox.control import Sandbox
from oms.sandbox.server import start
from oms.services import malls


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def sandbox(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("sandbox")
    port = _free_port()
    process = start(tmp / "sandbox.db", port, log=tmp / "sandbox.log")
    yield Sandbox(f"http://127.0.0.1:{port}")
    process.terminate()
    process.wait(10)


@dataclass
class Mall:
    """A shop of ours connected to its own sandbox seller account."""

    sandbox: Sandbox
    shop: Shop
    token: str

    @property
    def kind(self) -> str:
        return self.shop.kind.value

    def generate(self, count: int = 1, **options) -> list[str]:
        return self.sandbox.generate(self.kind, self.token, count, **options)

    def event(self, order_id: str, event: str, **details) -> dict:
        return self.sandbox.event(self.kind, self.token, order_id, event, **details)

    def change_lines(self, order_id: str, lines: list[dict]) -> dict:
        return self.sandbox.change_lines(self.kind, self.token, order_id, lines)

    def faults(self, *queue: str) -> None:
        self.sandbox.faults(self.kind, self.token, *queue)

    def order(self, order_id: str) -> dict:
        return self.sandbox.order(self.kind, self.token, order_id)

    def configure(self, **settings) -> None:
        self.sandbox.account(self.kind, self.token, **settings)


@pytest.fixture
def make_mall(sandbox, factory, app):
    """make_mall("rakuten", auto_confirm=False, **sandbox settings) -> Mall."""

    def make(kind: str = "amazon", *, auto_confirm: bool = False, shop_settings=None,
             **settings) -> Mall:
        token = f"{kind}-{uuid.uuid4().hex[:12]}"
        if kind == "rakuten":
            token = f"secret-{token}:license"
        sandbox.account(kind, token, **{"latency_ms": 0, "timeout_seconds": 3, **settings})
        shop = factory.shop(MallKind(kind), api_endpoint=sandbox.endpoint(kind),
                            auto_confirm=auto_confirm)
        shop.settings = {"rate_per_second": 1000, **(shop_settings or {})}
        malls.set_credentials(shop, app.config["SECRET_KEY"], token)
        factory.session.commit()
        return Mall(sandbox, shop, token)

    return make


@pytest.fixture
def adapter_for(app):
    """The shop's adapter with quick retries (the backoff itself is not under test)."""
    opened = []

    def open_(shop, **http):
        adapter = malls.open_adapter(shop, app.config["SECRET_KEY"],
                                     **{"timeout": 1.0, "retries": 3, "backoff": 0.01, **http})
        opened.append(adapter)
        return adapter

    yield open_
    for adapter in opened:
        adapter.close()


@pytest.fixture(autouse=True)
def _english(in_english):
    """Services translate their messages: these tests read them in English."""
