"""Mall jobs: starting 全注文更新 and アイテム紐づけ over "every order of the current search"
(seed 000 ⑫), freezing a job's orders as targets, the step every mall job over targets
shares, and the outcomes shown on a job's page."""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from oms.integrations.malls import MallAdapter
from oms.models import JobTarget, Notification, Order, Shop, TargetState
from oms.queue import get_redis
from oms.services import item_links, jobs, malls, notifications, order_search, runner
from oms.services.actor import Person

REFRESH, LINK, CONFIRM = "mall_refresh", "item_link", "mall_confirm"
# Jobs that keep an outcome per order, shown with the malls' messages.
WITH_OUTCOMES = frozenset({REFRESH, CONFIRM})


def start_refresh(session: Session, user: Person, search: str, locale: str) -> Notification:
    """全注文更新: refresh every order of the search from its mall, as a job."""
    return jobs.start(session, REFRESH, user, {"search": search, "locale": locale})


def start_link(session: Session, user: Person, search: str, locale: str) -> Notification:
    """アイテム紐づけ over every order of the search, as a job."""
    return jobs.start(session, LINK, user, {"search": search, "locale": locale})


def freeze(session: Session, note: Notification, chosen: sa.Select) -> int:
    """The job's orders as targets by one INSERT ... SELECT of (job id, order id, state,
    error). Returns how many there are."""
    session.execute(sa.insert(JobTarget).from_select(
        ["job_id", "order_id", "state", "error"], chosen))
    session.flush()
    return session.scalar(sa.select(sa.func.count()).select_from(JobTarget).where(
        JobTarget.job_id == note.id)) or 0


@dataclass
class ShopWork:
    """One shop's part of a chunk, as plain data for the call to its mall: the adapter
    (or why there is none) and the targets by mall order id."""

    shop_id: int
    adapter: MallAdapter | str
    targets: dict[str, runner.Target]
    statuses: dict | None = None


class MallStep(runner.Step):
    """A step calling the orders' malls: one adapter per shop for the whole lane."""

    calls_out = True

    def __init__(self, session: Session, job: Notification):
        super().__init__(session, job)
        self.adapters: dict[int, MallAdapter | str] = {}

    def by_shop(self, session: Session, targets: list[runner.Target]) -> list[ShopWork]:
        orders = session.execute(
            sa.select(Order.id, Order.shop_id, Order.mall_order_id)
            .where(Order.id.in_([t.order_id for t in targets]))).all()
        by_order = {t.order_id: t for t in targets}
        grouped: dict[int, dict[str, runner.Target]] = defaultdict(dict)
        for order_id, shop_id, mall_order_id in orders:
            grouped[shop_id][mall_order_id] = by_order[order_id]
        return [ShopWork(shop_id, self._adapter(session.get(Shop, shop_id)), chosen)
                for shop_id, chosen in grouped.items()]

    def _adapter(self, shop: Shop) -> MallAdapter | str:
        if shop.id not in self.adapters:
            try:
                self.adapters[shop.id] = malls.open_adapter(
                    shop, current_app.config["SECRET_KEY"], get_redis())
            except malls.NotConnected as error:
                self.adapters[shop.id] = str(error)
        return self.adapters[shop.id]

    def close(self) -> None:
        for adapter in self.adapters.values():
            if not isinstance(adapter, str):
                adapter.close()


def outcome(target: runner.Target, error: str | None) -> runner.Outcome:
    if error is None:
        return runner.Outcome(target.id, TargetState.ok)
    return runner.Outcome(target.id, TargetState.failed, error[:500])


def outcomes(session: Session, note: Notification, *, limit: int, failed_only: bool = False
             ) -> list[sa.Row]:
    """The job's orders that failed (and, unless failed_only, were skipped), with the
    reason: rows of (state, error, order number, mall order id)."""
    states = [TargetState.failed] if failed_only else [TargetState.failed, TargetState.skipped]
    return list(session.execute(
        sa.select(JobTarget.state, JobTarget.error, Order.order_number, Order.mall_order_id)
        .join(Order, Order.id == JobTarget.order_id)
        .where(JobTarget.job_id == note.id, JobTarget.state.in_(states))
        .order_by(JobTarget.state, JobTarget.order_id).limit(limit)).all())


def link_job(session: Session, note: Notification, report: Callable[[int], None],
             tz: ZoneInfo) -> None:
    """アイテム紐づけ over the record's search, set-based a range of orders at a time (its
    outcome is each order's link result, so it keeps no target rows)."""
    where = order_search.target_conditions(session, note.params.get("search", ""),
                                           note.params.get("order_ids"), tz)
    total = session.scalar(sa.select(sa.func.count()).select_from(Order).where(*where))
    notifications.mark_running(session, note, total)
    report(0)
    item_links.link(session, where, report)
    failed = session.scalar(sa.select(sa.func.count()).select_from(Order).where(
        *where, item_links.has_link_result("FAIL")))
    note.failed = failed  # the badge says 一部失敗 (n件); the page lists them
    note.summary = _("%(n)d orders linked; %(failed)d have lines that could not be "
                     "linked (FAIL).", n=total, failed=failed)
