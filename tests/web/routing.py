"""Walking the url_map: every rule with real values for its URL variables."""

from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from werkzeug.routing import Rule

from oms.models import (
    CustomField,
    CustomFieldCategory,
    FieldType,
    Inquiry,
    InquiryCategory,
    JobState,
    Notification,
    Order,
    OrderMemo,
    User,
)
from oms.models.base import utcnow
from oms.models.orders import SearchPreset

# Endpoints anyone may open; a new public endpoint must be added here on purpose.
PUBLIC = {"auth.login", "auth.language", "main.healthz"}
AREA = "subscriptions"  # a valid <name> for main.upcoming


@dataclass
class World:
    """Real rows whose ids fill the URL variables."""

    order: Order
    notification: Notification
    preset: SearchPreset
    memo: OrderMemo
    inquiry: Inquiry
    custom_field: CustomField
    category: CustomFieldCategory

    # Ids of the marketplace rows (issue 6): shop, SKU mapping, stock upload.
    more: dict[str, int] = field(default_factory=dict)

    def values(self, rule: Rule) -> dict:
        known = {
            "order_id": self.order.id,
            "order_number": self.order.order_number,
            "notification_id": self.notification.id,
            "preset_id": self.preset.id,
            "memo_id": self.memo.id,
            "inquiry_id": self.inquiry.id,
            "field_id": self.custom_field.id,
            "category_id": self.category.id,
            **self.more,
            "name": AREA,
            "tab": "all",
            "control": "export",  # a valid <control> for orders.act
            "payment_action": "capture",  # offered for the (authorized, card) order
            "exchange": "credit",  # a valid <exchange> for the deferred payment files
            "slug": "media",  # a list of 設定 (masters); item_id is one of its rows
        }
        missing = rule.arguments - known.keys()
        assert not missing, (
            f"{rule.endpoint} ({rule.rule}) has URL variables {sorted(missing)}: "
            "give them real values in tests/web/routing.py"
        )
        return {name: known[name] for name in rule.arguments}

    def url(self, rule: Rule) -> str:
        return rule.build(self.values(rule))[1]


def make_world(session, factory, owner: User, export_dir: Path) -> World:
    """An order; a finished export whose file exists and a search preset, both `owner`'s."""
    order = factory.order()
    export_dir.mkdir(parents=True, exist_ok=True)
    path = export_dir / "walk.csv"
    path.write_text("注文番号\r\n1\r\n", encoding="utf-8-sig")
    note = factory.notification(owner, state=JobState.succeeded, total=1, done=1,
                                result_path=str(path), result_name="walk.csv")
    preset = SearchPreset(user_id=owner.id, name="walk", query="tab=new")
    memo = OrderMemo(order_id=order.id, body="walk", author_id=owner.id)
    inquiry = Inquiry(order_id=order.id, customer_name="walk", category=InquiryCategory.other,
                      content="walk")
    category = CustomFieldCategory(name="walk")
    custom_field = CustomField(name="walk", field_type=FieldType.text, choices=[])
    session.add_all([preset, memo, inquiry, category, custom_field])
    session.commit()
    return World(order, note, preset, memo, inquiry, custom_field, category,
                 more=marketplace_rows(session, order, owner) | workflow_rows(session)
                 | mail_rows(session, order, owner))


def rules(app, method: str) -> list[Rule]:
    return [r for r in app.url_map.iter_rules()
            if r.endpoint != "static" and method in (r.methods or ())]


def snapshot(session) -> dict:
    """What a refused request must leave untouched."""
    session.rollback()
    return {
        "orders": session.execute(
            sa.select(Order.id, Order.version, Order.status, Order.deleted_at)
            .order_by(Order.id)).all(),
        "notifications": session.execute(
            sa.select(Notification.id, Notification.state, Notification.cancel_requested)
            .order_by(Notification.id)).all(),
        "users": session.execute(
            sa.select(User.id, User.session_epoch, User.active).order_by(User.id)).all(),
    }


def marketplace_rows(session, order: Order, owner: User) -> dict[str, int]:
    from oms.models import (
        DeferredFile,
        DeferredImport,
        Gateway,
        ShipmentImport,
        Sku,
        SkuMapping,
        StockUpload,
    )

    sku = Sku(code="WALK-1", name="walk", price=100)
    session.add(sku)
    session.flush()
    mapping = SkuMapping(shop_id=order.shop_id, product_code="walk", option="", sku_id=sku.id)
    upload = StockUpload(user_id=owner.id, filename="walk.csv", rows=[], errors=[])
    # Imported: its check page and its result page both show (a result needs an import).
    shipments = ShipmentImport(user_id=owner.id, file_name="walk.csv", format="generic",
                               encoding="utf8", rows=[], errors=[], applied_at=utcnow())
    deferred = DeferredImport(file=DeferredFile.credit, gateway=Gateway.np, user_id=owner.id,
                              file_name="walk.csv", rows=[], errors=[], applied_at=utcnow())
    session.add_all([mapping, upload, shipments, deferred])
    session.commit()
    return {"shop_id": order.shop_id, "mapping_id": mapping.id, "upload_id": upload.id,
            "import_id": shipments.id, "deferred_import_id": deferred.id}


def workflow_rows(session) -> dict[str, int]:
    """An active bank account (its id fills the URL) and an inactive one, so that the
    account list shows both its deactivate and its reactivate button; the default carriers
    and a service of the first."""
    from oms.models import AccountType, BankAccount

    accounts = [BankAccount(bank_name="walk", branch_name="walk", account_type=AccountType.ordinary,
                            account_number=number, holder_kana="ウォーク", active=active)
                for number, active in (("1234567", True), ("7654321", False))]
    session.add_all(accounts)
    session.commit()
    from oms.services import carriers

    yamato = carriers.listed(session)[0]
    session.commit()
    from oms.models import Media

    media = [Media(name="walk", position=1), Media(name="walk-retired", active=False)]
    session.add_all(media)
    session.commit()
    return {"account_id": accounts[0].id, "carrier_id": yamato.id, "kind": "services",
            "row_id": yamato.services[0].id, "action": "deactivate",
            "method_id": _inactive_method(session),
            "item_id": media[0].id}


def _inactive_method(session) -> int:
    """An inactive payment method, so that 支払い方法管理 shows its reactivate button (the
    active ones, its deactivate buttons); its id fills the URL."""
    from oms.models import PaymentKind, PaymentMethod

    method = PaymentMethod(code="walk", name="walk", kind=PaymentKind.cod, active=False)
    session.add(method)
    session.commit()
    return method.id


def mail_rows(session, order: Order, owner: User) -> dict:
    """A template, a failed mail of the order (its page shows 再送) and a file of the sink."""
    from oms.models import MailState, MailTemplate, SentMail

    template = MailTemplate(name="walk", subject="{受注番号}", body="{注文者名}")
    session.add(template)
    session.flush()
    sent = SentMail(order_id=order.id, template_id=template.id, from_header="a@example.jp",
                    to_address="b@example.jp", subject="walk", body="walk",
                    status=MailState.failed, message_id="<walk@example.jp>",
                    user_id=owner.id, username=owner.username)
    session.add(sent)
    session.commit()
    from flask import current_app

    from oms.integrations.mail import Outgoing, Transport

    Transport.from_url(current_app.config["MAIL_URL"]).send_all(
        [Outgoing("<walk@example.jp>", "a@example.jp", "b@example.jp", "walk", "walk")])
    return {"template_id": template.id, "mail_id": sent.id, "file_name": "walk_at_example.jp.eml"}
