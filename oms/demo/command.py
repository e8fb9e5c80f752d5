"""`flask seed`: fill the database with a realistic Japanese multi-mall shop."""

import time
from datetime import UTC

import click
import sqlalchemy as sa
from flask import current_app

from oms.demo.seed import DEFAULT_SEED, NotEmpty, Options
from oms.demo.seed import seed as load_demo
from oms.extensions import db
from oms.models import Role, User
from oms.services import users

DEMO_USERS = (("admin", Role.admin), ("operator", Role.operator))


@click.command("seed")
@click.option("--orders", "order_count", type=click.IntRange(min=0), default=2000,
              show_default=True, help="How many orders to create.")
@click.option("--reset", is_flag=True,
              help="Delete all business data first (users and the audit trail stay).")
@click.option("--if-empty", is_flag=True,
              help="Do nothing, successfully, when the database already has orders.")
@click.option("--random-seed", type=int, default=DEFAULT_SEED, show_default=True,
              help="The same seed gives the same data.")
@click.option("--now", type=click.DateTime(["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S"]),
              help="Pretend it is this moment (UTC unless a zone is given). Default: now.")
@click.option("--progress/--no-progress", default=True, help="Show a progress bar on stderr.")
def seed(order_count: int, reset: bool, if_empty: bool, random_seed: int, now, progress: bool
         ) -> None:
    """Fill the database with demo data and create the demo users."""
    started = time.perf_counter()
    options = Options(order_count, random_seed, reset,
                      now and (now if now.tzinfo else now.replace(tzinfo=UTC)), progress)
    try:
        counts = load_demo(db.engine, db.metadata, options)
    except NotEmpty as error:
        if if_empty:
            return
        raise click.ClickException(f"{error}; use --reset to replace them") from error
    made = _demo_users(current_app.config["DEMO_PASSWORD"])
    elapsed = time.perf_counter() - started
    click.echo(f"Seeded {order_count:,} orders in {elapsed:.1f} s "
               f"({order_count / elapsed:,.0f} orders/s, {sum(counts.values()) / elapsed:,.0f}"
               " rows/s)")
    for table, count in counts.items():
        click.echo(f"  {table:<20} {count:>12,}")
    if made:
        click.echo(f"Demo users: {', '.join(made)} (password from OMS_DEMO_PASSWORD)")


def _demo_users(password: str) -> list[str]:
    """Create the demo users that do not exist yet; existing ones are left as they are."""
    made = []
    for name, role in DEMO_USERS:
        if db.session.scalar(sa.select(User.id).where(User.username == name)) is None:
            users.create_user(db.session, name, password, role, check_strength=False)
            made.append(name)
    db.session.commit()
    return made
