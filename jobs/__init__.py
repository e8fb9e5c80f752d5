"""RQ entry points. They take ids only, open the app context themselves, and keep the
job's durable state in its Notification row (RELIABILITY.md A: RQ results expire)."""

import logging
import os
import socket
import time
from collections.abc import Callable
from functools import cache

import redis
import rq
from flask import Flask
from flask_babel import force_locale
from redis.backoff import ExponentialBackoff
from redis.retry import Retry
from rq.connections import parse_connection
from rq.exceptions import StopRequested
from sqlalchemy.orm import Session

from oms.extensions import db
from oms.failures import job_failure
from oms.models import JobState, Notification
from oms.services import notifications
from oms.services.jobs import over_targets
from oms.services.notifications import JobCancelled

# Run by every worker at start and then every WORKER_MAINTENANCE_SECONDS, with RQ's own.
MAINTENANCE = ("jobs.lanes.recover",)


@cache
def _app() -> Flask:
    # One app per worker process: created on first use, inherited by forked work horses.
    from oms import create_app

    app = create_app()
    with app.app_context():
        engines = list(db.engines.values())
    # A forked horse must not reuse the parent's pooled connections (the parent opens
    # some when it records a crash): SQLAlchemy's advice for pools across fork().
    os.register_at_fork(after_in_child=lambda: [e.dispose(close=False) for e in engines])
    return app


Work = Callable[[Session, Notification, Callable[[int], None]], None]


def run_notified(notification_id: int, work: Work) -> None:
    """Run the service `work(session, record, report)` for a job record, in the operator's
    language, recording its outcome whatever happens. `report(done)` commits the work so
    far: a job commits there, once per step, and at the end here."""
    app = _app()
    with app.app_context():
        session = db.session
        note = session.get(Notification, notification_id)
        if note is None or note.state.finished:
            return  # deleted, cancelled while queued, or a duplicate delivery
        try:
            with force_locale(note.params.get("locale", "ja")):
                work(session, note, progress_reporter(note))
        except JobCancelled:
            session.rollback()
            notifications.finish(session, note, JobState.cancelled)
        except Exception as error:
            session.rollback()
            notifications.finish(session, note, JobState.failed,
                                 job_failure(error, (note.params or {}).get("locale") or "ja"))
            session.commit()
            raise
        else:
            notifications.finish(session, note, JobState.succeeded)
        session.commit()


def progress_reporter(note: Notification) -> Callable[[int], None]:
    """A callback for a job's steps: commits the work so far with the done count (a job
    commits here, once per step) and stops the job if its operator asked to cancel."""
    session = db.session

    def report(done: int) -> None:
        note.done = done
        session.commit()
        session.refresh(note, ["cancel_requested"])
        if note.cancel_requested:
            raise JobCancelled

    return report


def record_crash(job, connection, exc_type, exc_value, traceback) -> None:
    """RQ failure callback: a job abandoned by a lost worker never reaches run_notified's
    handler, so the record is closed here instead."""
    _close_record(job, f"worker stopped: {exc_type.__name__ if exc_type else 'unknown'}")


def _close_record(job, reason: str) -> None:
    notification_id = job.args[0] if job.args else None
    if notification_id is None:
        return
    with _app().app_context():
        note = db.session.get(Notification, notification_id)
        if note is not None and not note.state.finished and not over_targets(note.kind):
            notifications.finish(db.session, note, JobState.failed, reason)
            db.session.commit()


# Errors that mean "Redis is not answering" (down, restarting, unreachable).
REDIS_AWAY = (redis.ConnectionError, redis.TimeoutError, socket.timeout)
# How long a worker's child (its work horse, RQ's scheduler) waits for Redis to come back.
CHILD_PATIENCE_SECONDS = 60


class RedisPatience(Retry):
    """The retry policy of a worker's own Redis connection; redis-py applies it to every
    command, pipeline and reconnect of that connection.

    RQ itself only retries its blocking wait for a job: any other Redis call that fails
    (the heartbeat while a job runs, registry cleaning, recording a job's start or end)
    ends `Worker.work()` with "found an unhandled exception, quitting...", and the worker
    stays down until someone restarts it. With this policy the worker process retries the
    call, backing off from 1 s to 30 s and logging each try, until Redis answers again; only
    a worker asked to stop gives up. Its children (the work horse, RQ's scheduler) wait up to
    CHILD_PATIENCE_SECONDS, so a horse that ends its job during a short outage still records
    it, and a scheduler being stopped is not held up for long.
    """

    def __init__(self, log: logging.Logger):
        super().__init__(ExponentialBackoff(cap=30, base=0.5), retries=-1,
                         supported_errors=REDIS_AWAY)
        self.pid = os.getpid()  # the worker process
        self.stopping = False
        self.log = log

    def __deepcopy__(self, memo):
        return self  # redis-py copies the policy into each connection: keep one state

    def call_with_retry(self, do, fail, is_retryable=None, with_failure_count=False):
        failures = 0
        started = time.monotonic()
        while True:
            try:
                return do()
            except self._supported_errors as error:
                if is_retryable and not is_retryable(error):
                    raise
                failures += 1
                if with_failure_count:
                    fail(error, failures)
                else:
                    fail(error)
                if not self._patient(started):
                    raise
                delay = self._backoff.compute(failures)
                self.log.warning("Redis is not answering (%s); trying again in %.0f s",
                                 error, delay)
                time.sleep(delay)

    def _patient(self, started: float) -> bool:
        if os.getpid() != self.pid:
            return time.monotonic() - started < CHILD_PATIENCE_SECONDS
        return not self.stopping


def patient_connection(connection: redis.Redis, patience: RedisPatience) -> redis.Redis:
    """A client for the same Redis whose commands wait for it as `patience` says."""
    client_class, connection_class, kwargs = parse_connection(connection)
    kwargs["retry"] = patience
    kwargs.setdefault("socket_connect_timeout", 5)
    return client_class(connection_pool=redis.ConnectionPool(
        connection_class=connection_class, **kwargs))


class Worker(rq.Worker):
    """RQ's worker, closing the job record when the work horse is killed (OOM killer,
    kill -9): RQ 3 then fails the job without calling its on_failure callback; running
    MAINTENANCE, also while idle, so jobs of a lost worker are picked up again; and
    riding out a Redis that goes away, mid-job or idle (RedisPatience): the worker stays
    up, its horse goes on working, and both carry on once Redis answers again.
    `flask worker` uses it; with plain rq: `rq worker -w jobs.Worker`."""

    def __init__(self, queues, *args, connection: redis.Redis | None = None, **kwargs):
        config = _app().config
        kwargs.setdefault("maintenance_interval", config["WORKER_MAINTENANCE_SECONDS"])
        kwargs.setdefault("job_monitoring_interval", config["WORKER_HEARTBEAT_SECONDS"])
        self.redis_patience = RedisPatience(logging.getLogger("rq.worker"))
        if connection is None:
            connection = rq.utils.get_connection_from_queues(queues)
        super().__init__(queues, *args,
                         connection=patient_connection(connection, self.redis_patience),
                         **kwargs)

    def request_stop(self, signum, frame):
        self.redis_patience.stopping = True  # stop waiting for a Redis that is away
        super().request_stop(signum, frame)

    @property
    def dequeue_timeout(self) -> int:
        # RQ blocks for up to ~7 minutes waiting for a job; wake for maintenance instead.
        return max(1, min(super().dequeue_timeout, self.maintenance_interval))

    def run_maintenance_tasks(self):
        super().run_maintenance_tasks()
        for name in MAINTENANCE:
            try:
                rq.utils.import_attribute(name)()
            except StopRequested:
                raise  # SIGTERM while idle: RQ's signal handler stops the worker this way
            except Exception:
                self.log.exception("maintenance task %s failed", name)

    def handle_work_horse_killed(self, job, retpid, ret_val, rusage):
        super().handle_work_horse_killed(job, retpid, ret_val, rusage)
        if job.retries_left:
            return  # RQ enqueues it again
        signal_no = os.WTERMSIG(ret_val) if ret_val and os.WIFSIGNALED(ret_val) else None
        how = f"signal {signal_no}" if signal_no else f"exit status {ret_val}"
        try:
            _close_record(job, f"worker stopped: work horse killed ({how})")
        except Exception:
            self.log.exception("could not record the killed job %s", job.id)
