"""The order list as an operator uses it: tabs with counts, search, presets, selection."""

import re
import time
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from oms.models import (
    BlacklistStatus,
    Customer,
    LinkResult,
    MallKind,
    Order,
    OrderStatus,
    Shipment,
    StatusHistory,
    Tag,
)
from oms.services import order_search
from tests.conftest import csrf_token


def rows(page: str) -> list[str]:
    return re.findall(r'data-order-number="(\d+)"', page)


def tab_counts(page: str) -> dict[str, int]:
    return {k: int(v) for k, v in re.findall(r'data-status="(\w+)" data-count="(\d+)"', page)}


@pytest.fixture
def operator(auth):
    auth.login("operator")
    return auth.client


def test_tab_counts_equal_direct_counts(operator, factory, session):
    statuses = [OrderStatus.new] * 3 + [OrderStatus.shipping, OrderStatus.pending_review,
                                        OrderStatus.completed, OrderStatus.cancelled]
    shop_a, shop_b = factory.shop(), factory.shop(MallKind.rakuten)
    for i, status in enumerate(statuses):
        factory.order(status=status, shop=shop_a if i % 2 else shop_b)
    gone = factory.order(status=OrderStatus.new, deleted_at=datetime.now(UTC))
    session.commit()
    assert gone.order_number not in rows(operator.get("/orders/?tab=new").get_data(as_text=True))

    for query, where in [
        ("", []),
        (f"shop_id={shop_a.id}", [Order.shop_id == shop_a.id]),
        ("mall=rakuten", [Order.shop_id == shop_b.id]),
    ]:
        page = operator.get(f"/orders/?{query}").get_data(as_text=True)
        counts = tab_counts(page)
        direct = dict(session.execute(
            sa.select(Order.tab, sa.func.count()).where(Order.deleted_at.is_(None), *where)
            .group_by(Order.tab)).all())
        for tab in ("waiting", "new", "processing", "done", "on_hold", "cancelled", "closed"):
            assert counts[tab] == direct.get(tab, 0), (query, tab)
        assert counts["all"] == sum(direct.values())


def test_counters_follow_status_changes_and_deletes(operator, factory, session):
    orders = [factory.order(status=OrderStatus.new) for _ in range(3)]
    session.commit()
    assert tab_counts(operator.get("/orders/").get_data(as_text=True))["new"] == 3
    orders[0].status = OrderStatus.ready_to_ship
    orders[1].deleted_at = datetime.now(UTC)
    session.commit()
    session.execute(sa.update(Order).where(Order.id == orders[2].id)
                    .values(status=OrderStatus.cancelled))
    session.commit()
    counts = tab_counts(operator.get("/orders/").get_data(as_text=True))
    assert (counts["new"], counts["processing"], counts["cancelled"], counts["all"]) == (0, 1, 1, 2)


def test_status_inside_a_group(operator, factory, session):
    a = factory.order(status=OrderStatus.shipping)
    b = factory.order(status=OrderStatus.ready_to_ship)
    session.commit()
    page = operator.get("/orders/?tab=processing&status=shipping").get_data(as_text=True)
    assert rows(page) == [a.order_number]
    assert 'data-status="ready_to_ship" data-count="1"' in page
    assert b.order_number in rows(operator.get("/orders/?tab=processing").get_data(as_text=True))


@pytest.mark.parametrize("query", ["{number}", "{number_prefix}", "{mall_id}", "buyer9@example.jp",
                                   "BUYER9@EXAMPLE", "08011112222", "080-1111", "鈴木", "木一郎",
                                   "すずき", "ｽｽﾞｷ", "123456789012"])
def test_free_text_finds_the_order(operator, factory, session, query):
    target = factory.order(buyer_name="鈴木 一郎", buyer_kana="スズキ イチロウ",
                           buyer_email="Buyer9@Example.jp", buyer_phone="080-1111-2222",
                           mall_order_id="250-1234567-7654321")
    session.add(Shipment(order_id=target.id, carrier="ヤマト運輸", tracking_number="123456789012"))
    other = factory.order(order_number="2000000001", buyer_email="other@example.jp",
                          buyer_phone="03-0000-0000")
    session.commit()
    q = query.format(number=target.order_number, number_prefix=target.order_number[:9],
                     mall_id=target.mall_order_id)
    found = rows(operator.get("/orders/", query_string={"q": q}).get_data(as_text=True))
    assert target.order_number in found
    assert other.order_number not in found


def test_detail_conditions(operator, factory, session):
    tag = Tag(name="ギフト")
    bad = Customer(customer_number="C1", name="黒田", blacklist_status=BlacklistStatus.blacklisted)
    session.add_all([tag, bad])
    session.flush()
    fail = factory.order(link_result=LinkResult.fail)
    attention = factory.order(needs_attention=True)
    hold = factory.order(shipping_hold=True, destination_country="US")
    tagged = factory.order(tags=[tag])
    listed = factory.order(customer_id=bad.id)
    session.commit()
    cases = {
        "link_result=FAIL": fail,
        "needs_attention=1": attention,
        "shipping_hold=1": hold,
        "country=us": hold,
        f"tag_id={tag.id}": tagged,
        "blacklist=1": listed,
    }
    for query, order in cases.items():
        assert rows(operator.get(f"/orders/?{query}").get_data(as_text=True)) == \
            [order.order_number], query


def test_date_range_uses_the_japanese_day(operator, factory, session):
    # 2024-03-31T15:30Z is already 1 April in Tokyo.
    late = factory.order(ordered_at=datetime(2024, 3, 31, 15, 30, tzinfo=UTC))
    factory.order(ordered_at=datetime(2024, 3, 31, 14, 30, tzinfo=UTC))
    session.commit()
    page = operator.get("/orders/?date_from=2024-04-01&date_to=2024-04-01").get_data(as_text=True)
    assert rows(page) == [late.order_number]


@pytest.fixture
def server_in_new_york(monkeypatch):
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_order_dates_show_in_japan_time_whatever_the_servers_zone(
        operator, factory, session, server_in_new_york):
    """A row's order date is read as UTC from either database (SQLite keeps it without a
    zone) and shown in Japan time, not in the zone of the machine serving the page."""
    factory.order(ordered_at=datetime(2024, 3, 31, 15, 30, tzinfo=UTC))
    session.commit()
    page = operator.get("/orders/").get_data(as_text=True)
    assert "2024-04-01 00:30" in page


@pytest.fixture(params=["all matches sorted", "along the sort index"])
def page_plan(request, monkeypatch):
    """Both ways a page is cut: from the sorted set of all matches (small searches) and
    along the sort's index (large ones)."""
    if request.param == "along the sort index":
        monkeypatch.setattr(order_search, "SORT_ALL_MATCHES_BELOW", 0)
    return request.param


def test_updated_date_follows_every_change(operator, factory, session, page_plan):
    def at(day: int) -> datetime:
        return datetime(2025, 5, day, 3, tzinfo=UTC)

    old, changed, moved = (factory.order(updated_at=at(1)) for _ in range(3))
    session.commit()
    # A later edit and a status change (which also moves the order to another tab) reach
    # the sort and the range.
    changed.remarks1, changed.updated_at = "call first", at(20)
    session.execute(sa.update(Order).where(Order.id == moved.id).values(
        status=OrderStatus.awaiting_allocation, updated_at=at(10)))
    session.commit()
    newest = rows(operator.get("/orders/?sort=updated_at").get_data(as_text=True))
    assert newest == [changed.order_number, moved.order_number, old.order_number]
    in_tab = rows(operator.get("/orders/?tab=new&sort=updated_at&direction=asc")
                  .get_data(as_text=True))
    assert in_tab == [old.order_number, changed.order_number]
    processing = operator.get("/orders/?tab=processing&sort=updated_at").get_data(as_text=True)
    assert rows(processing) == [moved.order_number]
    ranged = operator.get("/orders/?date_basis=updated_at&date_from=2025-05-05&date_to=2025-05-15")
    assert rows(ranged.get_data(as_text=True)) == [moved.order_number]


@pytest.mark.parametrize("query,field", [
    ("date_from=2025-13-40", "date_from"),
    ("shop_id=999999", "shop_id"),
    ("shop_id=abc", "shop_id"),
    ("per_page=7", "per_page"),
    ("tab=nope", "tab"),
    ("status=shipped&tab=new", "status"),
    ("date_from=2025-02-01&date_to=2025-01-01", "date_to"),
    ("country=Japan", "country"),
])
def test_bad_search_input_gives_a_message(operator, factory, session, query, field):
    factory.order()
    session.commit()
    response = operator.get(f"/orders/?{query}")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "field-error" in page or 'role="alert"' in page
    assert len(rows(page)) == 1  # the rest of the search still works


def test_paging_and_sorting(operator, factory, session, page_plan):
    made = [factory.order(total=100 * i) for i in range(1, 61)]
    session.commit()
    first = rows(operator.get("/orders/?per_page=25").get_data(as_text=True))
    assert len(first) == 25 and first[0] == made[-1].order_number
    third = rows(operator.get("/orders/?per_page=25&page=3").get_data(as_text=True))
    assert len(third) == 10
    cheapest = rows(operator.get("/orders/?sort=total&direction=asc&per_page=25")
                    .get_data(as_text=True))
    assert cheapest[0] == made[0].order_number
    beyond = rows(operator.get("/orders/?per_page=25&page=999").get_data(as_text=True))
    assert beyond == third


def test_fragment_for_htmx(operator, factory, session):
    factory.order()
    session.commit()
    headers = {"HX-Request": "true", "HX-Target": "order-results"}
    page = operator.get("/orders/?tab=new", headers=headers).get_data(as_text=True)
    assert "<html" not in page and 'id="order-results"' in page
    assert "<html" in operator.get("/orders/?tab=new").get_data(as_text=True)


def test_select_all_covers_exactly_the_search(operator, factory, session):
    shop = factory.shop()
    mine = [factory.order(shop=shop) for _ in range(30)]
    factory.order()
    session.commit()
    page = operator.get(f"/orders/?shop_id={shop.id}&per_page=25&select=all").get_data(as_text=True)
    assert 'data-selected="all" data-selected-count="30"' in page
    assert 'name="scope" value="search"' in page
    search = re.search(r'name="search" value="([^"]*)"', page).group(1).replace("&amp;", "&")
    response = operator.post("/orders/confirm", data={
        "csrf_token": csrf_token(operator), "scope": "search", "search": search})
    assert response.status_code == 303  # the result is a page of its own (PRG)
    page = operator.get(response.location).get_data(as_text=True)
    assert 'data-confirmed="30"' in page
    assert "注文確認：検索結果の全30件を対象にします。" in page  # said what it took
    moved = session.scalars(sa.select(Order.order_number).where(
        Order.status == OrderStatus.awaiting_allocation)).all()
    assert sorted(moved) == sorted(o.order_number for o in mine)


def test_confirm_selected_orders_lists_refusals(operator, factory, session):
    new = factory.order(status=OrderStatus.new)
    shipped = factory.order(status=OrderStatus.shipped)
    session.commit()
    response = operator.post("/orders/confirm", data={
        "csrf_token": csrf_token(operator), "scope": "selected", "search": "tab=new",
        "order_id": [str(new.id), str(shipped.id)]})
    assert response.status_code == 303
    page = operator.get(response.location).get_data(as_text=True)
    assert 'data-confirmed="1"' in page and 'data-refused="1"' in page
    assert f'data-order-number="{shipped.order_number}"' in page
    session.expire_all()
    assert session.get(Order, new.id).status is OrderStatus.awaiting_allocation
    assert session.get(Order, new.id).auto_advance is True
    history = session.scalars(
        sa.select(StatusHistory).where(StatusHistory.order_id == new.id)).all()
    assert [(h.from_status, h.to_status) for h in history] == [("new", "awaiting_allocation")]


def test_tab_controls_follow_the_seed(operator, factory, session):
    factory.order()
    session.commit()
    new = operator.get("/orders/?tab=new").get_data(as_text=True)
    processing = operator.get("/orders/?tab=processing").get_data(as_text=True)
    everything = operator.get("/orders/").get_data(as_text=True)
    assert 'data-action="confirm"' in new and 'data-action="confirm"' not in everything
    assert 'data-action="send-shipping"' in processing
    assert 'data-action="send-shipping"' not in new
    for page in (new, processing, everything):
        assert 'data-action="export"' in page


def test_presets_builtin_and_personal(operator, factory, session, users):
    fail = factory.order(link_result=LinkResult.fail)
    factory.order()
    session.commit()
    response = operator.get("/orders/?preset=link_fail")
    assert response.status_code == 302
    assert rows(operator.get(response.headers["Location"]).get_data(as_text=True)) == \
        [fail.order_number]
    token = csrf_token(operator)
    operator.post("/orders/presets", data={"csrf_token": token, "name": "失敗だけ",
                                           "query": "link_result=FAIL&page=3"})
    page = operator.get("/orders/").get_data(as_text=True)
    assert "失敗だけ" in page
    preset_id = re.search(r'data-my-preset="(\d+)"', page).group(1)
    operator.post(f"/orders/presets/{preset_id}/rename", data={"csrf_token": token, "name": "FAIL"})
    assert ">FAIL</a>" in operator.get("/orders/").get_data(as_text=True)
    operator.post(f"/orders/presets/{preset_id}/delete", data={"csrf_token": token})
    assert "data-my-preset" not in operator.get("/orders/").get_data(as_text=True)


def test_export_without_a_selection_says_it_takes_the_whole_search(operator, factory,
                                                                   session):
    from oms.models import Notification

    factory.order()
    factory.order(status=OrderStatus.shipped)
    session.commit()
    response = operator.post("/orders/export", data={
        "csrf_token": csrf_token(operator), "scope": "selected", "search": "tab=new",
        "encoding": "utf8"})
    assert response.status_code == 303 and response.location.startswith("/orders/act/export?")
    assert session.scalar(sa.select(Notification)) is None  # nothing started yet
    page = operator.get(response.location).get_data(as_text=True)
    assert 'data-act="export" data-act-count="1"' in page
    assert "チェックされた受注はありません。 注文情報ダウンロード：検索結果の全1件を対象に" \
        "します。" in page
    assert 'checked id="encoding-1" name="encoding" type="radio" value="utf8"' in page
    response = operator.post("/orders/export", data={
        "csrf_token": csrf_token(operator), "scope": "search", "search": "tab=new",
        "encoding": "utf8"})
    assert response.status_code == 303 and "/notifications/" in response.location
    note = session.scalar(sa.select(Notification))
    assert note.params["order_ids"] is None and note.params["search"] == "tab=new"
