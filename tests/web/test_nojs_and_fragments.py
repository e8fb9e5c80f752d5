"""Pages work as plain HTML; htmx requests aimed at a fragment get only that fragment."""

from html.parser import HTMLParser

import pytest

from oms.models import JobState


class Page(HTMLParser):
    """The parts of a page a browser without JavaScript relies on."""

    def __init__(self, html: str):
        super().__init__()
        self.links: list[dict] = []
        self.forms: list[dict] = []
        self.hx_links_without_href: list[dict] = []
        self.hx_posts_outside_forms: list[dict] = []
        self._form: dict | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "a":
            if a.get("href"):
                self.links.append(a)
            elif "hx-get" in a:
                self.hx_links_without_href.append(a)
        if tag == "form":
            self._form = {**a, "fields": []}
            self.forms.append(self._form)
        if tag in ("input", "button", "select", "textarea") and self._form is not None:
            self._form["fields"].append(a)
        if "hx-post" in a and self._form is None and tag != "form":
            self.hx_posts_outside_forms.append(a)

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None

    def post_forms(self) -> list[dict]:
        return [f for f in self.forms if f.get("method", "get").lower() == "post"]


def assert_works_without_js(html: str) -> Page:
    assert html.lstrip().lower().startswith("<!doctype html>")
    assert "<html" in html
    page = Page(html)
    assert page.links, "no links"
    for form in page.post_forms():
        assert form.get("action", "").startswith("/"), form
        assert any(f.get("name") == "csrf_token" and f.get("value") for f in form["fields"]), form
    assert not page.hx_links_without_href
    assert not page.hx_posts_outside_forms
    return page


@pytest.fixture
def data(client, auth, factory, users, session):
    orders = [factory.order(buyer_name=f"買主 {i}") for i in range(3)]
    running = factory.notification(users["operator"], state=JobState.running, total=10, done=4)
    session.commit()
    assert auth.login("operator").status_code == 303
    return orders, running


def test_order_list_is_a_plain_html_page(client, data):
    orders, _running = data
    response = client.get("/orders/")
    assert response.status_code == 200
    page = assert_works_without_js(response.text)
    assert any(f.get("action") == "/orders/export" for f in page.post_forms())
    for order in orders:
        assert f'data-order-number="{order.order_number}"' in response.text
    # Tabs are ordinary links, each to a bookmarkable URL.
    tabs = [a for a in page.links if "data-status" in a]
    assert {a["data-status"] for a in tabs} >= {"all", "new", "processing", "done"}
    assert all(a["href"].startswith("/orders/") for a in tabs)


def test_notification_pages_are_plain_html(client, data):
    _orders, running = data
    log = client.get("/notifications/")
    assert log.status_code == 200
    assert_works_without_js(log.text)
    assert f'data-job-id="{running.id}"' in log.text

    job = client.get(f"/notifications/{running.id}")
    page = assert_works_without_js(job.text)
    cancel = f"/notifications/{running.id}/cancel"
    assert any(f.get("action") == cancel for f in page.post_forms())
    # Without JS the running job's page refreshes itself and offers a refresh link.
    assert '<noscript><meta http-equiv="refresh"' in job.text
    assert any(a["href"] == f"/notifications/{running.id}" for a in page.links)


@pytest.mark.parametrize(("url", "target"), [
    ("/orders/", "order-results"),
    ("/notifications/", "notification-log"),
    ("/notifications/{job}", "job-progress"),
])
def test_fragment_only_for_htmx_aimed_at_it(client, data, url, target):
    url = url.format(job=data[1].id)
    fragment = client.get(url, headers={"HX-Request": "true", "HX-Target": target})
    assert fragment.status_code == 200
    assert "<html" not in fragment.text and "<head" not in fragment.text
    assert f'id="{target}"' in fragment.text
    assert "HX-Request" in fragment.vary

    for headers in ({"HX-Request": "true", "HX-Target": target, "HX-Boosted": "true"},
                    {"HX-Request": "true"},
                    {"HX-Request": "true", "HX-Target": "something-else"},
                    {}):
        full = client.get(url, headers=headers)
        assert full.status_code == 200, headers
        assert "<html" in full.text and f'id="{target}"' in full.text, headers


def test_job_progress_fragment_shows_progress_and_stops_polling_when_done(client, data, session):
    _orders, running = data
    headers = {"HX-Request": "true", "HX-Target": "job-progress"}
    polling = client.get(f"/notifications/{running.id}", headers=headers)
    assert 'data-job-state="running"' in polling.text and 'data-job-done="4"' in polling.text
    assert "hx-trigger" in polling.text
    running.state, running.done = JobState.succeeded, 10
    session.commit()
    done = client.get(f"/notifications/{running.id}", headers=headers)
    assert 'data-job-state="succeeded"' in done.text and 'data-job-done="10"' in done.text
    assert "hx-trigger" not in done.text
    assert done.headers.get("HX-Trigger") == "job-finished"


def test_healthz_reports_database_and_redis(app, client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": True, "redis": True}


def test_healthz_says_503_when_redis_is_gone(test_env, app):
    from oms import create_app
    from oms.extensions import db

    broken = create_app({"TESTING": True, "REDIS_URL": "redis://127.0.0.1:1/0"})
    try:
        response = broken.test_client().get("/healthz")
        assert response.status_code == 503
        assert response.get_json() == {"status": "unavailable", "database": True,
                                       "redis": False}
    finally:
        with broken.app_context():
            db.engine.dispose()


@pytest.mark.parametrize("query", [
    "page=abc", "page=-5", "page=0", "page=99999999999999999999", "tab=nonsense",
    "tab=", "page=1&page=2", "tab=%00", "per_page=abc", "sort=nonsense",
])
def test_bad_query_strings_never_500(client, data, query):
    response = client.get(f"/orders/?{query}")
    assert response.status_code < 500, response.status_code
    assert "<html" in response.text


@pytest.mark.parametrize("url", [
    "/notifications/abc", "/notifications/99999999", "/notifications/99999999/download",
    "/area/nonsense", "/orders/9999999999",
])
def test_unknown_things_are_a_readable_404(client, data, url):
    response = client.get(url)
    assert response.status_code == 404
    assert 'data-error="404"' in response.text
