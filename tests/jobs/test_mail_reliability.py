"""SCOPE P3 M7 and check 4 on real workers (RELIABILITY.md F, kill -9): a bulk mail to 200
orders through a slow SMTP server; the whole worker is killed in mid-send and another
takes the job up. No message reaches the server twice; every mail not yet in flight is sent
by the new worker; those that were in flight are 不明 (they may have arrived) and are not
sent again by themselves."""

import os
import signal
import time
from collections import Counter

import pytest
import sqlalchemy as sa

from oms.models import JobState, MailState, Notification, Order, SentMail
from oms.services import mail
from oms.services.mail_step import MailStep
from tests.bulk_support import empty_queue  # noqa: F401 (fixture)
from tests.conftest import AuthActions
from tests.jobs.test_bulk_jobs import WORKER_ENV, insert_orders
from tests.smtp import body_of, smtp_sink
from tests.unit.test_mail import ACTOR, _empty_file_sink, template  # noqa: F401
from tests.workers import horse_of, wait_for

pytestmark = pytest.mark.usefixtures("empty_queue")
ORDERS = 200
SECONDS_PER_MAIL = 0.05  # a chunk of 100 takes the server about 5 s


def _job(session, job_id: int) -> Notification:
    session.rollback()
    session.expire_all()
    return session.get(Notification, job_id)


@pytest.mark.slow
def test_worker_killed_mid_send_sends_nothing_twice(app, session, users, factory, workers):
    ids = insert_orders(session, factory, ORDERS, buyer_email="buyer@example.jp")
    saved = template(session, body="{受注番号}")
    note = mail.start_bulk(session, users["operator"], [Order.id.in_(ids)], ORDERS, saved,
                           saved.subject, saved.body, ACTOR, "ja")
    session.commit()  # queued now, for the first worker
    with smtp_sink(delay=SECONDS_PER_MAIL) as sink:
        settings = {**WORKER_ENV, "MAIL_URL": sink.url}
        first = workers.start("first", **settings)
        assert wait_for(lambda: len(sink.messages) >= 20, 120, 0.01), workers.logs()
        # A lost host: the worker, its scheduler and its horse die at once, mid-chunk.
        horse = horse_of(first.pid)
        if horse:
            os.killpg(horse, signal.SIGKILL)
        os.killpg(first.pid, signal.SIGKILL)
        first.wait(10)
        time.sleep(0.5)  # a message the server was taking when the client died lands now
        before_restart = [m["Message-ID"] for m in sink.messages]
        assert len(before_restart) < ORDERS

        workers.start("second", **settings)
        finished = wait_for(lambda: _job(session, note.id).state.finished, 180, 0.2)
        assert finished, workers.logs()
        received = [m["Message-ID"] for m in sink.messages]
        numbers = Counter(body_of(m).strip() for m in sink.messages)

    # 0 duplicates: no Message-ID and no order reached the server twice.
    assert len(received) == len(set(received))
    assert max(numbers.values()) == 1
    rows = session.execute(sa.select(SentMail.message_id, SentMail.status, Order.order_number)
                           .join(Order, Order.id == SentMail.order_id)
                           .where(SentMail.notification_id == note.id)).all()
    assert sorted(number for _, _, number in rows) == sorted(
        session.scalars(sa.select(Order.order_number)))  # one mail per order
    by_state = Counter(state for _, state, _ in rows)
    assert set(by_state) == {MailState.sent, MailState.unknown}
    sent = {message_id for message_id, state, _ in rows if state is MailState.sent}
    doubt = {message_id for message_id, state, _ in rows if state is MailState.unknown}
    # The chunk in flight is in doubt, whether or not its messages arrived; the rest were
    # sent after the restart, each exactly once, and nothing in doubt was sent again.
    assert 0 < len(doubt) <= MailStep.chunk
    assert set(before_restart) <= doubt
    assert set(received[len(before_restart):]) == sent
    note = _job(session, note.id)
    assert (note.state, note.done, note.failed) == (JobState.succeeded, ORDERS, len(doubt))
    print(f"{len(before_restart)} arrived before the kill, {len(doubt)} in doubt, "
          f"{len(sent)} sent after the restart")

    # The operator sees them as 不明 on the order's 送信メール照会.
    number = next(number for _, state, number in rows if state is MailState.unknown)
    client = app.test_client()
    assert AuthActions(client).login("operator").status_code == 303
    page = client.get(f"/orders/{number}/mails").text
    assert 'data-mail-state="unknown"' in page and "不明" in page
