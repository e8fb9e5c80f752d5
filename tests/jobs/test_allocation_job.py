"""在庫引当 over a search larger than a request may act on: the list's button starts an
`allocation` job, a real worker runs it through the target runner, and the job's page
says what happened to each order."""

import re

import pytest
import sqlalchemy as sa

from oms.models import (
    AllocationState,
    AuditEvent,
    JobState,
    JobTarget,
    LinkResult,
    Notification,
    Order,
    OrderStatus,
    Stock,
    TargetState,
)
from oms.services.list_controls import MAX_DIRECT_ORDERS
from tests.conftest import csrf_token
from tests.factories import linked_line
from tests.jobs.test_bulk_jobs import insert_orders
from tests.web.test_allocation_action import manual  # noqa: F401 (a fixture)

S = OrderStatus


@pytest.fixture
def operator(auth):
    auth.login("operator")
    return auth.client


@pytest.fixture
def big_search(session, factory, manual):  # noqa: F811
    """More 引当待ち orders than a request may allocate, among them three to follow: one
    that stock covers, one it does not, and one already shipping (skipped); made first, so
    the job's page lists the short one among the first failures."""
    sku = factory.sku()
    made = {
        "covered": factory.order(status=S.awaiting_allocation, link_result=LinkResult.ok,
                                 lines=[linked_line(sku, 2)]),
        "short": factory.order(status=S.awaiting_allocation, link_result=LinkResult.ok,
                               lines=[linked_line(sku, 4)]),
        "shipping": factory.order(status=S.shipping, link_result=LinkResult.ok,
                                  lines=[linked_line(sku, 1)]),
    }
    session.commit()
    filler = insert_orders(session, factory, MAX_DIRECT_ORDERS, status=S.awaiting_allocation)
    return made, sku, len(filler)


def test_a_search_above_the_direct_limit_is_allocated_by_a_job(operator, session, big_search,
                                                              run_worker):
    made, sku, total = big_search
    form = {"csrf_token": csrf_token(operator), "search": "tab=processing"}
    statement = operator.post("/orders/allocate", data={**form, "scope": "selected"})
    page = operator.get(statement.location).get_data(as_text=True)
    assert f"在庫引当：検索結果の全{total:,}件を対象にします。" in page
    assert "data-act-job" in page and "ジョブとして実行します" in page

    response = operator.post("/orders/allocate", data={**form, "scope": "search"})
    assert response.status_code == 303
    job_id = int(re.fullmatch(r"/notifications/(\d+)", response.location).group(1))
    job = session.get(Notification, job_id)
    assert job.kind == "allocation" and job.state is JobState.queued
    assert session.get(Order, made["covered"].id).allocation_state is AllocationState.none

    run_worker()
    session.expire_all()
    job = session.get(Notification, job_id)
    assert job.state is JobState.succeeded, job.error
    outcomes = dict(session.execute(sa.select(JobTarget.order_id, JobTarget.state)
                                    .where(JobTarget.job_id == job_id)).all())
    assert len(outcomes) == job.total == job.done == total  # one outcome per order
    assert outcomes[made["covered"].id] is TargetState.ok
    assert outcomes[made["short"].id] is TargetState.failed
    assert outcomes[made["shipping"].id] is TargetState.skipped
    covered = session.get(Order, made["covered"].id)
    assert (covered.allocation_state, covered.status) == (AllocationState.allocated,
                                                          S.ready_to_ship)
    assert session.get(Stock, sku.stocks[0].id).allocated == 2
    assert session.scalar(sa.select(sa.func.count()).select_from(AuditEvent).where(
        AuditEvent.entity_id == str(covered.id), AuditEvent.via == f"job:{job_id}")) >= 1

    page = operator.get(response.location).get_data(as_text=True)
    assert 'data-job-outcome="partial"' in page
    assert re.search(r"引当済1件、引当不可\d[\d,]*件、スキップ1件", page)
    short = re.search(rf'<tr data-order-number="{made["short"].order_number}">(.*?)</tr>',
                      page, re.S).group(1)
    assert "在庫" in short  # why it is not allocated
    shipping = session.scalar(sa.select(JobTarget.error).where(
        JobTarget.job_id == job_id, JobTarget.order_id == made["shipping"].id))
    assert shipping == "引当待ちの受注ではありません（現在：出荷中）。"

def test_the_job_step_allocates_a_frozen_set_and_refuses_what_moved(session, factory, users,
                                                                   manual, run_worker):  # noqa: F811
    """The entry point with targets frozen beforehand (as 注文確認's mall job is): an order
    that left 引当待ち after the freeze is skipped with its status, not allocated."""
    from oms.services import jobs, marketplace_jobs

    sku = factory.sku("S2", stock=1)
    first, second, moved = (factory.order(status=S.awaiting_allocation,
                                          link_result=LinkResult.ok, lines=[linked_line(sku, 1)])
                            for _ in range(3))
    note = jobs.start(session, "allocation", users["operator"], {"locale": "ja"}, orders=3)
    note.total = marketplace_jobs.freeze(session, note, sa.select(
        sa.literal(note.id), Order.id, sa.literal(TargetState.pending.value), sa.null())
        .where(Order.id.in_([first.id, second.id, moved.id])))
    session.commit()
    session.execute(sa.update(Order).where(Order.id == moved.id).values(status=S.cancelled))
    session.commit()

    run_worker()
    session.expire_all()
    rows = {order_id: (state, error) for order_id, state, error in session.execute(
        sa.select(JobTarget.order_id, JobTarget.state, JobTarget.error)
        .where(JobTarget.job_id == note.id))}
    assert rows[first.id] == (TargetState.ok, None)  # the older order gets the one unit
    assert rows[second.id][0] is TargetState.failed and "在庫" in rows[second.id][1]
    assert rows[moved.id] == (TargetState.skipped,
                              "引当待ちの受注ではありません（現在：キャンセル済）。")
    assert session.get(Notification, note.id).summary == "引当済1件、引当不可1件、スキップ1件"
