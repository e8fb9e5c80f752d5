"""Every route declares who may open it, and the declaration holds for every role."""

from urllib.parse import urlsplit

import pytest
from flask import Blueprint

from oms.access import Access, access
from tests.conftest import AuthActions, csrf_token
from tests.web.routing import PUBLIC, make_world, rules, snapshot


@pytest.fixture
def world(app, users, factory, session, tmp_path):
    return make_world(session, factory, users["operator"], tmp_path / "exports")


def _declared(app) -> dict[str, Access | None]:
    return {endpoint: getattr(view, "access", None)
            for endpoint, view in app.view_functions.items() if endpoint != "static"}


def _goes_to_login(response) -> bool:
    return (response.status_code in (302, 303)
            and urlsplit(response.headers["Location"]).path == "/login")


def test_every_view_declares_its_access(app):
    declared = _declared(app)
    undeclared = sorted(e for e, level in declared.items() if not isinstance(level, Access))
    assert not undeclared, f"views without @access: {undeclared}"
    public = {e for e, level in declared.items() if level is Access.public}
    assert public == PUBLIC, "a route became public (or stopped being): check it on purpose"
    assert "main.settings" in {e for e, level in declared.items() if level is Access.admin}


def test_anonymous_get_goes_to_login_except_public_pages(app, client, world):
    wrong = []
    for rule in rules(app, "GET"):
        url = world.url(rule)
        response = client.get(url)
        response.close()
        if rule.endpoint in PUBLIC:
            if response.status_code != 200:
                wrong.append((url, response.status_code))
        elif not _goes_to_login(response):
            wrong.append((url, response.status_code, response.headers.get("Location")))
    assert not wrong
    # The login page remembers where the stranger wanted to go.
    location = client.get("/notifications/").headers["Location"]
    assert "next=" in location


@pytest.mark.parametrize("role", ["operator", "admin"])
def test_signed_in_get_walk(app, client, auth, world, role):
    assert auth.login(role).status_code == 303
    declared = _declared(app)
    wrong = []
    for rule in rules(app, "GET"):
        url = world.url(rule)
        response = client.get(url)
        response.close()
        admin_only = declared[rule.endpoint] is Access.admin
        if role == "operator" and admin_only:
            ok = response.status_code == 403 and 'data-error="403"' in response.text
        else:
            ok = response.status_code == 200 or (
                response.status_code in (302, 303) and not _goes_to_login(response))
        if not ok:
            wrong.append((url, response.status_code, response.headers.get("Location")))
    assert not wrong, f"{role}: {wrong}"


def test_operator_walk_really_sees_pages(client, auth, world):
    """The walk above must not pass on empty pages: spot-check real content."""
    auth.login("operator")
    assert f'data-order-number="{world.order.order_number}"' in client.get("/orders/").text
    show = client.get(f"/notifications/{world.notification.id}")
    assert 'data-job-state="succeeded"' in show.text
    download = client.get(f"/notifications/{world.notification.id}/download")
    assert download.status_code == 200 and "注文番号" in download.data.decode("utf-8-sig")
    download.close()
    assert client.get("/settings").status_code == 403


def test_anonymous_post_is_refused_and_changes_nothing(app, client, world, session):
    before = snapshot(session)
    token = csrf_token(client)
    wrong = []
    for rule in rules(app, "POST"):
        if rule.endpoint in PUBLIC:
            continue
        url = world.url(rule)
        for data in ({}, {"csrf_token": token}):
            response = client.post(url, data=data)
            refused = _goes_to_login(response) or response.status_code in (400, 401, 403)
            if not refused:
                wrong.append((url, data.keys(), response.status_code))
    assert not wrong
    assert snapshot(session) == before


def test_operator_post_to_admin_routes_is_refused(app, client, auth, world, session):
    auth.login("operator")
    token = csrf_token(client)
    admin_posts = [r for r in rules(app, "POST") if _declared(app)[r.endpoint] is Access.admin]
    before = snapshot(session)
    for rule in admin_posts:
        response = client.post(world.url(rule), data={"csrf_token": token})
        assert response.status_code == 403, rule.rule
    assert snapshot(session) == before


def test_operators_post_routes_are_open_to_operators(app, client, auth, world, session):
    """An operator may use the operator-level actions: cancel a queued job of their own."""
    note = world.notification
    note.state = note.state.queued
    session.commit()
    auth.login("operator")
    response = client.post(f"/notifications/{note.id}/cancel",
                           data={"csrf_token": csrf_token(client)})
    assert response.status_code == 303
    session.refresh(note)
    assert note.state.value == "cancelled"


def test_undeclared_route_is_refused(test_env, app, users):
    from oms import create_app
    from oms.extensions import db

    other = create_app({"TESTING": True})
    throwaway = Blueprint("throwaway", __name__)

    @throwaway.route("/throwaway/undeclared")
    def undeclared():
        return "secret"

    @throwaway.route("/throwaway/declared")
    @access(Access.operator)
    def declared():
        return "fine"

    other.register_blueprint(throwaway)
    try:
        client = other.test_client()
        assert client.get("/throwaway/undeclared").status_code == 403  # even for strangers
        assert AuthActions(client).login("admin").status_code == 303
        refused = client.get("/throwaway/undeclared")
        assert refused.status_code == 403
        assert "secret" not in refused.text and 'data-error="403"' in refused.text
        # The same blueprint's declared route works, so the 403 comes from the missing
        # declaration and not from the set-up.
        assert client.get("/throwaway/declared").text == "fine"
    finally:
        with other.app_context():
            db.engine.dispose()
