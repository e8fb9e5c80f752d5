"""A failed job tells the operator a readable reason, never SQL or its parameters
(issue 9, section 3): the record that run_notified keeps for every job entry point."""

import pytest
import sqlalchemy as sa

from jobs import run_notified
from oms.csvfiles import UploadError
from oms.models import JobState, Notification

SECRET = "4711-secret"


def _run(session, factory, users, work) -> str:
    note = factory.notification(users["admin"])
    session.commit()
    with pytest.raises(Exception):  # noqa: B017 (run_notified re-raises whatever failed)
        run_notified(note.id, work)
    session.expire_all()
    note = session.get(Notification, note.id)
    assert note.state is JobState.failed
    return note.error


def test_a_database_error_is_a_plain_sentence(session, factory, users):
    def work(session, note, report):
        session.execute(sa.text("SELECT pin FROM no_such_vault WHERE pin = :pin"),
                           {"pin": SECRET})

    error = _run(session, factory, users, work)
    assert "データベース" in error and "サーバーのログ" in error  # the job's locale: ja
    for leak in ("SELECT", "no_such_vault", SECRET, "[SQL", "parameters"):
        assert leak not in error


def test_an_unexpected_error_says_so_without_its_message(session, factory, users):
    def work(session, note, report):
        raise KeyError(SECRET)

    error = _run(session, factory, users, work)
    assert error.startswith("予期しないエラー") and "KeyError" in error
    assert SECRET not in error


def test_our_own_errors_keep_their_message(session, factory, users):
    def work(session, note, report):
        raise UploadError("ファイルの3行目が読めません。")

    assert _run(session, factory, users, work) == "ファイルの3行目が読めません。"
