"""The order list reads the names its rows show (shop, payment method, handling status,
tags) from the process's copies (oms.services.list_cache): not again while unchanged, and
a change made by another process is on the very next page."""

import contextlib
import os
import re
import subprocess
import sys

import pytest
import sqlalchemy as sa

from oms.extensions import db
from oms.models import MallKind, PaymentKind
from tests.conftest import ROOT

# Another process renaming every shop, payment method, handling status and tag.
RENAME = """
import sqlalchemy as sa
from oms import create_app
from oms.extensions import db
from oms.models import HandlingStatus, PaymentMethod, Shop, Tag
with create_app().app_context():
    for model in (Shop, PaymentMethod, HandlingStatus, Tag):
        for row in db.session.scalars(sa.select(model)):
            row.name = "新" + row.name
    db.session.commit()
"""


def in_other_process(script: str) -> None:
    subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=os.environ.copy(),
                   check=True, timeout=60)


@contextlib.contextmanager
def reads(table: str):
    """The statements that read `table` (not merely join it), while the block runs."""
    seen: list[str] = []

    def note(conn, cursor, statement, *args):
        if f"FROM {table}" in statement:
            seen.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", note)


@pytest.fixture
def operator(auth):
    auth.login("operator")
    return auth.client


def test_names_changed_in_another_process_are_on_the_next_page(operator, factory, session):
    shop = factory.shop(MallKind.rakuten, name="楽天ショップ")
    method = factory.payment_method(PaymentKind.card, name="クレジットカード")
    factory.order(shop=shop, payment_method=method, handling_status=factory.handling_status(
        "梱包中"), tags=[factory.tag("ギフト", color="red")])
    session.commit()
    names = ("楽天ショップ", "クレジットカード", "梱包中", "ギフト")
    row = operator.get("/orders/").text.split("data-order-number", 1)[1]
    assert all(f">{name}<" in row for name in names)
    with reads("shops") as seen:
        operator.get("/orders/")
    assert seen == []  # kept by this process

    in_other_process(RENAME)

    row = operator.get("/orders/").text.split("data-order-number", 1)[1]
    assert all(f">新{name}<" in row for name in names), row
