"""An order's 荷物番号報告 progress (未報告 / 報告中 / 報告済 / NG / 要確認): the 出荷済 tab's
filter as SQL, and the order detail's rows and 状態区分 tags."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Session

from oms.models import Order, ReportState, TrackingReport
from oms.models.base import utcnow

# A report still pending after this long is shown 要確認 and offered in the CSV/TSV (S6).
STALE_AFTER = timedelta(minutes=60)


class Progress(StrEnum):
    """An order's 荷物番号報告 as the 出荷済 tab filters it and the detail page tags it."""

    unreported = "unreported"  # 未報告
    reporting = "reporting"    # 報告中 (荷物番号報告中)
    reported = "reported"      # 報告済
    failed = "failed"          # NG (報告NG)
    check = "check"            # 要確認: still pending after STALE_AFTER


def is_stale(report: TrackingReport, now: datetime | None = None) -> bool:
    return (report.state is ReportState.pending
            and report.requested_at < (now or utcnow()) - STALE_AFTER)


def progress_condition(progress: Progress, now: datetime | None = None
                       ) -> sa.ColumnElement[bool]:
    """The orders in this report progress, as semi-joins on tracking_reports."""
    stale_before = (now or utcnow()) - STALE_AFTER

    def having(*where) -> sa.ColumnElement[bool]:
        return sa.exists().where(TrackingReport.order_id == Order.id, *where)

    done = having(TrackingReport.state == ReportState.ok)
    failed = having(TrackingReport.state == ReportState.failed)
    pending = TrackingReport.state == ReportState.pending
    match progress:
        case Progress.unreported:
            return ~having()
        case Progress.reported:
            return done
        case Progress.failed:
            return failed & ~done
        case Progress.check:
            return having(pending, TrackingReport.requested_at < stale_before) & ~done & ~failed
    return (having(pending, TrackingReport.requested_at >= stale_before) & ~done & ~failed
            & ~having(pending, TrackingReport.requested_at < stale_before))


@dataclass(frozen=True)
class ReportRow:
    """One report as the order detail shows it."""

    report: TrackingReport
    stale: bool


def for_order(session: Session, order_id: int) -> list[ReportRow]:
    now = utcnow()
    return [ReportRow(r, is_stale(r, now)) for r in session.scalars(
        sa.select(TrackingReport).where(TrackingReport.order_id == order_id)
        .order_by(TrackingReport.id))]


def order_progress(rows: list[ReportRow]) -> Progress:
    """The order's progress from its reports (the same order of precedence as the filter)."""
    states = {r.report.state for r in rows}
    if not rows:
        return Progress.unreported
    if ReportState.ok in states:
        return Progress.reported
    if ReportState.failed in states:
        return Progress.failed
    return Progress.check if any(r.stale for r in rows) else Progress.reporting
