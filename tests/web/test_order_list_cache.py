"""The order list reads the operator's presets and the names its rows show (shop, payment
method, handling status, tags) from the process's copies (oms.services.list_cache): not
again while unchanged, and a change made by another process is on the very next page."""

import os
import re
import subprocess
import sys

import pytest
import sqlalchemy as sa

from oms.models import MallKind, Order, OrderStatus, PaymentKind, Shop, Tag, order_tags
from tests.conftest import ROOT, switch_to_english
from tests.web.test_list_cache import list_reads

# Another process saving a preset for each user, as their requests would.
SAVE_PRESETS = """
import sqlalchemy as sa
from oms import create_app
from oms.extensions import db
from oms.models import User
from oms.services import presets
with create_app().app_context():
    for user in db.session.scalars(sa.select(User).order_by(User.username)):
        presets.save(db.session, user, f"{user.username} の検索", "tab=new&needs_attention=1")
    db.session.commit()
"""

# Another process renaming every shop, payment method, handling status and tag.
RENAME = """
import sqlalchemy as sa
from oms import create_app
from oms.extensions import db
from oms.models import HandlingStatus, PaymentMethod, Shop, Tag
with create_app().app_context():
    for model in (Shop, PaymentMethod, HandlingStatus, Tag):
        for row in db.session.scalars(sa.select(model)):
            row.name = "新" + row.name
    db.session.commit()
"""


def in_other_process(script: str) -> None:
    subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=os.environ.copy(),
                   check=True, timeout=60)


@pytest.fixture
def operator(auth):
    auth.login("operator")
    return auth.client


def my_presets(page: str) -> list[str]:
    return re.findall(r'<a class="preset mine" [^>]*data-my-preset="\d+">([^<]*)</a>', page)


def test_a_preset_saved_in_another_process_is_on_the_next_page(operator, users):
    assert my_presets(operator.get("/orders/").text) == []
    with list_reads("search_presets") as seen:
        assert my_presets(operator.get("/orders/").text) == []
    assert seen == []  # kept by this process

    in_other_process(SAVE_PRESETS)

    page = operator.get("/orders/").text
    # The operator's own preset only, not the admin's.
    assert my_presets(page) == ["operator の検索"]
    assert "/orders/?tab=new&amp;needs_attention=1" in page


def test_names_changed_in_another_process_are_on_the_next_page(operator, factory, session):
    shop = factory.shop(MallKind.rakuten, name="楽天ショップ")
    method = factory.payment_method(PaymentKind.card, name="クレジットカード")
    factory.order(shop=shop, payment_method=method, handling_status=factory.handling_status(
        "梱包中"), tags=[factory.tag("ギフト", color="red")])
    session.commit()
    names = ("楽天ショップ", "クレジットカード", "梱包中", "ギフト")
    page = operator.get("/orders/").text
    row = page.split("data-order-number", 1)[1]
    assert all(f">{name}<" in row for name in names)
    assert all(f">{name}</option>" in search_form(page) for name in names)
    with list_reads("shops") as seen:
        operator.get("/orders/")
    assert seen == []  # kept by this process

    in_other_process(RENAME)

    page = operator.get("/orders/").text
    row = page.split("data-order-number", 1)[1]
    assert all(f">新{name}<" in row for name in names), row
    assert all(f">新{name}</option>" in search_form(page) for name in names)


def search_form(page: str) -> str:
    return page.split('<form id="search-form"', 1)[1].split("</form>", 1)[0]


def tab_controls(page: str) -> list[str]:
    controls = page.split('<div class="tab-controls">', 1)[1].split("</div>", 1)[0]
    return re.findall(r'data-action="([^"]+)"', controls)


def test_the_kept_search_form_follows_the_search_and_the_language(operator, factory, session):
    """The search form is rendered once per search, language and lists (see
    test_names_changed_in_another_process_are_on_the_next_page) and kept, the tab's buttons
    once per tab and language."""
    factory.order()
    session.commit()
    for _ in range(2):
        page = operator.get("/orders/?tab=new&sort=total").text
        form = search_form(page)
        assert '<option value="total" selected>' in form
        assert '<input type="hidden" name="tab" value="new">' in form
        assert tab_controls(page)[0] == "confirm"
        page = operator.get("/orders/").text
        form = search_form(page)
        assert '<option value="ordered_at" selected>' in form
        assert '<input type="hidden" name="tab" value="all">' in form
        assert "confirm" not in tab_controls(page)
        assert tab_controls(operator.get("/orders/?tab=processing").text)[0] == "send-shipping"
    # What was typed and not understood is shown as typed, on that page only.
    response = operator.get("/orders/?date_from=2025-13-40")
    assert response.status_code == 422
    assert 'value="2025-13-40" aria-invalid="true"' in search_form(response.text)
    assert "2025-13-40" not in search_form(operator.get("/orders/").text)
    assert "詳細条件" in search_form(operator.get("/orders/").text)
    assert 'data-action="export">注文情報ダウンロード' in operator.get("/orders/").text
    switch_to_english(operator)
    page = operator.get("/orders/").text
    form = search_form(page)
    assert "Detailed conditions" in form and "詳細条件" not in form
    assert 'data-action="export">Order information download' in page


def test_a_name_newer_than_the_copy_is_read_again(operator, factory, session):
    """A shop or tag made after a request read the lists' token, by a statement its later
    reads already see: the row shows it instead of failing (here the token is left as it
    was, as it is for the request that began just before the change)."""
    factory.order(tags=[factory.tag("ギフト", color="red")])
    session.commit()
    operator.get("/orders/")  # the copies are read
    shop_id = session.execute(sa.insert(Shop).values(
        code="new-shop", kind=MallKind.own, name="新しいショップ").returning(Shop.id)
    ).scalar_one()
    tag_id = session.execute(sa.insert(Tag).values(
        name="新しいタグ", color="blue").returning(Tag.id)).scalar_one()
    order = factory.order()
    session.execute(sa.update(Order).where(Order.id == order.id).values(shop_id=shop_id))
    session.execute(sa.insert(order_tags).values(order_id=order.id, tag_id=tag_id))
    session.commit()

    response = operator.get("/orders/")
    assert response.status_code == 200
    row = response.text.split(f'data-order-number="{order.order_number}"', 1)[1]
    assert ">新しいショップ<" in row.split("</tr>")[0]
    assert ">新しいタグ<" in row.split("</tr>")[0]


def row_of(page: str, number: str) -> str:
    return page.split(f'<tr data-order-number="{number}">', 1)[1].split("</tr>", 1)[0]


def test_a_kept_row_shows_the_order_as_it_is_now(operator, factory, session):
    """A row's markup is kept by everything it shows: a change made anywhere (here
    straight in the database, as another process would) is on the next page, and the
    other rows stay as they were."""
    order, other = factory.order(), factory.order(buyer_name="佐藤 花子")
    tag = factory.tag("ギフト", color="red")
    session.commit()
    first = operator.get("/orders/").text
    assert "山田 太郎" in row_of(first, order.order_number)
    assert operator.get("/orders/").text == first  # kept: the same page again

    session.execute(sa.update(Order).where(Order.id == order.id).values(
        buyer_name="山田 次郎", needs_attention=True))
    session.execute(sa.insert(order_tags).values(order_id=order.id, tag_id=tag.id))
    session.commit()
    page = operator.get("/orders/").text
    row = row_of(page, order.order_number)
    assert "山田 次郎" in row and "山田 太郎" not in row
    assert '<span class="tag tag-red">ギフト</span>' in row
    assert "flag-attention" in row and "flag-attention" not in row_of(
        first, order.order_number)
    assert row_of(page, other.order_number) == row_of(first, other.order_number)
    # The page's selection is part of what a row shows.
    assert f'value="{order.id}" aria-labelledby="on-{order.id}" checked>' in row_of(
        operator.get("/orders/?select=page").text, order.order_number)
    assert " checked" not in row_of(operator.get("/orders/").text, order.order_number)


def tabs(page: str) -> dict[str, tuple[str, bool]]:
    """status tab -> (count shown, marked current)."""
    nav = page.split('<nav class="tabs"', 1)[1].split("</nav>", 1)[0]
    return {key: (count, current == ' aria-current="page"') for key, count, current in
            re.findall(r'data-status="(\w+)" data-count="(\d+)"([^>]*)>', nav)}


def saved_query(page: str) -> str:
    """The search the presets' form would save."""
    return re.search(r'<input type="hidden" name="query" value="([^"]*)">', page).group(1)


def test_the_kept_tabs_and_presets_follow_the_counts_and_the_search(operator, factory,
                                                                    session):
    factory.order()
    session.commit()
    for _ in range(2):  # rendered, then kept
        page = operator.get("/orders/").text
        assert tabs(page)["new"] == ("1", False)
        assert saved_query(page) == "tab=all"
        page = operator.get("/orders/?tab=new&sort=total").text
        assert tabs(page)["new"] == ("1", True)
        assert saved_query(page) == "tab=new&amp;sort=total"
        assert 'href="/orders/?tab=processing&amp;sort=total"' in page.split(
            '<nav class="tabs"', 1)[1].split("</nav>", 1)[0]
    factory.order()
    factory.order(status=OrderStatus.ready_to_ship)
    session.commit()
    page = operator.get("/orders/?tab=processing").text
    assert tabs(page)["new"] == ("2", False) and tabs(page)["processing"] == ("1", True)
    subtabs = page.split('<nav class="subtabs"', 1)[1].split("</nav>", 1)[0]
    assert 'data-status="ready_to_ship" data-count="1"' in subtabs


def pager(page: str) -> str:
    return page.split('<nav class="pager"', 1)[1].split("</nav>", 1)[0]


def test_the_kept_pager_follows_the_page_the_total_and_the_search(operator, factory, session):
    for _ in range(26):
        factory.order()
    session.commit()
    for _ in range(2):  # rendered, then kept
        first = pager(operator.get("/orders/?per_page=25").text)
        assert "26件" in first and '<span aria-current="page">1</span>' in first
        assert 'href="/orders/?tab=all&amp;per_page=25&amp;page=2" ' in first
        second = pager(operator.get("/orders/?per_page=25&page=2").text)
        assert '<span aria-current="page">2</span>' in second and 'rel="prev"' in second
        assert 'rel="next"' not in second
        shown = pager(operator.get("/orders/?per_page=25&sort=total").text)
        assert 'href="/orders/?tab=all&amp;sort=total&amp;per_page=25&amp;page=2" ' in shown
    factory.order()
    session.commit()
    assert "27件" in pager(operator.get("/orders/?per_page=25").text)
