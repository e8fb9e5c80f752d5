"""The embedded default holds under work (issue 9 §4): while a real worker runs a long bulk
update (a tag added to 10,000 orders), operators go on working: a memo, an edit save, a
sign-in and 注文確認 all succeed, round after round, with no "database is locked" and no
answer >= 500. Runs on SQLite (WAL, busy timeout, jobs pausing between chunks: see
oms.database) and on PostgreSQL."""

import pytest
import sqlalchemy as sa

from oms.models import JobState, JobTarget, Order, OrderMemo, OrderStatus, TargetState
from tests import bulk_support as bulk
from tests.bulk_support import empty_queue  # noqa: F401 (fixture)
from tests.conftest import PASSWORD, csrf_token
from tests.jobs.test_bulk_jobs import Orders, insert_orders, job_state
from tests.web.test_order_detail import edit_form
from tests.workers import wait_for

pytestmark = pytest.mark.usefixtures("empty_queue")

JOB_ORDERS = 10_000
ROUNDS = 40  # at most; the rounds stop when the job has finished


@pytest.fixture
def operator(client, auth, users):
    assert auth.login("operator").status_code == 303
    return client


def sign_in(app) -> int:
    """A second operator's browser signing in: the status of the POST."""
    other = app.test_client()
    token = csrf_token(other)
    return other.post("/login", data={"username": "admin", "password": PASSWORD,
                                      "csrf_token": token}).status_code


def test_operators_work_while_a_long_bulk_job_writes(app, operator, session, users,
                                                     factory, workers):
    job_ids = insert_orders(session, factory, JOB_ORDERS)
    tag = factory.tag("一括タグ")
    # The operator's own orders, outside the job: New ones to confirm, one to edit.
    mine = [factory.order(status=OrderStatus.new, buyer_name=f"手作業 {i}")
            for i in range(ROUNDS)]
    edited = factory.order(status=OrderStatus.new, buyer_name="編集 太郎")
    session.commit()
    job = bulk.start(session, users["operator"], Orders(job_ids), "tags",
                     bulk.options(session, "tags", action="add", tag_id=tag.id))
    workers.start()  # the job's chunks: OMS_BULK_CHUNK's default, as in production

    def running():
        note = job_state(session, job.id).notification
        return note.done > 0 and not note.state.finished
    assert wait_for(running, 120, 0.02), workers.logs()

    answers: list[tuple[str, int]] = []
    rounds_while_running = 0
    for n, order in enumerate(mine):
        memo = operator.post(f"/orders/{edited.order_number}/memos", data={
            "csrf_token": csrf_token(operator), "body": f"電話あり {n}"})
        data = edit_form(operator, edited)
        data["remarks1"] = [f"編集 {n}"]
        edit = operator.post(f"/orders/{edited.order_number}/edit", data=data)
        confirm = operator.post("/orders/confirm", data={
            "csrf_token": csrf_token(operator), "scope": "selected", "search": "tab=new",
            "order_id": [str(order.id)]})
        answers += [("memo", memo.status_code), ("edit", edit.status_code),
                    ("sign-in", sign_in(app)), ("confirm", confirm.status_code)]
        for name, response in (("memo", memo), ("edit", edit), ("confirm", confirm)):
            assert "database is locked" not in response.text, (name, response.text[-2000:])
        assert memo.status_code == 303 and edit.status_code == 303, answers[-4:]
        assert answers[-2] == ("sign-in", 303) and confirm.status_code < 400, answers[-4:]
        session.rollback()
        session.expire_all()
        assert session.get(Order, order.id).status is OrderStatus.awaiting_allocation
        if job_state(session, job.id).notification.state.finished:
            break
        rounds_while_running += 1

    assert rounds_while_running >= 1, (
        "no round of work ended while the job ran: it waited for the job, or the job is "
        f"too short here; answers: {answers}")
    assert all(status < 500 for _, status in answers), answers
    finished = wait_for(lambda: job_state(session, job.id).notification.state.finished,
                        300, 0.2)
    assert finished, workers.logs()
    note = job_state(session, job.id).notification
    assert (note.state, note.done, note.failed) == (JobState.succeeded, JOB_ORDERS, 0)
    applied = session.scalar(sa.select(sa.func.count()).select_from(JobTarget).where(
        JobTarget.job_id == job.id, JobTarget.state == TargetState.ok))
    assert applied == JOB_ORDERS
    memos = session.scalar(sa.select(sa.func.count()).select_from(OrderMemo).where(
        OrderMemo.order_id == edited.id))
    assert memos == len(answers) // 4
    assert session.get(Order, edited.id).remarks1 == f"編集 {len(answers) // 4 - 1}"
    assert "database is locked" not in workers.logs(chars=200_000)
    print(f"{rounds_while_running} rounds of memo + edit + sign-in + 注文確認 while the "
          f"job ran; statuses {sorted({s for _, s in answers})}")
