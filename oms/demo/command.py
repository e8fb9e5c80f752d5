import click


@click.command("seed")
@click.option("--orders", "order_count", type=int, default=2000, show_default=True)
@click.option("--reset", is_flag=True)
def seed(order_count: int, reset: bool) -> None:
    """Fill the database with demo data."""
    raise click.ClickException("not written yet")
