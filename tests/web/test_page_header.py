"""The page header is kept per process (see oms/templating.header_key): it still shows
each user their own name, role, links and token, marks the page's own link, and brings
the language switch back to the page it was used on."""

import re

import pytest

from tests.conftest import AuthActions


def header(page: str) -> str:
    return page.split('<header class="topbar">', 1)[1].split("</header>", 1)[0]


def signed_in(app, username: str):
    client = app.test_client()
    assert AuthActions(client).login(username).status_code == 303
    return client


@pytest.fixture
def clients(app, users):
    return {name: signed_in(app, name) for name in ("operator", "admin")}


def test_each_user_sees_their_own_name_links_and_token(clients):
    shown = {name: header(client.get("/orders/?tab=new").text)
             for name, client in clients.items()}
    assert 'data-user="operator">operator (オペレーター)' in shown["operator"]
    assert 'data-user="admin">admin (管理者)' in shown["admin"]
    assert "/settings" in shown["admin"] and "/settings" not in shown["operator"]
    tokens = {name: set(re.findall(r'name="csrf_token" value="([^"]+)"', text))
              for name, text in shown.items()}
    assert all(len(found) == 1 for found in tokens.values())
    assert tokens["operator"] != tokens["admin"]
    # The kept header's token is the session's own: signing out with it works.
    operator = clients["operator"]
    assert operator.post("/logout", data={"csrf_token": tokens["operator"].pop()}
                         ).status_code == 303
    assert operator.get("/orders/").status_code == 302


def test_the_page_marks_its_own_link_and_the_switch_comes_back_to_it(clients):
    operator = clients["operator"]
    for _ in range(2):  # rendered, then kept
        for path, current in (("/orders/?tab=new", "/orders/"),
                              ("/shipments/", "/shipments/"),
                              ("/area/customers", "/area/customers"),
                              ("/area/subscriptions", "/area/subscriptions")):
            shown = header(operator.get(path).text)
            assert re.findall(r'href="([^"]+)" aria-current="page"', shown) == [current]
            back = path if "?" in path else f"{path}?"  # request.full_path
            assert f'name="next" value="{back}"' in shown
    switched = operator.post("/language", data={
        "lang": "en", "next": "/shipments/",
        "csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', shown).group(1)})
    assert switched.headers["Location"].endswith("/shipments/")
    shown = header(operator.get("/shipments/").text)
    assert "Sign out" in shown and "ログアウト" not in shown
    assert 'lang="ja">日本語</button>' in shown
