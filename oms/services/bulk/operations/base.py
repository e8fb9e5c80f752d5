"""What every bulk operation declares: its options form, guards, plan and undo support."""

from dataclasses import dataclass
from typing import Any, ClassVar

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session
from wtforms import Form

from oms.models import MallKind, Order, Shop, TargetState
from oms.services.actor import Actor
from oms.services.bulk.fields import Refused, Value

Options = dict[str, Any]


@dataclass(frozen=True)
class Refusal:
    """A guard as SQL, so the confirm step counts refusals over 100,000 orders in one query
    and the job evaluates exactly the same rule for each chunk it locks."""

    when: sa.ColumnElement[bool]
    message: str
    # failed: the operator must look at it; skipped: nothing to do (already so).
    state: TargetState = TargetState.failed


class Skip(Refused):
    """Refused because there is nothing to do; the outcome is `skipped`, not `failed`."""


class Operation:
    key: ClassVar[str]
    label: ClassVar[Any]
    form: ClassVar[type[Form]] = Form
    admin_only: ClassVar[bool] = False
    # Field operations can be undone: the engine keeps what they replaced.
    undoable: ClassVar[bool] = False
    # Chosen in the wizard; undo is started from a finished job instead.
    listed: ClassVar[bool] = True
    # Values offered for text fields (a datalist); any text is still accepted.
    suggestions: ClassVar[dict[str, tuple[str, ...]]] = {}
    # Seed 000 ②: a mall order in 待機中 takes only what does not act on the order's
    # progress (tags, texts, 要対応); every other operation refuses it.
    allowed_while_waiting: ClassVar[bool] = False
    # The lists whose wizard offers it (BulkSelection.kind): 注文一覧, 出荷一覧 (seed 004).
    kinds: ClassVar[tuple[str, ...]] = ("orders",)
    # An effect operation calls the outside world (a gateway) for each order: it runs on
    # the runner's calls_out path (bulk/effects.py) and names each call's idempotency key.
    calls_out: ClassVar[bool] = False

    def effect_key(self, job_id: int, order_id: int, options: Options) -> str:
        raise NotImplementedError

    def prepare_form(self, form: Form, session: Session) -> None:
        """Fill choices that come from the database."""

    def options_from(self, form: Form) -> Options:
        """The validated form as JSON-able options, stored on the job."""
        return dict(form.data)

    def describe(self, session: Session, options: Options) -> str:
        """The options in one line, for the confirm step and the history."""
        return str(self.label)

    def refusals(self, options: Options) -> list[Refusal]:
        """This operation's own guards (see guards)."""
        return []

    def guards(self, options: Options) -> list[Refusal]:
        """Every guard of the operation, first match wins: the preview counts and the
        engine applies exactly this list."""
        if self.allowed_while_waiting:
            return self.refusals(options)
        return [waiting_refusal(), *self.refusals(options)]

    def replaces(self, options: Options) -> bool:
        """True when the result does not build on the current value: such an operation
        refuses an order changed after the targets were frozen instead of overwriting
        someone's edit. Additive ones (append, tag add) apply to the row as it is."""
        return True

    def loaders(self) -> list:
        """Eager loads the plan needs for a chunk of orders (no query per order)."""
        return []

    def chunk_context(self, session: Session, job_id: int, order_ids: list[int],
                      options: Options) -> Any:
        """Anything the plan needs for a chunk, loaded at once."""
        return None

    def plan(self, order: Order, options: Options, context: Any) -> dict[str, Value]:
        """Field key -> new value for this order. Raise Refused (or Skip) to refuse."""
        raise NotImplementedError

    def applied(self, session: Session, order_ids: list[int], options: Options,
                actor: Actor) -> None:
        """Follow-up of the orders a chunk changed, in its transaction (a system mail's job,
        queued once for the chunk)."""


def waiting_refusal() -> Refusal:
    """Mall orders in 待機中 (seed 000 ②); own-shop orders are not restricted, so the
    payment checks can bring them out of 入金待ち. One SQL guard: the shops are few."""
    mall_shops = sa.select(Shop.id).where(Shop.kind != MallKind.own)
    return Refusal((Order.tab == "waiting") & Order.shop_id.in_(mall_shops), str(_l(
        "The payment is not complete or the order is not settled yet: nothing can be done "
        "but confirming the order and linking its items.")))


def equal_or_both_empty(column, value) -> sa.ColumnElement[bool]:
    return column.is_(None) if value in (None, "") else column == value


__all__ = ["Operation", "Options", "Refusal", "Refused", "Skip", "equal_or_both_empty",
           "waiting_refusal"]
