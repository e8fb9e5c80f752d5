"""The payment checks of seed 001 as bulk operations (前払入金区分, 後払入金区分, 入金日時),
the automatic moves they unlock in the same job, and 待機中's restriction (seed 000 ②)."""

import pytest
import sqlalchemy as sa
from flask_babel import force_locale
from werkzeug.datastructures import MultiDict

from oms.models import (
    AuditEvent,
    JobState,
    JobTarget,
    MallKind,
    Order,
    OrderStatus,
    PaymentKind,
    PaymentStatus,
    StatusHistory,
    TargetState,
)
from oms.models.base import utcnow
from oms.services.bulk import launch, operations, preview, selection
from oms.services.bulk.fields import describe_change
from tests import bulk_support as bulk
from tests.conftest import aware

OK, FAILED, SKIPPED = TargetState.ok, TargetState.failed, TargetState.skipped
S = OrderStatus
WAITING_SENTENCE = ("支払いの完了または注文が確定してない状態なので、注文の確認、"
                    "個別注文のアイテム紐づけ以外の作業はできません。")
DECEMBER_FIRST = {"state": "paid", "paid_at": "2026-12-01T10:00"}  # JST, as typed


@pytest.fixture
def operator(users):
    return users["operator"]


@pytest.fixture
def methods(factory):
    return {kind: factory.payment_method(kind) for kind in PaymentKind}


def _run(session, user, orders, key, *, locale="ja", **raw):
    job = bulk.start(session, user, orders, key, bulk.options(session, key, **raw),
                     locale=locale)
    job = bulk.run(session, job.id)
    assert job.notification.state is JobState.succeeded
    return job, bulk.outcomes(session, job.id)


def _order(session, order) -> Order:
    session.expire_all()
    return session.get(Order, order.id)


def _history(session, order) -> list[tuple[str, str, str, str | None]]:
    return [(h.from_status, h.to_status, h.via, h.reason) for h in session.scalars(
        sa.select(StatusHistory).where(StatusHistory.order_id == order.id,
                                       StatusHistory.line_id.is_(None))
        .order_by(StatusHistory.id))]


def test_prepaid_received_moves_the_order_on_in_the_same_job(session, operator, factory,
                                                             methods):
    """SCOPE P1 acceptance check 2."""
    o2 = factory.order(status=S.awaiting_payment, payment_status=PaymentStatus.unpaid,
                       payment_method=methods[PaymentKind.prepaid_bank])
    o3 = factory.order(status=S.pending_review, payment_method=methods[PaymentKind.card])
    session.commit()
    job, out = _run(session, operator, [o2, o3], "prepaid_payment", **DECEMBER_FIRST)
    assert out[o2.id] == (OK, None)
    assert out[o3.id] == (FAILED, "前払いの支払方法ではありません")
    paid = _order(session, o2)
    assert paid.payment_status is PaymentStatus.paid
    assert paid.paid_at == aware(2026, 12, 1, 1, 0)
    assert paid.status is S.new
    assert _history(session, paid) == [("awaiting_payment", "new", "auto", "前払入金済")]
    moved_by = session.scalars(sa.select(AuditEvent.via).where(
        AuditEvent.entity_id == str(o2.id), AuditEvent.field == "status")).one()
    assert moved_by == f"bulk:{job.id}"  # the history says auto; the audit, whose change
    assert _order(session, o3).status is S.pending_review


def test_prepaid_received_on_a_manual_order_stays_awaiting_payment(session, operator, factory,
                                                                   methods):
    """SCOPE P1 acceptance check 3; and what the job's item list shows."""
    o2 = factory.order(status=S.awaiting_payment, payment_status=PaymentStatus.unpaid,
                       payment_method=methods[PaymentKind.prepaid_konbini], auto_advance=False)
    session.commit()
    job, out = _run(session, operator, [o2], "prepaid_payment", locale="en", **DECEMBER_FIRST)
    assert out[o2.id] == (OK, None)
    order = _order(session, o2)
    assert (order.payment_status, order.status) == (PaymentStatus.paid, S.awaiting_payment)
    item = session.scalars(sa.select(JobTarget).where(JobTarget.job_id == job.id)).one()
    with force_locale("en"):
        assert describe_change(session, item.before, item.after) == [
            ("Payment status", "Unpaid", "Paid"), ("Paid at", "—", "2026-12-01 10:00")]
    audits = dict(session.execute(sa.select(AuditEvent.field, AuditEvent.new_value).where(
        AuditEvent.via == f"bulk:{job.id}")).all())
    assert audits == {"payment_status": "paid", "paid_at": "2026-12-01T01:00:00+00:00"}


def test_prepaid_received_without_a_time(session, operator, factory, methods):
    bank = methods[PaymentKind.prepaid_bank]
    plain = factory.order(status=S.awaiting_payment, payment_status=PaymentStatus.unpaid,
                          payment_method=bank, auto_advance=False)
    dated = factory.order(status=S.awaiting_payment, payment_status=PaymentStatus.unpaid,
                          payment_method=bank, auto_advance=False,
                          paid_at=aware(2026, 11, 30, 3, 0))
    already = factory.order(status=S.new, payment_status=PaymentStatus.paid,
                            payment_method=bank)
    session.commit()
    before = utcnow()
    _, out = _run(session, operator, [plain, dated, already], "prepaid_payment", locale="en",
                  state="paid")
    assert out[plain.id] == out[dated.id] == (OK, None)
    assert out[already.id] == (SKIPPED, "Already paid.")
    assert before <= _order(session, plain).paid_at <= utcnow()
    assert _order(session, dated).paid_at == aware(2026, 11, 30, 3, 0)  # kept


def test_prepaid_back_to_unpaid_only_before_the_order_moved_on(session, operator, factory,
                                                               methods):
    bank = methods[PaymentKind.prepaid_bank]
    waiting = factory.order(status=S.awaiting_payment, payment_status=PaymentStatus.paid,
                            payment_method=bank, paid_at=aware(2026, 12, 1), auto_advance=False)
    moved_on = factory.order(status=S.new, payment_status=PaymentStatus.paid,
                             payment_method=bank)
    unpaid = factory.order(status=S.awaiting_payment, payment_status=PaymentStatus.unpaid,
                           payment_method=bank)
    session.commit()
    _, out = _run(session, operator, [waiting, moved_on, unpaid], "prepaid_payment",
                  locale="en", state="unpaid")
    assert out[waiting.id] == (OK, None)
    assert out[moved_on.id] == (
        FAILED, "Only an order in Awaiting review or Awaiting payment can go back to unpaid.")
    assert out[unpaid.id] == (SKIPPED, "Already unpaid.")
    order = _order(session, waiting)
    assert (order.payment_status, order.paid_at) == (PaymentStatus.unpaid, None)
    assert _order(session, moved_on).payment_status is PaymentStatus.paid


def test_undo_of_prepaid_received_puts_unpaid_back(session, operator, factory, methods):
    bank = methods[PaymentKind.prepaid_bank]
    stays = factory.order(status=S.awaiting_payment, payment_status=PaymentStatus.unpaid,
                          payment_method=bank, auto_advance=False)
    moves = factory.order(status=S.awaiting_payment, payment_status=PaymentStatus.unpaid,
                          payment_method=bank)
    session.commit()
    job, out = _run(session, operator, [stays, moves], "prepaid_payment", locale="en",
                    **DECEMBER_FIRST)
    assert set(out.values()) == {(OK, None)}
    assert _order(session, moves).status is S.new  # paid, so it moved on
    with force_locale("en"):
        undo = launch.start_undo(session, job, operator, ip=None, locale="en")
    session.commit()
    out = bulk.outcomes(session, bulk.run(session, undo.id).id)
    assert out[stays.id] == (OK, None)
    order = _order(session, stays)
    assert (order.payment_status, order.paid_at) == (PaymentStatus.unpaid, None)
    # A 新規 order must not become unpaid behind the workflow's back.
    assert out[moves.id] == (
        FAILED, "Only an order in Awaiting review or Awaiting payment can go back to unpaid.")
    assert _order(session, moves).payment_status is PaymentStatus.paid


def test_deferred_received_completes_the_order(session, operator, factory, methods):
    np = methods[PaymentKind.deferred_np]
    awaiting = factory.order(status=S.awaiting_deferred_payment, payment_method=np,
                             payment_status=PaymentStatus.deferred_approved)
    not_shipped = factory.order(status=S.ready_to_ship, payment_method=np,
                                payment_status=PaymentStatus.deferred_approved)
    prepaid = factory.order(status=S.awaiting_deferred_payment,
                            payment_method=methods[PaymentKind.prepaid_bank])
    session.commit()
    _, out = _run(session, operator, [awaiting, not_shipped, prepaid], "deferred_payment",
                    **DECEMBER_FIRST)
    assert out[awaiting.id] == (OK, None)
    assert out[not_shipped.id] == (
        FAILED, "入金済にできるのは出荷済または後払入金待の受注だけです。")
    assert out[prepaid.id] == (FAILED, "後払いの支払方法ではありません")
    order = _order(session, awaiting)
    assert (order.payment_status, order.paid_at) == (PaymentStatus.paid,
                                                      aware(2026, 12, 1, 1, 0))
    assert order.status is S.completed
    assert _history(session, order) == [
        ("awaiting_deferred_payment", "completed", "auto", "後払入金済")]
    _, out = _run(session, operator, [awaiting], "deferred_payment", locale="en",
                  state="unpaid")
    assert out[awaiting.id] == (
        FAILED, "Only an order in Shipped or Awaiting deferred payment can go back to unpaid.")


def test_paid_at_set_and_clear(session, operator, factory):
    empty = factory.order()
    dated = factory.order(paid_at=aware(2026, 12, 1, 1, 0))
    session.commit()
    _, out = _run(session, operator, [empty, dated], "paid_at", locale="en", action="set",
                  paid_at="2026-12-01T10:00")
    assert (out[empty.id], out[dated.id]) == ((OK, None), (SKIPPED, "Already so."))
    assert _order(session, empty).paid_at == aware(2026, 12, 1, 1, 0)
    job, out = _run(session, operator, [empty, dated], "paid_at", action="clear")
    assert set(out.values()) == {(OK, None)}
    assert {_order(session, o).paid_at for o in (empty, dated)} == {None}
    with force_locale("en"):
        assert launch.undo_refusal(session, job) is None


@pytest.mark.parametrize("typed, message", [
    ("9999-12-31T10:00", "Enter a date between 1900-01-01 and 2999-12-31."),
    ("0001-01-01T00:00", "Enter a date between 1900-01-01 and 2999-12-31."),
    ("2026-02-30T10:00", "Not a valid datetime value."),
    ("yesterday", "Not a valid datetime value."),
    ("", "Enter the date and time."),
])
def test_paid_at_refuses_what_is_not_a_time(session, in_english, typed, message):
    operation = operations.get("paid_at")
    form = operation.form(formdata=MultiDict({"action": "set", "paid_at": typed}))
    assert not form.validate()
    assert form.errors == {"paid_at": [message]}
    prepaid = operations.get("prepaid_payment")
    form = prepaid.form(formdata=MultiDict({"state": "paid", "paid_at": typed}))
    assert form.validate() is (typed == "")


def test_waiting_mall_orders_take_only_tags_texts_and_attention(session, operator, factory,
                                                                methods):
    """SCOPE P1 acceptance check 13, and the payment check an own-shop order needs."""
    bank = methods[PaymentKind.prepaid_bank]
    mall = factory.order(status=S.awaiting_payment, payment_status=PaymentStatus.unpaid,
                         payment_method=bank, shop=factory.shop(MallKind.rakuten))
    own = factory.order(status=S.awaiting_payment, payment_status=PaymentStatus.unpaid,
                        payment_method=bank, auto_advance=False)
    tag = factory.tag("確認中")
    session.commit()
    _, out = _run(session, operator, [mall, own], "shipping_hold", hold="on")
    assert out[mall.id] == (FAILED, WAITING_SENTENCE)
    assert out[own.id] == (OK, None)
    assert _order(session, mall).shipping_hold is False
    _, out = _run(session, operator, [mall], "tags", action="add", tag_id=tag.id)
    assert out[mall.id] == (OK, None)
    _, out = _run(session, operator, [mall], "remarks1", mode="add", text="確認")
    assert out[mall.id] == (OK, None)
    _, out = _run(session, operator, [mall, own], "prepaid_payment", state="paid")
    assert out[mall.id] == (FAILED, WAITING_SENTENCE) and out[own.id] == (OK, None)


def test_preview_counts_the_waiting_refusal(session, operator, factory):
    mall = factory.shop(MallKind.amazon)
    orders = [factory.order(status=S.pending_review, shop=mall) for _ in range(2)]
    orders += [factory.order(status=S.new, shop=mall), factory.order(status=S.pending_review)]
    session.commit()
    chosen = selection.from_ids(session, operator, [o.id for o in orders], "selected")
    options = bulk.options(session, "shipping_hold", hold="on")
    with force_locale("ja"):
        result = preview.preview(session, selection.conditions(session, chosen, None),
                                 operations.get("shipping_hold"), options)
    assert (result.total, result.change, result.failing) == (4, 2, 2)
    assert [(r.message, r.count) for r in result.refused] == [(WAITING_SENTENCE, 2)]


def test_every_operation_but_tags_texts_and_attention_is_restricted_while_waiting():
    free = {op.key for op in operations.registry().values() if op.allowed_while_waiting}
    assert free == {"tags", "needs_attention", "customer_comment", "reply_to_customer",
                    "remarks1", "remarks2", "linkage_text", "undo"}


def test_paid_at_is_shown_in_the_configured_zone(session, in_english):
    change = describe_change(session, {"paid_at": None},
                             {"paid_at": (aware(2026, 12, 31, 15, 30)).isoformat()})
    assert change == [("Paid at", "—", "2027-01-01 00:30")]
