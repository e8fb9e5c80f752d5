"""Response headers on our pages: CSP, nosniff, Vary, cookie flags, caching, HSTS."""

from http.cookies import SimpleCookie

import pytest
from flask import Response

from oms.models import JobState
from tests.conftest import PASSWORD, csrf_token

PAGES = ["/orders/", "/notifications/", "/area/shipments", "/settings", "/login",
         "/no-such-page"]


@pytest.fixture
def signed_in(client, auth, factory, users, session):
    factory.order()
    note = factory.notification(users["admin"], state=JobState.running, total=10, done=3)
    session.commit()
    assert auth.login("admin").status_code == 303
    return note


def _csp(response) -> dict[str, str]:
    policy = response.headers["Content-Security-Policy"]
    return {d.split()[0]: d.strip() for d in policy.split(";") if d.strip()}


def _html_responses(client, note):
    urls = [*PAGES, f"/notifications/{note.id}"]
    return {url: client.get(url) for url in urls}


def test_html_pages_carry_the_security_headers(client, signed_in):
    for url, response in _html_responses(client, signed_in).items():
        assert response.mimetype == "text/html", url
        csp = _csp(response)
        policy = response.headers["Content-Security-Policy"]
        assert "unsafe-inline" not in policy and "unsafe-eval" not in policy, url
        assert csp["object-src"] == "object-src 'none'", url
        assert csp["base-uri"] == "base-uri 'none'", url
        assert csp["script-src"] == "script-src 'self'", url
        assert csp["frame-ancestors"] == "frame-ancestors 'none'", url
        assert response.headers["X-Content-Type-Options"] == "nosniff", url
        assert "HX-Request" in response.vary, url
        assert "no-store" in response.cache_control.to_header(), url
        assert "Strict-Transport-Security" not in response.headers, url  # plain http


def test_fragments_vary_and_are_not_stored_either(client, signed_in):
    response = client.get(f"/notifications/{signed_in.id}",
                          headers={"HX-Request": "true", "HX-Target": "job-progress"})
    assert "<html" not in response.text
    assert "HX-Request" in response.vary
    assert response.cache_control.no_store
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]


def test_pages_carry_no_inline_script_or_style(client, signed_in):
    """What the CSP forbids must not be on the page either, or it silently breaks."""
    for url, response in _html_responses(client, signed_in).items():
        html = response.text.lower()
        assert "<script>" not in html and "<style" not in html, url
        assert " style=" not in html and " onclick=" not in html and "hx-on" not in html, url


def test_download_of_personal_data_is_not_cached(client, signed_in, session, tmp_path):
    path = tmp_path / "orders.csv"
    path.write_text("山田\r\n", encoding="utf-8-sig")
    note = signed_in
    note.state, note.result_path, note.result_name = JobState.succeeded, str(path), "o.csv"
    session.commit()
    response = client.get(f"/notifications/{note.id}/download")
    assert response.status_code == 200
    assert response.cache_control.no_store
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "attachment" in response.headers["Content-Disposition"]
    response.close()


def test_a_header_the_view_set_itself_is_kept(app):
    """The security headers fill in what a response lacks and never replace or repeat
    what its view chose (a download's own Cache-Control)."""
    with app.test_request_context():
        response = app.process_response(Response(
            "<p>x</p>", mimetype="text/html", headers={"Cache-Control": "private, no-store"}))
    assert response.headers.getlist("Cache-Control") == ["private, no-store"]
    assert response.headers.getlist("X-Frame-Options") == ["DENY"]


def test_session_cookie_is_host_prefixed_secure_httponly_lax(client, users):
    response = client.post("/login", data={"username": "operator", "password": PASSWORD,
                                           "csrf_token": csrf_token(client)})
    assert response.status_code == 303
    raw = [h for h in response.headers.getlist("Set-Cookie") if h.startswith("__Host-session=")]
    assert len(raw) == 1, response.headers.getlist("Set-Cookie")
    morsel = SimpleCookie(raw[0])["__Host-session"]
    assert morsel["secure"] is True
    assert morsel["httponly"] is True
    assert morsel["samesite"] == "Lax"
    assert morsel["path"] == "/"
    assert not morsel["domain"]  # __Host- cookies must not name a domain
    # Anything else that sets a cookie must be just as careful.
    for header in response.headers.getlist("Set-Cookie"):
        lowered = header.lower()
        assert "secure" in lowered and "httponly" in lowered, header


def test_hsts_over_https(app, users):
    client = app.test_client()
    for url in ("/login", "/healthz"):
        response = client.get(url, base_url="https://localhost")
        hsts = response.headers["Strict-Transport-Security"]
        max_age = int(hsts.split("max-age=")[1].split(";")[0])
        assert max_age >= 365 * 24 * 3600, url


def test_healthz_json_is_not_sniffed(client, app):
    response = client.get("/healthz")
    assert response.mimetype == "application/json"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
