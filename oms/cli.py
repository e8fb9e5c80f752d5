"""flask commands: users, the worker, demo data."""

import getpass

import click
from flask import Flask

from oms.extensions import db
from oms.models import Role
from oms.queue import get_redis, queue_name
from oms.services import users


def init_app(app: Flask) -> None:
    from oms.demo.command import seed
    from oms.marketplaces_cli import sandbox, scheduler

    app.cli.add_command(create_user)
    app.cli.add_command(worker)
    app.cli.add_command(seed)
    app.cli.add_command(sandbox)
    app.cli.add_command(scheduler)


@click.command("create-user")
@click.argument("name")
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--password", envvar="OMS_NEW_PASSWORD", help="Default: asked at the prompt.")
def create_user(name: str, role: str, password: str | None) -> None:
    """Create a user; weak passwords are refused."""
    if password is None:
        password = getpass.getpass("Password: ")
        if password != getpass.getpass("Repeat: "):
            raise click.ClickException("the passwords differ")
    try:
        user = users.create_user(db.session, name, password, Role(role))
    except users.UserError as error:
        raise click.ClickException(str(error)) from error
    db.session.commit()
    click.echo(f"created {user.username} ({user.role.value})")


# `flask worker --queues`: which queues a worker takes jobs from, in this order.
WORKER_QUEUES = {"all": (False, True), "short": (False,), "long": (True,)}


@click.command("worker")
@click.option("--queues", type=click.Choice(list(WORKER_QUEUES)), default="all",
              show_default=True,
              help="all: short jobs first, then long ones. short: only jobs over a few "
                   "orders (a download of checked orders, 注文確認 at the malls), so they "
                   "never wait behind a long one. long: only bulk updates and jobs over a "
                   "whole search.")
@click.option("--burst", is_flag=True, help="Stop when the queues are empty.")
def worker(queues: str, burst: bool) -> None:
    """Run an RQ worker on the app's queues (the embedded Redis when REDIS_URL is unset)."""
    from jobs import Worker

    names = [queue_name(long) for long in WORKER_QUEUES[queues]]
    Worker(names, connection=get_redis()).work(burst=burst, with_scheduler=True)
