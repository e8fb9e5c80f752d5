"""Mail through the real routes (SCOPE P3 checks 1, 2, 3, 4's page, 7): the template screen
refuses an unknown tag and previews for an order; the detail screen's メール送信 sends the
edited text; 送信メール照会 lists it and shows it escaped; the list's メール送信 page with
its dry run starts the job, whose page offers 失敗分を再送. Jobs run in this process."""

import re

import sqlalchemy as sa

from oms.models import JobTarget, MailState, MailTemplate, Notification, SentMail
from oms.services import mail_templates
from oms.services.actor import Actor
from tests.conftest import AuthActions, switch_to_english
from tests.html_forms import submitted
from tests.unit.test_mail import _empty_file_sink, run_mail_jobs, sink_files  # noqa: F401

NEW = "/mail/templates/new"


def _login(client, auth, who):
    switch_to_english(client)
    assert auth.login(who).status_code == 303
    return client


def _template(session) -> MailTemplate:
    saved = mail_templates.create(session, mail_templates.TemplateSpec(
        name="発送のお知らせ", subject="発送 {受注番号}", body="{注文者名} 様\n発送準備中です\n"),
        Actor(None, "admin"))
    session.commit()
    return saved


def test_a_template_is_refused_by_tag_name_saved_and_previewed(client, auth, session, factory):
    admin = _login(client, auth, "admin")
    data = submitted(admin.get(NEW).text, NEW)
    data["name"], data["subject"] = "発送のお知らせ", "発送 {受注番号}"
    data["body"] = "{受注番号} {伝票番号} {追跡URL} {foo}"
    refused = admin.post(NEW, data=data)
    assert refused.status_code == 422 and "Unknown tag: {foo}" in refused.text
    data["body"] = "{受注番号} {伝票番号} {追跡URL}"
    assert admin.post(NEW, data=data).status_code == 303
    saved = session.scalar(sa.select(MailTemplate))
    factory.order(order_number="2000000123")
    session.commit()
    page = admin.get(f"/mail/templates/{saved.id}/preview?order_number=2000000123")
    assert page.status_code == 200 and "発送 2000000123" in page.text
    fragment = admin.get(f"/mail/templates/{saved.id}/preview?order_number=9",
                         headers={"HX-Request": "true", "HX-Target": "mail-preview"})
    assert fragment.status_code == 404 and "<html" not in fragment.text


def test_send_from_the_detail_screen_then_read_it_escaped(client, auth, session, factory):
    saved = _template(session)
    order = factory.order(buyer_name="<b>山田</b>")
    session.commit()
    operator = _login(client, auth, "operator")
    url = f"/orders/{order.order_number}/mail"
    page = operator.get(f"{url}?template_id={saved.id}").text
    assert "&lt;b&gt;山田&lt;/b&gt; 様" in page  # the rendered text, escaped on the screen
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    data = {"csrf_token": token, "template_id": str(saved.id),
            "subject": f"発送 {order.order_number}",
            "body": f"{order.buyer_name} 様\n本日発送しました\n<script>alert(1)</script>\n"}
    response = operator.post(url, data=data)
    assert response.status_code == 303
    run_mail_jobs(session)
    [message] = sink_files()
    assert "本日発送しました" in message.get_payload(decode=True).decode()
    assert "<script>alert(1)</script>" in message.get_payload(decode=True).decode()
    assert session.scalar(sa.select(MailTemplate.body)) == "{注文者名} 様\n発送準備中です\n"

    listing = operator.get(f"/orders/{order.order_number}/mails").text
    sent = session.scalar(sa.select(SentMail))
    assert (sent.status, sent.username) == (MailState.sent, "operator")
    assert f'data-mail-id="{sent.id}"' in listing and 'data-mail-state="sent"' in listing
    shown = operator.get(f"/orders/{order.order_number}/mails/{sent.id}").text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in shown and "<script>alert" not in shown
    detail = operator.get(f"/orders/{order.order_number}").text
    assert 'data-action="sent-mails"' in detail and 'data-action="send-mail"' in detail


def test_no_address_is_said_on_the_send_page(client, auth, session, factory):
    saved = _template(session)
    order = factory.order(buyer_email=None)
    session.commit()
    page = _login(client, auth, "operator").get(
        f"/orders/{order.order_number}/mail?template_id={saved.id}")
    assert "data-no-address" in page.text and "The orderer has no e-mail address." in page.text


def test_bulk_send_from_the_list_with_a_dry_run_and_resend_failed(client, auth, session,
                                                                   factory):
    saved = _template(session)
    orders = [factory.order() for _ in range(3)] + [factory.order(buyer_email="")]
    session.commit()
    operator = _login(client, auth, "operator")
    start = operator.post("/mail/start", data={
        "csrf_token": submitted(operator.get("/orders/").text, "/orders/export")["csrf_token"],
        "scope": "selected", "search": "", "order_id": [str(o.id) for o in orders]})
    assert start.status_code == 303
    compose = operator.get(start.location + f"&template_id={saved.id}").text
    assert 'data-mail-count="4"' in compose and 'data-without-address="1"' in compose
    # With JS, choosing the template swaps in the compose block alone (with the tag list).
    fragment = operator.get(start.location + f"&template_id={saved.id}",
                            headers={"HX-Request": "true", "HX-Target": "mail-compose"})
    assert fragment.status_code == 200 and "<html" not in fragment.text
    assert "発送準備中です" in fragment.text and "data-mail-tags" in fragment.text
    assert f'data-no-address="{orders[3].order_number}"' in compose
    data = submitted(compose, "/mail/run")
    run = operator.post("/mail/run", data=data)
    assert run.status_code == 303 and "/notifications/" in run.location
    assert operator.post("/mail/run", data=data).location == run.location  # one job

    [note] = run_mail_jobs(session)
    assert (note.done, note.failed) == (4, 1)
    assert len(sink_files()) == 3
    page = operator.get(run.location).text
    assert "The orderer has no e-mail address." in page and 'data-action="resend-failed"' in page
    session.execute(sa.update(SentMail).where(SentMail.to_address == "")
                    .values(status=MailState.failed))
    orders[3].buyer_email = "late@example.jp"
    session.commit()
    action = f"/mail/jobs/{note.id}/resend-failed"
    again = operator.post(action, data=submitted(page, action))
    assert again.status_code == 303
    [second] = run_mail_jobs(session)
    assert (second.total, second.failed) == (1, 0)
    assert session.scalar(sa.select(sa.func.count()).select_from(JobTarget)
                          .where(JobTarget.job_id == second.id)) == 1
    assert len(sink_files()) == 4
    assert session.scalar(sa.select(sa.func.count()).select_from(Notification)) == 2


def test_system_mails_are_admins_only_and_saved(client, auth, session):
    saved = _template(session)
    admin = _login(client, auth, "admin")
    page = admin.get("/mail/system/").text
    data = submitted(page, "/mail/system/")
    data["ship_complete-template_id"] = str(saved.id)
    data["ship_complete-enabled"] = "y"
    assert admin.post("/mail/system/", data=data).status_code == 303
    settings = mail_templates.system_mails(session)
    assert settings[next(iter(settings))].enabled is True


def test_two_admins_editing_one_template_the_second_save_is_refused(
        app, client, auth, session, make_user):
    saved = _template(session)
    make_user("admin2", "admin")
    first = _login(client, auth, "admin")
    other = app.test_client()
    _login(other, AuthActions(other), "admin2")
    edit = f"/mail/templates/{saved.id}/edit"
    # Both open the edit screen, before either saves.
    mine, theirs = submitted(first.get(edit).text, edit), submitted(other.get(edit).text, edit)
    mine["subject"] = "ご注文の発送 {受注番号}"
    assert first.post(edit, data=mine).status_code == 303

    theirs["body"] = "別の本文\n"
    refused = other.post(edit, data=theirs)
    assert refused.status_code == 409
    assert "admin saved this template" in refused.text
    assert "Nothing of yours was saved" in refused.text
    assert 'data-changed-field="subject"' in refused.text  # what the first admin saved
    assert "ご注文の発送 {受注番号}" in refused.text
    session.expire_all()
    kept = session.get(MailTemplate, saved.id)
    assert kept.subject == "ご注文の発送 {受注番号}"
    assert (kept.body, kept.version) == ("{注文者名} 様\n発送準備中です\n", 2)

    # The refused page keeps the second admin's edit; saving it again is a knowing choice.
    again = submitted(refused.text, edit)
    assert again["body"].replace("\r\n", "\n") == "別の本文\n"
    assert again["subject"] == "発送 {受注番号}"  # their own form, as they left it
    assert other.post(edit, data=again).status_code == 303
    session.expire_all()
    assert session.get(MailTemplate, saved.id).body == "別の本文\n"
