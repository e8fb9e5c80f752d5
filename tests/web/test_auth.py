"""Signing in and out: attempt limits, audit rows, session revocation, safe redirects."""

from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from oms.models import AuditEvent, User
from tests.conftest import PASSWORD, csrf_token, switch_to_english

WRONG = "The user name or password is wrong."


@pytest.fixture
def english(client):
    """Messages are asserted in English."""
    switch_to_english(client)
    return client


def _login(client, username, password, next_=None):
    url = "/login" if next_ is None else f"/login?next={next_}"
    return client.post(url, data={"username": username, "password": password,
                                  "csrf_token": csrf_token(client)})


def _signed_in(client) -> bool:
    response = client.get("/notifications/")
    return response.status_code == 200


def _audit(session, action: str) -> list[AuditEvent]:
    session.rollback()
    return list(session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def _flash(html: str) -> str:
    start = html.index('id="flash"')
    return html[start:html.index("</div>", start)]


def test_sign_in_and_out(client, english, users, session):
    assert not _signed_in(client)
    response = _login(client, "operator", PASSWORD)
    assert response.status_code == 303
    assert urlsplit(response.headers["Location"]).path == "/orders/"
    page = client.get("/notifications/")
    assert page.status_code == 200 and 'data-user="operator"' in page.text
    (login,) = _audit(session, "login")
    assert (login.user_id, login.username, login.ip) == (users["operator"].id, "operator",
                                                         "127.0.0.1")

    response = client.post("/logout", data={"csrf_token": csrf_token(client)})
    assert response.status_code == 303
    assert urlsplit(response.headers["Location"]).path == "/login"
    assert "You have signed out." in client.get("/login").text
    assert not _signed_in(client)
    (logout,) = _audit(session, "logout")
    assert logout.user_id == users["operator"].id


def test_wrong_password_and_unknown_user_look_the_same(client, english, users, session):
    wrong = _login(client, "operator", "Not-the-password-1")
    unknown = _login(client, "nobody-here", "Not-the-password-1")
    assert wrong.status_code == unknown.status_code == 422
    assert WRONG in wrong.text
    assert _flash(wrong.text) == _flash(unknown.text)
    assert not _signed_in(client)
    cookie = client.get_cookie("__Host-session")
    if cookie is not None:
        app = client.application
        data = app.session_interface.get_signing_serializer(app).loads(cookie.value)
        assert "_user_id" not in data
    failures = _audit(session, "login_failed")
    assert [(f.username, f.ip, f.user_id) for f in failures] == [
        ("operator", "127.0.0.1", None), ("nobody-here", "127.0.0.1", None)]


def test_lock_after_too_many_failures(app, client, english, users, session):
    limit = app.config["LOGIN_MAX_FAILURES"]
    assert limit == 5
    for _ in range(limit):
        assert _login(client, "operator", "Not-the-password-1").status_code == 422
    locked = _login(client, "operator", PASSWORD)
    assert locked.status_code == 429
    assert "Too many failed attempts" in locked.text
    assert not _signed_in(client)
    (event,) = _audit(session, "login_locked")
    assert (event.username, event.ip) == ("operator", "127.0.0.1")
    assert len(_audit(session, "login_failed")) == limit
    assert _audit(session, "login") == []
    # Another user from the same address is not locked out by these failures.
    assert _login(client, "admin", PASSWORD).status_code == 303


def test_logout_revokes_the_old_session_cookie(client, users, session):
    assert _login(client, "operator", PASSWORD).status_code == 303
    assert _signed_in(client)
    stolen = client.get_cookie("__Host-session").value
    assert client.post("/logout", data={"csrf_token": csrf_token(client)}).status_code == 303
    assert not _signed_in(client)

    client.set_cookie("__Host-session", stolen)
    replay = client.get("/notifications/")
    assert replay.status_code == 302
    assert urlsplit(replay.headers["Location"]).path == "/login"
    session.rollback()
    assert session.get(User, users["operator"].id).session_epoch == 1


def test_logout_ends_the_users_other_sessions_too(app, client, users):
    other_device = app.test_client()
    assert _login(other_device, "operator", PASSWORD).status_code == 303
    assert _login(client, "operator", PASSWORD).status_code == 303
    client.post("/logout", data={"csrf_token": csrf_token(client)})
    assert not _signed_in(other_device)


@pytest.mark.parametrize(("next_", "lands_on"), [
    ("/notifications/", "/notifications/"),
    ("//evil.example", "/orders/"),
    ("https://evil.example", "/orders/"),
    ("https://evil.example/login", "/orders/"),
    ("/\\evil.example", "/orders/"),
    ("/%09/evil.example", "/orders/"),
    ("javascript:alert(1)", "/orders/"),
])
def test_next_only_goes_to_our_own_pages(client, users, next_, lands_on):
    response = _login(client, "operator", PASSWORD, next_=next_)
    assert response.status_code == 303
    location = urlsplit(response.headers["Location"])
    assert location.netloc in ("", "localhost")
    assert location.path == lands_on


def test_inactive_user_cannot_sign_in(client, english, make_user, session):
    make_user("retired", active=False)
    response = _login(client, "retired", PASSWORD)
    assert response.status_code == 422 and WRONG in response.text
    assert not _signed_in(client)


def test_deactivated_user_loses_an_open_session(client, make_user, session):
    user = make_user("leaver")
    assert _login(client, "leaver", PASSWORD).status_code == 303
    user.active = False
    session.commit()
    assert not _signed_in(client)


@pytest.mark.parametrize(("password", "why"), [
    ("Sh0rt-pw", "at least"),
    ("letmein12345", "too common"),
    ("alice-Strong-pass-99", "user name"),
])
def test_create_user_refuses_weak_passwords(app, users, session, password, why):
    result = app.test_cli_runner().invoke(
        args=["create-user", "alice", "--role", "operator", "--password", password])
    assert result.exit_code != 0
    assert why in result.output
    session.rollback()
    assert session.scalar(sa.select(User).where(User.username == "alice")) is None


def test_create_user_refuses_a_duplicate_name(app, users, session):
    result = app.test_cli_runner().invoke(
        args=["create-user", "operator", "--role", "admin", "--password", "Brand-new-pass-77"])
    assert result.exit_code != 0 and "already exists" in result.output
    session.rollback()
    assert session.get(User, users["operator"].id).role.value == "operator"


def test_create_user_makes_a_working_account(app, client, users):
    result = app.test_cli_runner().invoke(
        args=["create-user", "carol", "--role", "admin", "--password", "Quiet-harbour-1987"])
    assert result.exit_code == 0, result.output
    assert "created carol (admin)" in result.output
    assert _login(client, "carol", "Quiet-harbour-1987").status_code == 303
    assert client.get("/settings").status_code == 200


def test_htmx_request_without_session_redirects_the_whole_page(client):
    response = client.get("/orders/", headers={"HX-Request": "true", "HX-Target": "order-results"})
    assert response.status_code == 401
    assert response.headers["HX-Redirect"] == "/login"


def test_proxy_headers_are_trusted_only_when_configured(test_env):
    from oms import create_app
    from oms.extensions import db

    app = create_app({"TESTING": True, "PROXY_COUNT": 1})
    try:
        response = app.test_client().get(
            "/healthz", headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"})
    finally:
        # /healthz asked the database and Redis: close both, else a socket is left to the
        # garbage collector, which warns during whichever test runs then.
        with app.app_context():
            db.engine.dispose()
        if (queue := app.extensions.pop("oms_redis", None)) is not None:
            queue.close()
    assert "Strict-Transport-Security" in response.headers
