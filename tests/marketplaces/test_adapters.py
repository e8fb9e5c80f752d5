"""Calls the OMS makes to the malls: confirm, ship and cancel against the sandbox, a lost
answer retried without doing it twice, refusals with the mall's message, rate limits."""

import time
from datetime import date

import pytest

from oms.integrations.malls import MallRefused
from oms.integrations.malls.ratelimit import redis_throttle
from oms.queue import get_redis

SHIPPED = {"amazon": "Shipped", "rakuten": "500", "qoo10": "4", "yahoo": "2-3"}
NEW = {"amazon": "Unshipped", "rakuten": "100", "qoo10": "2", "yahoo": "2-new"}


@pytest.mark.parametrize("kind", ["amazon", "rakuten", "qoo10", "yahoo"])
def test_confirm_ship_with_tracking_even_when_the_answer_is_lost(make_mall, adapter_for, kind):
    mall = make_mall(kind, timeout_seconds=2)
    (mall_id,) = mall.generate(1, status=NEW[kind])
    adapter = adapter_for(mall.shop)
    adapter.confirm(mall_id)
    # The mall records the shipment but the answer never arrives: the retry must not
    # register it twice.
    mall.faults("lost")
    adapter.ship(mall_id, "ヤマト運輸", "4567-8901-2345", date(2026, 11, 24))
    order = mall.order(mall_id)
    assert order["status"] == SHIPPED[kind]
    assert [t["number"] for t in order["tracking"]] == ["456789012345"]


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
    adapter_for(mall.shop).ship(mall_id, "謎の運送", "123", date(2026, 11, 24))  # Other + name
    assert mall.order(mall_id)["tracking"][0]["carrier"] == "謎の運送"


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
