"""The one rule for the order list's buttons (services/list_controls.py), and the badge a
job's outcome gets (notifications.outcome)."""

from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from oms.models import JobState, Notification, Order, OrderStatus
from oms.services import list_controls, notifications
from oms.services.list_controls import MAX_DIRECT_ORDERS, MAX_SELECTED, Refused, choose
from tests.jobs.test_bulk_jobs import insert_orders

pytestmark = pytest.mark.usefixtures("in_english")
TZ = ZoneInfo("Asia/Tokyo")


@pytest.mark.parametrize("values", [
    ["١٢"],  # Arabic-Indic digits: str.isdigit() says yes, an id they are not
    ["²"],  # superscript two: isdigit() True, int() refuses it
    ["-1"], ["1.0"], [""], ["1 2"], ["9" * 19], ["12\x00"],
])
def test_a_value_that_is_not_an_id_refuses_the_whole_selection(values):
    with pytest.raises(Refused, match="could not be read"):
        list_controls.parse_ids(["1", *values])


def test_ids_keep_their_order_without_repeats_up_to_a_page():
    assert list_controls.parse_ids([" 3", "1", "3", "0002"]) == [3, 1, 2]
    assert len(list_controls.parse_ids([str(i) for i in range(1, MAX_SELECTED + 1)])) == \
        MAX_SELECTED
    with pytest.raises(Refused, match=f"At most {MAX_SELECTED}"):
        list_controls.parse_ids([str(i) for i in range(1, MAX_SELECTED + 2)])


@pytest.fixture
def orders(factory, session):
    made = {"new": [factory.order(status=OrderStatus.new) for _ in range(3)],
            "shipped": [factory.order(status=OrderStatus.shipped)]}
    session.commit()
    return made


def test_checked_orders_are_the_target(session, orders):
    ids = [str(o.id) for o in orders["new"][:2]]
    target = choose(session, "confirm", scope="selected", search="tab=new", checked=ids, tz=TZ)
    assert (target.whole_search, target.to_confirm, target.count) == (False, False, 2)
    assert target.order_ids == [int(i) for i in ids]
    assert target.message() == "Confirm orders: the 2 checked orders."


def test_nothing_checked_is_the_search_and_must_be_agreed_to(session, orders):
    target = choose(session, "export", scope="selected", search="tab=new", checked=[], tz=TZ)
    assert (target.whole_search, target.to_confirm, target.count) == (True, True, 3)
    assert target.order_ids is None  # a job evaluates the search itself
    assert target.message() == "Order information download: all 3 orders of the search."
    # Chosen on the list ("select all results"): no second question.
    agreed = choose(session, "export", scope="search", search="tab=new", checked=[], tz=TZ)
    assert (agreed.whole_search, agreed.to_confirm, agreed.count) == (True, False, 3)


def test_a_direct_action_gets_the_ids_of_the_search(session, orders):
    target = choose(session, "confirm", scope="search", search="tab=new", checked=[], tz=TZ)
    assert sorted(target.order_ids) == sorted(o.id for o in orders["new"])


def test_update_all_and_link_take_the_search_whatever_is_checked(session, orders):
    checked = [str(orders["new"][0].id)]
    for key in ("refresh-all", "link-all"):
        target = choose(session, key, scope="selected", search="tab=new", checked=checked,
                        tz=TZ)
        assert (target.whole_search, target.to_confirm, target.count, target.checked) == \
            (True, True, 3, 1)
        assert "does not act on the checked orders only: it acts on all 3" in target.message()


def test_inventory_download_keeps_to_processing_orders(session, orders, factory):
    factory.order(status=OrderStatus.ready_to_ship)
    session.commit()
    target = choose(session, "inventory-download", scope="search", search="tab=all",
                    checked=[], tz=TZ)
    assert target.count == 1
    matching = session.scalars(sa.select(Order.status).where(
        *target.conditions(session, TZ))).all()
    assert matching == [OrderStatus.ready_to_ship]


def test_an_empty_search_is_refused(session, orders):
    with pytest.raises(Refused, match="Send shipping info: no order matches the search"):
        choose(session, "send-shipping", scope="selected", search="tab=processing",
               checked=[], tz=TZ)


def test_more_than_a_direct_action_may_take_is_refused(session, factory):
    insert_orders(session, factory, MAX_DIRECT_ORDERS + 1)
    with pytest.raises(Refused, match="at most 2,000 orders at once"):
        choose(session, "confirm", scope="search", search="tab=new", checked=[], tz=TZ)
    # A job over the search takes any size.
    target = choose(session, "bulk", scope="search", search="tab=new", checked=[], tz=TZ)
    assert target.count == MAX_DIRECT_ORDERS + 1
    # 在庫引当 acts directly up to the limit and becomes a job above it, never refused.
    allocate = choose(session, "allocate", scope="search", search="tab=new", checked=[], tz=TZ)
    assert (allocate.order_ids, allocate.count) == (None, MAX_DIRECT_ORDERS + 1)


def test_each_tab_shows_the_controls_of_seed_000():
    keys = {tab: [c.key for c in list_controls.for_tab(tab)]
            for tab in list_controls.TAB_CONTROLS}
    assert keys["new"][0] == "confirm" and "confirm" not in keys["all"]
    assert keys["processing"][:3] == ["send-shipping", "inventory-download", "inventory-upload"]
    assert "refresh-all" not in keys["waiting"] and "link-all" not in keys["waiting"]
    for tab, shown in keys.items():
        assert {"export", "bulk"} <= set(shown), tab
    assert list_controls.for_tab("nonsense") == list_controls.for_tab("all")


@pytest.mark.parametrize(("state", "total", "failed", "badge"), [
    (JobState.queued, 0, 0, "queued"),
    (JobState.running, 10, 2, "running"),
    (JobState.succeeded, 10, 0, "succeeded"),
    (JobState.succeeded, 10, 3, "partial"),
    (JobState.succeeded, 3, 3, "failed"),
    (JobState.failed, 10, 0, "failed"),
    (JobState.cancelled, 10, 1, "cancelled"),
])
def test_the_badge_tells_the_outcome(state, total, failed, badge):
    note = Notification(kind="bulk_orders", state=state, total=total, done=total, failed=failed)
    assert notifications.outcome(note).value == badge


def test_the_export_summary_names_the_orders_with_substitutes(app):
    from flask_babel import force_locale

    from oms.services.exports import NAMED_IN_SUMMARY, Substitutions

    assert Substitutions().summary() is None
    found = Substitutions()
    for n in range(12):
        found.add(f"10000000{n:02d}", 2)
    with force_locale("ja"):
        text = found.summary()
    named = ", ".join(f"10000000{n:02d}" for n in range(NAMED_IN_SUMMARY))
    assert text == (f"12件の受注の24文字はShift_JIS（CP932）にないため〓で出力しました：{named} "
                    "ほか2件（下に一覧があります）。")
    assert found.order_numbers[-1] == "1000000011"  # the page lists them all
