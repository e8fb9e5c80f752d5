"""One bad record never blocks an import (issue 9, section 2): a mall order that cannot be
stored (a NUL in a name, an id longer than the column, a number beyond the column's range)
is a failure with the mall's id and the reason on the shop's page, and every other order of
that batch and of later batches is imported, on PostgreSQL and SQLite alike."""

import time
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from oms.integrations.malls import Batch, MallLine, MallOrder, Party
from oms.models import MallSyncFailure, Order, PaymentKind
from oms.services import mall_import, mall_polling

PAID = {"amazon": "Unshipped", "rakuten": "100", "qoo10": "2", "yahoo": "2-new"}


def _poll(session, mall, adapter_for):
    adapter = adapter_for(mall.shop)
    return mall_polling.poll(session, mall.shop, adapter, datetime.now(UTC) + timedelta(seconds=1),
                          session.commit)


def _imported(session, shop) -> set[str]:
    return set(session.scalars(sa.select(Order.mall_order_id).where(Order.shop_id == shop.id)))


def _failures(session, shop) -> list[MallSyncFailure]:
    return list(session.scalars(sa.select(MallSyncFailure).where(
        MallSyncFailure.shop_id == shop.id).order_by(MallSyncFailure.id)))


def _bad_orders(kind: str) -> dict[str, dict]:
    """Orders as the mall holds them, each with one value our columns cannot hold."""
    person = {"name": "山田 太郎", "kana": "ヤマダ タロウ", "email": "bad@example.jp",
              "phone": "090-1111-2222", "postcode": "100-0001", "prefecture": "東京都",
              "address1": "千代田区1-1"}
    line = {"code": "APPLE-1", "option": "", "name": "りんご", "qty": 1, "price": 500,
            "tax_rate": 8}
    now = time.time()

    def order(order_id, buyer=person, lines=(line,)):
        return {"order_id": order_id, "status": PAID[kind], "created": now,
                "buyer": buyer, "lines": list(lines), "payment": "card", "shipping_fee": 0}

    stamp = int(now * 1000) % 10**9
    return {
        "nul": order(f"9{stamp:09d}1", buyer={**person, "name": "山田\x00太郎"}),
        "long id": order(f"9{stamp:09d}2" + "7" * 80),
        "huge quantity": order(f"9{stamp:09d}3", lines=[{**line, "qty": 3_000_000_000}]),
    }


@pytest.mark.parametrize("kind", sorted(PAID))
def test_one_bad_record_never_blocks_an_import(kind, session, make_mall, adapter_for, auth):
    mall = make_mall(kind)
    good = mall.generate(4, seed=1)
    bad = _bad_orders(kind)
    assert mall.sandbox.adopt(kind, mall.token, list(bad.values())) == 3
    good += mall.generate(4, seed=2)

    result = _poll(session, mall, adapter_for)
    assert (result.inserted, result.failed) == (8, 3)
    assert _imported(session, mall.shop) == set(good)
    reasons = {f.mall_order_id: f.message for f in _failures(session, mall.shop)}
    nul_id, long_id, huge_id = (bad[k]["order_id"] for k in ("nul", "long id", "huge quantity"))
    assert "NUL" in reasons[nul_id] and r"山田\x00太郎" in reasons[nul_id]
    assert "out of range" in reasons[huge_id]
    (cut_id,) = [i for i in reasons if i.startswith(long_id[:60])]
    assert len(cut_id) <= 64 and "at most 64 fit" in reasons[cut_id]

    # Later batches import too; the bad records are still refused one by one.
    later = mall.generate(3, seed=3)
    result = _poll(session, mall, adapter_for)
    assert result.inserted == 3 and _imported(session, mall.shop) == {*good, *later}

    auth.login("admin")
    page = auth.client.get(f"/settings/shops/{mall.shop.id}").text
    assert nul_id in page and huge_id in page and "NUL" in page


def _mall_order(mall_id: str, **changes) -> MallOrder:
    fields = {
        "mall_order_id": mall_id, "status": "Unshipped", "ordered_at": datetime.now(UTC),
        "updated_at": datetime.now(UTC), "buyer": Party("山田 太郎"), "ship_to": Party("山田 太郎"),
        "payment": PaymentKind.card, "shipping_fee": 0, "total": 550,
        "lines": (MallLine("APPLE-1", None, "りんご", 1, 500, 10),)}
    return MallOrder(**{**fields, **changes})


def test_any_value_a_column_cannot_hold_is_one_failure(session, factory, in_english):
    """Values beyond what the sandbox can send: a lone surrogate, a time outside the
    calendar, an unknown status; and a bad update of an order already imported."""
    from oms.models import MallKind

    shop = factory.shop(MallKind.amazon)
    session.commit()
    known = _mall_order("K-1")
    mall_import.import_batch(session, shop, Batch(orders=[known]))
    session.commit()
    edge = datetime(1, 1, 1, tzinfo=UTC).replace(tzinfo=None)
    from datetime import timezone
    batch = Batch(orders=[
        _mall_order("S-1", buyer=Party("\ud800")),
        _mall_order("T-1", ordered_at=edge.replace(tzinfo=timezone(timedelta(hours=9)))),
        _mall_order("OK-1"),
        # Known, its lines changed at the mall to a price beyond the column.
        _mall_order("K-1", updated_at=datetime.now(UTC) + timedelta(minutes=1),
                    lines=(MallLine("APPLE-1", None, "りんご", 1, 2**40, 10),)),
    ])
    result = mall_import.import_batch(session, shop, batch)
    session.commit()
    assert result.inserted == 1 and result.failed == 3
    assert {m for m, outcome in result.outcomes.items() if outcome} == {"S-1", "T-1", "K-1"}
    assert "UTF-8" in result.outcomes["S-1"] and "calendar" in result.outcomes["T-1"]
    assert "Unit price" in result.outcomes["K-1"]
    order = session.scalar(sa.select(Order).where(Order.mall_order_id == "K-1"))
    assert order.lines[0].unit_price == 500  # the known order stays as it was


@pytest.fixture
def poisoned_lines(app, session):
    """A rule of the database's own that the checks cannot know: a line named POISON is
    refused (a trigger on both databases), as a constraint added later would be."""
    from oms.extensions import db

    session.commit()
    postgres = db.engine.dialect.name == "postgresql"
    with db.engine.begin() as conn:
        if postgres:
            conn.execute(sa.text(
                "CREATE FUNCTION refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$ "
                "BEGIN IF NEW.product_name = 'POISON' THEN RAISE EXCEPTION 'poisoned line' "
                "USING ERRCODE = 'check_violation'; END IF; RETURN NEW; END $$"))
            conn.execute(sa.text("CREATE TRIGGER refuse_poison BEFORE INSERT ON order_lines "
                                 "FOR EACH ROW EXECUTE FUNCTION refuse_poison()"))
        else:
            conn.execute(sa.text(
                "CREATE TRIGGER refuse_poison BEFORE INSERT ON order_lines "
                "WHEN NEW.product_name = 'POISON' BEGIN SELECT RAISE(ABORT, 'poisoned line'); "
                "END"))
    yield
    session.rollback()
    with db.engine.begin() as conn:
        conn.execute(sa.text("DROP TRIGGER refuse_poison" + (" ON order_lines" if postgres
                                                             else "")))
        if postgres:
            conn.execute(sa.text("DROP FUNCTION refuse_poison()"))


def test_a_record_the_database_refuses_fails_alone(session, factory, in_english,
                                                   poisoned_lines):
    """Should the database refuse a chunk for a value the checks let through, its orders
    go in one savepoint each: only the refused one fails, with the database's reason."""
    from oms.models import MallKind, OrderLine

    shop = factory.shop(MallKind.amazon)
    session.commit()
    batch = Batch(orders=[
        _mall_order("P-1"),
        _mall_order("P-2", lines=(MallLine("X-1", None, "POISON", 1, 500, 10),)),
        _mall_order("P-3"),
    ])
    result = mall_import.import_batch(session, shop, batch)
    session.commit()
    assert (result.inserted, result.failed) == (2, 1)
    assert "poisoned line" in result.outcomes["P-2"]
    assert _imported(session, shop) == {"P-1", "P-3"}
    assert session.scalar(sa.select(sa.func.count()).select_from(OrderLine)) == 2
    (failure,) = _failures(session, shop)
    assert failure.mall_order_id == "P-2" and "poisoned line" in failure.message
