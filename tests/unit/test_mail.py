"""Mail services (SCOPE P3 M1–M7, checks 1, 2, 4–7 at service level): templates and tags,
one send, bulk sends with failures, SMTP down and 失敗分を再送, a lane lost during the
call (不明), the 出荷完了 system mail. Jobs run in this process (runner lanes); the SMTP
paths talk to a real server on loopback (tests/smtp.py), the others to the file sink."""

import email
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale

from oms.models import (
    Carrier,
    JobState,
    MailEvent,
    MailState,
    MailTemplate,
    Notification,
    Order,
    OrderStatus,
    SentMail,
    SystemMail,
)
from oms.services import mail, mail_templates, runner, shipment_confirm
from oms.services.actor import Actor
from oms.services.mail_step import MailStep
from tests.smtp import body_of, free_port, smtp_sink

TZ_LEASE = timedelta(seconds=60)
ACTOR = Actor(None, "operator", "127.0.0.1")


BODY = "{注文者名} 様\n伝票番号: {伝票番号}\n{追跡URL}\n"


def template(session, **kw) -> MailTemplate:
    spec = mail_templates.TemplateSpec(**{
        "name": "発送のお知らせ", "subject": "【{ショップ名}】発送しました {受注番号}",
        "body": BODY, **kw})
    return mail_templates.create(session, spec, ACTOR)


def run_mail_jobs(session) -> list[Notification]:
    """Every unfinished mail job, run to its end in this process."""
    ids = session.scalars(sa.select(Notification.id).where(
        Notification.kind == mail.KIND, Notification.state.in_(["queued", "running"]))
        .order_by(Notification.id)).all()
    session.commit()
    with force_locale("en"):
        for job_id in ids:
            runner.run_lane(session, job_id, lease=TZ_LEASE)
    return [session.get(Notification, i, populate_existing=True) for i in ids]


def sink_files() -> list[email.message.Message]:
    folder = Path(urlsplit(current_app.config["MAIL_URL"]).path)
    files = sorted(folder.glob("*.eml"), key=lambda p: p.stat().st_mtime) if folder.exists() else []
    return [email.message_from_bytes(p.read_bytes()) for p in files]


@pytest.fixture(autouse=True)
def _empty_file_sink(app, session):
    # The migration's default templates are there until the first test's clean-up.
    session.execute(sa.delete(SystemMail))
    session.execute(sa.delete(MailTemplate))
    session.commit()
    folder = Path(urlsplit(app.config["MAIL_URL"]).path)
    for path in folder.glob("*.eml") if folder.exists() else []:
        path.unlink()


@pytest.fixture
def smtp(app):
    with smtp_sink() as sink:
        saved = app.config["MAIL_URL"]
        app.config["MAIL_URL"] = sink.url
        yield sink
        app.config["MAIL_URL"] = saved


def shipped_order(factory, session, **kw) -> Order:
    session.add(Carrier(code="yamato", name="ヤマト運輸", file_format="b2",
                        tracking_url="https://track.example/?n={number}"))
    order = factory.order(status=OrderStatus.shipped, carrier="ヤマト運輸",
                          order_number="2000000123", **kw)
    factory.shipment(order, "1234-5678-9012")
    return order


def test_a_template_with_an_unknown_tag_is_refused_by_name_and_renders_for_an_order(
        session, factory, in_english):
    with pytest.raises(mail_templates.TemplateRefused) as refused:
        template(session, body="{受注番号} {伝票番号} {追跡URL} {foo}")
    assert refused.value.errors == {"body": "Unknown tag: {foo}"}
    assert session.scalar(sa.select(sa.func.count()).select_from(MailTemplate)) == 0

    saved = template(session, body="{受注番号} {伝票番号} {追跡URL}")
    order = shipped_order(factory, session)
    subject, body = mail_templates.render(session, order, saved.subject, saved.body,
                                          current_tz())
    assert subject == f"【{order.shop.name}】発送しました 2000000123"
    assert body == "2000000123 1234-5678-9012 https://track.example/?n=123456789012"


def current_tz():
    from zoneinfo import ZoneInfo
    return ZoneInfo(current_app.config["OMS_TZ"])


def test_values_are_substituted_never_evaluated(session, factory, in_english):
    order = factory.order(buyer_name="{受注番号} {{7*7}} {{ config }}")
    _subject, body = mail_templates.render(session, order, "x", "{注文者名}", current_tz())
    assert body == "{受注番号} {{7*7}} {{ config }}"  # a value is never read as a tag


def test_one_send_from_the_detail_screen_keeps_the_edit_on_the_mail_only(
        session, factory, users, in_english):
    saved = template(session)
    order = shipped_order(factory, session)
    subject, body = mail_templates.render(session, order, saved.subject, saved.body,
                                          current_tz())
    edited = body.replace("伝票番号", "本日発送しました\n伝票番号")
    row = mail.send_one(session, order, saved, subject, edited, users["operator"], ACTOR, "en")
    assert row.status is MailState.queued
    [note] = run_mail_jobs(session)
    assert note.state is JobState.succeeded

    [message] = sink_files()
    assert message["To"] == order.buyer_email
    assert str(email.header.make_header(email.header.decode_header(message["Subject"]))) == subject
    assert body_of(message) == edited
    session.expire_all()
    assert session.get(MailTemplate, saved.id).body == BODY  # the template is unchanged
    sent = session.get(SentMail, row.id)
    assert (sent.status, sent.username, sent.body) == (MailState.sent, "operator", edited)
    assert sent.message_id == message["Message-ID"]


def test_no_address_is_refused_with_the_reason(session, factory, users, in_english):
    order = factory.order(buyer_email=None)
    with pytest.raises(mail.MailRefused) as refused:
        mail.send_one(session, order, template(session), "s", "b", users["operator"], ACTOR,
                      "en")
    assert refused.value.errors == {"template_id": "The orderer has no e-mail address."}


def test_bulk_send_sends_each_order_once_and_fails_those_without_an_address(
        session, factory, users, smtp, in_english):
    saved = template(session, bcc="copy@shop.example", body="{注文者名} 様 {受注番号}")
    orders = [factory.order() for _ in range(7)] + [factory.order(buyer_email=None)
                                                     for _ in range(3)]
    where = [Order.id.in_([o.id for o in orders])]
    dry = mail.dry_run(session, where)
    assert (dry.count, dry.without_address) == (10, 3)
    assert sorted(dry.shown) == sorted(o.order_number for o in orders[7:])

    note = mail.start_bulk(session, users["operator"], where, 10, saved, saved.subject,
                           saved.body, ACTOR, "en")
    [done] = run_mail_jobs(session)
    assert (done.state, done.done, done.failed) == (JobState.succeeded, 10, 3)
    assert len(smtp.messages) == 7
    assert sorted(m["To"] for m in smtp.messages) == sorted(o.buyer_email for o in orders[:7])
    assert all("copy@shop.example" in to for to in smtp.envelopes)  # bcc: envelope only
    assert all(m["Bcc"] is None for m in smtp.messages)
    first = orders[0]
    assert any(body_of(m) == f"{first.buyer_name} 様 {first.order_number}\n" for m in smtp.messages)
    failed = session.scalars(sa.select(SentMail).where(SentMail.status == MailState.failed)).all()
    assert sorted(m.order_id for m in failed) == sorted(o.id for o in orders[7:])
    assert {m.error for m in failed} == {"The orderer has no e-mail address."}

    # A re-run of the finished job, and a lane delivered twice, send nothing again.
    session.execute(sa.update(Notification).where(Notification.id == note.id)
                    .values(state=JobState.running))
    session.commit()
    runner.run_lane(session, note.id, lease=TZ_LEASE)
    assert len(smtp.messages) == 7


def test_smtp_down_fails_every_target_and_resend_failed_sends_only_those(
        session, factory, users, app, in_english):
    saved = template(session)
    orders = [factory.order() for _ in range(4)]
    file_sink = app.config["MAIL_URL"]  # put back after each change below
    app.config["MAIL_URL"] = f"smtp://127.0.0.1:{free_port()}"  # nothing listens there
    try:
        note = mail.start_bulk(session, users["operator"], [Order.id.in_([o.id for o in orders])],
                               4, saved, saved.subject, saved.body, ACTOR, "en")
        [done] = run_mail_jobs(session)
    finally:
        app.config["MAIL_URL"] = file_sink
    assert (done.done, done.failed) == (4, 4)
    errors = set(session.scalars(sa.select(SentMail.error)))
    assert len(errors) == 1 and errors.pop().startswith("Cannot connect to the SMTP server")

    with smtp_sink() as sink:
        app.config["MAIL_URL"] = sink.url
        try:
            again = mail.resend_failed(session, session.get(Notification, note.id),
                                       users["operator"], ACTOR, "en")
            assert again.total == 4
            run_mail_jobs(session)
            assert len(sink.messages) == 4
            # Nothing failed any more: a second 失敗分を再送 has nothing to send.
            assert mail.resend_failed(session, session.get(Notification, again.id),
                                      users["operator"], ACTOR, "en") is None
        finally:
            app.config["MAIL_URL"] = file_sink
    # The first job's rows stay failed; the copies are sent.
    states = sorted(s.value for s in session.scalars(sa.select(SentMail.status)))
    assert states == ["failed"] * 4 + ["sent"] * 4


class Lost(Exception):
    """The worker dies during the SMTP call."""


def test_mails_of_a_lane_lost_during_the_call_become_unknown_and_are_not_resent(
        session, factory, users, monkeypatch, in_english):
    saved = template(session)
    orders = [factory.order() for _ in range(3)]
    note = mail.start_bulk(session, users["operator"], [Order.id.in_([o.id for o in orders])],
                           3, saved, saved.subject, saved.body, ACTOR, "en")
    session.commit()

    def die(self, work):
        raise Lost

    monkeypatch.setattr(MailStep, "call", die)
    with pytest.raises(Lost), force_locale("en"):
        runner.run_lane(session, note.id, lease=TZ_LEASE)
    session.rollback()
    assert set(session.scalars(sa.select(SentMail.status))) == {MailState.sending}
    monkeypatch.undo()

    with force_locale("en"):
        runner.run_lane(session, note.id, lease=timedelta(0))  # the lease has run out
    done = session.get(Notification, note.id, populate_existing=True)
    assert (done.state, done.failed) == (JobState.succeeded, 3)
    assert set(session.scalars(sa.select(SentMail.status))) == {MailState.unknown}
    assert sink_files() == []  # nothing sent again by itself
    # 失敗分を再送 leaves mails in doubt alone; 再送 of one needs the operator's word.
    assert mail.resend_failed(session, done, users["operator"], ACTOR, "en") is None
    doubt = session.scalars(sa.select(SentMail)).first()
    with pytest.raises(mail.MailRefused):
        mail.resend(session, doubt, users["operator"], ACTOR, "en")
    mail.resend(session, doubt, users["operator"], ACTOR, "en", unknown_confirmed=True)
    run_mail_jobs(session)
    assert len(sink_files()) == 1


def test_the_shipment_import_sends_one_ship_complete_mail_unless_marked_sent(
        session, factory, users, in_english):
    saved = template(session, body="{受注番号} {伝票番号}")
    session.add(SystemMail(event=MailEvent.ship_complete, template_id=saved.id, enabled=True))
    pending = factory.order(status=OrderStatus.shipping, carrier="ヤマト運輸")
    marked = factory.order(status=OrderStatus.shipping, carrier="ヤマト運輸", ship_mail_sent=True)
    shipment_confirm.confirm(session, [
        shipment_confirm.Confirmation(pending.id, "123412341234"),
        shipment_confirm.Confirmation(marked.id, "123412341235")], ACTOR)
    session.commit()
    assert session.get(Order, pending.id, populate_existing=True).ship_mail_sent is True
    run_mail_jobs(session)
    [message] = sink_files()
    assert message["To"] == pending.buyer_email
    assert body_of(message) == f"{pending.order_number} 123412341234\n"
    # Importing again queues nothing: the flag is set.
    assert mail.queue_system_mail(session, MailEvent.ship_complete, [pending.id], ACTOR) is None


def test_a_system_mail_that_is_off_queues_nothing(session, factory):
    saved = template(session)
    session.add(SystemMail(event=MailEvent.cod_changed, template_id=saved.id, enabled=False))
    order = factory.order()
    assert mail.queue_system_mail(session, MailEvent.cod_changed, [order.id], ACTOR) is None
    assert mail.queue_system_mail(session, MailEvent.payment_received, [order.id], ACTOR) is None


def test_sending_the_ship_complete_template_by_hand_marks_the_order(
        session, factory, users, in_english):
    saved = template(session)
    session.add(SystemMail(event=MailEvent.ship_complete, template_id=saved.id, enabled=False))
    order = factory.order()
    mail.send_one(session, order, saved, "件名", "本文", users["operator"], ACTOR, "en")
    run_mail_jobs(session)
    assert session.get(Order, order.id, populate_existing=True).ship_mail_sent is True


def test_a_script_in_the_body_is_sent_verbatim_as_text(session, factory, users, in_english):
    order = factory.order()
    mail.send_one(session, order, template(session), "件名", "<script>alert(1)</script>",
                  users["operator"], ACTOR, "en")
    run_mail_jobs(session)
    [message] = sink_files()
    assert message.get_content_type() == "text/plain"
    assert body_of(message) == "<script>alert(1)</script>\n"
