"""The sandbox card gateway for the payment tests: the real server over HTTP (the
marketplace tests' session server), one merchant account per test."""

import uuid

import pytest

from oms.services.actor import Actor
from oms.services.payments import settings
from tests.marketplaces.conftest import sandbox  # noqa: F401 (the session's server)


@pytest.fixture(autouse=True)
def _english(in_english):
    """Services translate their messages: these tests read them in English."""


@pytest.fixture
def merchant(sandbox, session, app):  # noqa: F811
    """A merchant of this test's own, answering at once; the payment settings point at it
    with a timeout well under the sandbox's lost-answer hold."""
    api_key = f"sk_test_{uuid.uuid4().hex[:16]}"
    sandbox.gateway(api_key, latency_ms=0, timeout_seconds=2, async_seconds=2)
    wanted = settings.with_keys(
        settings.PaymentSettings(endpoint=sandbox.endpoint("gateway"),
                                 rakuten_card_endpoint=sandbox.endpoint("rakuten_card"),
                                 timeout_seconds=0.5),
        app.config["SECRET_KEY"], api_key=api_key, rakuten_card_api_key=api_key)
    settings.save(session, wanted, Actor(None, "test"))
    session.commit()
    return api_key
