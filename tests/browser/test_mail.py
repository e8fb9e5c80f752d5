"""メール送信 in a real browser, JS on and off, to a real SMTP server (the live server's
mail_sink): from an order's detail page (choose a template, see it filled for the order,
edit it for this send, send; 送信メール照会 lists it as 送信済み), and from the order list
for checked orders (template, count, 確定; the job's page shows the counts). The live
server's worker sends; the sink must hold each order's mail exactly once."""

import re
import time

from playwright.sync_api import expect

from oms.models import MailTemplate
from oms.services import mail_templates
from oms.services.actor import Actor
from tests.smtp import body_of

WAIT_SECONDS = 60
SUBJECT = "【{ショップ名}】ご注文 {受注番号}"
BODY = "{注文者名} 様\nご注文番号: {受注番号}\n合計: {合計}\n"


def _template(session) -> MailTemplate:
    saved = mail_templates.create(session, mail_templates.TemplateSpec(
        name="ご注文のお知らせ", subject=SUBJECT, body=BODY), Actor(None, "admin"))
    session.commit()
    return saved


def _arrived(sink, count: int, server) -> list:
    deadline = time.monotonic() + WAIT_SECONDS
    while len(sink.messages) < count:
        assert time.monotonic() < deadline, "the mail never arrived:\n" + server.report()
        time.sleep(0.2)
    time.sleep(0.5)  # a second copy, were there one, would arrive now
    return sink.messages


def _subject(message) -> str:
    from email.header import decode_header, make_header
    return str(make_header(decode_header(message["Subject"])))


def test_send_from_the_detail_page_and_see_it_sent(ui, users, factory, session, mail_sink):
    saved = _template(session)
    order = factory.order()
    session.commit()
    mail_sink.clear()
    page = ui.page
    ui.login("operator")
    detail = f"/orders/{order.order_number}"
    page.goto(detail)
    page.locator('a[data-action="send-mail"]').click()
    root = page.locator("dialog#dialog[open]") if ui.js else page
    expect(root.locator("[data-mail-to]")).to_have_text(order.buyer_email)
    root.locator("#mail-template").select_option(str(saved.id))
    root.locator('[data-action="choose-template"]').click()
    # The preview: the template filled for this order, still editable.
    subject, body = root.locator('input[name="subject"]'), root.locator('textarea[name="body"]')
    expect(subject).to_have_value(f"【{order.shop.name}】ご注文 {order.order_number}")
    expect(body).to_have_value(re.compile(rf"^{order.buyer_name} 様\nご注文番号: "
                                          rf"{order.order_number}\n合計: "))
    ui.screenshot("mail-send-preview")
    body.fill(body.input_value() + "本日発送いたしました。\n")
    root.locator('button[data-action="send-mail"]').click()
    expect(page.locator(".flash-success", has_text=order.buyer_email)).to_be_visible()

    [message] = _arrived(mail_sink, 1, ui.server)
    assert message["To"] == order.buyer_email
    assert _subject(message) == f"【{order.shop.name}】ご注文 {order.order_number}"
    text = body_of(message)
    assert text.startswith(f"{order.buyer_name} 様\nご注文番号: {order.order_number}\n合計: ")
    assert text.endswith("本日発送いたしました。\n") and "{" not in text
    session.expire_all()
    assert session.get(MailTemplate, saved.id).body == BODY  # the edit was for this send

    # 送信メール照会: the mail icon beside the e-mail lists it as 送信済み once recorded.
    state = page.locator("[data-mail-id] [data-mail-state]")
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        page.goto(detail)
        page.locator('[data-action="sent-mails"]').click()
        expect(state).to_have_count(1)
        if state.get_attribute("data-mail-state") == "sent":
            break
        assert time.monotonic() < deadline, "never recorded as sent: " + ui.server.report()
        time.sleep(0.5)
    expect(state).to_have_text("送信済み")
    expect(page.locator("[data-mail-id]")).to_contain_text(order.order_number)
    ui.screenshot("mail-sent-list")
    ui.assert_clean()


def test_bulk_send_from_the_list_with_the_counts(ui, users, factory, session, mail_sink):
    saved = _template(session)
    orders = [factory.order() for _ in range(3)]
    no_address = factory.order(buyer_email=None)
    untouched = factory.order()
    session.commit()
    mail_sink.clear()
    page = ui.page
    ui.login("operator")
    page.goto("/orders/?tab=all")
    for order in [*orders, no_address]:
        page.locator(f'[data-order-number="{order.order_number}"] '
                     'input[name="order_id"]').check()
    page.locator('[data-action="mail"]').click()
    compose = page.locator("#mail-compose")
    expect(compose).to_have_attribute("data-mail-count", "4")
    expect(compose).to_have_attribute("data-without-address", "1")
    if ui.js:
        ui.assert_htmx()  # the page's scripts have run: the choice alone fills the text
        page.locator("#bulk-template").select_option(str(saved.id))
    else:
        page.locator("#bulk-template").select_option(str(saved.id))
        page.locator('[data-action="choose-template"]').click()
    expect(page.locator('textarea[name="body"]')).to_have_value(BODY)
    expect(page.locator(f'[data-no-address="{no_address.order_number}"]')).to_be_visible()
    ui.screenshot("mail-bulk-confirm")
    page.locator('[data-action="send-bulk"]').click()
    expect(page).to_have_url(re.compile(r"/notifications/\d+$"))
    progress = page.locator("#job-progress [data-job-state]")
    expect(progress).to_have_attribute("data-job-state", "succeeded", timeout=WAIT_SECONDS * 1000)
    expect(progress).to_have_attribute("data-job-total", "4")
    expect(progress).to_have_attribute("data-job-done", "4")
    expect(progress).to_have_attribute("data-job-failed", "1")
    expect(page.locator("[data-summary]")).to_contain_text("3")
    expect(page.locator('[data-action="resend-failed"]')).to_be_visible()
    ui.screenshot("mail-bulk-result")

    messages = _arrived(mail_sink, 3, ui.server)
    assert sorted(m["To"] for m in messages) == sorted(o.buyer_email for o in orders)
    for order in orders:
        [mine] = [m for m in messages if m["To"] == order.buyer_email]
        assert _subject(mine) == f"【{order.shop.name}】ご注文 {order.order_number}"
        assert body_of(mine).startswith(f"{order.buyer_name} 様\nご注文番号: {order.order_number}")
    assert untouched.buyer_email not in {m["To"] for m in messages}
    ui.assert_clean()
