"""Item changes at the sandbox mall after import: before 出荷 the order's lines follow
(amounts recomputed as on import, items linked again); once shipping has begun the change
is a conflict that puts the order on hold, once, with the mall's lines recorded."""

from datetime import UTC, datetime, timedelta

import httpx
import pytest
import sqlalchemy as sa

from oms.models import (
    AuditEvent,
    LineStatus,
    LinkResult,
    MallSyncFailure,
    Order,
    OrderStatus,
    Shipment,
    ShipmentLine,
    Sku,
)
from oms.services import mall_follow, mall_polling

S = OrderStatus
PAID = {"rakuten": "100", "yahoo": "2-new", "amazon": "Unshipped", "qoo10": "2"}


def _poll(session, mall, adapter_for):
    return mall_polling.poll(session, mall.shop, adapter_for(mall.shop),
                          datetime.now(UTC) + timedelta(seconds=1), session.commit)


def _imported(session, mall, adapter_for, mall_id) -> Order:
    _poll(session, mall, adapter_for)
    return session.scalar(sa.select(Order).where(Order.shop_id == mall.shop.id,
                                                 Order.mall_order_id == mall_id))


def _keys(order):
    return [(ln.mall_product_code, ln.mall_option, ln.quantity, ln.unit_price, ln.tax_rate)
            for ln in order.lines]


def _changed_lines(mall, mall_id):
    """One more of the first line, and a new line at the reduced tax rate."""
    first = mall.order(mall_id)["lines"][0]
    return [{**first, "qty": first["qty"] + 1},
            {"code": "NEW-1", "option": "色:赤", "name": "新商品", "qty": 2, "price": 550,
             "tax_rate": 8}]


@pytest.mark.parametrize("kind", ["rakuten", "yahoo", "amazon"])
def test_lines_follow_the_mall_before_shipping(session, make_mall, adapter_for, kind):
    mall = make_mall(kind)
    (mall_id,) = mall.generate(1, status=PAID[kind], seed=3)
    order = _imported(session, mall, adapter_for, mall_id)
    status = order.status
    lines = _changed_lines(mall, mall_id)
    session.add_all([Sku(code=lines[0]["code"], name="first", price=lines[0]["price"]),
                     Sku(code="NEW-1", name="新商品", price=550, tax_rate=8)])
    session.commit()
    at_mall = mall.change_lines(mall_id, lines)

    # Rakuten keeps no update time: the poll finds the change by comparing the lines.
    result = _poll(session, mall, adapter_for)
    assert (result.updated, result.conflicts) == (1, 0)
    session.expire_all()
    order = session.get(Order, order.id)
    first = lines[0]
    assert _keys(order) == [(first["code"], first["option"] or None, first["qty"],
                             first["price"], first["tax_rate"]), ("NEW-1", "色:赤", 2, 550, 8)]
    assert [ln.line_no for ln in order.lines] == [1, 2]
    assert order.lines[1].product_name == "新商品"
    assert {ln.status for ln in order.lines} == {LineStatus.preparing}
    # The amounts as import computes them: tax once per order per rate, the mall's total.
    goods = sum(ln["qty"] * ln["price"] for ln in lines)
    assert order.subtotal == goods and order.total == at_mall["total"]
    assert order.tax_8 == 2 * 550 * 8 // 100
    assert order.subtotal + order.tax_8 + order.tax_10 + order.shipping_fee == order.total
    assert order.adjustment == 0
    # Linked again: both codes are SKUs now.
    assert order.link_result is LinkResult.ok
    assert all(ln.sku_id for ln in order.lines)
    assert order.status is status and not order.needs_attention
    audit = session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "order.lines"))
    assert audit.entity_id == str(order.id) and "NEW-1 (色:赤) ×2 @550" in audit.new_value

    # A line removed at the mall goes here too; the next poll then finds nothing to do.
    mall.change_lines(mall_id, lines[1:])
    _poll(session, mall, adapter_for)
    again = _poll(session, mall, adapter_for)
    assert (again.updated, again.conflicts) == (0, 0)
    session.expire_all()
    assert _keys(session.get(Order, order.id)) == [("NEW-1", "色:赤", 2, 550, 8)]


def test_refreshing_an_order_applies_a_quantity_change(session, make_mall, adapter_for):
    """注文更新 / 全注文更新 read the order again the same way (Qoo10: one line an order)."""
    mall = make_mall("qoo10")
    (mall_id,) = mall.generate(1, status="2")
    order = _imported(session, mall, adapter_for, mall_id)
    line = mall.order(mall_id)["lines"][0]
    mall.change_lines(mall_id, [{**line, "qty": 5}])
    outcomes = mall_polling.refresh(session, mall.shop, adapter_for(mall.shop), [order])
    assert outcomes == {order.id: None}
    session.commit()
    session.expire_all()
    order = session.get(Order, order.id)
    assert [ln.quantity for ln in order.lines] == [5]
    assert order.subtotal == 5 * line["price"]
    assert order.link_result is LinkResult.fail  # no SKU has the sandbox's product code


@pytest.mark.parametrize(("kind", "shipped_how"), [
    ("rakuten", "shipping"), ("yahoo", "shipped"), ("yahoo", "shipment registered")])
def test_a_line_change_after_shipping_is_a_conflict(session, make_mall, adapter_for, kind,
                                                    shipped_how):
    mall = make_mall(kind)
    (mall_id,) = mall.generate(1, status=PAID[kind], seed=5)
    order = _imported(session, mall, adapter_for, mall_id)
    if shipped_how == "shipment registered":  # 配送情報送信 done: the warehouse may be picking
        order.status = S.ready_to_ship
        shipment = Shipment(order=order, carrier="ヤマト運輸")
        session.add(shipment)
        session.flush()
        session.add_all(ShipmentLine(shipment_id=shipment.id, order_line_id=ln.id,
                                     quantity=ln.quantity) for ln in order.lines)
    else:
        order.status = S(shipped_how)
    session.commit()
    before, total = _keys(order), order.total
    mall.change_lines(mall_id, _changed_lines(mall, mall_id))

    assert _poll(session, mall, adapter_for).conflicts == 1
    session.expire_all()
    order = session.get(Order, order.id)
    assert order.status is S.on_hold and order.needs_attention
    assert order.attention_reason.name == mall_follow.CONFLICT_REASON
    assert _keys(order) == before and order.total == total  # nothing overwritten
    failure = session.scalars(sa.select(MallSyncFailure).where(
        MallSyncFailure.order_id == order.id)).one()
    assert failure.action == "lines" and "NEW-1 (色:赤) ×2 @550" in failure.message

    # Reported once: an operator's decision since then is not undone by the next poll.
    order.needs_attention, order.attention_reason_id = False, None
    session.commit()
    assert _poll(session, mall, adapter_for).conflicts == 0
    session.expire_all()
    assert not session.get(Order, order.id).needs_attention
    assert session.scalar(sa.select(sa.func.count()).select_from(MallSyncFailure)) == 1


def test_sandbox_refuses_lines_it_cannot_have(make_mall):
    mall = make_mall("qoo10")
    (mall_id,) = mall.generate(1)
    line = mall.order(mall_id)["lines"][0]
    for bad in ([line, line], [], [{**line, "qty": 0}], [{"code": "X"}]):
        with pytest.raises(httpx.HTTPStatusError):
            mall.change_lines(mall_id, bad)
    assert mall.order(mall_id)["lines"] == [line]
