"""The order detail screen through the test client, as a browser without JS uses it."""

import re
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from oms.models import (
    AuditEvent,
    ConversionNotice,
    CustomFieldValue,
    FieldType,
    Inquiry,
    InquiryResult,
    Media,
    Order,
    OrderMemo,
    OrderStatus,
    PaymentKind,
    PaymentStatus,
    RecipientChange,
    Shipment,
    StatusHistory,
)
from oms.models.base import utcnow
from tests.conftest import csrf_token
from tests.web.test_nojs_and_fragments import assert_works_without_js

SECTIONS = ["basic", "inflow", "orderer", "recipient", "products", "payment", "shipping",
            "timeline", "remarks", "notices", "memos", "inquiries"]


@pytest.fixture
def operator(auth):
    auth.login("operator")
    return auth.client


@pytest.fixture
def admin(auth):
    auth.login("admin")
    return auth.client


def detail(client, order) -> str:
    response = client.get(f"/orders/{order.order_number}")
    assert response.status_code == 200, response.text[:2000]
    return response.text


def section_ids(page: str) -> list[str]:
    return re.findall(r'<section class="detail-section[^"]*" id="([\w-]+)"', page)


def form_data(page: str, form_action: str) -> dict:
    """The named fields of one form of a page, as the browser would send them unchanged."""
    form = re.search(rf'<form[^>]*action="{re.escape(form_action)}"[^>]*>(.*?)</form>', page,
                     re.S).group(1)
    data: dict = {}
    controls = r"<input\b[^>]*>|<select\b[^>]*>.*?</select>|<textarea\b[^>]*>.*?</textarea>"
    for tag in re.findall(controls, form, re.S):
        name = re.search(r'name="([^"]+)"', tag)
        if not name:
            continue
        name = name.group(1)
        if tag.startswith("<input"):
            kind = re.search(r'type="(\w+)"', tag)
            kind = kind.group(1) if kind else "text"
            if kind in ("checkbox", "radio") and " checked" not in tag:
                continue
            value = re.search(r'value="([^"]*)"', tag)
            data.setdefault(name, []).append(_unescape(value.group(1)) if value else "")
        elif tag.startswith("<select"):
            chosen = [re.search(r'value="([^"]*)"', option).group(1)
                      for option in re.findall(r"<option[^>]*>", tag) if " selected" in option]
            data.setdefault(name, []).extend(_unescape(v) for v in chosen)
        else:
            data.setdefault(name, []).append(
                _unescape(re.search(r">(.*)</textarea>", tag, re.S).group(1)).lstrip("\r\n"))
    return data


def _unescape(text: str) -> str:
    return (text.replace("&#34;", '"').replace("&#39;", "'").replace("&lt;", "<")
            .replace("&gt;", ">").replace("&amp;", "&"))


def edit_form(client, order) -> dict:
    page = client.get(f"/orders/{order.order_number}/edit").text
    return form_data(page, f"/orders/{order.order_number}/edit")


# ------------------------------------------------------------------ detail page

def test_detail_shows_every_group_in_seed_order(operator, factory, session):
    order = factory.order(invite_code="INV-7", media="Instagram", fraud_check=None)
    session.commit()
    page = detail(operator, order)
    assert section_ids(page) == SECTIONS
    assert_works_without_js(page)
    for text in ("INV-7", "Instagram", order.buyer_email, "りんごジュース", "¥1,100"):
        assert text in page
    # Not a gift, not reserved, not a subscription: those rows stay hidden (seed 002).
    assert 'id="gift"' not in page
    assert "予約日" not in page and "Reserved at" not in page
    assert "定期受注番号" not in page and "Subscription number" not in page


def test_detail_shows_what_applies(operator, factory, session):
    reason = factory.attention_reason("住所不備")
    order = factory.order(gift_product="ギフトボックス", gift_noshi="御祝", needs_attention=True,
                          gift_target_product="今治タオル 2枚セット", gift_quantity=2,
                          attention_reason_id=reason.id, reserved_at=utcnow(),
                          expected_delivery_period="3月上旬", fraud_check="REVIEW",
                          fraud_check_reasons="住所不一致")
    session.add(ConversionNotice(order_id=order.id, sent_at=utcnow(), setting_id="A8-1",
                                 setting_name="A8", url="https://a8.example/notify",
                                 response_status="200", response_message="OK"))
    session.commit()
    page = detail(operator, order)
    assert section_ids(page) == [*SECTIONS[:5], "gift", *SECTIONS[5:]]
    for text in ("ギフトボックス", "今治タオル 2枚セット", "御祝",
                 "住所不備", "3月上旬", "REVIEW", "住所不一致", "A8-1",
                 "https://a8.example/notify"):
        assert text in page, text


def test_detail_opens_as_a_dialog_fragment(operator, factory, session):
    order = factory.order()
    session.commit()
    fragment = operator.get(f"/orders/{order.order_number}",
                            headers={"HX-Request": "true", "HX-Target": "dialog"}).text
    assert "<html" not in fragment and f'data-order-number="{order.order_number}"' in fragment
    # Inside the dialog, the detail's own pages and forms open in the dialog too.
    assert f'hx-get="/orders/{order.order_number}/history" hx-target="#dialog"' in fragment
    assert 'hx-post="/orders/' in fragment
    page = detail(operator, order)
    # On the page, only the popups of the seeds open over it: 決済履歴 (003), メール送信 and
    # 送信メール照会 (001); the rest are pages.
    popups = re.findall(r'hx-target="#dialog"[^>]*data-action="([a-z-]+)"', page)
    assert sorted(popups) == ["payment-history", "send-mail", "sent-mails"]


def test_deleted_or_unknown_orders_are_404(operator, factory, session):
    gone = factory.order(deleted_at=utcnow())
    session.commit()
    assert operator.get(f"/orders/{gone.order_number}").status_code == 404
    assert operator.get("/orders/0000000000/edit").status_code == 404


# ------------------------------------------------------------------ edit

def test_edit_saves_through_the_rules_and_redirects(operator, factory, session):
    shipped = factory.handling_status("発送完了", stamps="shipped")
    tag = factory.tag("要確認")
    order = factory.order(carrier="ヤマト運輸")
    session.commit()
    data = edit_form(operator, order)
    assert data["version"] == [str(order.version)]
    data.update({"remarks1": ["電話あり"], "handling_status_id": [str(shipped.id)],
                 "tag_ids": [str(tag.id)], "tracking_number": ["4444-5555-6666"],
                 "needs_attention": ["1"], "delivery_time_slot": ["午前中"]})
    response = operator.post(f"/orders/{order.order_number}/edit", data=data)
    assert response.status_code == 303, response.text[:3000]
    assert response.headers["Location"].endswith(f"/orders/{order.order_number}")
    session.expire_all()
    saved = session.get(Order, order.id)
    assert (saved.remarks1, saved.handling_status_id, saved.needs_attention,
            saved.delivery_time_slot) == ("電話あり", shipped.id, True, "午前中")
    assert saved.shipped_at is not None  # 発送完了 stamped the empty date
    assert [t.name for t in saved.tags] == ["要確認"]
    assert saved.shipments[0].tracking_number == "4444-5555-6666"
    page = detail(operator, saved)
    assert "4444-5555-6666" in page and "電話あり" in page
    fields = set(session.scalars(sa.select(AuditEvent.field).where(
        AuditEvent.entity_id == str(order.id), AuditEvent.action == "order.update")))
    assert {"remarks1", "handling_status_id", "tags", "tracking_number", "needs_attention",
            "shipped_at", "delivery_time_slot"} <= fields


def test_invalid_fields_answer_422_beside_the_field_and_save_nothing(operator, factory,
                                                                      session):
    order = factory.order()
    session.commit()
    data = edit_form(operator, order)
    data.update({"buyer_email": ["not-an-address"], "buyer_phone": ["電話"],
                 "buyer_name": [""], "remarks1": ["saved?"]})
    response = operator.post(f"/orders/{order.order_number}/edit", data=data)
    assert response.status_code == 422
    for field in ("buyer_email", "buyer_phone", "buyer_name"):
        assert re.search(rf'id="{field}-error"', response.text), field
    session.expire_all()
    assert session.get(Order, order.id).remarks1 is None


def test_a_refused_rule_shows_its_message(operator, factory, session):
    card = factory.payment_method(PaymentKind.card)
    cod = factory.payment_method(PaymentKind.cod, name="代金引換")
    order = factory.order(payment_method=card, payment_status=PaymentStatus.authorized)
    session.commit()
    data = edit_form(operator, order)
    data.update({"payment_method_id": [str(cod.id)], "remarks1": ["x"]})
    response = operator.post(f"/orders/{order.order_number}/edit", data=data)
    assert response.status_code == 422
    assert 'id="payment_method_id-error"' in response.text
    session.expire_all()
    saved = session.get(Order, order.id)
    assert (saved.payment_method_id, saved.remarks1) == (card.id, None)


def test_zero_yen_orders_show_the_carrier_locked(operator, factory, session):
    zero = factory.payment_method(PaymentKind.zero_yen)
    order = factory.order(payment_method=zero, carrier="ヤマト運輸",
                          payment_status=PaymentStatus.not_required)
    session.commit()
    page = operator.get(f"/orders/{order.order_number}/edit").text
    assert "data-carrier-locked" in page and 'id="carrier"' not in page
    data = edit_form(operator, order)
    data["carrier"] = ["佐川急便"]
    response = operator.post(f"/orders/{order.order_number}/edit", data=data)
    assert response.status_code == 422


def test_concurrent_edit_is_refused_with_the_other_change(client, auth, factory, session,
                                                           make_user, app):
    order = factory.order(remarks1="元の備考", media="web")
    session.add(Media(name="Instagram"))  # 媒体管理 lists it
    session.commit()
    other = app.test_client()
    make_user("operator2")
    from tests.conftest import AuthActions

    AuthActions(other).login("operator2")
    auth.login("operator")
    mine = edit_form(client, order)
    theirs = edit_form(other, order)

    theirs.update({"remarks1": ["別の担当者が変更"], "media": ["Instagram"]})
    assert other.post(f"/orders/{order.order_number}/edit", data=theirs).status_code == 303

    mine.update({"remarks1": ["私の変更"], "linkage_number": ["L-1"]})
    response = client.post(f"/orders/{order.order_number}/edit", data=mine)
    assert response.status_code == 409
    page = response.text
    assert "data-conflict" in page and "operator2" in page and "別の担当者が変更" in page
    session.expire_all()
    saved = session.get(Order, order.id)
    assert (saved.remarks1, saved.media, saved.linkage_number) == (
        "別の担当者が変更", "Instagram", None)  # nothing of mine was saved
    # My edits are kept; their change is taken where I had not touched the field; the
    # field we both changed is marked.
    again = form_data(page, f"/orders/{order.order_number}/edit")
    assert again["remarks1"] == ["私の変更"] and again["linkage_number"] == ["L-1"]
    assert again["media"] == ["Instagram"]
    assert 'data-clash="remarks1"' in page and 'data-clash="media"' not in page
    assert again["version"] == [str(saved.version)]
    # Saving the reviewed form now works and keeps both changes.
    assert client.post(f"/orders/{order.order_number}/edit", data=again).status_code == 303
    session.expire_all()
    saved = session.get(Order, order.id)
    assert (saved.remarks1, saved.media, saved.linkage_number) == ("私の変更", "Instagram", "L-1")


def test_several_shipments_keep_their_own_tracking_numbers(operator, factory, session):
    order = factory.order(carrier="佐川急便")
    session.add_all([Shipment(order_id=order.id, carrier="佐川急便", tracking_number=n)
                     for n in ("1111", "2222")])
    session.commit()
    page = operator.get(f"/orders/{order.order_number}/edit").text
    assert 'id="tracking_number"' not in page and "1111, 2222" in page
    data = edit_form(operator, order)
    data["remarks2"] = ["分割出荷"]
    assert operator.post(f"/orders/{order.order_number}/edit", data=data).status_code == 303
    session.expire_all()
    assert sorted(s.tracking_number for s in session.get(Order, order.id).shipments) == [
        "1111", "2222"]


def test_edit_page_warns_before_leaving(operator, factory, session):
    order = factory.order()
    session.commit()
    page = operator.get(f"/orders/{order.order_number}/edit").text
    assert re.search(r"<form[^>]*data-warn-unsaved", page)


# ------------------------------------------------------------------ orderer, recipient

def test_recipient_change_keeps_a_history(operator, factory, session):
    order = factory.order(ship_name="山田 太郎", ship_address1="千代田区1-1")
    session.commit()
    url = f"/orders/{order.order_number}/recipient"
    data = form_data(operator.get(url).text, url)
    data.update({"ship_name": ["山田 花子"], "ship_address1": ["港区2-2"]})
    assert operator.post(url, data=data).status_code == 303
    change = session.scalar(sa.select(RecipientChange).where(
        RecipientChange.order_id == order.id))
    assert change.before == {"ship_name": "山田 太郎", "ship_address1": "千代田区1-1"}
    assert change.username == "operator"
    page = detail(operator, order)
    assert "data-recipient-changes=\"1\"" in page and "港区2-2" in page


def test_orderer_change_can_copy_to_the_recipient(operator, factory, session):
    order = factory.order(buyer_name="旧 名前", ship_name="旧 名前")
    session.commit()
    url = f"/orders/{order.order_number}/orderer"
    page = operator.get(url).text
    assert 'value="recipient"' in page and 'value="customer_billing"' not in page  # a guest
    data = form_data(page, url)
    data.update({"buyer_name": ["新 名前"], "propagate": ["recipient"]})
    assert operator.post(url, data=data).status_code == 303
    session.expire_all()
    saved = session.get(Order, order.id)
    assert (saved.buyer_name, saved.ship_name) == ("新 名前", "新 名前")


# ------------------------------------------------------------------ delete

def test_only_admins_delete_after_naming_the_order(client, auth, factory, session):
    order = factory.order(status=OrderStatus.new)
    session.commit()
    url = f"/orders/{order.order_number}/delete"
    auth.login("operator")
    assert "data-action=\"delete\"" not in detail(client, order)
    assert client.get(url).status_code == 403
    assert client.post(url, data={"csrf_token": csrf_token(client), "version": order.version,
                                  "confirm_number": order.order_number}).status_code == 403
    auth.logout()
    auth.login("admin")
    assert 'data-action="delete"' in detail(client, order)
    page = client.get(url).text
    assert order.order_number in page and order.buyer_name in page
    data = form_data(page, url)
    data["confirm_number"] = ["1234"]
    assert client.post(url, data=data).status_code == 422
    session.expire_all()
    assert session.get(Order, order.id).deleted_at is None
    data["confirm_number"] = [order.order_number]
    response = client.post(url, data=data)
    assert response.status_code == 303 and response.headers["Location"].endswith("/orders/")
    assert client.get(f"/orders/{order.order_number}").status_code == 404
    assert f'data-order-number="{order.order_number}"' not in client.get("/orders/").text
    event = session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "order.delete"))
    assert (event.username, event.entity_id) == ("admin", str(order.id))


# ------------------------------------------------------------------ status history

def test_status_history_lists_order_and_line_changes(operator, factory, session, users):
    order = factory.order()
    line = order.lines[0]
    session.add_all([
        StatusHistory(order_id=order.id, from_status="pending_review", to_status="new",
                      via="auto", created_at=datetime(2026, 1, 1, 1, tzinfo=UTC)),
        StatusHistory(order_id=order.id, from_status="new", to_status="awaiting_allocation",
                      user_id=users["operator"].id, via="screen",
                      created_at=datetime(2026, 1, 1, 2, tzinfo=UTC)),
        StatusHistory(order_id=order.id, line_id=line.id, from_status="preparing",
                      to_status="in_transit", via="job:42",
                      created_at=datetime(2026, 1, 1, 3, tzinfo=UTC)),
    ])
    session.commit()
    response = operator.get(f"/orders/{order.order_number}/history")
    page = response.text
    assert 'data-history-rows="3"' in page
    assert page.index('data-history-to="in_transit"') < page.index(
        'data-history-to="awaiting_allocation"')  # newest first
    for text in ("operator", "#42", "りんごジュース"):
        assert text in page
    fragment = operator.get(f"/orders/{order.order_number}/history",
                            headers={"HX-Request": "true", "HX-Target": "dialog"}).text
    assert "<html" not in fragment and 'data-history-rows="3"' in fragment


# ------------------------------------------------------------------ memos

def test_memos_add_edit_delete_with_permissions(client, auth, factory, session, make_user):
    order = factory.order()
    session.commit()
    make_user("operator2")
    auth.login("operator")
    url = f"/orders/{order.order_number}/memos"
    token = csrf_token(client)
    assert client.post(url, data={"csrf_token": token, "body": ""}).status_code == 422
    response = client.post(url, data={"csrf_token": token, "body": "重要な連絡",
                                      "important": "y", "pinned": "y", "also_inquiry": "y"})
    assert response.status_code == 303 and response.headers["Location"].endswith("#memos")
    memo = session.scalar(sa.select(OrderMemo))
    assert (memo.author_name, memo.important, memo.pinned) == ("operator", True, True)
    assert memo.author_ip == "127.0.0.1"
    assert session.scalar(sa.select(Inquiry)).reply == "重要な連絡"
    page = detail(client, order)
    assert "badge-pinned" in page and "badge-important" in page

    edit = f"/orders/{order.order_number}/memos/{memo.id}/edit"
    assert client.post(edit, data={"csrf_token": token, "body": "修正"}).status_code == 303
    auth.logout()
    auth.login("operator2")
    token = csrf_token(client)
    assert client.get(edit).status_code == 403
    assert client.post(f"/orders/{order.order_number}/memos/{memo.id}/delete",
                       data={"csrf_token": token}).status_code == 403
    assert f"/memos/{memo.id}/edit" not in detail(client, order)
    auth.logout()
    auth.login("admin")
    token = csrf_token(client)
    assert client.post(f"/orders/{order.order_number}/memos/{memo.id}/delete",
                       data={"csrf_token": token}).status_code == 303
    assert session.scalar(sa.select(sa.func.count()).select_from(OrderMemo)) == 0


def test_system_memos_are_locked(admin, factory, session):
    order = factory.order()
    memo = OrderMemo(order_id=order.id, body="自動作成", system=True)
    session.add(memo)
    session.commit()
    page = detail(admin, order)
    assert "自動作成" in page and f"/memos/{memo.id}/edit" not in page
    assert admin.get(f"/orders/{order.order_number}/memos/{memo.id}/edit").status_code == 403


# ------------------------------------------------------------------ inquiries

def test_inquiries_are_read_only_once_completed(operator, factory, session):
    order = factory.order()
    session.commit()
    new = f"/orders/{order.order_number}/inquiries/new"
    data = form_data(operator.get(new).text, new)
    data.update({"category": ["delivery"], "content": ["届きません"], "result": ["open"]})
    assert operator.post(new, data=data).status_code == 303
    inquiry = session.scalar(sa.select(Inquiry))
    edit = f"/orders/{order.order_number}/inquiries/{inquiry.id}/edit"
    data = form_data(operator.get(edit).text, edit)
    data.update({"reply": ["再送しました"], "result": ["completed"]})
    assert operator.post(edit, data=data).status_code == 303
    session.refresh(inquiry)
    assert inquiry.result is InquiryResult.completed and inquiry.reply == "再送しました"
    page = operator.get(edit).text
    assert "data-inquiry-locked" in page and "<textarea" not in page
    data.update({"reply": ["書き換え"], "result": ["open"]})
    refused = operator.post(edit, data=data)
    assert refused.status_code == 409 and "data-locked-refusal" in refused.text
    session.refresh(inquiry)
    assert inquiry.reply == "再送しました"


# ------------------------------------------------------------------ custom fields

def test_custom_field_settings_are_for_admins(client, auth, factory, session):
    auth.login("operator")
    assert client.get("/settings/custom-fields/").status_code == 403
    auth.logout()
    auth.login("admin")
    assert "/settings/custom-fields/" in client.get("/settings").text
    token = csrf_token(client)
    client.post("/language", data={"lang": "en", "csrf_token": token})  # messages read below
    response = client.post("/settings/custom-fields/categories/new",
                           data={"csrf_token": token, "name": "ペット", "multiple": "y"})
    assert response.status_code == 303
    bad = client.post("/settings/custom-fields/new", data={
        "csrf_token": token, "name": "種類", "field_type": "select", "choices": ""})
    assert bad.status_code == 422 and "one per line" in bad.text
    ok = client.post("/settings/custom-fields/new", data={
        "csrf_token": token, "name": "種類", "field_type": "select", "choices": "犬\n猫",
        "required": "y", "category_id": "1"})
    assert ok.status_code == 303
    index = client.get("/settings/custom-fields/").text
    assert 'data-field="種類"' in index and "犬 / 猫" in index


def test_order_custom_fields_with_sets_and_a_stale_value(operator, factory, session):
    pets = factory.custom_category("ペット", multiple=True)
    kind = factory.custom_field(FieldType.radio, name="種類", category_id=pets.id,
                                choices=["犬", "猫"], required=True)
    birthday = factory.custom_field(FieldType.date, name="誕生日")
    order = factory.order()
    factory.custom_value(order, birthday, "バレンタインデー")
    session.commit()
    page = detail(operator, order)
    assert "バレンタインデー" in page and "data-stored-problem" in page
    url = f"/orders/{order.order_number}/custom-fields"
    page = operator.get(url).text
    assert "※" in page and f'value="fix:{birthday.id}:0"' in page

    data = form_data(page, url)
    data[f"cf-{kind.id}-0"] = ["犬"]
    plus = operator.post(url, data={**data, "action": f"add:{pets.id}"})
    assert plus.status_code == 200 and 'data-answer-set="2"' in plus.text
    data = form_data(plus.text, url)
    data[f"cf-{kind.id}-1"] = ["猫"]
    saved = operator.post(url, data={**data, "action": "save"})
    assert saved.status_code == 303
    values = {(v.field_id, v.answer_no): v.value for v in session.scalars(
        sa.select(CustomFieldValue))}
    assert values == {(kind.id, 0): "犬", (kind.id, 1): "猫",
                      (birthday.id, 0): "バレンタインデー"}

    page = operator.get(url).text
    data = form_data(page, url)
    fixed = operator.post(url, data={**data, "action": f"fix:{birthday.id}:0"})
    assert 'type="date"' in fixed.text and "data-stored-problem" not in fixed.text
    data = form_data(fixed.text, url)
    data[f"cf-{birthday.id}-0"] = ["13月1日"]
    invalid = operator.post(url, data={**data, "action": "save"})
    assert invalid.status_code == 422 and "YYYY-MM-DD" in invalid.text


def test_two_concurrent_custom_field_saves_end_in_one_save_and_one_conflict(
        client, auth, factory, session, make_user, app):
    """Two operators post the same order's custom fields at the same moment: one is saved,
    the other gets the conflict page (409); never a 500 on the answers' unique key."""
    import threading

    from tests.conftest import AuthActions

    note = factory.custom_field(FieldType.text, name="備考欄")
    orders = [factory.order() for _ in range(4)]
    session.commit()
    make_user("operator2")
    other = app.test_client()
    AuthActions(other).login("operator2")
    auth.login("operator")
    for order in orders:
        url = f"/orders/{order.order_number}/custom-fields"
        forms = [form_data(c.get(url).text, url) for c in (client, other)]
        barrier, answers = threading.Barrier(2), {}

        def post(who, c, data, url=url, barrier=barrier, answers=answers):
            barrier.wait()
            answers[who] = c.post(url, data={**data, "action": "save"})

        threads = [threading.Thread(target=post, args=(who, c, {
            **data, f"cf-{note.id}-0": [f"{who}の回答"]}))
            for who, c, data in (("me", client, forms[0]), ("other", other, forms[1]))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        statuses = sorted(answer.status_code for answer in answers.values())
        assert statuses == [303, 409], statuses
        winner = next(w for w, a in answers.items() if a.status_code == 303)
        loser = answers["other" if winner == "me" else "me"]
        assert "data-conflict" in loser.text
        session.expire_all()
        assert [v.value for v in session.scalars(sa.select(CustomFieldValue).where(
            CustomFieldValue.order_id == order.id))] == [f"{winner}の回答"]


# ------------------------------------------------------------------ blacklist

def test_blacklist_from_the_orderer_block_flags_later_orders_in_the_list(
        operator, factory, session):
    source = factory.order(buyer_phone="090-3333-4444", buyer_email=None)
    session.commit()
    token = csrf_token(operator)
    response = operator.post(f"/orders/{source.order_number}/blacklist",
                             data={"csrf_token": token, "reason": "受取拒否"})
    assert response.status_code == 303
    assert 'data-blacklist="on"' in detail(operator, source)

    from oms.services import blacklist

    later = factory.order(buyer_phone="09033334444", buyer_email=None,
                          ordered_at=datetime(2099, 1, 1, tzinfo=UTC))
    blacklist.flag_orders(session, [later.id])
    session.commit()
    listing = operator.get("/orders/?blacklist=1").text
    assert f'data-order-number="{later.order_number}"' in listing
    assert f'data-order-number="{source.order_number}"' not in listing
    row = re.search(rf'<tr[^>]*data-order-number="{later.order_number}"[^>]*>.*?</tr>', listing,
                    re.S)
    assert "flag-blacklist" in row.group(0)

    response = operator.post(f"/orders/{later.order_number}/blacklist/release",
                             data={"csrf_token": token})
    assert response.status_code == 303
    session.expire_all()
    assert session.get(Order, later.id).blacklist_entry_id is None
    assert f'data-order-number="{later.order_number}"' not in operator.get(
        "/orders/?blacklist=1").text


def _list_flag(listing: str, order) -> str | None:
    row = re.search(rf'<tr[^>]*data-order-number="{order.order_number}"[^>]*>.*?</tr>',
                    listing, re.S)
    flag = re.search(r'data-blacklisted="(\w+)"', row.group(0))
    return flag and flag.group(1)


def _detail_flag(page: str) -> str | None:
    head = re.search(r'<header class="detail-head">.*?</header>', page, re.S).group(0)
    flag = re.search(r'data-blacklisted="(\w+)"', head)
    return flag and flag.group(1)


def test_list_search_and_detail_agree_on_blacklist_hits(operator, factory, session, users):
    """One rule (blacklist.order_flag) for every screen: a non-member's order placed before
    the designation is no hit anywhere, though the detail page names the orderer as
    blacklisted; a member's order follows the customer's status (hit or candidate)."""
    from oms.models import BlacklistStatus
    from oms.services import blacklist
    from oms.services.actor import Actor

    before = factory.order(buyer_phone="090-5555-6666", buyer_email=None,
                           ordered_at=datetime(2020, 1, 1, tzinfo=UTC))
    session.commit()
    blacklist.designate(session, before, Actor(users["operator"].id, "operator"))
    after = factory.order(buyer_phone="090-5555-6666", buyer_email=None,
                          ordered_at=datetime(2099, 1, 1, tzinfo=UTC))
    blacklist.flag_orders(session, [after.id])
    bad = factory.customer(blacklist_status=BlacklistStatus.blacklisted)
    doubtful = factory.customer(blacklist_status=BlacklistStatus.candidate)
    member_hit = factory.order(customer_id=bad.id)
    member_candidate = factory.order(customer_id=doubtful.id)
    clean = factory.order(customer_id=factory.customer().id)
    session.commit()
    expected = {before: None, after: "hit", member_hit: "hit", member_candidate: "candidate",
                clean: None}
    listing = operator.get("/orders/").text
    searched = operator.get("/orders/?blacklist=1").text
    for order, flag in expected.items():
        page = detail(operator, order)
        assert _list_flag(listing, order) == _detail_flag(page) == flag, order.order_number
        assert (f'data-order-number="{order.order_number}"' in searched) == (flag is not None)
    page = detail(operator, before)
    assert 'data-blacklist="on"' in page and "data-blacklist-before" in page


def test_members_cannot_be_blacklisted_here(operator, factory, session):
    order = factory.order(customer_id=factory.customer().id)
    session.commit()
    assert "data-blacklist=" not in detail(operator, order)
    response = operator.post(f"/orders/{order.order_number}/blacklist",
                             data={"csrf_token": csrf_token(operator)}, follow_redirects=True)
    assert "non-member" in response.text or "非会員" in response.text
