"""Shipping jobs: the 出荷指示 file (oms.services.shipping_export_step), run as a lane of
the target runner so a lost worker's job is resumed where it stopped; and 出荷確定インポート
of more rows than a request applies (oms.services.shipment_import)."""

from jobs import lanes, run_notified
from oms.services import shipment_import


def export_instructions(notification_id: int) -> None:
    lanes.run(notification_id)


def apply_import(notification_id: int) -> None:
    run_notified(notification_id, shipment_import.apply_job)
