"""Mail speed and safety (SCOPE P3, issue 13): a bulk send of 10,000 orders to an SMTP
server on loopback (aiosmtpd), one lane as one worker runs it; a send killed with SIGKILL
at about half way and resumed (duplicates among what the server received and among `sent`
rows); 送信メール照会 of one order (index order_id, id).

    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1/oms_bench \\
        .venv/bin/python bench/mail_bench.py [--orders 10000] [--kill-orders 1000]

Prints lines read by scripts:
    bulk send of 10000 orders: 140 mails/s
    duplicates after kill: 0
    sent-mail history: 3 ms
It deletes what it wrote (its template, jobs and sent mails) when it ends.
"""

import argparse
import os
import signal
import statistics
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from flask_babel import force_locale

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from oms import create_app  # noqa: E402
from oms.extensions import db  # noqa: E402
from oms.models import (  # noqa: E402
    MailState,
    MailTemplate,
    Notification,
    Order,
    SentMail,
)
from oms.services import mail, mail_templates, runner  # noqa: E402
from oms.services.actor import Actor  # noqa: E402
from tests.smtp import smtp_sink  # noqa: E402

ACTOR = Actor(None, "bench", "127.0.0.1")
LEASE = timedelta(seconds=120)
LANE = """
import sys
from datetime import timedelta
from flask_babel import force_locale
from oms import create_app
from oms.extensions import db
from oms.services import runner
app = create_app()
with app.app_context(), force_locale("ja"):
    runner.run_lane(db.session, int(sys.argv[1]), lease=timedelta(seconds=120))
"""


def _orders(session, count: int, skip: int = 0) -> list[int]:
    return list(session.scalars(
        sa.select(Order.id).where(Order.deleted_at.is_(None), Order.buyer_email.is_not(None),
                                  Order.buyer_email != "")
        .order_by(Order.id).offset(skip).limit(count)))


def _start(session, template: MailTemplate, ids: list[int]) -> int:
    note = mail.start_bulk(session, None, [Order.id.in_(ids)], len(ids), template,
                           template.subject, template.body, ACTOR, "ja")
    session.commit()
    return note.id


def bulk(session, template, count: int) -> int:
    job_id = _start(session, template, _orders(session, count))
    started = time.perf_counter()
    runner.run_lane(session, job_id, lease=LEASE)
    elapsed = time.perf_counter() - started
    sent = session.scalar(sa.select(sa.func.count()).select_from(SentMail).where(
        SentMail.notification_id == job_id, SentMail.status == MailState.sent))
    print(f"bulk send of {count} orders: {sent / elapsed:.0f} mails/s")
    return job_id


def killed(session, template, count: int, sink, skip: int) -> int:
    """A lane in its own process, SIGKILLed once half the mails are sent; then resumed
    after the lease (as the maintenance would), by a lane in this process."""
    job_id = _start(session, template, _orders(session, count, skip))
    before = len(sink.messages)
    lane = subprocess.Popen([sys.executable, "-c", LANE, str(job_id)], cwd=ROOT,
                            env=os.environ.copy())
    while len(sink.messages) - before < count // 2 and lane.poll() is None:
        time.sleep(0.01)
    lane.send_signal(signal.SIGKILL)
    lane.wait()
    session.execute(sa.text("UPDATE job_targets SET claimed_at = claimed_at - interval '1 hour' "
                            "WHERE job_id = :j AND state = 'calling'"), {"j": job_id})
    session.commit()
    runner.run_lane(session, job_id, lease=LEASE)
    received = Counter(m["Message-ID"] for m in sink.messages[before:])
    doubled = sum(n - 1 for n in received.values() if n > 1)
    per_order = Counter(session.scalars(sa.select(SentMail.order_id).where(
        SentMail.notification_id == job_id, SentMail.status == MailState.sent)))
    doubled += sum(n - 1 for n in per_order.values() if n > 1)
    states = Counter(session.scalars(sa.select(SentMail.status).where(
        SentMail.notification_id == job_id)))
    print(f"duplicates after kill: {doubled}")
    print(f"  (killed lane: { {k.value: v for k, v in states.items()} })", file=sys.stderr)
    return job_id


def history(session, runs: int = 200) -> None:
    order_id = session.scalar(sa.select(SentMail.order_id).order_by(SentMail.id.desc()).limit(1))
    order = session.get(Order, order_id)
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        mail.history(session, order)
        times.append(time.perf_counter() - started)
        session.expire_all()
    print(f"sent-mail history: {statistics.median(times) * 1000:.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=10_000)
    parser.add_argument("--kill-orders", type=int, default=1_000)
    args = parser.parse_args()
    with smtp_sink() as sink:
        os.environ["MAIL_URL"] = sink.url
        app = create_app()
        jobs_made: list[int] = []
        with app.app_context(), force_locale("ja"):  # services translate their messages
            session = db.session
            template = mail_templates.create(session, mail_templates.TemplateSpec(
                name=f"bench-{os.getpid()}", subject="【{ショップ名}】発送のお知らせ {受注番号}",
                body="{注文者名} 様\n{商品明細}\n合計: {合計}\n伝票番号: {伝票番号}\n"), ACTOR)
            session.commit()
            try:
                jobs_made.append(bulk(session, template, args.orders))
                jobs_made.append(killed(session, template, args.kill_orders, sink,
                                        args.orders))
                history(session)
            finally:
                session.rollback()
                session.execute(sa.delete(SentMail).where(
                    SentMail.notification_id.in_(jobs_made)))
                session.execute(sa.delete(Notification).where(Notification.id.in_(jobs_made)))
                session.execute(sa.delete(MailTemplate).where(MailTemplate.id == template.id))
                session.commit()


if __name__ == "__main__":
    main()
