"""Session protection: a session cookie copied into another browser is refused. What is
and is not protected is written in README.md ("Sessions") and in oms/__init__.py.

The fingerprint of a signed-in session is the browser's User-Agent and the client's
address as the app sees it (the TCP peer, or with OMS_PROXY_COUNT the address the trusted
load balancer reports). A request whose fingerprint differs is signed out."""

import time
from datetime import timedelta

import pytest

from oms import sessions
from tests.conftest import PASSWORD, IsolatedClient, csrf_token

VICTIM = {"HTTP_USER_AGENT": "Mozilla/5.0 (Windows NT 10.0) Chrome/156.0 victim",
          "REMOTE_ADDR": "192.0.2.10"}


def signed_in(app, **environ) -> IsolatedClient:
    app.test_client_class = IsolatedClient  # a fresh app context per request, as a server
    client = app.test_client()
    client.environ_base.update(environ)
    response = client.post("/login", data={"username": "operator", "password": PASSWORD,
                                           "csrf_token": csrf_token(client)})
    assert response.status_code == 303, response.status_code
    assert client.get("/orders/").status_code == 200
    return client


def replay(app, victim, **environ):
    """Another browser that was given the victim's session cookie."""
    name = app.config["SESSION_COOKIE_NAME"]
    app.test_client_class = IsolatedClient
    other = app.test_client()
    other.environ_base.update(environ)
    other.set_cookie(name, victim.get_cookie(name).value)
    return other


def refused(response) -> bool:
    return response.status_code in (302, 303) and "/login" in response.headers["Location"]


@pytest.mark.parametrize("thief", [
    pytest.param({**VICTIM, "HTTP_USER_AGENT": "curl/8.5.0"}, id="another browser"),
    pytest.param({**VICTIM, "REMOTE_ADDR": "198.51.100.7"}, id="another address"),
    pytest.param({**VICTIM, "REMOTE_ADDR": "198.51.100.7",
                  "HTTP_X_FORWARDED_FOR": VICTIM["REMOTE_ADDR"]},
                 id="another address claiming the victim's in X-Forwarded-For"),
])
def test_a_copied_session_cookie_is_refused(app, users, thief):
    victim = signed_in(app, **VICTIM)
    other = replay(app, victim, **thief)
    assert refused(other.get("/orders/"))
    assert refused(other.get("/orders/")), "signed out for good, not just once"
    assert victim.get("/orders/").status_code == 200  # the owner stays signed in


def test_the_same_browser_at_the_same_address_is_not_told_apart(app, users):
    """The limit, stated in README.md: a copy used with the same User-Agent from the same
    address (the same office behind one NAT) is accepted."""
    victim = signed_in(app, **VICTIM)
    assert replay(app, victim, **VICTIM).get("/orders/").status_code == 200


def test_behind_a_load_balancer_the_reported_client_address_counts(users, test_env):
    from oms import create_app
    from oms.extensions import db

    behind = create_app({"TESTING": True, "PROXY_COUNT": 1})
    try:
        # The load balancer connects from 10.0.0.2 and reports the client's address.
        via = {**VICTIM, "REMOTE_ADDR": "10.0.0.2"}
        victim = signed_in(behind, **via, HTTP_X_FORWARDED_FOR="192.0.2.10")
        same = replay(behind, victim, **via, HTTP_X_FORWARDED_FOR="192.0.2.10")
        assert same.get("/orders/").status_code == 200
        thief = replay(behind, victim, **via, HTTP_X_FORWARDED_FOR="198.51.100.7")
        assert refused(thief.get("/orders/"))
    finally:
        with behind.app_context():
            db.engine.dispose()


def test_the_cookie_is_signed_again_after_a_minute(app, users, monkeypatch):
    """A sign-in lasts OMS_SESSION_HOURS from the last request, give or take the minute in
    which the cookie is not signed again (oms/sessions.py)."""
    client = signed_in(app, **VICTIM)
    name = app.config["SESSION_COOKIE_NAME"]
    response = client.get("/orders/")
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers  # signed less than a minute ago

    monkeypatch.setattr(sessions, "REFRESH_AFTER", 0)
    response = client.get("/orders/")
    assert response.headers["Set-Cookie"].startswith(f"{name}=")
    assert client.get("/orders/").status_code == 200  # the new cookie signs in


def test_a_changed_session_is_sent_at_once(app, users):
    client = signed_in(app, **VICTIM)
    response = client.post("/language", data={"lang": "en", "csrf_token": csrf_token(client)})
    assert response.headers["Set-Cookie"].startswith(app.config["SESSION_COOKIE_NAME"])
    assert "Orders" in client.get("/orders/").text


def test_a_cookie_past_the_sign_in_lifetime_signs_in_no_more(app, users, monkeypatch):
    """A cookie read before (oms/sessions.py keeps what it holds) still ends with the
    sign-in's lifetime."""
    client = signed_in(app, **VICTIM)
    assert client.get("/orders/").status_code == 200
    monkeypatch.setitem(app.config, "PERMANENT_SESSION_LIFETIME", timedelta(seconds=1))
    time.sleep(2.1)
    assert refused(client.get("/orders/"))
