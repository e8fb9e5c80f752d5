"""Outbound HTTP for 成果通知: one call to a partner's URL, with a timeout; the answer as
plain data (never an exception), since one partner's failure is only that notice's."""

from dataclasses import dataclass

import httpx

MESSAGE_LENGTH = 500


@dataclass(frozen=True)
class Answer:
    status: int | None
    body: str | None
    error: str | None

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def send(client: httpx.Client, method: str, url: str, key: str) -> Answer:
    """Call `url`; `key` goes along as Idempotency-Key, the same on every retry."""
    try:
        response = client.request(method, url, headers={"Idempotency-Key": key})
    except httpx.HTTPError as error:
        return Answer(None, None, f"{type(error).__name__}: {error}"[:MESSAGE_LENGTH])
    body = response.text[:MESSAGE_LENGTH]
    error = None if response.is_success else f"HTTP {response.status_code}"
    return Answer(response.status_code, body, error)


def client(timeout: float) -> httpx.Client:
    return httpx.Client(timeout=httpx.Timeout(timeout), follow_redirects=False)
