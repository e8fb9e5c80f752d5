"""The order information download job."""

from pathlib import Path
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import force_locale

from jobs import progress_reporter, run_notified
from oms.extensions import db
from oms.models import Notification
from oms.services import exports, notifications, order_search


def export_orders(notification_id: int) -> None:
    run_notified(notification_id, _export)


def _export(note: Notification) -> None:
    session = db.session
    params = note.params
    where = order_search.target_conditions(
        session, params.get("search", ""), params.get("order_ids"),
        ZoneInfo(current_app.config["OMS_TZ"]))
    directory = Path(current_app.config["EXPORT_DIR"])
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"orders-{note.id}.csv"
    notifications.mark_running(session, note, exports.count_orders(session, where))
    session.commit()
    with force_locale(params.get("locale", "ja")):
        substituted = exports.write_orders_csv(
            session, where, params["encoding"], path,
            progress_reporter(note),
        )
        note.summary = substituted.summary()
    note.result_path = str(path)
    note.result_name = f"orders-{note.id}.csv"
    if substituted.order_numbers:
        note.params = {**params, "substituted": substituted.order_numbers}
