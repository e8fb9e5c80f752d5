"""Mall jobs: the scheduled import per shop, 全注文更新 and アイテム紐づけ over a search, and
注文確認 at the malls after an operator's confirm."""

from datetime import UTC, datetime
from itertools import groupby
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from jobs import _app, run_notified
from oms.extensions import db
from oms.models import Notification, Order, Shop, ShopSync, SyncTarget, TargetState
from oms.queue import get_redis
from oms.services import (
    item_links,
    mall_confirm,
    mall_polling,
    malls,
    notifications,
    order_search,
)
from oms.services.marketplace_jobs import freeze_targets

CHUNK = 500  # refresh targets loaded at a time
# Confirm targets per progress step: each is a call to the mall, so steps are smaller.
CONFIRM_CHUNK = 50


def poll_shop(shop_id: int) -> None:
    """Import what changed at one shop's mall (enqueued by the scheduler)."""
    with _app().app_context(), force_locale("ja"):
        session = db.session
        shop = session.get(Shop, shop_id)
        if shop is None or not shop.active:
            return
        try:
            adapter = malls.open_adapter(shop, current_app.config["SECRET_KEY"], get_redis())
        except malls.NotConnected as error:
            sync = session.get(ShopSync, shop.id) or ShopSync(shop_id=shop.id)
            session.add(sync)
            sync.error, sync.finished_at = str(error), datetime.now(UTC)
            session.commit()
            return
        try:
            mall_polling.poll(session, shop, adapter, datetime.now(UTC), session.commit)
        finally:
            adapter.close()


def refresh_orders(notification_id: int) -> None:
    run_notified(notification_id, _refresh)


def _refresh(note: Notification) -> None:
    session = db.session
    with force_locale(note.params.get("locale", "ja")):
        tz = ZoneInfo(current_app.config["OMS_TZ"])
        total = freeze_targets(session, note, tz)  # once: a re-run resumes the same targets
        _work_through(session, note, total, mall_polling.refresh)
        note.summary = _("%(ok)d orders updated from their malls, %(failed)d failed, "
                         "%(skipped)d skipped.",
                         ok=_count(session, note.id, TargetState.ok),
                         failed=note.failed,
                         skipped=_count(session, note.id, TargetState.skipped))


def confirm_at_malls(notification_id: int) -> None:
    run_notified(notification_id, _confirm)


def _confirm(note: Notification) -> None:
    session = db.session
    with force_locale(note.params.get("locale", "ja")):
        total = mall_confirm.freeze_targets(session, note)
        _work_through(session, note, total, mall_confirm.confirm_shop, chunk=CONFIRM_CHUNK)
        note.summary = _("%(ok)d orders confirmed at their malls, %(failed)d failed.",
                         ok=_count(session, note.id, TargetState.ok), failed=note.failed)


def _work_through(session, note: Notification, total: int, per_shop, *, chunk: int = CHUNK
                  ) -> None:
    """Run `per_shop(session, shop, adapter, orders, notification_id=)` over the job's
    pending targets, a chunk and a shop at a time, recording each order's outcome."""
    notifications.mark_running(session, note, total)
    note.done = _count(session, note.id, TargetState.pending, negate=True)
    note.failed = _count(session, note.id, TargetState.failed)
    session.commit()
    report = notifications.progress_reporter(session, note)
    adapters: dict[int, object] = {}
    try:
        while targets := _pending(session, note.id, chunk):
            for shop_id, orders in groupby(targets, key=lambda o: o.shop_id):
                _run_shop(session, note, adapters, session.get(Shop, shop_id), list(orders),
                          per_shop)
            note.done = _count(session, note.id, TargetState.pending, negate=True)
            note.failed = _count(session, note.id, TargetState.failed)
            report(note.done)
    finally:
        for adapter in adapters.values():
            if not isinstance(adapter, str):
                adapter.close()


def _run_shop(session, note, adapters, shop: Shop, orders: list[Order], per_shop) -> None:
    if shop.id not in adapters:
        try:
            adapters[shop.id] = malls.open_adapter(shop, current_app.config["SECRET_KEY"],
                                                   get_redis())
        except malls.NotConnected as error:
            adapters[shop.id] = str(error)
    adapter = adapters[shop.id]
    if isinstance(adapter, str):
        outcomes = dict.fromkeys((o.id for o in orders), adapter)
    else:
        outcomes = per_shop(session, shop, adapter, orders, notification_id=note.id)
    done = [order_id for order_id, error in outcomes.items() if error is None]
    session.execute(sa.update(SyncTarget).where(
        SyncTarget.notification_id == note.id, SyncTarget.order_id.in_(done)).values(
        state=TargetState.ok))
    for order_id, error in outcomes.items():
        if error is not None:  # the few that failed, each with its own message
            session.execute(sa.update(SyncTarget).where(
                SyncTarget.notification_id == note.id, SyncTarget.order_id == order_id)
                .values(state=TargetState.failed, error=error[:500]))


def _pending(session, notification_id: int, chunk: int = CHUNK) -> list[Order]:
    return list(session.scalars(
        sa.select(Order).join(SyncTarget, SyncTarget.order_id == Order.id)
        .where(SyncTarget.notification_id == notification_id,
               SyncTarget.state == TargetState.pending)
        .order_by(Order.shop_id, Order.id).limit(chunk)))


def _count(session, notification_id: int, state: TargetState, *, negate: bool = False) -> int:
    condition = SyncTarget.state != state if negate else SyncTarget.state == state
    return session.scalar(sa.select(sa.func.count()).select_from(SyncTarget).where(
        SyncTarget.notification_id == notification_id, condition))


def link_orders(notification_id: int) -> None:
    run_notified(notification_id, _link)


def _link(note: Notification) -> None:
    session = db.session
    with force_locale(note.params.get("locale", "ja")):
        where = order_search.target_conditions(
            session, note.params.get("search", ""), note.params.get("order_ids"),
            ZoneInfo(current_app.config["OMS_TZ"]))
        total = session.scalar(sa.select(sa.func.count()).select_from(Order).where(*where))
        notifications.mark_running(session, note, total)
        session.commit()
        item_links.link(session, where, notifications.progress_reporter(session, note))
        failed = session.scalar(sa.select(sa.func.count()).select_from(Order).where(
            *where, item_links.has_link_result("FAIL")))
        note.summary = _("%(n)d orders linked; %(failed)d have lines that could not be "
                         "linked (FAIL).", n=total, failed=failed)
