"""Orders imported from each sandbox mall survive an untouched save of their edit screens
(issue 9, section 2): whatever the mall sent stays exactly as it was stored."""

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from oms.models import Order
from oms.services import mall_polling
from tests.web.test_untouched_edit import assert_untouched_save_changes_nothing

# A paid and an unpaid first status, then one further along (shipped at the mall).
STATUSES = {"amazon": ("Unshipped", "Pending", "Shipped"), "rakuten": ("100", "200", "500"),
            "qoo10": ("2", "1", "4"), "yahoo": ("2-new", "2-0", "3")}


@pytest.mark.parametrize("kind", sorted(STATUSES))
def test_imported_orders_of_each_mall_survive_an_untouched_save(
        kind, auth, session, make_mall, adapter_for):
    mall = make_mall(kind)
    for number, status in enumerate(STATUSES[kind]):
        mall.generate(2, status=status, seed=number)
    mall_polling.poll(session, mall.shop, adapter_for(mall.shop),
                   datetime.now(UTC) + timedelta(seconds=1), session.commit)
    orders = session.scalars(sa.select(Order).where(Order.shop_id == mall.shop.id)).all()
    assert len(orders) == 6
    auth.login("operator")
    for order in orders:
        assert_untouched_save_changes_nothing(auth.client, session, order)
