"""Checking rows against their columns before writing (oms.services.storable): the same
verdict on PostgreSQL and SQLite, for a whole batch at once."""

from datetime import UTC, datetime, timedelta, timezone

import pytest

from oms.models import OrderLine
from oms.services import storable

LINES = OrderLine.__table__
pytestmark = pytest.mark.usefixtures("in_english")


def _line(**values):
    return {"line_no": 1, "mall_product_code": "A-1", "mall_option": None,
            "product_name": "りんご", "quantity": 1, "unit_price": 500, "tax_rate": 10,
            "status": "preparing", **values}


@pytest.mark.parametrize(("values", "reason"), [
    ({"product_name": "り\x00んご"}, r"NUL character: り\x00んご"),
    ({"product_name": "\ud800"}, "no UTF-8 form"),
    ({"mall_product_code": "X" * 65}, "65 characters long, at most 64"),
    ({"product_name": 5}, "not text"),
    ({"quantity": 2**31}, "out of range"),
    ({"line_no": 2**15}, "out of range"),
    ({"unit_price": "500"}, "not a whole number"),
    ({"status": "lost"}, "unknown value"),
    ({"product_name": None}, "has no value"),
])
def test_each_kind_of_bad_value_is_named_with_its_row(values, reason):
    rows = [_line(), _line(**values), _line()]
    found = storable.problems(LINES, rows, {"product_name": "Product"})
    assert list(found) == [1] and reason in found[1]


def test_a_batch_that_fits_passes_and_times_are_checked_at_the_edges():
    jst = timezone(timedelta(hours=9))
    assert storable.problems(LINES, [_line(mall_option="L" * 100) for _ in range(3)]) == {}
    from oms.models import MallOrderState

    states = MallOrderState.__table__
    rows = [{"mall_status": "ok", "mall_updated_at": datetime.now(UTC)},
            {"mall_status": "ok", "mall_updated_at": datetime(1, 1, 1, 3, tzinfo=jst)},
            {"mall_status": "ok", "mall_updated_at": datetime(2026, 1, 1)}]
    found = storable.problems(states, rows)
    assert "calendar" in found[1] and "zone" in found[2] and 0 not in found
