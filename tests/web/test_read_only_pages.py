"""The busiest pages only read and run without a transaction (oms.transactions.read_only):
they show what was committed, a write from one of them is refused and saved nowhere, and the
connection they used is transactional again for the next request."""

import pytest
import sqlalchemy as sa

from oms import create_app
from oms.access import Access, access
from oms.extensions import db
from oms.models import Tag
from oms.transactions import read_only
from tests.conftest import PASSWORD, IsolatedClient, csrf_token


@pytest.fixture
def one_connection_app(app, users):
    """Another app on the same database with one pooled connection, so that every request
    gets the connection the one before used, and two routes of its own that write a tag."""
    other = create_app({"TESTING": True, "SQLALCHEMY_ENGINE_OPTIONS": {
        "pool_size": 1, "max_overflow": 0}})
    other.test_client_class = IsolatedClient

    @other.get("/test/read-only-write")
    @access(Access.public)
    @read_only
    def read_only_write():
        db.session.add(Tag(name="written by a read-only page", color="red"))
        db.session.flush()
        return "saved"

    @other.get("/test/refused-write")
    @access(Access.public)
    def refused_write():
        db.session.add(Tag(name="written by a refused request", color="red"))
        db.session.flush()
        return "refused", 409

    yield other
    with other.app_context():
        db.engine.dispose()
    if (queue := other.extensions.pop("oms_redis", None)) is not None:
        queue.close()  # the list page asked its queue; else a socket left to the collector


def tag_names(app) -> set[str]:
    with app.app_context():
        return set(db.session.scalars(sa.select(Tag.name)))


def test_the_list_and_detail_show_what_was_committed_just_before(auth, client, factory,
                                                                   session):
    order = factory.order()
    session.commit()
    auth.login()
    assert order.order_number in client.get("/orders/").get_data(as_text=True)
    session.add(Tag(name="committed a moment ago", color="blue"))
    session.commit()
    page = client.get("/orders/").get_data(as_text=True)
    assert "committed a moment ago" in page  # the search's tag choices
    assert client.get(f"/orders/{order.order_number}").status_code == 200


def test_a_read_only_page_that_writes_is_refused_and_saves_nothing(one_connection_app):
    client = one_connection_app.test_client()
    # A programming error, answered as one: the error page, and nothing saved.
    assert client.get("/test/read-only-write").status_code == 500
    assert "written by a read-only page" not in tag_names(one_connection_app)


def test_after_a_read_only_page_a_refused_request_is_rolled_back(one_connection_app, users):
    client = one_connection_app.test_client()
    client.post("/login", data={"username": "operator", "password": PASSWORD,
                                "csrf_token": csrf_token(client)})
    assert client.get("/orders/").status_code == 200  # read-only, on the one connection
    assert client.get("/test/refused-write").status_code == 409
    assert "written by a refused request" not in tag_names(one_connection_app)
