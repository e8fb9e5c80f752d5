"""Starting background jobs: the durable record first, then the RQ job that runs it."""

from typing import Any

import redis
from rq import Callback
from sqlalchemy.orm import Session

from oms.models import JobState, Notification, User
from oms.queue import get_queue
from oms.services import notifications

# kind -> RQ entry point (module path, so the web process never imports job code)
ENTRY_POINTS = {"order_export": "jobs.exports.export_orders"}
ENTRY_POINTS.update({"mall_refresh": "jobs.marketplaces.refresh_orders",
                     "item_link": "jobs.marketplaces.link_orders"})
ENTRY_POINTS["bulk_orders"] = "jobs.bulk.run_lane"
ENTRY_POINTS["mall_confirm"] = "jobs.marketplaces.confirm_at_malls"
# Kinds whose work survives a lost worker: their records stay open for recovery
# (oms.services.bulk.runner) instead of being closed as failed when a work horse dies.
RESUMABLE = frozenset({"bulk_orders"})
JOB_TIMEOUT = 3 * 3600
# A job over at most this many chosen orders runs on the short queue (oms.queue.get_queue):
# someone waits for it. A job over a whole search ("order_ids" absent) or more is long.
SHORT_JOB_ORDERS = 100


def is_long(params: dict[str, Any]) -> bool:
    ids = params.get("order_ids")
    return ids is None or len(ids) > SHORT_JOB_ORDERS


def start(session: Session, kind: str, user: User | None, params: dict[str, Any]
          ) -> Notification:
    """Record and enqueue a job. Commits: the worker must be able to read the record.

    If Redis cannot take the job, the record is kept as failed with the reason, so the
    operator sees what happened in the notification log.
    """
    note = notifications.create(session, kind, user, params)
    session.commit()
    try:
        get_queue(long=is_long(params)).enqueue(
            ENTRY_POINTS[kind],
            note.id,
            job_id=f"notification-{note.id}",
            job_timeout=JOB_TIMEOUT,
            result_ttl=3600,
            description=f"{kind} #{note.id}",
            on_failure=Callback("jobs.record_crash"),
        )
    except (redis.RedisError, OSError, RuntimeError) as error:
        notifications.finish(session, note, JobState.failed, f"queue unavailable: {error}")
        session.commit()
    return note
