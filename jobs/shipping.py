"""Shipping jobs: the mall files of 荷物番号報告."""

from pathlib import Path
from zoneinfo import ZoneInfo

from flask import current_app

from jobs import run_notified
from oms.services import mall_files


def export_mall_file(notification_id: int) -> None:
    """楽天荷物番号報告CSV / Amazon出荷確定TSV (oms.services.mall_files)."""
    run_notified(notification_id, lambda session, note, report: mall_files.export_job(
        session, note, report, Path(current_app.config["EXPORT_DIR"]),
        ZoneInfo(current_app.config["OMS_TZ"])))
