"""在庫引当 from the order list (seed 001 §3, SCOPE P1 acceptance check 9), with JavaScript
off and as htmx asks, and the list's 引当状態 filter with the 引当待ち rows' reasons."""

import re

import pytest
import sqlalchemy as sa

from oms.models import (
    AllocationState,
    AuditEvent,
    LinkResult,
    Notification,
    Order,
    OrderAllocation,
    OrderStatus,
    Stock,
    StockAllocation,
)
from oms.services import app_settings
from oms.services.actor import SYSTEM, Actor
from tests.conftest import csrf_token
from tests.factories import linked_line

S, A = OrderStatus, AllocationState


@pytest.fixture
def operator(auth):
    auth.login("operator")
    return auth.client


@pytest.fixture
def manual(session):
    """在庫引当 手動: only the button allocates."""
    settings = app_settings.workflow(session)
    settings.allocation_mode = "manual"
    app_settings.save_workflow(session, settings, Actor(None, None, via=SYSTEM))
    session.commit()


@pytest.fixture
def sku(factory):
    """S1 with 5 in stock at main."""
    return factory.sku()


@pytest.fixture
def three(factory, session, sku, manual):
    """Acceptance check 9: one order stock covers, one it does not, one with a FAIL line."""
    made = {
        "covered": factory.order(status=S.awaiting_allocation, link_result=LinkResult.ok,
                                 lines=[linked_line(sku, 2)]),
        "short": factory.order(status=S.awaiting_allocation, link_result=LinkResult.ok,
                               lines=[linked_line(sku, 4)]),
        "unlinked": factory.order(status=S.awaiting_allocation, link_result=LinkResult.fail,
                                  lines=[linked_line(None, 1, code="UNKNOWN-9")]),
    }
    session.commit()
    return made


def press(client, tab="processing", headers=None, **fields):
    data = {"csrf_token": csrf_token(client), "scope": "selected", "search": f"tab={tab}",
            **fields}
    return client.post("/orders/allocate", data=data, headers=headers or {})


def outcome_rows(page: str) -> dict[str, tuple[str, str, str]]:
    """Each order of a result page: (state attribute, state shown, reason)."""
    rows = re.findall(r'<tr data-order-number="(\d+)"[^>]*data-allocation-state="(\w*)">'
                      r'<td class="mono">.*?</td><td>(.*?)</td><td[^>]*>(.*?)</td></tr>',
                      page, re.S)
    return {number: (state, shown, reason) for number, state, shown, reason in rows}


HTMX = {"HX-Request": "true", "HX-Current-URL": "http://localhost/orders/?tab=processing"}


@pytest.mark.parametrize("headers", [None, HTMX], ids=["nojs", "htmx"])
def test_allocate_three_checked_orders_shows_each_outcome(operator, session, sku, three,
                                                          headers):
    response = press(operator, headers=headers,
                     order_id=[str(o.id) for o in three.values()])
    assert response.status_code == 303
    assert re.fullmatch(r"/notifications/\d+", response.location)
    page = operator.get(response.location).get_data(as_text=True)
    assert "<h1>在庫引当 #" in page
    assert 'data-allocated="1"' in page and 'data-refused="2"' in page
    rows = outcome_rows(page)
    covered, short, unlinked = (three[k].order_number for k in ("covered", "short", "unlinked"))
    assert set(rows) == {covered, short, unlinked}
    assert rows[covered] == ("allocated", "受注引当済", "")
    assert rows[short][:2] == ("none", "未引当") and "在庫" in rows[short][2]
    assert rows[unlinked][:2] == ("none", "未引当") and "UNKNOWN-9" in rows[unlinked][2]
    assert 'data-job-outcome="partial"' in page and "一部失敗 (2件)" in page
    assert 'href="/orders/?tab=processing"' in page  # back to the same search

    session.expire_all()
    assert session.get(Order, three["covered"].id).allocation_state is A.allocated
    assert session.get(Order, three["short"].id).allocation_state is A.none
    assert session.get(Stock, sku.stocks[0].id).allocated == 2
    # The allocated order moves on by the automatic transitions (引当待ち → 出荷待ち).
    assert session.get(Order, three["covered"].id).status is S.ready_to_ship
    assert session.get(Order, three["short"].id).status is S.awaiting_allocation

    # htmx polls the result page's progress block: the outcomes come with it.
    fragment = operator.get(response.location, headers={"HX-Request": "true",
                                                        "HX-Target": "job-progress"})
    text = fragment.get_data(as_text=True)
    assert "<html" not in text and outcome_rows(text) == rows
    assert fragment.headers["HX-Trigger"] == "job-finished"


def test_a_reload_of_the_result_allocates_nothing_again(operator, session, sku, three):
    url = press(operator, order_id=[str(three["covered"].id)]).location
    operator.get(url)
    operator.get(url)
    session.expire_all()
    assert session.get(Stock, sku.stocks[0].id).allocated == 2
    active = session.scalar(sa.select(sa.func.count()).select_from(StockAllocation)
                            .where(StockAllocation.released_at.is_(None)))
    assert active == 1
    assert session.scalars(sa.select(Notification.kind)).all() == ["order_allocate"]


def test_orders_not_awaiting_allocation_are_refused_with_their_status(operator, session, sku,
                                                                     three, factory):
    new = factory.order(status=S.new, lines=[linked_line(sku, 1)])
    shipped = factory.order(status=S.shipped, lines=[linked_line(sku, 1)])
    session.commit()
    page = operator.get(press(operator, order_id=[str(new.id), str(shipped.id),
                                                   str(three["covered"].id)]).location
                        ).get_data(as_text=True)
    rows = outcome_rows(page)
    assert rows[new.order_number] == ("", "—", "引当待ちの受注ではありません（現在：新規）。")
    assert rows[shipped.order_number] == ("", "—", "引当待ちの受注ではありません（現在：出荷済）。")
    assert rows[three["covered"].order_number][0] == "allocated"
    session.expire_all()
    assert session.get(Order, new.id).status is S.new
    assert session.get(Stock, sku.stocks[0].id).allocated == 2  # only the covered order


def test_with_nothing_checked_it_says_what_it_will_do_first(operator, session, three):
    before = session.scalar(sa.select(sa.func.count()).select_from(Notification))
    response = press(operator, search="tab=processing&status=awaiting_allocation")
    assert response.status_code == 303 and "/orders/act/allocate?" in response.location
    page = operator.get(response.location).get_data(as_text=True)
    assert "在庫引当：検索結果の全3件を対象にします。" in page
    assert "data-act-job" not in page  # three orders: acted on at once
    assert session.scalar(sa.select(sa.func.count()).select_from(Notification)) == before
    result = press(operator, scope="search", search="tab=processing&status=awaiting_allocation")
    assert 'data-allocated="1"' in operator.get(result.location).get_data(as_text=True)


def test_the_button_is_on_the_processing_tab(operator, three):
    page = operator.get("/orders/?tab=processing").get_data(as_text=True)
    assert re.search(r'<button type="submit" formaction="/orders/allocate" '
                     r'data-action="allocate">在庫引当</button>', page)
    assert 'data-action="allocate"' not in operator.get("/orders/?tab=new").get_data(
        as_text=True)


def test_allocation_is_audited_as_the_operator(operator, session, three, users):
    press(operator, order_id=[str(three["covered"].id)])
    actors = session.scalars(sa.select(AuditEvent.user_id).where(
        AuditEvent.entity_id == str(three["covered"].id))).all()
    assert actors and set(actors) == {users["operator"].id}


# --- 引当状態 filter and the 引当待ち rows' reasons ---------------------------------------

def rows_of(page: str) -> list[str]:
    return re.findall(r'<tr data-order-number="(\d+)">', page)


@pytest.fixture
def states(factory, session):
    made = {state: factory.order(status=S.awaiting_allocation) for state in A}
    rows = [OrderAllocation(order_id=order.id, state=state,
                            note=None if state is A.allocated
                            else f"在庫不足: S1 必要3 / 引当可能{i}")
            for i, (state, order) in enumerate(made.items())]
    made["shipping"] = factory.order(status=S.ready_to_ship)
    made["done"] = factory.order(status=S.completed)
    session.add_all([*rows, OrderAllocation(order_id=made["shipping"].id, state=A.allocated)])
    session.commit()
    return made


@pytest.mark.parametrize(("value", "label"), [
    ("allocated", "受注引当済"), ("partial", "一部引当"), ("none", "未引当"),
    ("forced", "強制引当")])
def test_allocation_state_filter_in_awaiting_allocation(operator, states, value, label):
    page = operator.get("/orders/", query_string={
        "tab": "processing", "status": "awaiting_allocation", "allocation_state": value}
    ).get_data(as_text=True)
    assert rows_of(page) == [states[A(value)].order_number]
    assert re.search(rf'<option value="{value}" selected>{label}</option>', page)


def test_allocation_state_filter_keeps_to_processing_and_counts_follow(operator, states):
    page = operator.get("/orders/?tab=processing&allocation_state=allocated").get_data(
        as_text=True)
    assert sorted(rows_of(page)) == sorted([states[A.allocated].order_number,
                                            states["shipping"].order_number])
    counts = dict(re.findall(r'data-status="(\w+)" data-count="(\d+)"', page))
    assert counts["processing"] == "2" and counts["awaiting_allocation"] == "1"
    assert counts["done"] == "0"  # a completed order is no longer a matter of allocation
    none = operator.get("/orders/?tab=all&allocation_state=none").get_data(as_text=True)
    assert rows_of(none) == [states[A.none].order_number]


def test_awaiting_allocation_rows_show_why_they_are_not_allocated(operator, states):
    page = operator.get("/orders/?tab=processing&status=awaiting_allocation").get_data(
        as_text=True)
    notes = re.findall(r'<tr data-order-number="(\d+)">.*?(?:<small class="allocation-note" '
                       r'data-allocation-note>(.*?)</small>|</tr>)', page, re.S)
    shown = dict(notes)
    assert shown[states[A.partial].order_number] == "在庫不足: S1 必要3 / 引当可能1"
    assert shown[states[A.allocated].order_number] == ""


@pytest.mark.parametrize("value", ["ALLOCATED", "１", "allocated' OR 1=1--", "x" * 5000, "0"])
def test_a_bad_allocation_state_is_a_message_not_a_wider_list(operator, states, value):
    response = operator.get("/orders/", query_string={"tab": "processing",
                                                      "allocation_state": value})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert re.search(r'<p class="field-error" id="allocation_state-error">[^<]+</p>', page)


def test_hostile_selections_change_nothing(operator, session, sku, three):
    before = session.scalar(sa.select(Stock.allocated).where(Stock.id == sku.stocks[0].id))
    for ids in (["١٢"], ["9" * 30], ["-1"], [str(three["covered"].id), "1e3"]):
        response = press(operator, order_id=ids)
        assert response.status_code == 303 and response.location.startswith("/orders/")
    # Control characters are refused for the whole request (oms.validation).
    assert press(operator, order_id=[str(three["covered"].id) + "\x00"]).status_code == 400
    # An id that names no order: an empty result, nothing allocated.
    page = operator.get(press(operator, order_id=["999999999"]).location).get_data(
        as_text=True)
    assert 'data-allocated="0"' in page
    session.expire_all()
    assert session.scalar(sa.select(Stock.allocated).where(Stock.id == sku.stocks[0].id)) \
        == before
    assert session.get(Order, three["covered"].id).allocation_state is A.none
