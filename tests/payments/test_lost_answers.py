"""An answer that never came (the gateway charged, then the connection was lost), the same
on both paths: 決済状況変更 of one order and 決済状況一括変更 leave the effect unknown,
shown as 不明 on the order and in 決済履歴, and their target open; the recovery calls
again under the same key, and the sandbox counts one effect per key (RELIABILITY B, F
row 6)."""

from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from oms.models import JobTarget, Notification, OrderStatus, PaymentStatus, TargetState
from oms.models.payments import PaymentTransaction, TransactionState
from oms.services import runner
from oms.services.payments import automatic, ledger, step
from tests import bulk_support as bulk
from tests.payments.test_card_bulk import authorized
from tests.payments.test_card_jobs import card_order, effects, reload

S, P, T = OrderStatus, PaymentStatus, TransactionState
A = ledger.A
# The test card whose authorizations lose their first answer; the faults queued then hold
# the answer to each of the adapter's four attempts under the same key.
LOST = "tok_timeout_after_commit"
ATTEMPTS = 4


def reauthorize(session, user, order, path: str) -> tuple[int, str]:
    """再オーソリ of the order from its screen or in bulk: (job id, idempotency key)."""
    if path == "order":
        note = step.request(session, order.id, A.reauthorize, user, locale="en")
        session.commit()
        with force_locale("en"):
            runner.run_lane(session, note.id, lease=bulk.LEASE)
        return note.id, f"order:{order.id}:reauthorize:1"
    job = bulk.start(session, user, [order], "card_payment",
                     bulk.options(session, "card_payment", action="reauthorize"))
    bulk.run(session, job.id)
    return job.id, ledger.bulk_key(job.id, order.id, A.reauthorize)


def shown(client, order) -> tuple[bool, str]:
    """Whether the detail page shows 決済結果不明, and what 決済履歴 says of the effect."""
    page = client.get(f"/orders/{order.order_number}").text
    history = client.get(f"/orders/{order.order_number}/payments").text
    row = history.split('data-transaction-kind="reauthorize"')[1].split("</tr>")[0]
    return 'data-badge="payment_unknown">決済結果不明<' in page, row


@pytest.mark.parametrize("path", ["order", "bulk"])
def test_a_lost_answer_stays_unknown_until_the_recovery_asks_with_the_same_key(
        path, session, factory, users, sandbox, merchant, client, auth):
    order = card_order(factory, session, test_card=LOST, status=S.new)
    authorized(session, users["operator"], [order])  # its lost answer came on a retry
    order.total = 9900
    session.commit()
    sandbox.gateway_faults(merchant, *["timeout_after_commit"] * ATTEMPTS)

    job_id, key = reauthorize(session, users["operator"], order, path)
    session.expire_all()
    target = session.scalars(sa.select(JobTarget).where(JobTarget.job_id == job_id)).one()
    assert target.state is TargetState.calling and "same key" in target.error
    note = session.get(Notification, job_id)
    assert (note.done, note.failed, note.state.finished) == (0, 0, False)
    row = session.scalars(sa.select(PaymentTransaction)
                          .where(PaymentTransaction.idempotency_key == key)).one()
    assert row.state is T.unknown and row.finished_at is None
    assert reload(session, order).payment_status is P.authorizing
    auth.login("operator")
    badge, history = shown(client, order)
    assert badge and 'data-transaction-state="unknown"' in history and "結果不明" in history

    # The recovery: the job's lane is taken up again once the lease has passed.
    assert job_id in [job[0] for job in runner.abandoned(session, timedelta(0))]
    session.commit()
    with force_locale("en"):
        runner.run_lane(session, job_id, lease=timedelta(0))
    session.expire_all()
    assert session.get(JobTarget, target.id).state is TargetState.ok
    assert session.get(Notification, job_id).summary.startswith("1 ")
    order = reload(session, order)
    assert (order.payment_status, order.authorized_amount) == (P.authorized, 9900)
    assert effects(sandbox, merchant) == {f"order:{order.id}:authorize:1": 1, key: 1}
    badge, history = shown(client, order)
    assert not badge and 'data-transaction-state="succeeded"' in history
    assert automatic.retry_in_doubt(session, lease=timedelta(0)) is None
