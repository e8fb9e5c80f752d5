"""Short jobs never wait behind long ones (issue 9 §4): two RQ queues, a job's size picks
its queue, and a worker for short jobs only runs a 3-order download while the other
worker is busy with a long job."""

from pathlib import Path

import pytest
from rq.job import Job, JobStatus

from oms.models import JobState
from oms.queue import get_queue
from oms.services import jobs
from oms.services.jobs import SHORT_JOB_ORDERS
from tests import bulk_support as bulk
from tests.bulk_support import empty_queue  # noqa: F401 (fixture)
from tests.conftest import csrf_token
from tests.jobs.test_bulk_jobs import Orders
from tests.jobs.test_order_export import download, record, rows, start_export, started_job
from tests.workers import wait_for

pytestmark = pytest.mark.usefixtures("empty_queue")


@pytest.fixture
def operator(client, auth, users):
    assert auth.login("operator").status_code == 303
    return client


@pytest.fixture
def new_orders(factory, session):
    made = [factory.order(buyer_name=f"注文 {i}") for i in range(SHORT_JOB_ORDERS + 1)]
    session.commit()
    return made


def export_checked(client, orders) -> int:
    """Tick these orders on the list page and press the download button."""
    response = client.post("/orders/export", data={
        "csrf_token": csrf_token(client), "scope": "selected", "search": "tab=new",
        "encoding": "utf8", "order_id": [str(o.id) for o in orders]})
    return started_job(response)


def queued(long: bool) -> list[str]:
    return get_queue(long=long).job_ids


def test_a_job_size_picks_its_queue(app, operator, new_orders, session, users):
    few = export_checked(operator, new_orders[:3])
    many = export_checked(operator, new_orders)  # one more than a short job takes
    search = started_job(start_export(operator, "new", "utf8"))  # the whole search
    job = bulk.start(session, users["operator"], Orders([o.id for o in new_orders[:3]]),
                     "remarks1", bulk.options(session, "remarks1", mode="add", text="x"))

    with app.app_context():
        assert queued(long=False) == [jobs.rq_id(few)]
        long = queued(long=True)
    assert long[:2] == [jobs.rq_id(many), jobs.rq_id(search)]
    lanes = long[2:]  # bulk lanes: long (one on SQLite, OMS_BULK_LANES on PostgreSQL)
    assert lanes and all(lane.startswith(jobs.rq_id(job.id)) for lane in lanes)


def test_a_small_download_does_not_wait_behind_a_long_job(app, operator, new_orders,
                                                          session, workers, tmp_path):
    held = tmp_path / "held"
    held.mkdir()
    with app.app_context():
        long_job = get_queue(long=True).enqueue("tests.workers.hold", str(held),
                                                job_timeout=600)
    workers.start("both")  # short jobs first, then long ones: now busy with the long job
    assert wait_for(lambda: (held / "started").exists(), 120), workers.logs()

    job_id = export_checked(operator, new_orders[:3])
    workers.start("short", queues="short")
    finished = wait_for(lambda: record(session, job_id).state.finished, 120, 0.1)
    assert finished, workers.logs()
    assert record(session, job_id).state is JobState.succeeded, record(session, job_id).error
    assert len(rows(download(operator, job_id).decode("utf-8-sig"))) == 3
    assert jobs.rq_id(job_id) in workers.log_path("short").read_text()
    # The long job is still running (nothing released it): the download did not wait.
    with app.app_context():
        assert Job.fetch(long_job.id, connection=get_queue().connection).get_status() \
            is JobStatus.STARTED
    (held / "release").write_text("go")
    with app.app_context():
        connection = get_queue().connection
        assert wait_for(lambda: Job.fetch(long_job.id, connection=connection).get_status()
                        is JobStatus.FINISHED, 60, 0.1), workers.logs()
    assert "tests.workers.hold" not in Path(workers.log_path("short")).read_text()
