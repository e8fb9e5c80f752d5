"""flask commands: users, the worker, demo data."""

import getpass

import click
from flask import Flask

from oms.extensions import db
from oms.models import Role
from oms.queue import get_queue, get_redis
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


@click.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
def worker(burst: bool) -> None:
    """Run an RQ worker on the app's queue (the embedded Redis when REDIS_URL is unset)."""
    from jobs import Worker

    queue = get_queue()
    Worker([queue], connection=get_redis()).work(burst=burst, with_scheduler=True)
