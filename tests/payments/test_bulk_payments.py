"""決済状況一括変更 (売上 / 取消 / 再オーソリ) as an effect operation of the bulk engine, run
in-process against the sandbox gateway: the guards (the payment rules as SQL), the keys
`bulk:<job>:<order>:<action>`, the results on the orders, and a lost answer that keeps its
item open until the effect is known. The kill -9 check (SCOPE P4 check 8) is in
tests/jobs/test_bulk_payment_kill.py."""

from datetime import timedelta

import sqlalchemy as sa
from flask_babel import force_locale

from oms.models import MallKind, Order, OrderStatus, PaymentKind, PaymentStatus, TargetState
from oms.models.payments import PaymentTransaction, TransactionState
from oms.services import runner
from oms.services.bulk import operations, preview, selection
from oms.services.payments import ledger, step
from tests import bulk_support as bulk
from tests.bulk_support import empty_queue  # noqa: F401 (fixture)
from tests.payments.test_card_jobs import card_order, effects, reload

S, P, T = OrderStatus, PaymentStatus, TransactionState


def authorized(session, user, orders: list[Order]) -> None:
    """The orders authorized at the sandbox through the payment job, run here."""
    note = step.start(session, user, [(o.id, f"order:{o.id}:authorize:1") for o in orders],
                      locale="en")
    session.commit()
    runner.run_lane(session, note.id, lease=timedelta(minutes=2))
    session.expire_all()
    assert {o.payment_status for o in orders} == {P.authorized}


def bulk_change(session, user, orders: list[Order], action: str):
    job = bulk.start(session, user, orders, "card_payment",
                     bulk.options(session, "card_payment", action=action))
    return bulk.run(session, job.id)


def test_bulk_capture_applies_the_payment_rules_and_captures_once(
        session, factory, users, sandbox, merchant):
    shipped = card_order(factory, session, status=S.shipped)
    raised = card_order(factory, session, status=S.shipped)
    unpaid = card_order(factory, session, status=S.shipped)
    mall = card_order(factory, session, shop=factory.shop(MallKind.rakuten), status=S.shipped,
                      payment_status=P.authorized, transaction_id="tx-mall")
    cod = card_order(factory, session, payment_method=factory.payment_method(PaymentKind.cod),
                     status=S.shipped, payment_status=P.authorized, transaction_id="tx-cod")
    authorized(session, users["operator"], [shipped, raised])
    raised.total = 9900
    session.commit()
    orders = [shipped, raised, unpaid, mall, cod]

    chosen = selection.from_ids(session, users["operator"], [o.id for o in orders],
                                bulk.SelectionSource.selected)
    operation = operations.get("card_payment")
    options = bulk.options(session, "card_payment", action="capture")
    seen = preview.preview(session, selection.conditions(session, chosen, None), operation,
                           options)
    assert (seen.total, seen.change, seen.failing) == (5, 1, 4)
    session.rollback()

    job = bulk_change(session, users["operator"], orders, "capture")
    assert job.notification.summary == "1 changed, 4 failed, 0 skipped."
    assert bulk.outcomes(session, job.id) == {
        shipped.id: (TargetState.ok, None),
        raised.id: (TargetState.failed,
                    "A re-authorization is needed for the increased amount."),
        unpaid.id: (TargetState.failed, "Not possible while the payment is “Unpaid”."),
        mall.id: (TargetState.failed, "The mall takes the payment of its orders: the "
                                      "gateway actions are not available."),
        cod.id: (TargetState.failed, "The order is not paid by card."),
    }
    order = reload(session, shipped)
    assert (order.payment_status, order.captured_amount, order.paid_total) == (
        P.captured, 8800, 8800)
    assert order.captured_at is not None and order.status is S.completed  # advanced
    key = f"bulk:{job.id}:{shipped.id}:capture"
    assert effects(sandbox, merchant)[key] == 1
    assert sandbox.gateway_effects(merchant)["totals"]["capture"] == 1
    assert session.scalar(sa.select(PaymentTransaction.state).where(
        PaymentTransaction.idempotency_key == key)) is T.succeeded
    assert reload(session, raised).payment_status is P.authorized  # left as it was


def test_bulk_void_and_reauthorize(session, factory, users, sandbox, merchant):
    voided, again = card_order(factory, session), card_order(factory, session)
    authorized(session, users["operator"], [voided, again])
    again.total = 9900
    session.commit()

    job = bulk_change(session, users["operator"], [voided], "void")
    order = reload(session, voided)
    assert (order.payment_status, order.voided_at is not None) == (P.voided, True)
    assert effects(sandbox, merchant)[f"bulk:{job.id}:{voided.id}:void"] == 1

    job = bulk_change(session, users["operator"], [again], "reauthorize")
    assert bulk.outcomes(session, job.id) == {again.id: (TargetState.ok, None)}
    order = reload(session, again)
    assert (order.payment_status, order.authorized_amount) == (P.authorized, 9900)
    assert effects(sandbox, merchant)[f"bulk:{job.id}:{again.id}:reauthorize"] == 1


def test_a_lost_answer_keeps_the_item_open_until_the_effect_is_known(
        session, factory, users, sandbox, merchant):
    order = card_order(factory, session, status=S.shipped)
    authorized(session, users["operator"], [order])
    # Captured at the gateway, but every answer the adapter waits for is lost.
    sandbox.gateway_faults(merchant, *["timeout_after_commit"] * 4)
    job = bulk_change(session, users["operator"], [order], "capture")
    key = ledger.bulk_key(job.id, order.id, ledger.A.capture)
    assert bulk.outcomes(session, job.id)[order.id][0] is TargetState.calling
    assert (job.notification.done, job.notification.state.finished) == (0, False)
    assert reload(session, order).payment_status is P.capturing

    with force_locale("en"):  # the lease has passed: a lane asks again under the key
        runner.run_lane(session, job.id, lease=timedelta(0))
    session.expire_all()
    assert bulk.outcomes(session, job.id) == {order.id: (TargetState.ok, None)}
    assert reload(session, order).payment_status is P.captured
    assert effects(sandbox, merchant) == {f"order:{order.id}:authorize:1": 1, key: 1}
