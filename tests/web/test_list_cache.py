"""The lists of 設定 are kept per process (oms.services.list_cache): the edit screen does not
read them again while they are unchanged, and a change made by another process (another
web process, a worker) is on the very next page this process renders."""

import contextlib
import os
import re
import subprocess
import sys

import pytest
import sqlalchemy as sa

from oms.models import StockLocation
from oms.services import carriers
from tests.conftest import ROOT, statements, switch_to_english

# Another process changing the lists through the services, as an admin's request would.
OTHER_PROCESS = """
import sys
import sqlalchemy as sa
from oms import create_app
from oms.extensions import db
from oms.models import Tag
from oms.services import masters
from oms.services.actor import Actor
actor = Actor(None, "admin", "192.0.2.9", "screen")
tags = masters.MASTERS["tags"]
with create_app().app_context():
    session = db.session
    masters.create(session, tags, {"name": sys.argv[1], "color": "red"}, actor)
    retired = session.scalar(sa.select(Tag).where(Tag.name == sys.argv[2]))
    masters.set_active(session, tags, retired, False, actor)
    session.commit()
"""


def change_in_other_process(added: str, retired: str) -> None:
    subprocess.run([sys.executable, "-c", OTHER_PROCESS, added, retired], cwd=ROOT,
                   env=os.environ.copy(), check=True, timeout=60)


@contextlib.contextmanager
def list_reads(table: str = "tags"):
    """The statements that read the list in `table`, once the block has run."""
    reads: list[str] = []
    with statements() as seen:
        yield reads
    reads.extend(s for s in seen if f"FROM {table}" in s and f"JOIN {table}" not in s)


def offered_tags(page: str) -> set[str]:
    """The labels the edit screen offers to tick."""
    return set(re.findall(r'<label><input[^>]*name="tag_ids"[^>]*> ([^<]+)</label>', page))


@pytest.fixture
def operator(client, auth):
    switch_to_english(client)
    assert auth.login("operator").status_code == 303
    return client


def test_a_list_changed_in_another_process_is_on_the_next_edit_page(operator, session,
                                                                     factory):
    factory.tag("ギフト")
    factory.tag("リピーター")
    # Listed now, so that the first page does not add the default location and carriers
    # (a change); a fresh database has the location from its migration.
    if session.scalar(sa.select(StockLocation.id).limit(1)) is None:
        session.add(StockLocation(code="main", name="本社倉庫", priority=1))
    carriers.ensure_defaults(session)
    order = factory.order()
    session.commit()
    url = f"/orders/{order.order_number}/edit"
    first = operator.get(url).text
    assert offered_tags(first) == {"ギフト", "リピーター"}
    with list_reads() as reads:
        assert offered_tags(operator.get(url).text) == {"ギフト", "リピーター"}
    assert reads == []  # kept by this process: the list was not read again

    change_in_other_process("至急", "ギフト")

    with list_reads() as reads:
        page = operator.get(url).text
    # Added and retired over there: offered, and no longer offered, here.
    assert offered_tags(page) == {"リピーター", "至急"}
    assert len(reads) == 1
