"""Undo of a finished field operation: put back each order's previous values, but only
where every changed field still holds what the job wrote (nobody changed it since)."""

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from oms.models import JobTarget, Order, TargetState
from oms.services.bulk.fields import field
from oms.services.bulk.operations.base import Operation, Skip


class Undo(Operation):
    key = "undo"
    label = _l("Undo")
    listed = False
    # It puts back only what its job changed, and that job's guards accepted the order.
    allowed_while_waiting = True

    def describe(self, session, options):
        return str(_l("Undo of bulk update #%(id)d", id=options["of"]))

    def replaces(self, options):
        return False  # the value check below is the guard

    def loaders(self):
        return [selectinload(Order.tags)]

    def chunk_context(self, session, job_id, order_ids, options):
        rows = session.execute(
            sa.select(JobTarget.order_id, JobTarget.before, JobTarget.after)
            .where(JobTarget.job_id == options["of"], JobTarget.order_id.in_(order_ids),
                   JobTarget.state == TargetState.ok))
        return {order_id: (before, after) for order_id, before, after in rows}

    def plan(self, order, options, context):
        before, after = context.get(order.id, (None, None))
        if not after:
            raise Skip(str(_l("The bulk update did not change this order.")))
        for key, value in after.items():
            if field(key).get(order) != value:
                raise Skip(str(_l("Changed since the bulk update (%(field)s): left as it is.",
                                  field=field(key).label)))
        return dict(before)


OPERATIONS = [Undo()]
