"""The detail and edit screens read little (issue 14): the child rows an order has none of
are not queried, and the lists they offer (custom field definitions, carriers, payment
methods) are kept per process. Whatever is skipped or kept, an order with each kind of row
shows it, and a change made by another process is on the next page."""

import os
import re
import subprocess
import sys

import pytest

from oms.models import (
    ConversionNotice,
    Inquiry,
    InquiryCategory,
    InquiryResult,
    OrderMemo,
    RecipientChange,
    ReportChannel,
    ReportState,
    TrackingReport,
    TransactionState,
)
from oms.models.base import utcnow
from oms.services import carriers
from tests.conftest import ROOT, csrf_token, statements, switch_to_english

CHILD_TABLES = ("order_tags", "custom_field_values", "tracking_reports",
                "payment_transactions", "order_memos", "inquiries", "recipient_changes",
                "conversion_notices")


@pytest.fixture
def operator(client, auth):
    switch_to_english(client)
    assert auth.login("operator").status_code == 303
    return client


def queried(seen: list[str], table: str) -> bool:
    """Whether a statement read `table` other than in an EXISTS of the order's query."""
    return any(re.search(rf"FROM {table}\b", s) and "EXISTS" not in s for s in seen)


def test_a_plain_order_reads_none_of_the_child_rows_it_has_none_of(operator, factory,
                                                                   session):
    order = factory.order()
    session.commit()
    url = f"/orders/{order.order_number}"
    operator.get(url)
    for headers in ({}, {"HX-Request": "true", "HX-Target": "dialog"}):
        with statements() as seen:
            assert operator.get(url, headers=headers).status_code == 200
        assert [t for t in CHILD_TABLES if queried(seen, t)] == []


def test_an_order_with_every_kind_of_child_row_shows_them_all(operator, factory, session):
    order = factory.order(carrier="ヤマト運輸")
    order.tags = [factory.tag("至急便")]
    shipment = factory.shipment(order, tracking_number="1111-2222-3333")
    field = factory.custom_field(name="ペットの名前")
    factory.custom_value(order, field, "ポチ")
    session.add_all([
        TrackingReport(shipment_id=shipment.id, order_id=order.id, shop_id=order.shop_id,
                       channel=ReportChannel.api, state=ReportState.failed,
                       error="番号の形式が違います"),
        OrderMemo(order_id=order.id, body="箱を二重に", author_name="operator"),
        Inquiry(order_id=order.id, customer_name=order.buyer_name, content="届く日は？",
                category=InquiryCategory.delivery, result=InquiryResult.in_progress),
        RecipientChange(order_id=order.id, username="operator",
                        before={"ship_name": "山田 花子"}, after={"ship_name": "山田 太郎"}),
        ConversionNotice(order_id=order.id, sent_at=utcnow(), setting_id="A8-9",
                         setting_name="A8", url="https://a8.example/n"),
    ])
    factory.payment_transaction(order, state=TransactionState.unknown)
    session.commit()
    page = operator.get(f"/orders/{order.order_number}").text
    for shown in ("至急便", "1111-2222-3333", 'data-report-state="failed"', "番号の形式が違います",
                  "ペットの名前", "ポチ", 'data-badge="payment_unknown"', "箱を二重に",
                  "届く日は？", 'data-recipient-changes="1"', "山田 花子", "A8-9"):
        assert shown in page, shown
    assert 'data-no-shipments' not in page


def test_a_tracking_link_on_a_database_without_carriers_writes_nothing(operator, factory,
                                                                         session):
    """The carriers' defaults give the link; installing them is left to a page that edits."""
    order = factory.order()
    factory.shipment(order, tracking_number="1111-2222-3333", carrier="ヤマト運輸")
    session.commit()
    with statements() as seen:
        page = operator.get(f"/orders/{order.order_number}").text
    assert "tneko?number01=111122223333" in page
    assert [s for s in seen if s.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))] == []


def test_the_page_of_a_refused_post_reads_what_exists(
        operator, factory, session):
    """A page rendered for an order loaded elsewhere (a refused memo) reads what exists."""
    order = factory.order()
    session.add(OrderMemo(order_id=order.id, body="先に書いたメモ", author_name="operator"))
    session.commit()
    page = operator.post(f"/orders/{order.order_number}/memos",
                         data={"csrf_token": csrf_token(operator), "body": ""})
    assert page.status_code == 422
    assert "先に書いたメモ" in page.text


# Another process changes what the screens offer, as an admin's request would.
OTHER_PROCESS = """
import sys
import sqlalchemy as sa
from oms import create_app
from oms.extensions import db
from oms.models import Carrier, CarrierService, CustomField, FieldType, PaymentMethod, PaymentKind
with create_app().app_context():
    session = db.session
    session.add(CustomField(name=sys.argv[1], field_type=FieldType.text, choices=[]))
    session.add(PaymentMethod(code="later", name=sys.argv[2], kind=PaymentKind.prepaid_bank))
    yamato = session.scalar(sa.select(Carrier).where(Carrier.name == "ヤマト運輸"))
    yamato.services.append(CarrierService(name=sys.argv[3], slip_code="5", position=9))
    session.scalar(sa.select(Carrier).where(Carrier.name == "佐川急便")).active = False
    session.commit()
"""


def test_lists_changed_in_another_process_are_on_the_next_page(operator, factory, session):
    carriers.ensure_defaults(session)
    order = factory.order()
    session.commit()
    detail, edit = f"/orders/{order.order_number}", f"/orders/{order.order_number}/edit"
    assert 'id="custom-fields"' not in operator.get(detail).text
    page = operator.get(edit).text
    assert "佐川急便" in page and "後払いで" not in page and "クール宅急便" not in page

    subprocess.run([sys.executable, "-c", OTHER_PROCESS, "ギフトの宛名", "後払いで",
                    "クール宅急便"], cwd=ROOT, env=os.environ.copy(), check=True, timeout=60)

    assert 'id="custom-fields"' in operator.get(detail).text
    assert "ギフトの宛名" in operator.get(f"/orders/{order.order_number}/custom-fields").text
    page = operator.get(edit).text
    assert "後払いで" in page and "クール宅急便" in page
    assert '<option value="佐川急便">' not in page
