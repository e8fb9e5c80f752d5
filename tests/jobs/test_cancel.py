"""中止 takes effect within a few chunks (issue 9 §4): a running bulk update and a running
order download, on a real worker, stop soon after the operator presses 中止 instead of
running to the end; a chunk takes well under a second here. The waits are on conditions;
the figures are printed."""

import time
from pathlib import Path

import pytest

from oms.models import JobState, OrderStatus
from oms.services import exports
from tests.bulk_support import empty_queue  # noqa: F401 (fixture)
from tests.conftest import csrf_token
from tests.jobs.test_bulk_jobs import insert_orders, job_state, started_job
from tests.jobs.test_order_export import _files, record, start_export
from tests.jobs.test_order_export import started_job as export_started
from tests.workers import wait_for

pytestmark = pytest.mark.usefixtures("empty_queue")


@pytest.fixture
def operator(client, auth, users):
    assert auth.login("operator").status_code == 303
    return client


def cancel(client, path: str) -> None:
    response = client.post(path, data={"csrf_token": csrf_token(client)})
    assert response.status_code == 303, response.status_code


def test_cancel_stops_a_running_bulk_update_at_its_next_chunk(
        operator, session, users, factory, workers):
    n, chunk = 20_000, 500
    ids = insert_orders(session, factory, n, remarks1="r")
    job_id = started_job(session, users, ids)  # remarks1 append, its lanes queued
    workers.start(OMS_BULK_CHUNK=str(chunk))

    def running():
        note = job_state(session, job_id).notification
        return note.done > 0 and not note.state.finished and note.done
    done_before = wait_for(running, 120, 0.02)
    assert done_before, workers.logs()
    asked = time.monotonic()
    cancel(operator, f"/bulk/jobs/{job_id}/cancel")
    stopped = wait_for(lambda: job_state(session, job_id).notification.state.finished, 60, 0.05)
    took = time.monotonic() - asked
    assert stopped, workers.logs()
    note = job_state(session, job_id).notification
    assert note.state is JobState.cancelled
    # At most the chunk in hand when 中止 was pressed, and one committed in between.
    # The chunk in hand when 中止 was pressed and one committed before the test read the
    # count; on SQLite also one or two that a lane starts while the request waits for its
    # turn at the write lock (see oms.database).
    assert done_before <= note.done <= done_before + 4 * chunk < n
    print(f"bulk: cancelled after {note.done:,} of {n:,} orders, {took:.1f} s after 中止")


def test_cancel_stops_a_running_download_at_its_next_chunk(
        operator, session, factory, workers, test_env):
    n = 12_000
    insert_orders(session, factory, n, status=OrderStatus.new)
    job_id = export_started(start_export(operator, "new", "utf8"))
    export_dir = Path(test_env["OMS_EXPORT_DIR"])
    files_before = _files(export_dir)  # shared by the tests of a session
    workers.start()

    def running():
        note = record(session, job_id)
        return note.done > 0 and not note.state.finished and note.done
    done_before = wait_for(running, 120, 0.02)
    assert done_before, workers.logs()
    asked = time.monotonic()
    cancel(operator, f"/notifications/{job_id}/cancel")
    stopped = wait_for(lambda: record(session, job_id).state.finished, 60, 0.05)
    took = time.monotonic() - asked
    assert stopped, workers.logs()
    note = record(session, job_id)
    assert note.state is JobState.cancelled, note.error
    assert done_before <= note.done <= done_before + 2 * exports.CHUNK < n
    assert note.result_path is None
    assert _files(export_dir) == files_before, "a cancelled download left a file"
    print(f"download: cancelled after {note.done:,} of {n:,} orders, {took:.1f} s after 中止")
