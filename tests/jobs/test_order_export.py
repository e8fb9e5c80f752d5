"""The order information download, end to end: the list page's form, a real RQ worker
process, the job page, the file. Also: access to jobs, cancelling, Redis down, a killed
work horse."""

import csv
import io
import os
import re
import signal
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from oms.models import JobState, Notification, Order, OrderStatus
from tests.conftest import AuthActions, aware, switch_to_english
from tests.workers import horse_of, wait_for

# Column titles of the Japanese export (the job runs in the operator's locale, ja).
ORDER_NUMBER, BUYER, TOTAL, REMARKS = "受注番号", "購入者名", "合計金額", "備考1"


class _FormFields(HTMLParser):
    """Hidden fields of the list page's selection form, as a browser would send them."""

    def __init__(self, html: str, form_id: str):
        super().__init__()
        self.form_id, self.inside, self.fields = form_id, False, {}
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.inside = a.get("id") == self.form_id
        elif self.inside and tag == "input" and a.get("type") == "hidden" and a.get("name"):
            self.fields[a["name"]] = a.get("value") or ""

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False


def start_export(client, tab: str, encoding: str):
    """Select every order of the tab on the list page and press the download button."""
    page = client.get(f"/orders/?tab={tab}&select=all")
    assert page.status_code == 200
    fields = _FormFields(page.text, "selection").fields
    assert fields.get("scope") == "search" and fields.get("csrf_token"), fields
    return client.post("/orders/export", data={**fields, "encoding": encoding})


def started_job(response) -> int:
    assert response.status_code == 303, response.status_code
    path = urlsplit(response.headers["Location"]).path
    match = re.fullmatch(r"/notifications/(\d+)", path)
    assert match, path
    return int(match.group(1))


def progress(html: str) -> dict[str, str]:
    return {key: re.search(rf'data-job-{key}="([^"]*)"', html).group(1)
            for key in ("state", "done", "total", "failed")}


def download(client, job_id: int) -> bytes:
    response = client.get(f"/notifications/{job_id}/download")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    data = response.get_data()
    response.close()
    return data


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def record(session, job_id: int) -> Notification:
    session.rollback()
    session.expire_all()
    return session.get(Notification, job_id)


@pytest.fixture
def orders(factory, session):
    """Three orders in the New tab (one hostile, one outside CP932), one shipped order,
    and one deleted New order."""
    made = {
        "plain": factory.order(buyer_name="佐藤 花子"),
        "formula": factory.order(buyer_name="-山田", remarks1='=HYPERLINK("x")', total=-500),
        "yoshi": factory.order(buyer_name="𠮷田 一郎"),
        "shipped": factory.order(status=OrderStatus.shipped, buyer_name="出荷 済子"),
        "deleted": factory.order(buyer_name="削除 済子", deleted_at=aware(2026, 2, 1)),
    }
    session.commit()
    return made


@pytest.fixture
def operator(client, auth, users):
    assert auth.login("operator").status_code == 303
    return client


def test_cp932_export_end_to_end(operator, orders, run_worker, session):
    client = operator
    job_id = started_job(start_export(client, "new", "cp932"))
    assert progress(client.get(f"/notifications/{job_id}").text)["state"] == "queued"

    run_worker()

    page = client.get(f"/notifications/{job_id}").text
    assert progress(page) == {"state": "succeeded", "done": "3", "total": "3", "failed": "0"}
    assert f'href="/notifications/{job_id}/download"' in page
    # 𠮷 has no CP932 form: the operator is told, in Japanese, which order it was in.
    note = record(session, job_id)
    yoshi = orders["yoshi"].order_number
    assert note.summary == ("1件の受注の1文字はShift_JIS（CP932）にないため〓で出力しました："
                            f"{yoshi}。")
    assert note.summary in page
    assert 'data-substituted="1"' in page
    assert f'href="/orders/{yoshi}" data-order-number="{yoshi}"' in page

    data = download(client, job_id)
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")  # really CP932, not UTF-8
    text = data.decode("cp932")
    assert text.splitlines()[0].split(",")[:1] == [ORDER_NUMBER]
    by_number = {r[ORDER_NUMBER]: r for r in rows(text)}
    expected = {orders[k].order_number for k in ("plain", "formula", "yoshi")}
    assert set(by_number) == expected  # neither the shipped nor the deleted order

    assert by_number[orders["plain"].order_number][BUYER] == "佐藤 花子"
    hostile = by_number[orders["formula"].order_number]
    assert hostile[BUYER] == "'-山田"
    assert hostile[REMARKS] == "'=HYPERLINK(\"x\")"
    assert hostile[TOTAL] == "-500"  # a number stays a number
    assert by_number[orders["plain"].order_number][TOTAL] == "1100"
    assert by_number[orders["yoshi"].order_number][BUYER] == "〓田 一郎"


def test_utf8_export_keeps_every_character(operator, orders, run_worker, session):
    client = operator
    job_id = started_job(start_export(client, "new", "utf8"))
    run_worker()
    assert progress(client.get(f"/notifications/{job_id}").text)["state"] == "succeeded"
    data = download(client, job_id)
    assert data.startswith(b"\xef\xbb\xbf")
    by_number = {r[ORDER_NUMBER]: r for r in rows(data.decode("utf-8-sig"))}
    assert by_number[orders["yoshi"].order_number][BUYER] == "𠮷田 一郎"
    assert by_number[orders["formula"].order_number][REMARKS] == "'=HYPERLINK(\"x\")"
    assert record(session, job_id).summary is None


def test_export_of_another_tab_has_only_that_tab(operator, orders, run_worker):
    client = operator
    job_id = started_job(start_export(client, "done", "utf8"))
    run_worker()
    page = client.get(f"/notifications/{job_id}").text
    assert progress(page)["done"] == progress(page)["total"] == "1"
    numbers = [r[ORDER_NUMBER] for r in rows(download(client, job_id).decode("utf-8-sig"))]
    assert numbers == [orders["shipped"].order_number]


def test_notification_log_lists_the_job_with_progress(operator, orders, run_worker):
    client = operator
    job_id = started_job(start_export(client, "new", "cp932"))
    run_worker()
    log = client.get("/notifications/").text
    row = log[log.index(f'data-job-id="{job_id}"'):]
    row = row[:row.index("</tr>")]
    assert progress(row) == {"state": "succeeded", "done": "3", "total": "3", "failed": "0"}
    assert f"/notifications/{job_id}/download" in row


def test_jobs_are_private_to_their_operator_but_not_to_admins(
        app, operator, orders, make_user, run_worker, session):
    job_id = started_job(start_export(operator, "new", "utf8"))
    run_worker()
    make_user("operator2")
    other = app.test_client()
    assert AuthActions(other).login("operator2").status_code == 303
    assert other.get(f"/notifications/{job_id}").status_code == 404
    assert other.get(f"/notifications/{job_id}/download").status_code == 404
    assert f'data-job-id="{job_id}"' not in other.get("/notifications/").text

    admin = app.test_client()
    assert AuthActions(admin).login("admin").status_code == 303
    assert progress(admin.get(f"/notifications/{job_id}").text)["state"] == "succeeded"
    assert f'data-job-id="{job_id}"' in admin.get("/notifications/").text
    assert "佐藤 花子" in download(admin, job_id).decode("utf-8-sig")


def _files(directory: Path) -> dict[Path, int]:
    return {p: p.stat().st_mtime_ns for p in directory.glob("*")} if directory.exists() else {}


def test_cancelled_before_the_worker_runs(operator, orders, run_worker, session, test_env):
    client = operator
    job_id = started_job(start_export(client, "new", "cp932"))
    page = client.get(f"/notifications/{job_id}").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post(f"/notifications/{job_id}/cancel", data={"csrf_token": token})
    assert response.status_code == 303
    assert progress(client.get(f"/notifications/{job_id}").text)["state"] == "cancelled"
    export_dir = Path(test_env["OMS_EXPORT_DIR"])
    files_before = _files(export_dir)

    run_worker()

    page = client.get(f"/notifications/{job_id}").text
    assert progress(page) == {"state": "cancelled", "done": "0", "total": "0", "failed": "0"}
    assert f"/notifications/{job_id}/download" not in page
    note = record(session, job_id)
    assert note.started_at is None and note.result_path is None
    assert _files(export_dir) == files_before  # no file written or rewritten
    assert client.get(f"/notifications/{job_id}/download").status_code == 404


def test_redis_down_at_enqueue_keeps_the_job_to_start_later_not_a_500(test_env, app, users,
                                                                      orders, session):
    from oms import create_app
    from oms.extensions import db

    broken = create_app({"TESTING": True, "REDIS_URL": "redis://127.0.0.1:1/0"})
    try:
        client = broken.test_client()
        assert AuthActions(client).login("operator").status_code == 303
        switch_to_english(client)
        response = start_export(client, "new", "cp932")
        job_id = started_job(response)
        page = client.get(f"/notifications/{job_id}")
        assert page.status_code == 200
        assert "will start by itself as soon as the queue is back" in page.text
        assert progress(page.text)["state"] == "queued"
        note = record(session, job_id)
        assert note.state is JobState.queued and note.error is None
        assert 'data-error="500"' not in page.text
    finally:
        with broken.app_context():
            db.engine.dispose()


# --- a work horse killed mid-job ------------------------------------------------------

CRASH_ORDERS = 30_000


def _insert_orders(session, factory, n: int) -> None:
    """Many New orders in one set-based statement (the factory per order would be slow)."""
    template = factory.order()
    session.commit()
    base = aware(2026, 1, 1)
    session.execute(sa.insert(Order), [
        {"order_number": f"{8000000000 + i}", "shop_id": template.shop_id,
         "mall_order_id": f"CRASH-{i}", "status": OrderStatus.new,
         "buyer_name": "大量 注文", "ship_name": "大量 注文", "ordered_at": base,
         "payment_method_id": template.payment_method_id, "total": 1100}
        for i in range(n)
    ])
    session.commit()


@pytest.mark.slow
def test_killed_work_horse_leaves_a_failed_record(operator, factory, session, workers):
    _insert_orders(session, factory, CRASH_ORDERS)
    factory.order(status=OrderStatus.shipped)  # the small export that follows the crash
    session.commit()
    job_id = started_job(start_export(operator, "new", "cp932"))
    worker = workers.start()
    try:
        # The horse exists from the moment the job is taken; kill it as soon as the record
        # says running, so the kill lands while it writes (a loaded machine may be slow to
        # notice the state, which is why the written count is not asserted here).
        horse = wait_for(lambda: horse_of(worker.pid), 120, 0.05)
        assert horse, "no work horse found"
        running = wait_for(lambda: record(session, job_id).state is JobState.running, 60, 0.05)
        assert running, "the export never started running"
        os.kill(horse, signal.SIGKILL)

        finished = wait_for(lambda: record(session, job_id).state.finished, 60, 0.1)
        note = record(session, job_id)
        assert finished, f"the record stayed {note.state.value} after the horse was killed"
        assert worker.poll() is None, "the worker itself must survive its horse"
        # The same worker goes on serving: its next horse works normally.
        next_id = started_job(start_export(operator, "done", "utf8"))
        assert wait_for(lambda: record(session, next_id).state.finished, 60, 0.1)
        assert record(session, next_id).state is JobState.succeeded
    finally:
        workers.stop_all()
    log = workers.log_path().read_text()
    assert "Work-horse terminated unexpectedly" in log, log[-3000:]
    assert note.state is JobState.failed, log[-3000:]
    assert note.error and "killed" in note.error.lower(), note.error
    assert note.finished_at is not None
    page = operator.get(f"/notifications/{job_id}").text
    assert progress(page)["state"] == "failed" and note.error in page
