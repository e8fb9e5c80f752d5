"""Scheduled work: which shops are due for an import, and enqueuing it (or the workflow
sweep, or the automatic payment steps) once: never a second copy while one waits or runs."""

from datetime import datetime, timedelta

import sqlalchemy as sa
from redis import Redis
from rq import Queue
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from sqlalchemy.orm import Session

from oms.integrations.malls import ADAPTERS
from oms.models import Shop, ShopSync

ACTIVE = {JobStatus.QUEUED, JobStatus.STARTED, JobStatus.SCHEDULED, JobStatus.DEFERRED}
POLL_TIMEOUT = 3600


def due_shops(session: Session, now: datetime) -> list[int]:
    """Active shops with a mall API whose polling interval has passed since the last run."""
    rows = session.execute(
        sa.select(Shop.id, Shop.poll_minutes, ShopSync.started_at)
        .outerjoin(ShopSync, ShopSync.shop_id == Shop.id)
        .where(Shop.active, Shop.poll_minutes > 0, Shop.api_endpoint.is_not(None),
               Shop.credentials.is_not(None), Shop.kind.in_(list(ADAPTERS)))
        .order_by(Shop.id))
    return [shop_id for shop_id, minutes, started in rows
            if started is None or started + timedelta(minutes=minutes) <= now]


def enqueue_poll(queue: Queue, connection: Redis, shop_id: int) -> bool:
    """Enqueue the shop's import unless one is already waiting or running."""
    return _enqueue_once(queue, connection, f"poll-shop-{shop_id}",
                         "jobs.marketplaces.poll_shop", shop_id,
                         description=f"import from the mall of shop {shop_id}")


def enqueue_sweep(queue: Queue, connection: Redis) -> bool:
    """Enqueue the workflow sweep (自動遷移) unless one is already waiting or running."""
    return _enqueue_once(queue, connection, "workflow-sweep", "jobs.workflow.sweep",
                         description="workflow sweep")


def enqueue_payment_steps(queue: Queue, connection: Redis) -> bool:
    """Enqueue the automatic payment steps (oms.services.payments.automatic) unless a look
    is already waiting or running."""
    return _enqueue_once(queue, connection, "payment-steps", "jobs.payments.maintain",
                         description="automatic payment steps")


def _enqueue_once(queue: Queue, connection: Redis, name: str, entry: str, *args,
                  description: str) -> bool:
    # Job ids are global in Redis: the queue's name keeps installations sharing one apart.
    job_id = f"{name}-{queue.name}"
    try:
        if Job.fetch(job_id, connection=connection).get_status() in ACTIVE:
            return False
    except NoSuchJobError:
        pass
    queue.enqueue(entry, *args, job_id=job_id, job_timeout=POLL_TIMEOUT, result_ttl=60,
                  failure_ttl=3600, description=description)
    return True
