"""Shipping jobs: 出荷確定インポート of more rows than a request applies."""

from jobs import run_notified
from oms.services import shipment_import


def apply_import(notification_id: int) -> None:
    run_notified(notification_id, shipment_import.apply_job)
