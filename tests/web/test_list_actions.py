"""The order list's buttons through the test client, JavaScript off and htmx fragments:
one rule for what every button acts on, and the results of 注文確認 and 配送情報送信 as
pages of their own (Post/Redirect/Get) that a reload shows again without acting twice."""

import re
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa

from oms.models import (
    JobState,
    LinkResult,
    Notification,
    Order,
    OrderStatus,
    Shipment,
    StatusHistory,
)
from tests.conftest import csrf_token

S = OrderStatus
# Every POST button of the list: (data-action, URL, the tab that shows it).
BUTTONS = [
    ("confirm", "/orders/confirm", "new"),
    ("send-shipping", "/marketplaces/shipping-info", "processing"),
    ("inventory-download", "/marketplaces/inventory/download", "processing"),
    ("allocate", "/orders/allocate", "processing"),
    ("refresh-all", "/marketplaces/refresh", "processing"),
    ("link-all", "/marketplaces/link", "new"),
    ("bulk", "/bulk/start", "new"),
    ("export", "/orders/export", "new"),
]


@pytest.fixture
def operator(auth):
    """Signed in, in Japanese (the default): the statements are read as operators read them."""
    auth.login("operator")
    return auth.client


@pytest.fixture
def orders(factory, session):
    made = {"new": [factory.order(status=S.new) for _ in range(3)],
            "processing": [factory.order(status=S.ready_to_ship, link_result=LinkResult.ok)
                           for _ in range(2)]}
    session.commit()
    return made


def snapshot(session):
    session.expire_all()
    return (session.execute(sa.select(Order.id, Order.status, Order.version)
                            .order_by(Order.id)).all(),
            session.scalar(sa.select(sa.func.count()).select_from(Notification)),
            session.scalar(sa.select(sa.func.count()).select_from(Shipment)),
            session.scalar(sa.text("SELECT count(*) FROM bulk_selections")))


def press(client, url, tab, **fields):
    data = {"csrf_token": csrf_token(client), "scope": "selected", "search": f"tab={tab}",
            "encoding": "utf8", **fields}
    return client.post(url, data=data)


def flashes(client) -> str:
    return " ".join(re.findall(r'<p class="flash flash-\w+">([^<]*)</p>',
                               client.get("/orders/").get_data(as_text=True)))


@pytest.mark.parametrize(("action", "url", "tab"), BUTTONS)
def test_every_button_with_nothing_checked_says_what_it_will_do(operator, orders, session,
                                                               action, url, tab):
    before = snapshot(session)
    response = press(operator, url, tab)
    assert response.status_code == 303
    assert urlsplit(response.location).path == f"/orders/act/{action}"
    assert snapshot(session) == before  # nothing happened yet
    page = operator.get(response.location).get_data(as_text=True)
    count = len(orders[tab])
    assert f'data-act="{action}" data-act-count="{count}"' in page
    assert f"検索結果の全{count}件を対象にします。" in page
    act = page[page.index('<section class="card act"'):]
    assert re.search(r'<form method="post" action="([^"]+)"', act).group(1) == url
    assert 'name="scope" value="search"' in act
    assert f'data-action="{action}"' in page  # the button that does it


@pytest.mark.parametrize(("action", "url", "tab"), BUTTONS)
def test_every_button_refuses_an_empty_search_the_same_way(operator, orders, session,
                                                          action, url, tab):
    before = snapshot(session)
    response = press(operator, url, f"{tab}&q=nothing-matches-this", scope="search")
    assert response.status_code == 303 and response.location.startswith("/orders/?tab=")
    assert "検索結果に受注がありません。" in flashes(operator)
    assert snapshot(session) == before


@pytest.mark.parametrize(("action", "url", "tab"), BUTTONS)
def test_every_button_refuses_a_selection_it_cannot_read(operator, orders, session,
                                                        action, url, tab):
    before = snapshot(session)
    response = press(operator, url, tab, order_id=[str(orders[tab][0].id), "١٢"])
    assert response.status_code == 303 and response.location.startswith("/orders/")
    assert "選択内容を読み取れませんでした" in flashes(operator)
    assert snapshot(session) == before


def test_the_statement_page_refuses_what_it_cannot_do(operator, orders):
    assert operator.get("/orders/act/nonsense").status_code == 404
    response = operator.get("/orders/act/confirm?search=tab%3Dcancelled")
    assert response.status_code == 303
    assert "注文確認：検索結果に受注がありません。" in flashes(operator)


def test_checked_orders_act_at_once(operator, orders, session):
    first = orders["new"][0]
    response = press(operator, "/orders/confirm", "new", order_id=[str(first.id)])
    assert response.status_code == 303 and re.fullmatch(r"/notifications/\d+",
                                                        response.location)
    session.expire_all()
    assert session.get(Order, first.id).status is S.awaiting_allocation
    assert session.get(Order, orders["new"][1].id).status is S.new


def test_a_checked_update_all_still_asks_because_it_takes_the_whole_search(operator, orders):
    response = press(operator, "/marketplaces/link", "new",
                     order_id=[str(orders["new"][0].id)])
    assert urlsplit(response.location).path == "/orders/act/link-all"
    assert parse_qs(urlsplit(response.location).query)["checked"] == ["1"]
    page = operator.get(response.location).get_data(as_text=True)
    assert "アイテム紐づけはチェックした受注だけでなく、検索結果の全3件を対象にします。" in page


def test_confirm_result_is_a_page_that_a_reload_shows_again(operator, orders, session,
                                                           factory):
    shipped = factory.order(status=S.shipped)
    session.commit()
    chosen = [*orders["new"][:2], shipped]
    response = press(operator, "/orders/confirm", "new",
                     order_id=[str(o.id) for o in chosen])
    assert response.status_code == 303
    result_url = response.location
    first = operator.get(result_url).get_data(as_text=True)
    assert 'data-confirmed="2"' in first and 'data-refused="1"' in first
    row = re.search(rf'<tr data-order-number="{shipped.order_number}" data-refused-order>'
                    r'(.*?)</tr>', first, re.S).group(1)
    assert "新規の受注ではありません" in row  # the reason, in Japanese
    assert 'data-job-outcome="partial"' in first and "一部失敗 (1件)" in first
    assert 'href="/orders/?tab=new"' in first  # back to the same search
    before = snapshot(session)
    history = session.scalar(sa.select(sa.func.count()).select_from(StatusHistory))

    again = operator.get(result_url).get_data(as_text=True)  # a reload: GET, nothing redone
    assert again.count('data-confirmed="2"') == 1 and 'data-refused="1"' in again
    assert snapshot(session) == before
    assert session.scalar(sa.select(sa.func.count()).select_from(StatusHistory)) == history
    assert session.scalars(sa.select(Notification.kind)).all() == ["order_confirm"]
    # An own-shop order needs no mall: no job follows, and nothing on the page polls.
    assert "data-mall-confirm" not in again and "hx-trigger" not in again
    assert 'http-equiv="refresh"' not in again


def test_confirm_result_follows_the_malls_job_with_htmx_and_without_js(operator, session,
                                                                      factory, users):
    from oms.models import MallKind

    order = factory.order(status=S.new, shop=factory.shop(MallKind.rakuten))
    session.commit()
    result_url = press(operator, "/orders/confirm", "new", order_id=[str(order.id)]).location
    result = session.scalars(sa.select(Notification).where(
        Notification.kind == "order_confirm")).one()
    job = session.scalars(sa.select(Notification).where(
        Notification.kind == "mall_confirm")).one()
    assert result.params["follow_up"] == job.id
    page = operator.get(result_url).get_data(as_text=True)
    # No JS: the page reloads itself while the malls' job runs; htmx polls the block instead.
    assert '<noscript><meta http-equiv="refresh" content="2"></noscript>' in page
    assert f'id="follow-up" class="mall-confirm" data-mall-confirm="{job.id}"' in page
    assert f'hx-get="{result_url}" hx-trigger="every 1s"' in page
    fragment = operator.get(result_url, headers={"HX-Request": "true",
                                                 "HX-Target": "follow-up"})
    text = fragment.get_data(as_text=True)
    assert "<html" not in text and text.lstrip().startswith('<div id="follow-up"')
    assert 'data-job-state="queued"' in text and "HX-Trigger" not in fragment.headers

    job.state, job.total, job.done, job.failed = JobState.succeeded, 1, 1, 1
    job.summary = "0件の受注をモールで注文確認しました（失敗1件）。"
    session.commit()
    fragment = operator.get(result_url, headers={"HX-Request": "true",
                                                 "HX-Target": "follow-up"})
    text = fragment.get_data(as_text=True)
    assert "hx-trigger" not in text and 'data-job-outcome="failed"' in text
    assert fragment.headers["HX-Trigger"] == "job-finished"
    assert f'href="/marketplaces/jobs/{job.id}"' in text  # the orders the malls refused
    page = operator.get(result_url).get_data(as_text=True)
    assert 'http-equiv="refresh"' not in page


def test_shipping_info_result_is_a_page_too(operator, orders, session):
    ok = orders["processing"][0]
    new = orders["new"][0]
    response = press(operator, "/marketplaces/shipping-info", "processing",
                     order_id=[str(ok.id), str(new.id)])
    assert response.status_code == 303
    page = operator.get(response.location).get_data(as_text=True)
    assert 'data-sent="1"' in page and 'data-refused="1"' in page
    assert "<h1>配送情報送信 #" in page
    assert "配送情報を登録できるのは処理中の受注のみです。" in page  # the refusal's reason
    shipments = session.scalar(sa.select(sa.func.count()).select_from(Shipment))
    operator.get(response.location)
    assert session.scalar(sa.select(sa.func.count()).select_from(Shipment)) == shipments == 1


def test_a_result_is_only_its_operators_and_the_admins(operator, orders, session, auth,
                                                       make_user):
    url = press(operator, "/orders/confirm", "new",
                order_id=[str(orders["new"][0].id)]).location
    make_user("operator2")
    auth.logout()
    auth.login("operator2")
    assert auth.client.get(url).status_code == 404
    auth.logout()
    auth.login("admin")
    assert auth.client.get(url).status_code == 200


def test_the_list_shows_each_tabs_controls_from_the_service(operator, orders):
    from oms.services import list_controls

    for tab in list_controls.TAB_CONTROLS:
        page = operator.get(f"/orders/?tab={tab}").get_data(as_text=True)
        controls = page[page.index('<div class="tab-controls">'):
                        page.index('<div class="table-wrap">')]
        shown = re.findall(r'data-action="([\w-]+)"', controls)
        assert shown == [c.key for c in list_controls.for_tab(tab)], tab
