"""HTTP to a partner (a mall, the card gateway): timeouts, retries with backoff on
throttling, 5xx and lost connections, and an optional rate limit shared by every worker that
talks to the same account."""

import contextlib
import random
import time
from collections.abc import Callable
from typing import ClassVar

import httpx

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
# Answers that say the partner did nothing: safe to send again even a call that is not.
NOT_DONE_STATUSES = frozenset({429, 503})
MAX_RETRY_AFTER = 30.0


class RetryingHttp:
    """One account's connection to a partner. `throttle()` is called before every request
    and sleeps as long as the account's rate limit requires (see malls/ratelimit.py).
    Subclasses name the partner (for messages) and the error raised when retries fail."""

    peer: ClassVar[str]
    unavailable: ClassVar[type[Exception]]

    def __init__(self, base_url: str, headers: dict[str, str], *, timeout: float = 10.0,
                 retries: int = 3, backoff: float = 0.5,
                 throttle: Callable[[], None] | None = None,
                 sleep: Callable[[float], None] = time.sleep):
        self.client = httpx.Client(base_url=base_url.rstrip("/") + "/", headers=headers,
                                   timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)))
        self.retries = retries
        self.backoff = backoff
        self.throttle = throttle or (lambda: None)
        self.sleep = sleep

    def close(self) -> None:
        self.client.close()

    def request(self, method: str, path: str, *,
                retry_if: Callable[[httpx.Response], bool] | None = None,
                repeatable: bool = True, **kwargs) -> httpx.Response:
        """Send, retrying what a later attempt may fix; other answers go back to the
        adapter, which reads the partner's own error message from them.

        Repeating a read, a confirm or a call under an idempotency key is safe. A call the
        partner would do twice if it came twice (a mall's shipping row) is
        `repeatable=False`: it is sent again only after an answer that says nothing was done
        (throttled, unavailable) or a connection never made; a lost answer raises
        `unavailable`, and the caller reads the order back first (S7).
        """
        retry_statuses = RETRY_STATUSES if repeatable else NOT_DONE_STATUSES
        last, throttled = "", None
        for attempt in range(self.retries + 1):
            if attempt:
                self.sleep(self._delay(attempt, throttled))
            throttled = None
            self.throttle()
            try:
                response = self.client.request(method, path.lstrip("/"), **kwargs)
            except (httpx.ConnectError, httpx.ConnectTimeout) as error:
                last = f"could not reach {self.peer} ({type(error).__name__})"
                continue
            except httpx.TimeoutException:
                last = f"{self.peer} did not answer in time"
                if not repeatable:
                    break
                continue
            except httpx.TransportError as error:
                last = f"could not reach {self.peer} ({type(error).__name__})"
                if not repeatable:
                    break
                continue
            if response.status_code in retry_statuses or (retry_if and retry_if(response)):
                throttled = response
                last = f"HTTP {response.status_code}: {response.text[:200]}"
                continue
            if response.status_code in RETRY_STATUSES:
                raise self.unavailable(f"HTTP {response.status_code}: {response.text[:200]}")
            return response
        else:
            raise self.unavailable(f"{last} (after {self.retries + 1} attempts)")
        raise self.unavailable(f"{last}: the answer was lost")

    def _delay(self, attempt: int, response: httpx.Response | None) -> float:
        """Exponential backoff with jitter; the partner's Retry-After wins when it says more."""
        delay = self.backoff * 2 ** (attempt - 1) * (0.5 + random.random())
        if response is not None:
            with contextlib.suppress(ValueError):
                delay = max(delay, min(float(response.headers.get("Retry-After", 0)),
                                       MAX_RETRY_AFTER))
        return delay
