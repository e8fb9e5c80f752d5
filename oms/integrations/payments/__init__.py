"""Payment gateways: the card gateway (and 楽天カード決済API's asynchronous mode) as one
interface. Every effect carries an idempotency key: a retry with the same key after a
timeout, a lost answer or a killed worker never charges twice (RELIABILITY B)."""

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Protocol


class ChargeState(StrEnum):
    succeeded = "succeeded"
    pending = "pending"  # accepted, the result comes later (rakuten_card): poll with get()
    failed = "failed"  # the gateway said no; nothing happened


@dataclass(frozen=True)
class Charge:
    """The gateway's answer about one transaction."""

    state: ChargeState
    transaction_id: str | None
    amount: int = 0
    # A decline or error code (card_declined, insufficient_funds, …) and its message.
    code: str | None = None
    message: str | None = None
    # The fraud screening's verdict on an authorization (OK / NG / HOLD / REVIEW) and its
    # reasons, as O-PLUX shows them (seed 002).
    fraud: str | None = None
    fraud_reasons: tuple[str, ...] = field(default_factory=tuple)
    expires_at: datetime | None = None  # when an authorization lapses


class GatewayError(Exception):
    """No usable answer (timeout, lost connection, 5xx after retries): the effect may or may
    not have happened. Record it as unknown and call again with the same key."""


class KeyMismatch(Exception):
    """The gateway refused a key already used with other parameters (HTTP 422): a bug on
    our side, never retried."""


class CardGateway(Protocol):
    def authorize(self, key: str, *, token: str, amount: int, order_ref: str) -> Charge: ...

    def capture(self, key: str, *, transaction_id: str, amount: int) -> Charge: ...

    def void(self, key: str, *, transaction_id: str) -> Charge: ...

    def refund(self, key: str, *, transaction_id: str, amount: int) -> Charge: ...

    def reauthorize(self, key: str, *, transaction_id: str, token: str, amount: int
                    ) -> Charge: ...

    def get(self, transaction_id: str) -> Charge: ...

    def close(self) -> None: ...
