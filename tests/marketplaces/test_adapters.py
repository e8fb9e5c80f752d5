"""Calls the OMS makes to the malls: confirm, ship and cancel against the sandbox, what the
sandbox checks in a shipping call, refusals with the mall's message, rate limits. (A lost
shipping answer read back before sending again: test_tracking_reports.py.)"""

import time
from datetime import date

import pytest

from oms.integrations.malls import MallRefused
from oms.integrations.malls.ratelimit import redis_throttle
from oms.queue import get_redis
from oms.services.carriers import MallCarrier

SHIPPED = {"amazon": "Shipped", "rakuten": "500", "qoo10": "4", "yahoo": "2-3"}
NEW = {"amazon": "Unshipped", "rakuten": "100", "qoo10": "2", "yahoo": "2-new"}


@pytest.mark.parametrize("kind", ["amazon", "rakuten", "qoo10", "yahoo"])
def test_the_malls_refusal_comes_back_with_its_message(make_mall, adapter_for, kind):
    mall = make_mall(kind)
    (mall_id,) = mall.generate(1, status=SHIPPED[kind])
    with pytest.raises(MallRefused) as refused:
        adapter_for(mall.shop).cancel(mall_id, "customer request")
    assert mall_id in str(refused.value) or "cannot cancel" in str(refused.value)


def test_amazon_checks_the_carrier_code(make_mall, adapter_for):
    mall = make_mall("amazon")
    (mall_id,) = mall.generate(1, status=NEW["amazon"])
    adapter = adapter_for(mall.shop)
    with pytest.raises(MallRefused, match="carrierName is required"):
        adapter.ship(mall_id, MallCarrier("Other"), "123", date(2026, 11, 24))
    with pytest.raises(MallRefused, match="not a valid carrier code"):
        adapter.ship(mall_id, MallCarrier("YAMATO"), "123", date(2026, 11, 24))
    adapter.ship(mall_id, MallCarrier("Other", "謎の運送"), "123", date(2026, 11, 24))
    (row,) = mall.order(mall_id)["tracking"]
    assert (row["carrier"], row["name"], row["number"]) == ("Other", "謎の運送", "123")


def test_rakuten_checks_what_it_is_told(make_mall, adapter_for):
    mall = make_mall("rakuten")
    (mall_id,) = mall.generate(1, status="300")
    adapter = adapter_for(mall.shop)
    with pytest.raises(MallRefused, match="not a Rakuten carrier code"):
        adapter.ship(mall_id, MallCarrier("9999"), "123", date(2026, 11, 24))
    with pytest.raises(MallRefused, match="shippingNumber must be 1 to 120"):
        adapter.ship(mall_id, MallCarrier("1001"), "1" * 121, date(2026, 11, 24))
    assert mall.order(mall_id)["tracking"] == []


def test_rate_limit_is_shared_through_redis(app):
    with app.app_context():
        connection = get_redis()
        key = f"oms:test-rate:{time.time_ns()}"
        first, second = (redis_throttle(connection, key, per_second=20) for _ in range(2))
        started = time.monotonic()
        for _ in range(10):  # two "workers" taking turns on one account
            first()
            second()
        elapsed = time.monotonic() - started
        connection.delete(key)
    assert elapsed >= 19 / 20 * 0.9  # 20 calls at 20 per second
