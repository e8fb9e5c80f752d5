"""Mall adapters: one per marketplace kind, all with the MallAdapter interface."""

from collections.abc import Callable
from typing import Any

from oms.integrations.malls.amazon import AmazonAdapter
from oms.integrations.malls.base import Batch, MallAdapter, MallLine, MallOrder, Party, Problem
from oms.integrations.malls.errors import MallDataError, MallError, MallRefused, MallUnavailable
from oms.integrations.malls.http import MallHttp
from oms.integrations.malls.qoo10 import Qoo10Adapter
from oms.integrations.malls.rakuten import RakutenAdapter
from oms.integrations.malls.yahoo import YahooAdapter

ADAPTERS: dict[str, type[MallAdapter]] = {
    a.kind: a for a in (AmazonAdapter, RakutenAdapter, Qoo10Adapter, YahooAdapter)}


def connect(kind: str, endpoint: str, credentials: str, settings: dict[str, Any], *,
            throttle: Callable[[], None] | None = None, timeout: float = 10.0,
            retries: int = 3, backoff: float = 0.5) -> MallAdapter:
    """An adapter for one mall account; KeyError for a kind no adapter speaks."""
    adapter = ADAPTERS[kind]
    http = MallHttp(endpoint, adapter.headers(credentials), timeout=timeout, retries=retries,
                    backoff=backoff, throttle=throttle)
    return adapter(http, settings)


__all__ = ["ADAPTERS", "Batch", "MallAdapter", "MallDataError", "MallError", "MallLine",
           "MallOrder", "MallRefused", "MallUnavailable", "Party", "Problem", "connect"]
