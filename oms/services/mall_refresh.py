"""全注文更新 as a step of the target runner: each chunk's orders are read from their malls
with no transaction open, then what changed is applied in the chunk's transaction."""

from collections import Counter
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from oms.integrations.malls import ADAPTERS, Batch, MallError, Problem
from oms.models import Notification, Order, Shop, TargetState
from oms.services import mall_import, order_search, runner
from oms.services.marketplace_jobs import MallStep, ShopWork, freeze, outcome


class RefreshStep(MallStep):
    def freeze(self, session: Session, job: Notification) -> None:
        """The search's orders. Waiting orders (only confirming and linking are allowed
        there, seed 000 ②) and orders of shops without a mall API are skipped with the
        reason."""
        where = order_search.target_conditions(session, job.params.get("search", ""),
                                               job.params.get("order_ids"),
                                               ZoneInfo(current_app.config["OMS_TZ"]))
        no_mall = Order.shop_id.in_(sa.select(Shop.id).where(Shop.kind.not_in(list(ADAPTERS))))
        waiting = Order.tab == "waiting"
        reasons = (str(_l("Waiting orders can only be confirmed or linked.")),
                   str(_l("This shop has no mall API.")))
        freeze(session, job, sa.select(
            sa.literal(job.id), Order.id,
            sa.case((sa.or_(waiting, no_mall), TargetState.skipped.value),
                    else_=TargetState.pending.value),
            sa.case((waiting, reasons[0]), (no_mall, reasons[1])),
        ).where(*where))

    def prepare(self, session: Session, targets: list[runner.Target]) -> list[ShopWork]:
        return self.by_shop(session, targets)

    def call(self, work: list[ShopWork]) -> list[tuple[ShopWork, list[Batch]]]:
        return [(part, _fetch(part)) for part in work]

    def record(self, session: Session, targets: list[runner.Target],
               answers: list[tuple[ShopWork, list[Batch]]]) -> list[runner.Outcome]:
        results: list[runner.Outcome] = []
        unanswered = str(_l("The mall did not answer about this order."))
        for part, batches in answers:
            if isinstance(part.adapter, str):
                results += [outcome(t, part.adapter) for t in part.targets.values()]
                continue
            shop = session.get(Shop, part.shop_id)
            said: dict[str, str | None] = {}
            for batch in batches:
                said |= mall_import.import_batch(session, shop, batch, action="refresh",
                                               notification_id=self.job_id).outcomes
            results += [outcome(t, said.get(mall_id, unanswered))
                        for mall_id, t in part.targets.items()]
        return results

    def summary(self, done: Counter) -> str:
        return str(_l("%(ok)d orders updated from their malls, %(failed)d failed, "
                      "%(skipped)d skipped.", ok=done[TargetState.ok],
                      failed=done[TargetState.failed], skipped=done[TargetState.skipped]))


def _fetch(part: ShopWork) -> list[Batch]:
    if isinstance(part.adapter, str):
        return []
    ids = list(part.targets)
    size = part.adapter.batch_size
    batches = []
    for start in range(0, len(ids), size):
        chunk = ids[start:start + size]
        try:
            batches.append(part.adapter.fetch(chunk))
        except MallError as error:
            batches.append(Batch(problems=[Problem(mall_id, str(error)) for mall_id in chunk]))
    return batches
