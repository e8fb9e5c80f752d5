"""出荷済 onwards by themselves (seed 000 ⑤, SCOPE P2 S5): a mall order is done once its
mall has the tracking number, 後払い waits for its payment, own-shop orders with nothing to
capture are done at once, own-shop cards wait for the capture (SCOPE P4 G3)."""

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from oms.models import (
    MallKind,
    Order,
    OrderStatus,
    PaymentKind,
    PaymentStatus,
    ReportChannel,
    ReportState,
    ShipReportState,
    StatusHistory,
    TrackingReport,
)
from oms.services import auto_advance, shipment_confirm
from oms.services.actor import Actor

S = OrderStatus
OPERATOR = Actor(None, "operator", None, "import")


@pytest.fixture(autouse=True)
def ja(session):
    with force_locale("ja"):
        yield


def ship(session, order: Order, number: str = "123456789012") -> Order:
    shipment_confirm.confirm(session, [shipment_confirm.Confirmation(order.id, number)],
                             OPERATOR)
    session.expire_all()
    return session.get(Order, order.id)


def report(session, order: Order, state: ReportState) -> None:
    """The mall's answer to the report the import queued (tracking_reports.request)."""
    updated = session.execute(sa.update(TrackingReport).where(
        TrackingReport.shipment_id == order.shipments[0].id,
        TrackingReport.channel == ReportChannel.api).values(state=state))
    assert updated.rowcount == 1
    session.flush()


def test_a_mall_order_is_done_once_the_mall_has_the_number(session, factory):
    rakuten = factory.shop(MallKind.rakuten)
    order = ship(session, factory.order(shop=rakuten, status=S.shipping, carrier="ヤマト運輸"))
    assert order.status is S.shipped  # nothing reported yet: stays on the 出荷済 tab
    report(session, order, ReportState.pending)
    auto_advance.advance(session, [order.id])
    assert session.get(Order, order.id).status is S.shipped
    session.execute(sa.update(TrackingReport).values(state=ReportState.ok))
    assert auto_advance.sweep(session) == 1
    session.expire_all()
    assert session.get(Order, order.id).status is S.completed
    reason = session.scalar(sa.select(StatusHistory.reason).where(
        StatusHistory.order_id == order.id, StatusHistory.to_status == "completed"))
    assert reason == "モールに荷物番号を報告済み"


def test_a_failed_report_keeps_the_order_shipped(session, factory):
    order = ship(session, factory.order(shop=factory.shop(MallKind.amazon), status=S.shipping))
    report(session, order, ReportState.failed)
    auto_advance.advance(session, [order.id])
    assert session.get(Order, order.id).status is S.shipped


def test_own_shop_orders_go_on_by_payment(session, factory):
    cod = factory.order(status=S.shipping, payment_method=factory.payment_method(PaymentKind.cod))
    deferred = factory.order(status=S.shipping, payment_status=PaymentStatus.deferred_approved,
                             payment_method=factory.payment_method(PaymentKind.deferred_np))
    card = factory.order(status=S.shipping)
    assert ship(session, cod).status is S.completed
    deferred = ship(session, deferred, "123456789013")
    assert deferred.status is S.shipped  # until NP accepts the 出荷報告 (G11)
    assert ship(session, card, "123456789014").status is S.shipped  # until captured (G3)
    deferred.ship_report_state = ShipReportState.ok
    auto_advance.advance(session, [deferred.id])
    assert session.get(Order, deferred.id).status is S.awaiting_deferred_payment
    deferred.payment_status = PaymentStatus.paid
    auto_advance.advance(session, [deferred.id])
    assert session.get(Order, deferred.id).status is S.completed


def test_a_manual_order_does_not_move(session, factory):
    order = factory.order(shop=factory.shop(MallKind.rakuten), status=S.shipped,
                          auto_advance=False)
    auto_advance.advance(session, [order.id])
    assert session.get(Order, order.id).status is S.shipped
