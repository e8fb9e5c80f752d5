"""Starting the mall jobs over "every order of the current search" (seed 000 ⑫), and
freezing a refresh job's targets when it starts (DESIGN.md "Background jobs")."""

from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from oms.integrations.malls import ADAPTERS
from oms.models import Notification, Order, Shop, SyncTarget, TargetState, User
from oms.services import jobs, order_search

REFRESH, LINK, CONFIRM = "mall_refresh", "item_link", "mall_confirm"
# Jobs that keep an outcome per order (SyncTarget), shown with the malls' messages.
WITH_OUTCOMES = frozenset({REFRESH, CONFIRM})


def start_refresh(session: Session, user: User, search: str, locale: str) -> Notification:
    """全注文更新: refresh every order of the search from its mall, as a job."""
    return jobs.start(session, REFRESH, user, {"search": search, "locale": locale})


def start_link(session: Session, user: User, search: str, locale: str) -> Notification:
    """アイテム紐づけ over every order of the search, as a job."""
    return jobs.start(session, LINK, user, {"search": search, "locale": locale})


def freeze_targets(session: Session, note: Notification, tz: ZoneInfo) -> int:
    """全注文更新's orders. Waiting orders (only confirming and linking are allowed there,
    seed 000 ②) and orders of shops without a mall API are skipped with the reason."""
    where = order_search.target_conditions(session, note.params.get("search", ""),
                                           note.params.get("order_ids"), tz)
    no_mall = Order.shop_id.in_(sa.select(Shop.id).where(Shop.kind.not_in(list(ADAPTERS))))
    waiting = Order.tab == "waiting"
    reasons = (_("Waiting orders can only be confirmed or linked."),
               _("This shop has no mall API."))
    return freeze(session, note, sa.select(
        sa.literal(note.id), Order.id,
        sa.case((sa.or_(waiting, no_mall), TargetState.skipped.value),
                else_=TargetState.pending.value),
        sa.case((waiting, reasons[0]), (no_mall, reasons[1])),
    ).where(*where))


def freeze(session: Session, note: Notification, chosen: sa.Select) -> int:
    """The job's orders as targets, fixed the first time it runs by one INSERT ... SELECT
    of (notification id, order id, state, error); a re-run resumes the same targets.
    Returns how many there are."""
    count = sa.select(sa.func.count()).select_from(SyncTarget).where(
        SyncTarget.notification_id == note.id)
    if existing := session.scalar(count):
        return existing
    session.execute(sa.insert(SyncTarget).from_select(
        ["notification_id", "order_id", "state", "error"], chosen))
    session.flush()
    return session.scalar(count)


def outcomes(session: Session, note: Notification, *, limit: int, failed_only: bool = False
             ) -> list[sa.Row]:
    """The job's orders that failed (and, unless failed_only, were skipped), with the
    reason: rows of (state, error, order number, mall order id)."""
    states = [TargetState.failed] if failed_only else [TargetState.failed, TargetState.skipped]
    return list(session.execute(
        sa.select(SyncTarget.state, SyncTarget.error, Order.order_number, Order.mall_order_id)
        .join(Order, Order.id == SyncTarget.order_id)
        .where(SyncTarget.notification_id == note.id, SyncTarget.state.in_(states))
        .order_by(SyncTarget.state, SyncTarget.order_id).limit(limit)).all())
