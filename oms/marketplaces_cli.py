"""flask commands for the malls: the sandbox marketplace and the import scheduler."""

import signal
import time
from datetime import UTC, datetime
from pathlib import Path

import click
import redis
from flask import current_app

from oms.extensions import db
from oms.queue import get_queue, get_redis
from oms.sandbox.control import Sandbox
from oms.sandbox.server import DEFAULT_PORT, start
from oms.services import jobs, mall_schedule, tracking_reports
from oms.services.actor import SYSTEM, Actor


@click.command("sandbox")
@click.option("--port", type=int, default=DEFAULT_PORT, show_default=True)
@click.option("--db", "db_path", type=click.Path(path_type=Path),
              help="The sandbox's own state (default: instance/sandbox.db).")
@click.option("--connect/--no-connect", default=True, show_default=True,
              help="Point the mall shops without an API endpoint, and the payment settings "
                   "without a card gateway, at this sandbox.")
def sandbox(port: int, db_path: Path | None, connect: bool) -> None:
    """Run the sandbox marketplace on loopback until stopped (Ctrl-C or SIGTERM)."""
    from oms.sandbox.connect import connect_gateway, connect_shops

    db_path = db_path or Path(current_app.instance_path) / "sandbox.db"
    # SIGTERM as Ctrl-C, from the start: a stop while the server starts leaves no child.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    process = None
    try:
        process = start(db_path, port)  # stops its child itself if interrupted
        click.echo(f"Sandbox marketplace on http://127.0.0.1:{port} (state in {db_path})")
        if connect:
            control = Sandbox(f"http://127.0.0.1:{port}")
            secret_key = current_app.config["SECRET_KEY"]
            codes = connect_shops(db.session, control, secret_key)
            cards = connect_gateway(db.session, control, secret_key)
            db.session.commit()
            if codes:
                click.echo(f"Connected shops: {', '.join(codes)}")
            if cards is not None:
                click.echo(f"Card gateway: the sandbox's ({cards} customers given test cards)")
        process.wait()
    except KeyboardInterrupt:
        if process is not None:
            process.terminate()
            process.wait()


@click.command("scheduler")
@click.option("--interval", type=float, default=15, show_default=True,
              help="Seconds between looks for shops that are due.")
@click.option("--once", is_flag=True, help="Enqueue what is due now and stop.")
def scheduler(interval: float, once: bool) -> None:
    """Enqueue each shop's import from its mall when its polling interval has passed, the
    workflow sweep (自動遷移) and the automatic payment steps every
    OMS_WORKFLOW_SWEEP_SECONDS, the pending 荷物番号報告 again
    every 10 minutes, and queue the jobs recorded while Redis was away. Run one scheduler
    per installation; the jobs run on the workers. While Redis is away it waits and tries again."""
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    queue, connection = get_queue(), get_redis()
    next_sweep = next_reports = time.monotonic()
    while not stopping:
        try:
            for shop_id in mall_schedule.due_shops(db.session, datetime.now(UTC)):
                mall_schedule.enqueue_poll(queue, connection, shop_id)
            if time.monotonic() >= next_sweep:
                mall_schedule.enqueue_sweep(queue, connection)
                mall_schedule.enqueue_payment_steps(queue, connection)
                next_sweep = time.monotonic() + current_app.config["WORKFLOW_SWEEP_SECONDS"]
            if time.monotonic() >= next_reports:
                if tracking_reports.retry_pending(db.session, Actor(None, None, via=SYSTEM)):
                    db.session.commit()  # the job is queued once it is recorded
                next_reports = (time.monotonic()
                                + tracking_reports.RETRY_EVERY.total_seconds())
            jobs.requeue_lost(db.session)
        except (redis.RedisError, OSError) as error:
            current_app.logger.warning("the job queue cannot be reached: %s", error)
        finally:
            db.session.rollback()  # read-only: do not hold a transaction between looks
        if once:
            return
        deadline = time.monotonic() + interval
        while not stopping and time.monotonic() < deadline:
            time.sleep(0.2)
