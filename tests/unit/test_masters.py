"""The lists of 設定 (M8, checks 8–10): a row in use is deactivated, never deleted; only
active rows are taken by an edit; a wrapping sets its fee, tax and total; allocation tries
the stock locations of the list."""

from datetime import date

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from oms.models import (
    AuditEvent,
    DateStamp,
    HandlingStatus,
    Media,
    OrderStatus,
    StockAllocation,
    StockLocation,
    Tag,
    Wrapping,
)
from oms.services import allocation, masters, order_edit
from oms.services.actor import Actor
from oms.services.masters import MASTERS, MasterRefused
from oms.services.order_edit import EditRefused, OrderEdit
from tests.factories import linked_line

ACTOR = Actor(None, "admin", "192.0.2.1", "screen")
pytestmark = pytest.mark.usefixtures("in_english")


def _ids(rows) -> list[int]:
    return [row.id for row in rows]


def save(session, order, **values):
    tag_ids = values.pop("tag_ids", None)
    return order_edit.update_order(session, order, OrderEdit(values=values, tag_ids=tag_ids),
                                   ACTOR, version=order.version, today=date(2026, 5, 1))


def test_a_status_stamps_its_date_and_one_in_use_is_retired_not_deleted(session, factory):
    """Check 8."""
    status = masters.create(session, MASTERS["handling-statuses"],
                            {"name": "発送完了", "position": 1, "stamps": DateStamp.shipped},
                            ACTOR)
    first = factory.order(shipped_at=None)
    save(session, first, handling_status_id=status.id)
    assert first.shipped_at is not None
    for _ in range(11):
        factory.order(handling_status=status)
    session.commit()

    with pytest.raises(MasterRefused) as refused, force_locale("ja"):
        masters.delete(session, MASTERS["handling-statuses"], status, ACTOR)
    assert "12件の注文で使用中" in refused.value.errors[""]
    masters.set_active(session, MASTERS["handling-statuses"], status, False, ACTOR)
    session.commit()
    assert status.id not in _ids(masters.offered(session, HandlingStatus))
    assert _ids(masters.offered(session, HandlingStatus, status.id)) == [status.id]  # its own
    other = factory.order()
    with pytest.raises(EditRefused) as edit:
        save(session, other, handling_status_id=status.id)
    assert "handling_status_id" in edit.value.errors
    session.rollback()
    assert session.get(HandlingStatus, status.id).active is False  # still there, retired
    assert session.scalars(sa.select(AuditEvent.field).where(
        AuditEvent.entity_type == "handling_statuses")).all() == [None, "active"]


def test_an_unused_row_is_deleted_and_a_text_in_use_is_not_renamed(session, factory):
    kind = MASTERS["media"]
    unused = masters.create(session, kind, {"name": "チラシ", "position": 2}, ACTOR)
    used = masters.create(session, kind, {"name": "Instagram", "position": 1}, ACTOR)
    factory.order(media="Instagram")
    masters.delete(session, kind, unused, ACTOR)
    assert session.get(Media, unused.id) is None
    with pytest.raises(MasterRefused) as refused:
        masters.update(session, kind, used, {"name": "IG", "position": 1}, ACTOR)
    assert "Used by 1 orders" in refused.value.errors["name"]
    with pytest.raises(MasterRefused, match="already in the list"):
        masters.create(session, kind, {"name": "Instagram", "position": 3}, ACTOR)


def test_choosing_a_wrapping_sets_its_fee_tax_and_total(session, factory):
    """Check 9: のし紙 ¥100 at 10% → fee 100, tax +10, total +110, with audit rows."""
    masters.create(session, MASTERS["wrappings"],
                   {"name": "のし紙", "fee": 100, "tax_rate": 10, "position": 1}, ACTOR)
    masters.create(session, MASTERS["wrappings"],
                   {"name": "箱", "fee": 300, "tax_rate": 8, "position": 2}, ACTOR)
    order = factory.order(subtotal=1000, tax_10=100, total=1100)
    save(session, order, wrapping="のし紙")
    session.commit()
    assert (order.wrapping, order.wrapping_fee, order.tax_10, order.total) == (
        "のし紙", 100, 110, 1210)
    audited = dict(session.execute(sa.select(AuditEvent.field, AuditEvent.new_value).where(
        AuditEvent.entity_type == "order", AuditEvent.entity_id == str(order.id))).all())
    assert audited == {"wrapping": "のし紙", "wrapping_fee": "100", "tax_10": "110",
                       "total": "1210"}
    # Another wrapping takes the first one's fee and tax off; none takes everything off.
    save(session, order, wrapping="箱")
    assert (order.wrapping_fee, order.tax_10, order.tax_8, order.total) == (300, 100, 24, 1424)
    save(session, order, wrapping=None)
    assert (order.wrapping_fee, order.tax_10, order.tax_8, order.total) == (0, 100, 0, 1100)


def test_only_listed_locations_are_taken_and_allocation_tries_them_in_order(session,
                                                                           factory):
    """Check 10."""
    session.add_all([StockLocation(code="sub", name="第2倉庫", priority=1, active=True),
                     StockLocation(code="main", name="本社", priority=2, active=True),
                     StockLocation(code="old", name="旧倉庫", priority=3, active=False)])
    session.commit()
    assert masters.allocation_locations(session) == ["sub", "main"]
    order = factory.order()
    with pytest.raises(EditRefused):
        save(session, order, stock_location="old")
    session.rollback()

    item = factory.sku("S1", 5, location="main")
    item.stocks.append(type(item.stocks[0])(location="sub", quantity=5, allocated=0))
    own = factory.order(status=OrderStatus.awaiting_allocation, stock_location="main",
                        lines=[linked_line(item, 1)])
    anywhere = factory.order(status=OrderStatus.awaiting_allocation,
                             lines=[linked_line(item, 1)])
    allocation.allocate(session, [own.id, anywhere.id], ACTOR)
    where = dict(session.execute(sa.select(StockAllocation.order_id, StockAllocation.location))
                 .all())
    assert where == {own.id: "main", anywhere.id: "sub"}


def test_a_new_label_must_be_active_and_the_order_keeps_a_retired_one(session, factory):
    retired, active = factory.tag("旧ラベル", active=False), factory.tag("新ラベル")
    order = factory.order(tags=[retired])
    save(session, order, tag_ids=[retired.id, active.id])
    assert {t.name for t in order.tags} == {"旧ラベル", "新ラベル"}
    other = factory.order()
    with pytest.raises(EditRefused):
        save(session, other, tag_ids=[retired.id])
    assert _ids(masters.offered(session, Tag)) == [active.id]
    assert masters.offered(session, Wrapping) == []
