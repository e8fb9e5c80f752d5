"""What a job's page shows beside its progress, by kind of job: the orders a mall job
or an allocation job failed on, the result of a list action and the job that follows it,
the orders a link job left FAIL, the orders an export wrote with substitutes."""

from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session

from oms.models import LinkResult, Notification
from oms.services import (
    action_results,
    allocation_job,
    deferred_export,
    item_links,
    mail,
    marketplace_jobs,
    notifications,
    order_search,
    shipping_export,
)
from oms.services.actor import Person

SHOWN = 20  # failed or FAIL orders listed on the page; the rest are one link away


@dataclass
class JobDetails:
    mall_failures: list[sa.Row] = field(default_factory=list)
    result: action_results.ActionResult | None = None
    follow_up: Notification | None = None
    # アイテム紐づけ: the FAIL orders of its search (now), and the list query that shows them.
    link_failures: list[tuple[str, list[tuple[str, str | None]]]] = field(default_factory=list)
    link_fail_query: str | None = None
    substituted: list[str] = field(default_factory=list)
    shown: int = SHOWN

    def waiting(self, note: Notification) -> bool:
        """True while something on the page is still to change."""
        return not note.state.finished or (self.follow_up is not None
                                           and not self.follow_up.state.finished)


def details(session: Session, user: Person, note: Notification, tz: ZoneInfo) -> JobDetails:
    found = JobDetails(result=action_results.result_of(note))
    params = note.params or {}
    if note.failed and note.kind in {*marketplace_jobs.WITH_OUTCOMES, allocation_job.KIND,
                                       shipping_export.KIND, deferred_export.KIND,
                                       mail.KIND}:
        found.mall_failures = marketplace_jobs.outcomes(session, note, limit=SHOWN,
                                                        failed_only=True)
    if found.result and found.result.follow_up_id:
        found.follow_up = notifications.get_for(session, user, found.result.follow_up_id)
    if note.kind == marketplace_jobs.LINK and note.state.finished and note.failed:
        search = params.get("search", "")
        where = order_search.target_conditions(session, search, params.get("order_ids"), tz)
        found.link_failures = item_links.failed_orders(session, where, limit=SHOWN)
        found.link_fail_query = order_search.query_with(session, search,
                                                        link_result=LinkResult.fail)
    found.substituted = list(params.get("substituted") or [])
    return found
