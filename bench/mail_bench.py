"""Mail speed and safety (SCOPE P3, issue 13): a bulk send of 10,000 orders to an SMTP
server on loopback (aiosmtpd), one lane as one worker runs it; a send killed with SIGKILL
at about half way and resumed (duplicates among what the server received and among `sent`
rows); 送信メール照会 of orders with several mails among millions (index order_id, id).

    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1/oms_bench \\
        .venv/bin/python bench/mail_bench.py [--orders 10000] [--kill-orders 1000] \\
        [--mails 3000000]

First, once, set-based: sent mails up to --mails bench rows (Message-ID `<bench.N@…>`, three
per order on 1,000,000 orders: 受注, 入金, 発送; subject and body about 1–2 KB, as a shop's
mails are; one in a hundred failed), which stay for later runs. Prints lines read by scripts:
    bulk send of 10000 orders: 140 mails/s
    duplicates after kill: 0
    sent-mail history: 3 ms
It deletes what else it wrote (its template, jobs and their sent mails) when it ends.
"""

import argparse
import os
import signal
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

from bench.fill import spread_over_orders  # noqa: E402
from bench.request_timing import median_ms  # noqa: E402
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
BENCH_ID = "<bench."  # the Message-ID prefix of the filled rows
# The n-th mail of an order (g / :span) is its 受注, 入金 or 発送 mail.
NTH = "1 + (g - 1) / :span % 3"
MAIL = f"""o.id, (ARRAY['order_received','payment_received','ship_complete'])[{NTH}],
    'OMSショップ <shop@oms.localhost>', coalesce(o.buyer_email, ''),
    '【OMSショップ】' || (ARRAY['ご注文ありがとうございます','ご入金を確認いたしました',
        '商品を発送いたしました'])[{NTH}] || '（受注番号 ' || o.order_number || '）',
    o.buyer_name || ' 様' || E'\\n\\n'
    || 'このたびはOMSショップをご利用いただき、誠にありがとうございます。' || E'\\n'
    || (ARRAY['ご注文を承りました。内容をご確認ください。',
              'ご入金を確認いたしました。商品の準備が整い次第、発送いたします。',
              'ご注文の商品を本日発送いたしました。お届けまで今しばらくお待ちください。'])[{NTH}]
    || E'\\n\\n■受注番号：' || o.order_number
    || E'\\n■ご注文日：' || to_char(o.ordered_at, 'YYYY/MM/DD HH24:MI')
    || E'\\n■お届け先：' || o.ship_name || ' 様　' || coalesce(o.ship_prefecture, '')
    || coalesce(o.ship_address1, '') || E'\\n\\n【ご注文内容】\\n'
    || repeat(E'オーガニックコットン フェイスタオル（ナチュラル）× 2　1,320円\\n', (1 + g % 8)::int)
    || E'送料：550円\\n合計：' || to_char(o.total, 'FM999,999,999') || E'円\\n\\n'
    || 'ご不明な点がございましたら、本メールにご返信いただくか、下記までお問い合わせください。'
    || E'\\n営業時間：平日 10:00〜17:00（土日祝を除く）\\n'
    || 'お客様の個人情報は、ご注文の処理とお届けのためにのみ利用いたします。' || E'\\n'
    || E'────────────────────────\\nOMSショップ カスタマーサポート\\n'
    || E'support@oms.localhost\\n',
    CASE WHEN g % 100 = 7 THEN 'failed' ELSE 'sent' END,
    CASE WHEN g % 100 = 7 THEN 'SMTPサーバーに接続できません' END,
    '{BENCH_ID}' || g || '@oms.localhost>',
    o.ordered_at + (g - 1) / :span * interval '1 day' + g % 600 * interval '1 minute',
    CASE WHEN g % 100 <> 7 THEN o.ordered_at + (g - 1) / :span * interval '1 day'
         + g % 600 * interval '1 minute' + interval '2 seconds' END"""
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


def fill(session, rows: int) -> None:
    """Sent mails up to `rows` bench rows, spread over the orders (PostgreSQL)."""
    have = session.scalar(sa.select(sa.func.count()).select_from(SentMail)
                          .where(SentMail.message_id.like(f"{BENCH_ID}%")))
    spread_over_orders(
        session, "sent_mails",
        "order_id, event, from_header, to_address, subject, body, status, error, message_id, "
        "created_at, sent_at", MAIL, have=have, rows=rows, label="sent mails")


def history(session, runs: int) -> None:
    """送信メール照会 of `runs` orders with several mails each, spread over the data: each
    run another order, so that its rows are not all in memory already."""
    low, high = session.execute(sa.select(sa.func.min(Order.id), sa.func.max(Order.id))).one()
    several = (sa.select(SentMail.order_id).group_by(SentMail.order_id)
               .having(sa.func.count() >= 3))
    orders = []
    for n in range(runs + 3):
        start = low + (high - low) * n // (runs + 3)
        order_id = session.scalar(several.where(SentMail.order_id >= start)
                                  .order_by(SentMail.order_id).limit(1))
        orders.append(session.get(Order, order_id))
    queue = iter(orders)
    elapsed = median_ms(lambda: mail.history(session, next(queue)), runs)
    shown = [len(mail.history(session, order)) for order in orders]
    total = session.scalar(sa.select(sa.func.count()).select_from(SentMail))
    print(f"  ({total:,} sent mails; {runs} orders with {min(shown)}–{max(shown)} mails each; "
          f"median {elapsed:.2f} ms)")
    print(f"sent-mail history: {elapsed:.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=10_000)
    parser.add_argument("--kill-orders", type=int, default=1_000)
    parser.add_argument("--mails", type=int, default=3_000_000, help="bench sent mails")
    parser.add_argument("--runs", type=int, default=50, help="orders whose history is timed")
    args = parser.parse_args()
    with smtp_sink() as sink:
        os.environ["MAIL_URL"] = sink.url
        app = create_app()
        jobs_made: list[int] = []
        with app.app_context(), force_locale("ja"):  # services translate their messages
            session = db.session
            if db.engine.dialect.name != "postgresql":
                sys.exit("mail_bench measures PostgreSQL: set DATABASE_URL")
            fill(session, args.mails)
            template = mail_templates.create(session, mail_templates.TemplateSpec(
                name=f"bench-{os.getpid()}", subject="【{ショップ名}】発送のお知らせ {受注番号}",
                body="{注文者名} 様\n{商品明細}\n合計: {合計}\n伝票番号: {伝票番号}\n"), ACTOR)
            session.commit()
            try:
                jobs_made.append(bulk(session, template, args.orders))
                jobs_made.append(killed(session, template, args.kill_orders, sink,
                                        args.orders))
                history(session, args.runs)
            finally:
                session.rollback()
                session.execute(sa.delete(SentMail).where(
                    SentMail.notification_id.in_(jobs_made)))
                session.execute(sa.delete(Notification).where(Notification.id.in_(jobs_made)))
                session.execute(sa.delete(MailTemplate).where(MailTemplate.id == template.id))
                session.commit()


if __name__ == "__main__":
    main()
