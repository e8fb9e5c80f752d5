"""The payment job: one kind for one order and many alike. Each target carries its
idempotency key (frozen with it); a chunk runs on the target runner's calls_out path:
the intents, the gateway calls with no transaction open, the results and the workflow's
advance (SCOPE P4 Jobs)."""

from collections.abc import Sequence
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from oms.integrations.payments import CardGateway
from oms.models import JobTarget, Notification, TargetState, User
from oms.models.payments import Gateway, PaymentTransaction, TransactionState
from oms.services import auto_advance, jobs, runner
from oms.services.actor import JOB, Actor
from oms.services.payments import ledger, rules, settings
from oms.services.sql_rows import insert_rows

KIND = "payment"
Work = ledger.Call | ledger.Done | str  # a call, a key already decided, or a refusal


def start(session: Session, user: User | None, keys: Sequence[tuple[int, str]], *,
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


class PaymentStep(runner.Step):
    calls_out = True
    chunk = 50  # each target is a gateway call: progress and 中止 in small steps

    def __init__(self, session: Session, job: Notification):
        super().__init__(session, job)
        self.cards = {int(k): v for k, v in (job.params or {}).get("cards", {}).items()}
        self.actor = Actor(job.user_id, job.user.username if job.user else None, None,
                           f"{JOB}:{job.id}")
        self.settings = settings.read(session)
        self.secret_key = current_app.config["SECRET_KEY"]
        self.gateways: dict[Gateway, CardGateway | str] = {}

    def prepare(self, session: Session, targets: list[runner.Target]
                ) -> list[tuple[runner.Target, Work]]:
        work: list[tuple[runner.Target, Work]] = []
        for target in targets:
            order = ledger.locked_order(session, target.order_id)
            if order is None or not target.key:
                work.append((target, str(_l("The order no longer exists."))))
                continue
            try:
                work.append((target, ledger.intend(session, order, target.key, self.actor,
                                                   job_id=self.job_id,
                                                   card_id=self.cards.get(order.id))))
            except rules.Refused as refused:
                work.append((target, str(refused)))
        session.flush()
        return work

    def call(self, work: list[tuple[runner.Target, Work]]
             ) -> list[tuple[runner.Target, Work, ledger.Answer | None]]:
        answers = []
        for target, item in work:
            answer = None
            if isinstance(item, ledger.Call):
                gateway = self._gateway(item.gateway)
                answer = (ledger.Answer(TransactionState.failed, None, gateway)
                          if isinstance(gateway, str) else ledger.call(gateway, item))
            answers.append((target, item, answer))
        return answers

    def record(self, session: Session, targets: list[runner.Target],
               answers: list[tuple[runner.Target, Work, ledger.Answer | None]]
               ) -> list[runner.Outcome]:
        outcomes = []
        for target, item, answer in answers:
            if isinstance(item, ledger.Call) and answer is not None:
                row = session.get(PaymentTransaction, item.row_id)
                error = ledger.record(session, row, answer, self.actor,
                                      valid_days=self.settings.auth_valid_days)
            elif isinstance(item, ledger.Done):
                error = None if item.state is TransactionState.succeeded else (
                    item.message or str(_l("The gateway refused the payment.")))
            else:
                error = str(item)
            outcomes.append(runner.Outcome(
                target.id, TargetState.ok if error is None else TargetState.failed,
                error[:500] if error else None))
        auto_advance.advance(session, [t.order_id for t in targets], self.actor)
        return outcomes

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


def request(session: Session, order_id: int, action: rules.A, user: User, *, locale: str,
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
            raise rules.Refused(str(_l("The order has no saved card to authorize.")))
        ledger.customer_card(session, order, card)
    key = ledger.order_key(session, order.id, action)
    return start(session, user, [(order.id, key)], locale=locale,
                 cards={order.id: card_id} if card_id else None)
