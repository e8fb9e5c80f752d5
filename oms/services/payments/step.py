"""The payment job: one kind for one order and many alike. Each target carries its
idempotency key (frozen with it); a chunk runs on the target runner's calls_out path:
the intents, the gateway calls with no transaction open, the results and the workflow's
advance (SCOPE P4 Jobs)."""

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from oms.integrations.payments import CardGateway
from oms.models import JobTarget, Notification, TargetState
from oms.models.payments import Gateway, PaymentTransaction, TransactionState
from oms.services import auto_advance, jobs, runner
from oms.services.actor import JOB, Actor, Person
from oms.services.payments import ledger, rules, settings
from oms.services.sql_rows import insert_rows

KIND = "payment"
# Gateway calls in flight at once per lane (threads: each waits on the network).
CALLS_AT_ONCE = 10
Work = ledger.Call | ledger.Done | str  # a call, a key already decided, or a refusal


def start(session: Session, user: Person | None, keys: Sequence[tuple[int, str]], *,
          locale: str, cards: dict[int, int] | None = None) -> Notification:
    """Record the payment job over (order id, idempotency key) pairs, with its targets;
    it is queued when the caller's transaction commits. `cards`: the card chosen per
    order for オーソリ / 再オーソリ."""
    params: dict[str, Any] = {"locale": locale}
    if cards:
        params["cards"] = {str(order_id): card_id for order_id, card_id in cards.items()}
    note = jobs.start(session, KIND, user, params, orders=len(keys))
    insert_rows(session, JobTarget.__table__, [
        {"job_id": note.id, "order_id": order_id, "state": TargetState.pending.value,
         "key": key} for order_id, key in keys])
    note.total = len(keys)
    return note


class Effects:
    """The three phases over a chunk of targets, each under its key: the payment job and
    the bulk 決済状況一括変更 alike. The calls of a chunk run a few at a time, so a chunk
    takes about its size / CALLS_AT_ONCE gateway round trips (latency-bound)."""

    def __init__(self, session: Session, job_id: int, actor: Actor):
        self.job_id, self.actor = job_id, actor
        self.settings = settings.read(session)
        self.secret_key = current_app.config["SECRET_KEY"]
        self.gateways: dict[Gateway, CardGateway | str] = {}

    def intend(self, session: Session, target: runner.Target, card_id: int | None = None
               ) -> Work:
        """Phase A for one target (the order locked): the call, the key already decided,
        or why the order refuses it."""
        order = ledger.locked_order(session, target.order_id)
        if order is None or not target.key:
            return str(_l("The order no longer exists."))
        try:
            return ledger.intend(session, order, target.key, self.actor, job_id=self.job_id,
                                 card_id=card_id)
        except rules.Refused as refused:
            return str(refused)

    def call(self, work: list[tuple[runner.Target, Work]]
             ) -> list[tuple[runner.Target, Work, ledger.Answer | None]]:
        """Phase B, with no transaction open."""
        calls = [item for _, item in work if isinstance(item, ledger.Call)]
        for gateway in {item.gateway for item in calls}:
            self._gateway(gateway)  # opened here, not by the threads at once
        with ThreadPoolExecutor(CALLS_AT_ONCE) as pool:
            answers = dict(zip(map(id, calls), pool.map(self._call, calls), strict=True))
        return [(target, item, answers.get(id(item))) for target, item in work]

    def _call(self, item: ledger.Call) -> ledger.Answer:
        gateway = self.gateways[item.gateway]
        if isinstance(gateway, str):
            return ledger.Answer(TransactionState.failed, None, gateway)
        return ledger.call(gateway, item)

    def outcome(self, session: Session, target: runner.Target, item: Work,
                answer: ledger.Answer | None) -> runner.Outcome:
        """Phase C for one target: the result on the ledger and the order; the target's
        outcome finishes with the effect. A lost answer leaves the effect unknown and the
        target `calling`: the runner claims it again after the lease and calls under the
        same key (RELIABILITY B), whichever job asked for it."""
        state = TargetState.failed
        if isinstance(item, ledger.Call) and answer is not None:
            row = session.get(PaymentTransaction, item.row_id)
            error = ledger.record(session, row, answer, self.actor,
                                  valid_days=self.settings.auth_valid_days)
            if row.state is TransactionState.unknown:
                state = TargetState.calling
        elif isinstance(item, ledger.Done):
            error = None if item.state is TransactionState.succeeded else (
                item.message or str(_l("The gateway refused the payment.")))
        else:
            error = str(item)
        return runner.Outcome(target.id, TargetState.ok if error is None else state,
                              error[:500] if error else None)

    def _gateway(self, gateway: Gateway) -> CardGateway | str:
        if gateway not in self.gateways:
            try:
                self.gateways[gateway] = settings.open_gateway(self.settings, gateway,
                                                               self.secret_key)
            except settings.NotConfigured as error:
                self.gateways[gateway] = str(error)
        return self.gateways[gateway]

    def close(self) -> None:
        for gateway in self.gateways.values():
            if not isinstance(gateway, str):
                gateway.close()


class PaymentStep(runner.Step):
    calls_out = True
    chunk = 50  # each target is a gateway call: progress and 中止 in small steps

    def __init__(self, session: Session, job: Notification):
        super().__init__(session, job)
        self.cards = {int(k): v for k, v in (job.params or {}).get("cards", {}).items()}
        actor = Actor(job.user_id, job.user.username if job.user else None, None,
                      f"{JOB}:{job.id}")
        self.effects = Effects(session, job.id, actor)

    def prepare(self, session: Session, targets: list[runner.Target]
                ) -> list[tuple[runner.Target, Work]]:
        work = [(target, self.effects.intend(session, target, self.cards.get(target.order_id)))
                for target in targets]
        session.flush()
        return work

    def call(self, work: list[tuple[runner.Target, Work]]
             ) -> list[tuple[runner.Target, Work, ledger.Answer | None]]:
        return self.effects.call(work)

    def record(self, session: Session, targets: list[runner.Target],
               answers: list[tuple[runner.Target, Work, ledger.Answer | None]]
               ) -> list[runner.Outcome]:
        outcomes = [self.effects.outcome(session, *answer) for answer in answers]
        auto_advance.advance(session, [t.order_id for t in targets], self.effects.actor)
        return outcomes

    def close(self) -> None:
        self.effects.close()


def request(session: Session, order_id: int, action: rules.A, user: Person, *, locale: str,
            card_id: int | None = None) -> Notification:
    """決済状況変更 for one order: refused at once when its state does not allow the
    action (the job checks again), else the job is recorded, queued after the commit."""
    order = ledger.locked_order(session, order_id)
    if order is None:
        raise rules.Refused(str(_l("The order no longer exists.")))
    rules.check(order, action)
    if action in (rules.A.authorize, rules.A.reauthorize):
        card = card_id or order.customer_card_id
        if card is None:
            raise rules.Refused(str(rules.NO_CARD))
        ledger.customer_card(session, order, card)
    key = ledger.order_key(session, order.id, action)
    return start(session, user, [(order.id, key)], locale=locale,
                 cards={order.id: card_id} if card_id else None)
