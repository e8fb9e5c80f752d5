"""The order detail screen in a real browser, JS on (dialog, htmx) and off (plain pages)."""

import re
from datetime import UTC, datetime

from playwright.sync_api import expect

from oms.models import (
    AccountType,
    BankAccount,
    ConversionNotice,
    FieldType,
    LineStatus,
    Media,
    Order,
    OrderLine,
    OrderStatus,
    PaymentKind,
    PaymentStatus,
    StatusHistory,
)
from oms.services import memos, order_edit
from oms.services.actor import Actor


def _rich_order(factory, session, users):
    """An order with five lines and most groups filled, as operators see them."""
    shipped = factory.handling_status("発送完了", stamps="shipped")
    factory.handling_status("対応中")
    gift_tag = factory.tag("ギフト", color="pink")
    category = factory.custom_category("ペット", multiple=True)
    factory.custom_field(FieldType.radio, name="種類", category_id=category.id,
                         choices=["犬", "猫"], required=True)
    birthday = factory.custom_field(FieldType.date, name="誕生日")
    products = [("有機りんごジュース 1L", 1280, 2), ("国産はちみつ 500g", 2480, 1),
                ("ミックスナッツ 徳用", 1980, 1), ("ドリップコーヒー 20袋", 1650, 3),
                ("ギフト包装", 330, 1)]
    lines = [OrderLine(line_no=i, mall_product_code=f"P-{100 + i}", product_name=name,
                       quantity=qty, unit_price=price, tax_rate=8 if i < 5 else 10,
                       status=LineStatus.preparing)
             for i, (name, price, qty) in enumerate(products, 1)]
    subtotal = sum(line.amount for line in lines)
    order = factory.order(
        lines=lines, status=OrderStatus.ready_to_ship, subtotal=subtotal, shipping_fee=660,
        tax_8=round((subtotal - 330) * 0.08), tax_10=99, total=subtotal + 660 + 1_034 + 99,
        gift_product="ギフトボックス", gift_noshi="御祝", media="Instagram",
        order_route="SHOP", device="smartphone", client_ip="203.0.113.5",
        buyer_postcode="150-0001", buyer_prefecture="東京都", buyer_address1="渋谷区神宮前1-2-3",
        ship_name="山田 花子", ship_postcode="530-0001", ship_prefecture="大阪府",
        ship_address1="大阪市北区梅田2-4-9", ship_phone="06-1234-5678", carrier="ヤマト運輸",
        delivery_time_slot="14-16時", customer_comment="不在の場合は宅配ボックスへ。",
        remarks1="お客様より電話あり：配達日を変更希望。", handling_status_id=shipped.id)
    order.tags = [gift_tag]
    factory.custom_value(order, birthday, "バレンタインデー")
    operator = users["operator"]
    actor = Actor(operator.id, operator.username, "192.0.2.10")
    memos.add(session, order, actor, "配達日を 3/14 に変更済み。", pinned=True, important=True)
    memos.add(session, order, actor, "同梱物の確認をお願いします。")
    session.add_all([
        ConversionNotice(order_id=order.id, sent_at=datetime(2026, 1, 1, 3, tzinfo=UTC),
                         setting_id="A8-01", setting_name="A8.net",
                         url="https://px.a8.example/a8fly/earnings", response_status="200",
                         response_message="OK"),
        StatusHistory(order_id=order.id, from_status="new", to_status="ready_to_ship",
                      user_id=operator.id, via="screen"),
    ])
    session.commit()
    return order


def test_open_order_from_the_list(ui, users, factory, session):
    order = _rich_order(factory, session, users)
    page = ui.page
    ui.login("operator")
    page.goto("/orders/")
    page.locator(f'[data-order-number="{order.order_number}"] a[data-dialog]').click()
    if ui.js:
        dialog = page.locator("dialog#dialog[open]")
        expect(dialog.locator(f'article[data-order-number="{order.order_number}"]')).to_be_visible()
        expect(page).to_have_url(re.compile(r"/orders/$"))  # still on the list
        dialog.locator('[data-action="history"]').click()
        expect(dialog.locator("[data-history-rows]")).to_be_visible()
        ui.screenshot("order-history-dialog")
        dialog.locator('[data-action="back"]').click()
        expect(dialog.locator("#memos")).to_be_visible()
        dialog.locator("#memo-body").fill("ダイアログから追加")
        dialog.locator('[data-action="add-memo"]').click()
        expect(dialog.locator(".memo-list")).to_contain_text("ダイアログから追加")
        expect(dialog.locator(".flash-success")).to_be_visible()  # said where it is seen
        ui.screenshot("order-detail-dialog")
        dialog.locator("[data-dialog-close]").first.click()
        expect(page.locator("dialog#dialog")).not_to_be_visible()
    else:
        expect(page).to_have_url(re.compile(rf"/orders/{order.order_number}$"))
        expect(page.locator("#memos")).to_be_visible()
        page.locator("#memo-body").fill("ページから追加")
        page.locator('[data-action="add-memo"]').click()
        expect(page.locator(".memo-list")).to_contain_text("ページから追加")
    page.goto(f"/orders/{order.order_number}")
    for group in ("basic", "inflow", "orderer", "recipient", "products", "gift", "payment",
                  "shipping", "custom-fields", "timeline", "remarks", "notices", "memos",
                  "inquiries"):
        expect(page.locator(f"section#{group}")).to_be_visible()
    ui.screenshot("order-detail")
    ui.assert_clean()


def test_edit_and_save(ui, users, factory, session):
    order = factory.order(remarks1=None)
    session.commit()
    page = ui.page
    ui.login("operator")
    page.goto(f"/orders/{order.order_number}")
    page.locator('[data-action="edit"]').click()
    expect(page).to_have_url(re.compile(r"/edit$"))
    page.locator("#remarks1").fill("ブラウザから保存")
    page.locator("#buyer_phone").fill("080-1111-2222")
    if ui.js:
        # Leaving with unsaved edits asks first (seed 001: edits would be lost).
        asked = []
        page.once("dialog", lambda d: (asked.append(d.type), d.dismiss()))
        page.locator("a.button", has_text=re.compile("キャンセル|Cancel")).click()
        expect(page).to_have_url(re.compile(r"/edit$"))
        assert asked == ["beforeunload"]
    page.locator('[data-action="save"]').click()
    expect(page).to_have_url(re.compile(rf"/orders/{order.order_number}$"))
    expect(page.locator("#remarks")).to_contain_text("ブラウザから保存")
    session.expire_all()
    saved = session.get(Order, order.id)
    assert (saved.remarks1, saved.buyer_phone) == ("ブラウザから保存", "080-1111-2222")
    ui.screenshot("order-edit-saved")
    ui.assert_clean()


def test_saving_an_untouched_form_changes_nothing(ui, users, factory, session):
    """Seconds, an installment count the list lacks, CRLF remarks, a phone number today's
    rules refuse: a real browser sends them back and nothing is written (issue 9)."""
    from tests.web.test_untouched_edit import NOTHING_CHANGED, odd_order, snapshot

    order = odd_order(factory, session)
    page = ui.page
    ui.login("operator")
    before = snapshot(session, order.id)
    page.goto(f"/orders/{order.order_number}/edit")
    page.locator('[data-action="save"]').click()
    expect(page).to_have_url(re.compile(rf"/orders/{order.order_number}$"))
    expect(page.locator("#flash")).to_contain_text(NOTHING_CHANGED)
    assert snapshot(session, order.id) == before
    ui.assert_clean()


def test_the_second_save_meets_the_conflict(ui, users, factory, session, make_user):
    order = factory.order(remarks1="元の備考", media="web")
    session.add(Media(name="Instagram"))  # 媒体管理 lists what the other operator picks
    session.commit()
    page = ui.page
    ui.login("operator")
    page.goto(f"/orders/{order.order_number}/edit")
    page.locator("#remarks1").fill("私の変更")

    # Meanwhile another operator saves the same order.
    other = make_user("operator2")
    order_edit.update_order(
        session, session.get(Order, order.id),
        order_edit.OrderEdit(values={"media": "Instagram", "remarks1": "別の担当者"}),
        Actor(other.id, other.username, "192.0.2.99"), version=order.version,
        today=datetime.now(UTC).date())
    session.commit()

    page.locator('[data-action="save"]').click()
    notice = page.locator("[data-conflict]")
    expect(notice).to_be_visible()
    expect(notice).to_contain_text("operator2")
    expect(notice).to_contain_text("別の担当者")
    expect(page.locator("#remarks1")).to_have_value("私の変更")   # mine is kept
    expect(page.locator("#media")).to_have_value("Instagram")     # theirs where I did not edit
    expect(page.locator('[data-clash="remarks1"]')).to_be_visible()
    ui.screenshot("order-edit-conflict")
    session.expire_all()
    assert session.get(Order, order.id).remarks1 == "別の担当者"  # nothing of mine saved

    page.locator('[data-action="save"]').click()
    expect(page).to_have_url(re.compile(rf"/orders/{order.order_number}$"))
    session.expire_all()
    saved = session.get(Order, order.id)
    assert (saved.remarks1, saved.media) == ("私の変更", "Instagram")
    # The refused save answered 409 on purpose; anything else would be an error.
    ui.errors = [e for e in ui.errors if not e.startswith("409 POST")]
    ui.assert_clean()


def test_change_recipient_keeps_a_history(ui, users, factory, session):
    order = factory.order(ship_name="山田 太郎", ship_address1="千代田区1-1")
    session.commit()
    page = ui.page
    ui.login("operator")
    page.goto("/orders/")
    page.locator(f'[data-order-number="{order.order_number}"] a[data-dialog]').click()
    root = page.locator("dialog#dialog[open]") if ui.js else page
    root.locator('[data-action="change-recipient"]').click()
    root.locator("#ship_address1").fill("港区2-2")
    if ui.js:
        # Closing the dialog with unsaved edits asks first; dismissing keeps them.
        asked = []
        page.once("dialog", lambda d: (asked.append(d.message), d.dismiss()))
        root.locator("button[data-dialog-close]").click()
        assert asked, "closing with unsaved edits did not ask"
        expect(root.locator("#ship_address1")).to_have_value("港区2-2")
    root.locator('[data-action="save"]').click()
    recipient = root.locator("section#recipient")
    expect(recipient).to_contain_text("港区2-2")
    expect(recipient.locator("[data-recipient-changes]")).to_have_attribute(
        "data-recipient-changes", "1")
    if ui.js:
        expect(page).to_have_url(re.compile(r"/orders/$"))  # all of it inside the dialog
    session.expire_all()
    assert session.get(Order, order.id).ship_address1 == "港区2-2"
    ui.assert_clean()


def test_custom_fields_with_answer_sets_and_a_stale_value(ui, users, factory, session):
    pets = factory.custom_category("ペット", multiple=True)
    kind = factory.custom_field(FieldType.radio, name="種類", category_id=pets.id,
                                choices=["犬", "猫"], required=True)
    name = factory.custom_field(FieldType.text, name="名前", category_id=pets.id, max_length=20)
    birthday = factory.custom_field(FieldType.date, name="誕生日")
    order = factory.order()
    factory.custom_value(order, birthday, "バレンタインデー")
    session.commit()
    page = ui.page
    ui.login("operator")
    page.goto(f"/orders/{order.order_number}")
    if ui.js:
        page.goto("/orders/")
        page.locator(f'[data-order-number="{order.order_number}"] a[data-dialog]').click()
    root = page.locator("dialog#dialog[open]") if ui.js else page
    expect(root.locator("section#custom-fields [data-stored-problem]")).to_be_visible()
    root.locator('[data-action="custom-fields"]').click()
    root.locator(f'input[name="cf-{kind.id}-0"][value="犬"]').check()
    root.locator(f"#cf-{name.id}-0").fill("ポチ")
    root.locator('[data-action="add-answer"]').click()
    expect(root.locator('[data-answer-set="2"]')).to_be_visible()
    expect(root.locator(f"#cf-{name.id}-0")).to_have_value("ポチ")  # kept across the +
    root.locator(f'input[name="cf-{kind.id}-1"][value="猫"]').check()
    root.locator(f"#cf-{name.id}-1").fill("タマ")
    root.locator('[data-action="fix-value"]').click()
    root.locator(f"#cf-{birthday.id}-0").fill("2020-02-14")
    ui.screenshot("order-custom-fields")
    root.locator('[data-action="save"]').first.click()
    section = root.locator("section#custom-fields")
    expect(section).to_contain_text("タマ")
    expect(section).to_contain_text("2020-02-14")
    expect(section.locator("[data-stored-problem]")).to_have_count(0)
    ui.assert_clean()


def test_confirm_payment_and_change_the_paying_bank(ui, users, factory, session):
    """Seed 003: 入金確認 shows while a line is 入金前 and moves the order on; 決済銀行変更
    opens in place (a <details> popup) and shows the chosen account."""
    account = BankAccount(bank_name="三井住友銀行", branch_name="渋谷支店",
                          account_type=AccountType.ordinary, account_number="1234567",
                          holder_kana="カ）オーエムエス", position=1)
    session.add(account)
    method = factory.payment_method(PaymentKind.prepaid_bank, name="銀行振込")
    order = factory.order(
        payment_method=method, status=OrderStatus.awaiting_payment,
        payment_status=PaymentStatus.unpaid,
        lines=[OrderLine(line_no=n, mall_product_code=f"P-{n}", product_name=f"商品{n}",
                         quantity=1, unit_price=1000, status=LineStatus.awaiting_payment)
               for n in (1, 2)])
    session.commit()
    page = ui.page
    ui.login("operator")
    page.goto(f"/orders/{order.order_number}")
    products = page.locator("section#products tbody")
    expect(products).to_contain_text("入金前")
    page.locator('[data-action="confirm-payment"]').click()
    expect(page.locator('[data-badge="prepaid_paid"]')).to_have_text("前払入金済")
    expect(page.locator(".flash-success", has_text="入金確認しました")).to_be_visible()
    expect(page.locator('[data-action="confirm-payment"]')).to_have_count(0)
    expect(page.locator("[data-order-status]")).to_have_attribute("data-order-status", "new")
    expect(products).not_to_contain_text("入金前")
    expect(products).to_contain_text("商品準備中")
    if ui.js:
        ui.assert_htmx()
        expect(page).to_have_url(re.compile(rf"/orders/{order.order_number}$"))  # swapped
    else:
        expect(page).to_have_url(re.compile(rf"/orders/{order.order_number}#payment$"))

    page.locator('[data-action="change-transfer"]').click()
    page.locator("#payer_name").fill("ヤマダ ハナコ")
    page.locator("#bank_account_id").select_option(str(account.id))
    ui.screenshot("order-transfer-popup")
    page.locator('[data-action="save-transfer"]').click()
    payment = page.locator("section#payment")
    expect(payment).to_contain_text("ヤマダ ハナコ")
    expect(payment).to_contain_text("三井住友銀行 渋谷支店 普通 1234567")
    ui.screenshot("order-payment-confirmed")
    session.expire_all()
    saved = session.get(Order, order.id)
    assert (saved.status, saved.payer_name) == (OrderStatus.new, "ヤマダ ハナコ")
    assert [line.status for line in saved.lines] == [LineStatus.preparing] * 2
    ui.assert_clean()
