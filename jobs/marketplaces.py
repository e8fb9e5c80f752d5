"""Mall jobs: the scheduled import per shop, and アイテム紐づけ over a search (全注文更新
and 注文確認 at the malls run as steps of oms.services.runner, see jobs.lanes)."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import force_locale

from jobs import _app, run_notified
from oms.extensions import db
from oms.queue import get_redis
from oms.services import mall_polling, marketplace_jobs


def poll_shop(shop_id: int) -> None:
    """Import what changed at one shop's mall (enqueued by the scheduler); the import
    commits after each batch."""
    with _app().app_context(), force_locale("ja"):
        session = db.session
        mall_polling.poll_shop(session, shop_id, current_app.config["SECRET_KEY"],
                               get_redis(), datetime.now(UTC), session.commit)
        session.commit()


def link_orders(notification_id: int) -> None:
    run_notified(notification_id, lambda session, note, report: marketplace_jobs.link_job(
        session, note, report, ZoneInfo(current_app.config["OMS_TZ"])))
