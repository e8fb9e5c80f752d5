"""Each bulk operation: its options form, its guards (refused orders with the reason), what it
changes, the audit row naming the job; and the engine's rules shared by all of them."""

import pytest
import sqlalchemy as sa
from flask_babel import force_locale
from werkzeug.datastructures import MultiDict

from oms.models import (
    AllocationState,
    AuditEvent,
    BlacklistStatus,
    Carrier,
    JobState,
    JobTarget,
    Order,
    OrderStatus,
    PaymentKind,
    PaymentStatus,
    StatusHistory,
    StockAllocation,
    TargetState,
)
from oms.services import allocation, carriers
from oms.services.actor import Actor
from oms.services.bulk import launch, operations, preview, selection
from tests import bulk_support as bulk
from tests.factories import linked_line

OK, FAILED, SKIPPED = TargetState.ok, TargetState.failed, TargetState.skipped


@pytest.fixture
def operator(users):
    return users["operator"]


def _run(session, user, orders, key, **raw):
    job = bulk.start(session, user, orders, key, bulk.options(session, key, **raw))
    job = bulk.run(session, job.id)
    assert job.notification.state is JobState.succeeded
    return job, bulk.outcomes(session, job.id)


def _order(session, order) -> Order:
    session.expire_all()
    return session.get(Order, order.id)


def test_registry_lists_every_operation_in_seed_order(users):
    keys = [op.key for op in operations.choices_for(users["admin"])]
    shipments = [op.key for op in operations.choices_for(users["admin"], "shipments")]
    # Seed 004: 注文一覧's table, and 出荷一覧's three (配送方法 on both lists).
    assert shipments == ["shipping_dates", "reopen", "delivery"]
    assert keys == [key for key in operations.ORDER if key not in shipments or key == "delivery"]
    assert "delete" not in [op.key for op in operations.choices_for(users["operator"])]
    assert operations.get("undo") is not None and "undo" not in keys


def test_status_change_turns_auto_advance_off_and_refuses_impossible_moves(
        session, operator, factory):
    new = factory.order(status=OrderStatus.new, auto_advance=True)
    cancelled = factory.order(status=OrderStatus.cancelled)
    already = factory.order(status=OrderStatus.ready_to_ship)
    session.commit()
    job, out = _run(session, operator, [new, cancelled, already], "status", to="ready_to_ship")
    assert out[new.id] == (OK, None)
    assert out[cancelled.id] == (FAILED, "An order in Cancelled cannot move to Ready to ship.")
    assert out[already.id][0] is SKIPPED
    changed = _order(session, new)
    assert changed.status is OrderStatus.ready_to_ship and changed.auto_advance is False
    history = session.scalars(sa.select(StatusHistory).where(
        StatusHistory.order_id == new.id, StatusHistory.line_id.is_(None))).one()
    assert history.via == f"bulk:{job.id}" and history.user_id == operator.id
    line = session.scalars(sa.select(StatusHistory).where(
        StatusHistory.order_id == new.id, StatusHistory.line_id.is_not(None))).one()
    assert (line.from_status, line.to_status) == ("preparing", "ready_to_ship")
    assert _order(session, cancelled).status is OrderStatus.cancelled


def test_handling_status(session, operator, factory):
    wanted, other = factory.handling_status("連絡済"), factory.handling_status("確認中")
    a, b, c = (factory.order(handling_status_id=other.id), factory.order(),
               factory.order(handling_status_id=wanted.id))
    session.commit()
    _, out = _run(session, operator, [a, b, c], "handling_status", handling_status_id=wanted.id)
    assert [out[o.id][0] for o in (a, b, c)] == [OK, OK, SKIPPED]
    assert _order(session, b).handling_status_id == wanted.id


def test_needs_attention_needs_a_reason(session, operator, factory):
    form = operations.get("needs_attention").form(formdata=MultiDict({"flag": "on"}))
    operations.get("needs_attention").prepare_form(form, session)
    assert not form.validate() and "reason_id" in form.errors
    reason = factory.attention_reason("住所不備")
    plain, flagged = factory.order(), factory.order(needs_attention=True,
                                                    attention_reason_id=reason.id)
    session.commit()
    _, out = _run(session, operator, [plain, flagged], "needs_attention", flag="on",
                  reason_id=reason.id)
    assert out[plain.id][0] is OK and out[flagged.id][0] is SKIPPED
    order = _order(session, plain)
    assert order.needs_attention and order.attention_reason_id == reason.id
    _, out = _run(session, operator, [plain, flagged], "needs_attention", flag="off")
    assert {state for state, _ in out.values()} == {OK}
    assert _order(session, flagged).attention_reason_id is None


def test_tag_remove_skips_orders_without_it(session, operator, factory):
    tag = factory.tag("要確認")
    tagged, plain = factory.order(), factory.order()
    tagged.tags.append(tag)
    session.commit()
    version = tagged.version
    _, out = _run(session, operator, [tagged, plain], "tags", action="remove", tag_id=tag.id)
    assert out[tagged.id][0] is OK and out[plain.id] == (SKIPPED, "Does not have the tag.")
    order = _order(session, tagged)
    assert order.tags == [] and order.version == version + 1  # a tag change is a change


def test_shipping_hold_refuses_shipped_orders(session, operator, factory):
    new, shipped = factory.order(), factory.order(status=OrderStatus.shipped)
    held = factory.order(shipping_hold=True)
    session.commit()
    _, out = _run(session, operator, [new, shipped, held], "shipping_hold", hold="on")
    assert out[new.id][0] is OK and out[held.id][0] is SKIPPED
    assert out[shipped.id] == (FAILED, "Already shipped, cancelled or closed.")
    assert _order(session, new).shipping_hold is True
    _, out = _run(session, operator, [new, shipped], "shipping_hold", hold="off")
    assert out[new.id][0] is OK and out[shipped.id][0] is SKIPPED


@pytest.mark.parametrize("column", ["customer_comment", "reply_to_customer", "remarks1",
                                    "remarks2", "linkage_text"])
def test_texts_add_or_overwrite(session, operator, factory, column):
    empty, filled = factory.order(), factory.order(**{column: "first"})
    session.commit()
    _, out = _run(session, operator, [empty, filled], column, mode="add", text="second")
    assert {state for state, _ in out.values()} == {OK}
    assert getattr(_order(session, filled), column) == "first\nsecond"
    assert getattr(_order(session, empty), column) == "second"
    _, out = _run(session, operator, [empty, filled], column, mode="overwrite", text="second")
    assert out[empty.id][0] is SKIPPED and out[filled.id][0] is OK
    assert getattr(_order(session, filled), column) == "second"
    form = operations.get(column).form(formdata=MultiDict({"mode": "add", "text": " "}))
    assert not form.validate() and "text" in form.errors


def test_delivery_method_and_time_slot(session, operator, factory):
    ready = factory.order(status=OrderStatus.ready_to_ship, carrier="ヤマト運輸",
                          delivery_method="宅急便")
    shipping = factory.order(status=OrderStatus.shipping)
    same = factory.order(carrier="ヤマト運輸", delivery_method="ネコポス",
                         delivery_time_slot=None)
    session.commit()
    _, out = _run(session, operator, [ready, shipping, same], "delivery",
                  carrier="ヤマト運輸", delivery_method="ネコポス", delivery_time_slot="")
    assert out[ready.id][0] is OK and out[same.id][0] is SKIPPED
    assert out[shipping.id][0] is FAILED
    _, out = _run(session, operator, [ready], "delivery", carrier="日本郵便",
                  delivery_method="ゆうパック", delivery_time_slot="午前中")
    order = _order(session, ready)
    assert (order.carrier, order.delivery_method, order.delivery_time_slot) == (
        "日本郵便", "ゆうパック", "午前中")


def test_delivery_choices_come_from_carrier_settings(session):
    """The slot and the method must be the carrier's; a deactivated carrier is not
    offered (配送業者管理)."""
    def form(**raw):
        operation = operations.get("delivery")
        carriers.ensure_defaults(session)
        form = operation.form(formdata=MultiDict(raw))
        operation.prepare_form(form, session)
        return form

    wrong = form(carrier="佐川急便", delivery_method="飛脚宅配便", delivery_time_slot="19-21時")
    assert not wrong.validate()
    with force_locale("en"):
        assert {name: [str(e) for e in errors] for name, errors in wrong.errors.items()} == {
            "delivery_time_slot": ["佐川急便 has no delivery time 19-21時."]}
    wrong = form(carrier="佐川急便", delivery_method="宅急便")
    assert not wrong.validate() and "delivery_method" in wrong.errors
    assert form(carrier="佐川急便", delivery_method="飛脚宅配便",
                delivery_time_slot="18-21時").validate()
    fukuyama = session.scalar(sa.select(Carrier).where(Carrier.name == "福山通運"))
    fukuyama.active = False
    session.flush()
    closed = form(carrier="福山通運", delivery_method="福山便")
    assert not closed.validate() and "carrier" in closed.errors


def test_delivery_keeps_the_carrier_of_zero_yen_orders(session, operator, factory):
    zero = factory.payment_method(PaymentKind.zero_yen)
    locked = factory.order(payment_method=zero, carrier="ヤマト運輸",
                           payment_status=PaymentStatus.not_required)
    session.commit()
    _, out = _run(session, operator, [locked], "delivery", carrier="佐川急便",
                  delivery_method="飛脚宅配便")
    assert out[locked.id] == (FAILED, "With zero-yen payment the carrier cannot be changed.")
    _, out = _run(session, operator, [locked], "delivery", carrier="ヤマト運輸",
                  delivery_method="ネコポス")
    assert out[locked.id][0] is OK


def test_ship_mail_status_only_before_shipment(session, operator, factory):
    new, shipped = factory.order(), factory.order(status=OrderStatus.shipped)
    session.commit()
    _, out = _run(session, operator, [new, shipped], "ship_mail", sent="sent")
    assert out[new.id][0] is OK and out[shipped.id][0] is FAILED
    assert _order(session, new).ship_mail_sent is True


def test_blacklist_acts_on_the_customer_once(session, operator, factory):
    customer = factory.customer()
    first, second = factory.order(customer_id=customer.id), factory.order(
        customer_id=customer.id)
    guest = factory.order(customer_id=None)
    session.commit()
    job, out = _run(session, operator, [first, second, guest], "blacklist",
                    status="blacklisted")
    assert sorted(out[o.id][0] for o in (first, second)) == sorted([OK, SKIPPED])
    assert out[guest.id] == (FAILED, "The order has no customer record (a guest order).")
    session.expire_all()
    assert customer.blacklist_status is BlacklistStatus.blacklisted
    event = session.scalars(sa.select(AuditEvent).where(
        AuditEvent.action == "customer.blacklist")).one()
    assert (event.entity_type, event.entity_id, event.via) == (
        "customer", str(customer.id), f"bulk:{job.id}")


def test_delete_is_for_admins_and_refuses_live_payments(session, users, factory):
    voided = factory.order(payment_status=PaymentStatus.voided)
    live = factory.order(payment_status=PaymentStatus.authorized)
    session.commit()
    chosen = selection.from_ids(session, users["operator"], [voided.id], "selected")
    with force_locale("en"), pytest.raises(launch.BulkError):
        launch.start(session, chosen, operations.get("delete"), {},
                     selection.conditions(session, chosen, None), users["operator"],
                     ip=None, locale="en")
    session.rollback()
    _, out = _run(session, users["admin"], [voided, live], "delete")
    assert out[voided.id][0] is OK and out[live.id][0] is FAILED
    assert _order(session, voided).deleted_at is not None
    assert _order(session, live).deleted_at is None


def test_every_change_has_an_audit_row_naming_the_job(session, operator, factory):
    orders = [factory.order() for _ in range(3)]
    session.commit()
    job, _ = _run(session, operator, orders, "remarks1", mode="add", text="checked")
    events = session.scalars(sa.select(AuditEvent).where(AuditEvent.field == "remarks1")).all()
    assert sorted(int(e.entity_id) for e in events) == sorted(o.id for o in orders)
    assert {(e.via, e.username, e.ip, e.details["bulk_job"]) for e in events} == {
        (f"bulk:{job.id}", "operator", "192.0.2.1", job.id)}


def test_replacing_operation_refuses_an_order_changed_after_confirm(session, operator,
                                                                   factory):
    a, b = factory.order(remarks1="x"), factory.order(remarks1="y")
    session.commit()
    overwrite = bulk.start(session, operator, [a, b], "remarks1",
                           bulk.options(session, "remarks1", mode="overwrite", text="bulk"))
    append = bulk.start(session, operator, [a, b], "remarks2",
                        bulk.options(session, "remarks2", mode="add", text="bulk"))
    a.remarks1 = "someone's edit"  # saved by another operator after the confirm step
    session.commit()
    out = bulk.outcomes(session, bulk.run(session, overwrite.id).id)
    assert out[a.id][0] is FAILED and out[a.id][1].startswith("CONFLICT")
    assert out[b.id][0] is OK
    assert _order(session, a).remarks1 == "someone's edit"
    # Appending builds on the current row, so it composes with the edit.
    out = bulk.outcomes(session, bulk.run(session, append.id).id)
    assert {state for state, _ in out.values()} == {OK}


def test_an_order_deleted_after_confirm_fails(session, operator, factory):
    a, b = factory.order(), factory.order()
    session.commit()
    job = bulk.start(session, operator, [a, b], "shipping_hold",
                     bulk.options(session, "shipping_hold", hold="on"))
    a.deleted_at = a.ordered_at
    session.commit()
    out = bulk.outcomes(session, bulk.run(session, job.id).id)
    assert out[a.id] == (FAILED, "The order was deleted.") and out[b.id][0] is OK


def test_preview_counts_match_the_outcomes(session, operator, factory):
    orders = ([factory.order(status=OrderStatus.new) for _ in range(7)]
              + [factory.order(status=OrderStatus.cancelled) for _ in range(2)]
              + [factory.order(status=OrderStatus.ready_to_ship)])
    session.commit()
    chosen = selection.from_ids(session, operator, [o.id for o in orders], "selected")
    options = bulk.options(session, "status", to="ready_to_ship")
    where = selection.conditions(session, chosen, None)
    with force_locale("en"):
        result = preview.preview(session, where, operations.get("status"), options, sample=3)
    assert (result.total, result.change, result.failing, result.skipping) == (10, 7, 2, 1)
    assert len(result.sample) == 3
    assert result.sample[0].changes == [("Order status", "New", "Ready to ship")]
    job, _ = launch.start(session, chosen, operations.get("status"), options, where, operator,
                          ip=None, locale="en")
    session.commit()
    job = bulk.run(session, job.id, chunk_size=4)
    note = job.notification
    assert (note.total, note.done, note.failed, job.skipped, job.succeeded) == (10, 10, 2, 1, 7)


def test_items_keep_before_and_after(session, operator, factory):
    order = factory.order(remarks2="old")
    session.commit()
    job, _ = _run(session, operator, [order], "remarks2", mode="overwrite", text="new")
    item = session.scalars(sa.select(JobTarget).where(JobTarget.job_id == job.id)).one()
    assert (item.before, item.after) == ({"remarks2": "old"}, {"remarks2": "new"})
    assert item.applied_at is not None


def test_a_tag_deleted_before_the_job_runs_fails_its_orders(session, operator, factory):
    tag = factory.tag("消える")
    orders = [factory.order() for _ in range(2)]
    session.commit()
    job = bulk.start(session, operator, orders, "tags",
                     bulk.options(session, "tags", action="add", tag_id=tag.id))
    session.delete(tag)
    session.commit()
    out = bulk.outcomes(session, bulk.run(session, job.id).id)
    assert set(out.values()) == {(FAILED, "The tag no longer exists.")}


def test_clearing_what_held_an_order_back_moves_it_on_in_the_same_job(session, operator,
                                                                      factory):
    """The engine's advance hook: a card order authorized long ago waited only for 要対応."""
    reason = factory.attention_reason("住所不備")
    held = factory.order(status=OrderStatus.pending_review, needs_attention=True,
                         attention_reason_id=reason.id)
    manual = factory.order(status=OrderStatus.pending_review, needs_attention=True,
                           attention_reason_id=reason.id, auto_advance=False)
    session.commit()
    _, out = _run(session, operator, [held, manual], "needs_attention", flag="off")
    assert {state for state, _ in out.values()} == {OK}
    assert _order(session, held).status is OrderStatus.new
    assert _order(session, manual).status is OrderStatus.pending_review


def test_cancelling_by_bulk_releases_the_stock(session, users, factory):
    """Check 12: a 受注引当済 order cancelled by the bulk status operation gives its stock
    back in the same chunk; deleting one does too."""
    item = factory.sku("S1", stock=5)
    cancelled, deleted = (factory.order(status=OrderStatus.awaiting_allocation,
                                        payment_status=PaymentStatus.voided,
                                        lines=[linked_line(item, 2)]) for _ in range(2))
    allocation.allocate(session, [cancelled.id, deleted.id], Actor(None, None))
    session.commit()
    assert item.stocks[0].allocated == 4

    _run(session, users["operator"], [cancelled], "status", to="cancelled")
    session.expire_all()
    assert item.stocks[0].allocated == 2
    assert _order(session, cancelled).allocation_state is AllocationState.none
    _run(session, users["admin"], [deleted], "delete")
    session.expire_all()
    assert item.stocks[0].allocated == 0
    assert session.scalar(sa.select(sa.func.count()).select_from(StockAllocation)
                          .where(StockAllocation.released_at.is_(None))) == 0
