"""アイテム紐づけ: SKU by mapping or code, OK/FAIL with a reason per line, the order's
result in sync with its lines, mappings editable and importable by CSV."""

import pytest
import sqlalchemy as sa
from werkzeug.datastructures import MultiDict

from oms.models import AuditEvent, LineStatus, LinkResult, Order, OrderLine, Sku, SkuMapping
from oms.services import item_links, order_search
from oms.services.actor import Actor

ADMIN = Actor(None, "admin", "192.0.2.9")


@pytest.fixture
def skus(session):
    made = {code: Sku(code=code, name=code, price=1000, active=code != "OLD-1")
            for code in ("TEE-M", "TEE-L", "MUG-1", "OLD-1")}
    session.add_all(made.values())
    session.flush()
    return made


def _line(n, code, option=None):
    return OrderLine(line_no=n, mall_product_code=code, mall_option=option, product_name=code,
                     quantity=1, unit_price=1000, status=LineStatus.preparing)


def test_lines_link_by_code_mapping_and_option(session, factory, skus):
    shop = factory.shop()
    good = factory.order(shop=shop, lines=[_line(1, "TEE-M"), _line(2, "MUG-1")])
    bad = factory.order(shop=shop, lines=[_line(1, "TEE-M"), _line(2, "tee-large", "L")])
    inactive = factory.order(shop=shop, lines=[_line(1, "OLD-1")])
    assert item_links.link(session, [Order.id.in_([good.id, bad.id, inactive.id])]) == 3
    session.commit()
    for order in (good, bad, inactive):
        session.refresh(order)
    assert good.link_result is LinkResult.ok
    assert [ln.sku_id for ln in good.lines] == [skus["TEE-M"].id, skus["MUG-1"].id]
    assert bad.link_result is LinkResult.fail
    assert bad.lines[0].link_result is LinkResult.ok
    assert bad.lines[1].link_result is LinkResult.fail and bad.lines[1].sku_id is None
    assert bad.lines[1].link_error
    assert inactive.link_result is LinkResult.fail and inactive.lines[0].link_error

    # The list's filter finds the FAIL orders.
    parsed = order_search.parse(session, MultiDict({"link_result": "FAIL"}))
    from zoneinfo import ZoneInfo
    ids = set(session.scalars(order_search.matching_ids(parsed.search, ZoneInfo("Asia/Tokyo"))))
    assert ids == {bad.id, inactive.id}

    # Correct the mapping and link again: FAIL turns OK. An any-option mapping, then an
    # exact-option one that wins over it.
    item_links.save_mapping(session, shop.id, "tee-large", "", "TEE-M", actor=ADMIN)
    item_links.save_mapping(session, shop.id, "tee-large", "L", "TEE-L", actor=ADMIN)
    item_links.link_order(session, bad)
    session.commit()
    assert bad.link_result is LinkResult.ok
    assert bad.lines[1].sku_id == skus["TEE-L"].id and bad.lines[1].link_error is None


def test_a_mapping_needs_a_known_sku(session, factory, skus):
    shop = factory.shop()
    with pytest.raises(item_links.MappingError):
        item_links.save_mapping(session, shop.id, "X", "", "NOPE", actor=ADMIN)
    with pytest.raises(item_links.MappingError):
        item_links.save_mapping(session, shop.id, "", "", "TEE-M", actor=ADMIN)


@pytest.mark.parametrize("encoding", ["utf-8-sig", "cp932"])
def test_mapping_csv_all_or_nothing(session, factory, skus, encoding):
    shop = factory.shop(code="rakuten")
    good = "shop,product_code,option,sku\r\nrakuten,tee-m,サイズ:M,TEE-M\r\nrakuten,mug,,MUG-1\r\n"
    result = item_links.import_mappings(session, good.encode(encoding), ADMIN)
    assert (result.saved, result.errors) == (2, [])
    bad = ("shop,product_code,option,sku\r\nrakuten,a,,TEE-M\r\nnowhere,b,,TEE-M\r\n"
           "rakuten,c,,NOPE\r\nrakuten,d\r\n")
    result = item_links.import_mappings(session, bad.encode(encoding), ADMIN)
    assert result.saved == 0
    assert [line for line, _ in result.errors] == [3, 4, 5]
    codes = set(session.scalars(sa.select(SkuMapping.product_code).where(
        SkuMapping.shop_id == shop.id)))
    assert codes == {"tee-m", "mug"}


def test_an_unreadable_csv_is_refused(session):
    from oms.csvfiles import UploadError

    with pytest.raises(UploadError):
        item_links.import_mappings(session, b"shop\r\n\x81\x7f", ADMIN)


def test_mapping_changes_are_audited(session, factory, skus):
    """Each saved, changed or deleted mapping leaves an audit row: who, what it said."""
    shop = factory.shop()
    mapping = item_links.save_mapping(session, shop.id, "tee", "", "TEE-M", actor=ADMIN)
    item_links.save_mapping(session, shop.id, "tee", "", "TEE-M", actor=ADMIN)  # the same
    item_links.save_mapping(session, shop.id, "tee", "", "TEE-L", actor=ADMIN)
    item_links.delete_mapping(session, mapping, ADMIN)
    rows = session.execute(sa.select(AuditEvent.action, AuditEvent.old_value,
                                     AuditEvent.new_value, AuditEvent.username,
                                     AuditEvent.details)
                           .where(AuditEvent.entity_type == "sku_mapping")
                           .order_by(AuditEvent.id)).all()
    assert [tuple(r[:4]) for r in rows] == [
        ("sku_mapping.save", None, "TEE-M", "admin"),
        ("sku_mapping.save", "TEE-M", "TEE-L", "admin"),
        ("sku_mapping.delete", "TEE-L", None, "admin")]
    assert rows[0].details == {"shop_id": shop.id, "product_code": "tee", "option": ""}
    assert session.scalar(sa.select(sa.func.count()).select_from(SkuMapping)) == 0
