import pytest
from flask_babel import force_locale


@pytest.fixture
def in_english(session):
    """Services translate their messages; outside a request the locale must be given."""
    with force_locale("en"):
        yield
