"""Shipping jobs: the 出荷指示 file (oms.services.shipping_export_step), run as a lane of
the target runner so a lost worker's job is resumed where it stopped; 出荷確定インポート
of more rows than a request applies (oms.services.shipment_import); and the mall files of
荷物番号報告 (oms.services.mall_files)."""

from pathlib import Path
from zoneinfo import ZoneInfo

from flask import current_app

from jobs import lanes, run_notified
from oms.services import mall_files, shipment_import


def export_instructions(notification_id: int) -> None:
    lanes.run(notification_id)


def apply_import(notification_id: int) -> None:
    run_notified(notification_id, shipment_import.apply_job)


def export_mall_file(notification_id: int) -> None:
    """楽天荷物番号報告CSV / Amazon出荷確定TSV."""
    run_notified(notification_id, lambda session, note, report: mall_files.export_job(
        session, note, report, Path(current_app.config["EXPORT_DIR"]),
        ZoneInfo(current_app.config["OMS_TZ"])))
