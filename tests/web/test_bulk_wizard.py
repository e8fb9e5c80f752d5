"""The bulk update wizard through the test client, as a browser without JS uses it: the
order list's selection → operation → options → confirm (dry run) → 確定 → a real worker →
the job page and the history; plus htmx fragments, going back, refusals and roles."""

import re
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlsplit

import pytest
import sqlalchemy as sa
from werkzeug.datastructures import MultiDict

from oms.models import BulkJob, JobState, Order, OrderStatus, PaymentStatus
from tests.bulk_support import empty_queue  # noqa: F401 (fixture)
from tests.conftest import AuthActions, switch_to_english

pytestmark = pytest.mark.usefixtures("empty_queue")


class Forms(HTMLParser):
    """Every form of a page: its method, action and the fields a browser would send."""

    def __init__(self, html: str):
        super().__init__()
        self.forms: list[dict] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.forms.append({"method": (a.get("method") or "get").lower(),
                               "action": a.get("action"), "fields": []})
        elif self.forms and tag in ("input", "button") and a.get("name"):
            kind = a.get("type", "text" if tag == "input" else "submit")
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            if kind != "submit":
                self.forms[-1]["fields"].append((a["name"], a.get("value") or ""))

    def by_action(self, path: str) -> dict:
        return next(f for f in self.forms if f["action"] and f["action"].startswith(path))


def follow(response) -> str:
    assert response.status_code == 303, (response.status_code, response.text[:500])
    parts = urlsplit(response.headers["Location"])
    return parts.path + ("?" + parts.query if parts.query else "")


@pytest.fixture
def operator(client, auth, users):
    assert auth.login("operator").status_code == 303
    switch_to_english(client)
    return client


@pytest.fixture
def orders(factory, session):
    made = [factory.order(status=OrderStatus.new) for _ in range(4)]
    made.append(factory.order(status=OrderStatus.cancelled))
    session.commit()
    return made


def start_from_list(client, query: str, checked: list[int] | None = None) -> str:
    """Press 一括更新 on the order list; the URL of the operation step."""
    page = client.get(f"/orders/?{query}")
    assert 'data-action="bulk"' in page.text
    form = Forms(page.text).by_action("/orders/export")
    fields = [(k, v) for k, v in form["fields"] if k != "order_id"]
    fields += [("order_id", str(i)) for i in checked or []]
    return follow(client.post("/bulk/start", data=MultiDict(fields)))


def confirm_url(operation_url: str, op: str, **options) -> str:
    selection = dict(parse_qsl(urlsplit(operation_url).query))["selection"]
    query = "&".join(f"{k}={v}" for k, v in {"op": op, **options}.items())
    return f"/bulk/confirm?selection={selection}&{query}"


def run(client, confirm_page: str) -> int:
    form = Forms(confirm_page).by_action("/bulk/run")
    path = follow(client.post("/bulk/run", data=MultiDict(form["fields"])))
    match = re.fullmatch(r"/bulk/jobs/(\d+)\?accepted=1", path)
    assert match, path
    return int(match.group(1))


def checked(html: str, name: str, value: str) -> bool:
    tags = re.findall(r"<input[^>]*>", html)
    return any(f'name="{name}"' in t and f'value="{value}"' in t and " checked" in t
               for t in tags)


def attr(html: str, name: str) -> str:
    return re.search(rf'{name}="([^"]*)"', html).group(1)


def test_select_all_to_a_finished_job_without_js(operator, orders, session, run_worker):
    client = operator
    step = start_from_list(client, "tab=all&select=all")
    assert step.startswith("/bulk/operation?selection=")
    page = client.get(step).text
    assert 'data-selection-count="5"' in page and 'value="status"' in page
    assert 'value="delete"' not in page  # admins only

    options_page = client.get(step.replace("/operation", "/options") + "&op=status")
    assert options_page.status_code == 200 and 'name="to"' in options_page.text

    confirm = client.get(confirm_url(step, "status", to="ready_to_ship"))
    assert confirm.status_code == 200
    assert [attr(confirm.text, f"data-preview-{k}") for k in
            ("total", "change", "failed", "skipped")] == ["5", "4", "1", "0"]
    assert 'data-sample="' in confirm.text
    job_id = run(client, confirm.text)

    job_page = client.get(f"/bulk/jobs/{job_id}?accepted=1").text
    assert "data-accepted" in job_page and 'href="/notifications/"' in job_page
    assert attr(job_page, "data-job-state") == "queued"
    run_worker()
    job_page = client.get(f"/bulk/jobs/{job_id}").text
    assert attr(job_page, "data-job-state") == "succeeded"
    assert (attr(job_page, "data-succeeded"), attr(job_page, "data-job-failed")) == ("4", "1")
    history = client.get("/bulk/").text
    row = history[history.index(f'data-bulk-job="{job_id}"'):]
    assert (attr(row, "data-job-total"), attr(row, "data-succeeded"),
            attr(row, "data-job-failed")) == ("5", "4", "1")
    # The notification log lists it too, with its progress (seed 004 「こちら」).
    log = client.get("/notifications/").text
    assert f'data-job-id="{job_id}"' in log
    session.expire_all()
    assert {o.status for o in session.scalars(sa.select(Order))} == {
        OrderStatus.ready_to_ship, OrderStatus.cancelled}


def test_checked_rows_and_failure_drill_down(operator, orders, session, run_worker):
    client = operator
    chosen = [orders[0].id, orders[4].id]  # a new and a cancelled order
    step = start_from_list(client, "tab=all", checked=chosen)
    assert 'data-selection-count="2"' in client.get(step).text
    job_id = run(client, client.get(confirm_url(step, "shipping_hold", hold="on")).text)
    run_worker()
    failures = client.get(f"/bulk/jobs/{job_id}/items?state=failed").text
    assert f'data-order-number="{orders[4].order_number}"' in failures
    assert f'data-order-number="{orders[0].order_number}"' not in failures
    assert "data-item-state=\"failed\"" in failures
    csv = client.get(f"/bulk/jobs/{job_id}/items.csv?state=failed&encoding=utf8")
    assert csv.status_code == 200 and csv.mimetype == "text/csv"
    lines = csv.get_data().decode("utf-8-sig").splitlines()
    assert len(lines) == 2 and lines[1].startswith(orders[4].order_number + ",")
    changed = client.get(f"/bulk/jobs/{job_id}/items?state=ok").text
    assert f'data-order-number="{orders[0].order_number}"' in changed


def test_going_back_keeps_the_choices_and_errors_are_422(operator, orders, factory, session):
    tag = factory.tag("ギフト")
    session.commit()
    client = operator
    step = start_from_list(client, "tab=new&select=all")
    bad = client.get(confirm_url(step, "tags", action="remove"))  # no tag chosen
    assert bad.status_code == 422 and "field-error" in bad.text
    confirm = client.get(confirm_url(step, "tags", action="remove", tag_id=tag.id)).text
    back_url = re.search(r'href="(/bulk/options\?[^"]+)"', confirm).group(1).replace("&amp;", "&")
    page = client.get(back_url).text
    assert checked(page, "action", "remove")
    assert re.search(rf'<option selected value="{tag.id}"|value="{tag.id}" selected', page)
    operation_page = client.get(re.search(r'href="(/bulk/operation\?[^"]+)"', page)
                                .group(1).replace("&amp;", "&")).text
    assert checked(operation_page, "op", "tags")


def test_steps_are_fragments_for_htmx(operator, orders):
    client = operator
    step = start_from_list(client, "tab=new&select=all")
    headers = {"HX-Request": "true", "HX-Target": "bulk-wizard"}
    for url in (step, step.replace("/operation", "/options") + "&op=remarks1",
                confirm_url(step, "remarks1", mode="add", text="x")):
        response = client.get(url, headers=headers)
        assert response.status_code == 200
        assert "<html" not in response.text and 'id="bulk-wizard"' in response.text
        assert "HX-Request" in response.headers.get("Vary", "")


def test_pressing_confirm_twice_starts_one_job(operator, orders, session):
    client = operator
    step = start_from_list(client, "tab=new&select=all")
    confirm = client.get(confirm_url(step, "remarks2", mode="add", text="x")).text
    first, second = run(client, confirm), run(client, confirm)
    assert first == second
    assert session.scalar(sa.select(sa.func.count()).select_from(BulkJob)) == 1


def test_an_empty_selection_says_what_it_takes_and_offers_the_csv_upload(operator, orders,
                                                                        session):
    path = follow(operator.post("/bulk/start", data=MultiDict(Forms(
        operator.get("/orders/").text).by_action("/orders/export")["fields"])))
    assert path.startswith("/orders/act/bulk?")
    page = operator.get(path).text
    total = session.scalar(sa.select(sa.func.count()).select_from(Order))
    assert f'data-act-count="{total}"' in page
    assert f"Bulk update: all {total} orders of the search." in page
    assert 'href="/bulk/csv"' in page
    form = Forms(page).by_action("/bulk/start")
    assert ("scope", "search") in form["fields"]
    assert follow(operator.post("/bulk/start", data=MultiDict(form["fields"]))).startswith(
        "/bulk/operation?selection=")


def test_delete_is_refused_to_operators(operator, orders, app, session):
    client = operator
    step = start_from_list(client, "tab=all&select=all")
    assert client.get(step.replace("/operation", "/options") + "&op=delete").status_code == 403
    confirm = client.get(confirm_url(step, "remarks1", mode="add", text="x")).text
    fields = [(k, "delete" if k == "op" else v)
              for k, v in Forms(confirm).by_action("/bulk/run")["fields"]]
    assert client.post("/bulk/run", data=MultiDict(fields)).status_code == 403
    assert session.scalar(sa.select(sa.func.count()).select_from(BulkJob)) == 0


def test_admin_deletes_orders(app, users, orders, session, run_worker):
    for order in orders:
        order.payment_status = PaymentStatus.voided
    session.commit()
    client = app.test_client()
    assert AuthActions(client).login("admin").status_code == 303
    step = start_from_list(client, "tab=all", checked=[orders[0].id])
    job_id = run(client, client.get(confirm_url(step, "delete")).text)
    run_worker()
    assert attr(client.get(f"/bulk/jobs/{job_id}").text, "data-succeeded") == "1"
    session.expire_all()
    assert session.get(Order, orders[0].id).deleted_at is not None


def test_history_is_private_to_operators_but_not_to_admins(
        app, operator, orders, make_user, session):
    step = start_from_list(operator, "tab=new&select=all")
    job_id = run(operator, operator.get(confirm_url(step, "remarks1", mode="add", text="x")).text)
    make_user("operator2")
    other = app.test_client()
    assert AuthActions(other).login("operator2").status_code == 303
    assert f'data-bulk-job="{job_id}"' not in other.get("/bulk/").text
    for url in (f"/bulk/jobs/{job_id}", f"/bulk/jobs/{job_id}/items",
                f"/bulk/jobs/{job_id}/items.csv", f"/bulk/jobs/{job_id}/undo"):
        assert other.get(url).status_code == 404, url
    assert other.get(step).status_code == 303  # someone else's selection: start again
    admin = app.test_client()
    assert AuthActions(admin).login("admin").status_code == 303
    assert f'data-bulk-job="{job_id}"' in admin.get("/bulk/").text
    assert admin.get(f"/bulk/jobs/{job_id}").status_code == 200


def test_cancel_and_undo_from_the_job_page(operator, orders, session, run_worker):
    client = operator
    step = start_from_list(client, "tab=new&select=all")
    job_id = run(client, client.get(confirm_url(step, "remarks1", mode="add", text="x")).text)
    page = client.get(f"/bulk/jobs/{job_id}").text
    cancel = Forms(page).by_action(f"/bulk/jobs/{job_id}/cancel")
    response = client.post(cancel["action"], data=MultiDict(cancel["fields"]))
    assert follow(response) == f"/bulk/jobs/{job_id}"
    assert attr(client.get(f"/bulk/jobs/{job_id}").text, "data-job-state") == "cancelled"

    step = start_from_list(client, "tab=new&select=all")
    job_id = run(client, client.get(confirm_url(step, "remarks1", mode="add", text="x")).text)
    run_worker()
    page = client.get(f"/bulk/jobs/{job_id}").text
    assert 'data-action="undo"' in page
    undo_page = client.get(f"/bulk/jobs/{job_id}/undo").text
    form = Forms(undo_page).by_action(f"/bulk/jobs/{job_id}/undo")
    undo_path = follow(client.post(form["action"], data=MultiDict(form["fields"])))
    undo_id = int(re.fullmatch(r"/bulk/jobs/(\d+)\?accepted=1", undo_path).group(1))
    run_worker()
    assert attr(client.get(f"/bulk/jobs/{undo_id}").text, "data-succeeded") == "4"
    assert f'data-undone-by="{undo_id}"' in client.get(f"/bulk/jobs/{job_id}").text
    session.expire_all()
    assert {o.remarks1 for o in session.scalars(sa.select(Order))} == {None}
    assert session.get(BulkJob, undo_id).notification.state is JobState.succeeded


def test_other_job_kinds_open_in_the_notification_log(operator, factory, users, session):
    note = factory.notification(users["operator"])
    session.commit()
    response = operator.get(f"/bulk/jobs/{note.id}")
    assert follow(response) == f"/notifications/{note.id}"


def test_navigation_points_at_the_history(operator):
    page = operator.get("/bulk/").text
    assert 'href="/bulk/" aria-current="page"' in page


def test_the_notification_page_links_to_the_bulk_details(operator, orders):
    step = start_from_list(operator, "tab=new&select=all")
    job_id = run(operator, operator.get(confirm_url(step, "remarks1", mode="add", text="x")).text)
    page = operator.get(f"/notifications/{job_id}").text
    assert f'href="/bulk/jobs/{job_id}" data-action="bulk-detail"' in page


def test_run_refused_goes_back_to_the_confirm_step(operator, orders, session):
    step = start_from_list(operator, "tab=all", checked=[orders[0].id])
    confirm = operator.get(confirm_url(step, "remarks1", mode="add", text="x")).text
    orders[0].deleted_at = orders[0].ordered_at  # gone before 確定
    session.commit()
    form = Forms(confirm).by_action("/bulk/run")
    back = follow(operator.post("/bulk/run", data=MultiDict(form["fields"])))
    assert back.startswith("/bulk/confirm?") and "csrf_token" not in back
    assert "mode=add" in back and "text=x" in back
    page = operator.get(back).text
    assert "None of the selected orders exists any more." in page
    assert session.scalar(sa.select(sa.func.count()).select_from(BulkJob)) == 0


def test_payment_checks_through_the_wizard(operator, orders, factory, session, run_worker):
    """前払入金区分 with 入金日時 (seed 001 §2): offered, its options form, a refused time
    is the form's message (422), and the job pays O2 and moves it to 新規."""
    from oms.models import PaymentKind

    o2 = factory.order(status=OrderStatus.awaiting_payment, payment_status=PaymentStatus.unpaid,
                       payment_method=factory.payment_method(PaymentKind.prepaid_bank))
    session.commit()
    client = operator
    step = start_from_list(client, "tab=all", checked=[o2.id, orders[0].id])
    page = client.get(step).text
    for key in ("prepaid_payment", "deferred_payment", "paid_at"):
        assert f'value="{key}"' in page
    form = client.get(step.replace("/operation", "/options") + "&op=prepaid_payment").text
    assert checked(form, "state", "paid") and 'value="unpaid"' in form
    assert re.search(r'<input[^>]*name="paid_at"[^>]*type="datetime-local"'
                     r'|<input[^>]*type="datetime-local"[^>]*name="paid_at"', form)
    for typed, message in (("9999-12-31T10:00", "Enter a date between 1900-01-01 and "
                            "2999-12-31."), ("garbage", "Not a valid datetime value.")):
        bad = client.get(confirm_url(step, "prepaid_payment", state="paid", paid_at=typed))
        assert bad.status_code == 422 and message in bad.text
    nul = client.get(confirm_url(step, "prepaid_payment", state="paid", paid_at="2026%00"))
    assert nul.status_code == 400  # control characters are refused for any request
    confirm = client.get(confirm_url(step, "prepaid_payment", state="paid",
                                     paid_at="2026-12-01T10:00"))
    assert confirm.status_code == 200
    assert "Prepaid payment → Prepaid payment received, paid at 2026-12-01 10:00" in confirm.text
    assert [attr(confirm.text, f"data-preview-{k}") for k in ("total", "change", "failed")] == [
        "2", "1", "1"]
    assert "Not a prepaid payment method" in confirm.text
    job_id = run(client, confirm.text)
    run_worker()
    assert attr(client.get(f"/bulk/jobs/{job_id}").text, "data-succeeded") == "1"
    items = client.get(f"/bulk/jobs/{job_id}/items?state=ok").text
    assert "2026-12-01 10:00" in items
    session.expire_all()
    paid = session.get(Order, o2.id)
    assert (paid.payment_status, paid.status) == (PaymentStatus.paid, OrderStatus.new)


def test_paid_at_options_need_a_time_to_set(operator, orders):
    step = start_from_list(operator, "tab=new&select=all")
    missing = operator.get(confirm_url(step, "paid_at", action="set", paid_at=""))
    assert missing.status_code == 422 and "Enter the date and time." in missing.text
    clear = operator.get(confirm_url(step, "paid_at", action="clear", paid_at=""))
    assert clear.status_code == 200 and "Paid at → clear" in clear.text
