"""要対応 reasons that the system itself sets (a mall conflict, a credit verdict): found by
name, or added to the operators' list the first time one is needed."""

import sqlalchemy as sa
from sqlalchemy.orm import Session

from oms.models import AttentionReason

# A declined card authorization and a deferred-payment credit NG (operator data, named in
# the operators' language).
CREDIT_NG = "与信NG"


def named(session: Session, name: str) -> AttentionReason:
    reason = session.scalar(sa.select(AttentionReason).where(AttentionReason.name == name))
    if reason is None:
        position = session.scalar(sa.select(sa.func.max(AttentionReason.position))) or 0
        reason = AttentionReason(name=name, position=position + 1)
        session.add(reason)
        session.flush()
    return reason
