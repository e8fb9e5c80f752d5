"""Mall jobs: the scheduled import per shop, and アイテム紐づけ over a search (全注文更新
and 注文確認 at the malls run as steps of oms.services.runner)."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from jobs import _app, progress_reporter, run_notified
from oms.extensions import db
from oms.models import Notification, Order, Shop, ShopSync
from oms.queue import get_redis
from oms.services import (
    item_links,
    mall_polling,
    malls,
    notifications,
    order_search,
)


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
        item_links.link(session, where, progress_reporter(note))
        failed = session.scalar(sa.select(sa.func.count()).select_from(Order).where(
            *where, item_links.has_link_result("FAIL")))
        note.failed = failed  # the badge says 一部失敗 (n件); the page lists them
        note.summary = _("%(n)d orders linked; %(failed)d have lines that could not be "
                         "linked (FAIL).", n=total, failed=failed)
