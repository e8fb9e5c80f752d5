"""Check 12: 配送情報送信 from the order list refuses an order on 出荷停止 with
「出荷停止中」 and registers nothing for it, while the other checked order goes ahead."""

import sqlalchemy as sa

from oms.models import LinkResult, Order, OrderStatus, Shipment
from tests.web.test_list_actions import press


def test_check_12_held_order_is_refused(auth, factory, session):
    auth.login("operator")
    held = factory.order(status=OrderStatus.ready_to_ship, link_result=LinkResult.ok,
                         shipping_hold=True)
    free = factory.order(status=OrderStatus.ready_to_ship, link_result=LinkResult.ok)
    session.commit()
    response = press(auth.client, "/marketplaces/shipping-info", "processing",
                     order_id=[str(held.id), str(free.id)])
    assert response.status_code == 303
    page = auth.client.get(response.location).get_data(as_text=True)
    assert 'data-sent="1"' in page and 'data-refused="1"' in page
    assert "出荷停止中" in page and held.order_number in page
    session.expire_all()
    shipped = session.scalars(sa.select(Shipment.order_id)).all()
    assert shipped == [free.id]
    assert session.get(Order, held.id).status is OrderStatus.ready_to_ship
