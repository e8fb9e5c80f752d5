"""CSRF on every POST route: refused without a token (readable 400), accepted with one.

The test app keeps WTF_CSRF_ENABLED at its default (on), so this module exercises the
real protection rather than a test-only switch.
"""

import re
import time

import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from oms.models import JobState
from tests.conftest import AuthActions, csrf_token
from tests.web.routing import make_world, rules, snapshot


@pytest.fixture
def world(app, users, factory, session, tmp_path):
    return make_world(session, factory, users["admin"], tmp_path / "exports")


def _queued_job(session, world):
    note = world.notification
    note.state = JobState.queued
    session.commit()
    return note


def _state(session, note) -> tuple[JobState, bool]:
    session.rollback()
    session.refresh(note)
    return note.state, note.cancel_requested


def _hidden_token(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def test_csrf_is_really_on(app):
    assert app.config.get("WTF_CSRF_ENABLED", True) is True
    assert rules(app, "POST"), "no POST routes found: the walk below would prove nothing"


@pytest.mark.parametrize("signed_in", [False, True])
def test_every_post_without_token_is_a_readable_400(app, client, world, session, signed_in):
    if signed_in:
        assert AuthActions(client).login("admin").status_code == 303
    before = snapshot(session)
    wrong = []
    for rule in rules(app, "POST"):
        url = world.url(rule)
        for data in ({}, {"csrf_token": "forged"}):
            response = client.post(url, data=data)
            if response.status_code != 400 or 'data-error="400"' not in response.text:
                wrong.append((url, data, response.status_code))
    assert not wrong
    assert snapshot(session) == before


def test_every_post_with_the_page_token_is_accepted(app, world, session):
    accepted = []
    for rule in rules(app, "POST"):
        client = app.test_client()  # logout is among the rules: a fresh sign-in each time
        assert AuthActions(client).login("admin").status_code == 303
        response = client.post(world.url(rule), data={"csrf_token": csrf_token(client)})
        assert response.status_code < 500, rule.rule
        assert response.status_code != 400 and 'data-error="400"' not in response.text, rule.rule
        accepted.append(rule.endpoint)
    assert {"auth.logout", "orders.export", "notifications.cancel"} <= set(accepted)


def test_token_from_the_forms_hidden_field_is_accepted(client, auth, world, session):
    note = _queued_job(session, world)
    auth.login("admin")
    page = client.get(f"/notifications/{note.id}").text
    response = client.post(f"/notifications/{note.id}/cancel",
                           data={"csrf_token": _hidden_token(page)})
    assert response.status_code == 303
    assert _state(session, note) == (JobState.cancelled, True)


def test_token_in_the_htmx_header_is_accepted(client, auth, world, session):
    note = _queued_job(session, world)
    auth.login("admin")
    headers = {"HX-Request": "true", "X-CSRFToken": csrf_token(client)}
    response = client.post(f"/notifications/{note.id}/cancel", headers=headers)
    assert response.status_code == 303
    assert _state(session, note) == (JobState.cancelled, True)


def test_htmx_post_without_header_is_refused(client, auth, world, session):
    note = _queued_job(session, world)
    auth.login("admin")
    response = client.post(f"/notifications/{note.id}/cancel", headers={"HX-Request": "true"})
    assert response.status_code == 400
    assert _state(session, note) == (JobState.queued, False)


def test_token_of_another_session_is_refused(app, client, auth, world, session):
    note = _queued_job(session, world)
    stranger = app.test_client()
    AuthActions(stranger).login("operator")
    auth.login("admin")
    response = client.post(f"/notifications/{note.id}/cancel",
                           data={"csrf_token": csrf_token(stranger)})
    assert response.status_code == 400
    assert _state(session, note) == (JobState.queued, False)


def test_a_page_left_open_for_days_still_posts(app, client, auth, world, session):
    """Kiosks keep a page open all shift: a token signed three days ago still works."""

    class ThreeDaysAgo(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - 3 * 24 * 3600

    note = _queued_job(session, world)
    auth.login("admin")
    csrf_token(client)  # the page load that puts the raw token into the session
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    raw = app.session_interface.get_signing_serializer(app).loads(cookie.value)["csrf_token"]
    old = URLSafeTimedSerializer(app.secret_key, salt="wtf-csrf-token",
                                 signer=ThreeDaysAgo).dumps(raw)
    response = client.post(f"/notifications/{note.id}/cancel", data={"csrf_token": old})
    assert response.status_code == 303
    assert _state(session, note) == (JobState.cancelled, True)


def test_https_post_needs_a_same_origin_referer(app, users, world, session):
    """WTF_CSRF_SSL_STRICT: over https the Referer must be ours (Referrer-Policy allows it)."""
    note = _queued_job(session, world)
    client = app.test_client()
    login_page = client.get("/login", base_url="https://localhost")
    assert login_page.headers["Referrer-Policy"] in ("same-origin",
                                                     "strict-origin-when-cross-origin")
    token = csrf_token(client)
    ours = {"Referer": "https://localhost/login"}
    signed_in = client.post("/login", base_url="https://localhost", headers=ours,
                            data={"username": "admin", "password": "Test-password-42",
                                  "csrf_token": token})
    assert signed_in.status_code == 303
    token = csrf_token(client)
    url = f"/notifications/{note.id}/cancel"
    foreign = client.post(url, base_url="https://localhost", data={"csrf_token": token},
                          headers={"Referer": "https://evil.example/"})
    assert foreign.status_code == 400 and 'data-error="400"' in foreign.text
    assert _state(session, note) == (JobState.queued, False)
    same = client.post(url, base_url="https://localhost", data={"csrf_token": token},
                       headers={"Referer": f"https://localhost/notifications/{note.id}"})
    assert same.status_code == 303
    assert _state(session, note) == (JobState.cancelled, True)
