"""The order information download job."""

from pathlib import Path
from zoneinfo import ZoneInfo

from flask import current_app

from jobs import run_notified
from oms.services import exports


def export_orders(notification_id: int) -> None:
    run_notified(notification_id, lambda session, note, report: exports.export_job(
        session, note, report, Path(current_app.config["EXPORT_DIR"]),
        ZoneInfo(current_app.config["OMS_TZ"])))
