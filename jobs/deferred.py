"""後払い (NP / GMO): a 与信結果 or 出荷報告結果 file of more rows than a request applies
(oms.services.deferred_import); the exports run as lanes of the target runner."""

from jobs import run_notified
from oms.services import deferred_import


def apply_import(notification_id: int) -> None:
    run_notified(notification_id, deferred_import.apply_job)
