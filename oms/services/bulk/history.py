"""受注一括更新履歴 (seed 004 ⑥): the jobs an operator may see, and their targets' outcomes."""

from collections.abc import Iterator

import sqlalchemy as sa
from sqlalchemy.orm import Session

from oms.models import BulkJob, JobTarget, Notification, Order, TargetState
from oms.services import notifications
from oms.services.actor import Person
from oms.services.paging import Page


def _visible(user: Person) -> sa.ColumnElement[bool]:
    return notifications.visible_to(user)  # operators their own jobs, admins everyone's


def jobs(session: Session, user: Person, *, kind: str = "orders", page: int = 1,
         per_page: int = 50) -> Page:
    rows = list(session.scalars(
        sa.select(BulkJob).join(Notification, Notification.id == BulkJob.id)
        .where(BulkJob.kind == kind, _visible(user))
        .order_by(BulkJob.id.desc())
        .offset((page - 1) * per_page).limit(per_page + 1)))
    return Page(rows[:per_page], page, len(rows) > per_page)


def get(session: Session, user: Person, job_id: int) -> BulkJob | None:
    return session.scalar(
        sa.select(BulkJob).join(Notification, Notification.id == BulkJob.id)
        .where(BulkJob.id == job_id, _visible(user)))


def items(session: Session, job: BulkJob, state: TargetState, *, page: int = 1,
          per_page: int = 100) -> Page:
    """Targets in one outcome state, with their order numbers (failures: the drill-down)."""
    rows = session.execute(
        sa.select(JobTarget, Order.order_number)
        .join(Order, Order.id == JobTarget.order_id)
        .where(JobTarget.job_id == job.id, JobTarget.state == state)
        .order_by(JobTarget.id)
        .offset((page - 1) * per_page).limit(per_page + 1)).all()
    return Page(rows[:per_page], page, len(rows) > per_page)


def all_items(session: Session, job: BulkJob, state: TargetState, batch: int = 2000
              ) -> Iterator[tuple[str, str | None]]:
    """(order number, error) of every target in a state, streamed in id order."""
    after = 0
    while True:
        rows = session.execute(
            sa.select(JobTarget.id, Order.order_number, JobTarget.error)
            .join(Order, Order.id == JobTarget.order_id)
            .where(JobTarget.job_id == job.id, JobTarget.state == state, JobTarget.id > after)
            .order_by(JobTarget.id).limit(batch)).all()
        if not rows:
            return
        for _, number, error in rows:
            yield number, error
        after = rows[-1][0]
