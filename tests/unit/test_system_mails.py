"""The system mails raised by events outside the mail screens (SCOPE P3 system_mails):
ご注文受付 when an import brings a new open order, 入金確認 when an operator records a payment
on the detail screen (seed 003) or in bulk (seed 001 §2 前払入金区分). Each is off until an
admin turns it on; on, every order gets one mail, and the same event never a second."""

import pytest
import sqlalchemy as sa

from oms.models import MailEvent, OrderStatus, PaymentStatus, SentMail, ShopSync, SystemMail
from oms.services import payment_checks
from oms.services.actor import Actor
from oms.services.payment_checks import CheckRefused
from tests import bulk_support as bulk
from tests.marketplaces.conftest import adapter_for, make_mall, sandbox  # noqa: F401
from tests.marketplaces.test_import import _orders, _poll
from tests.smtp import body_of
from tests.unit.test_mail import _empty_file_sink, run_mail_jobs, sink_files, template  # noqa: F401
from tests.unit.test_payment_checks import bank_order

pytestmark = pytest.mark.usefixtures("in_english")
ON_OFF = pytest.mark.parametrize("enabled", [True, False], ids=["on", "off"])


def system_mail(session, event: MailEvent, enabled: bool) -> None:
    saved = template(session, name=f"{event.value}", subject="{ショップ名} {受注番号}",
                     body="{注文者名} 様 {受注番号}")
    session.add(SystemMail(event=event, template_id=saved.id, enabled=enabled))
    session.commit()


def mailed(session) -> list[str]:
    """The addresses the sink received, after every mail job ran."""
    run_mail_jobs(session)
    return sorted(message["To"] for message in sink_files())


@ON_OFF
def test_an_import_mails_each_new_open_order_once(session, make_mall, adapter_for,  # noqa: F811
                                                  enabled):
    system_mail(session, MailEvent.order_received, enabled)
    mall = make_mall("amazon")
    fresh = mall.generate(2, status="Unshipped")
    history = mall.generate(1, status="Shipped")  # a shop's first import brings its past
    assert _poll(session, mall, adapter_for).inserted == 3
    orders = _orders(session, mall.shop)
    assert orders[history[0]].status is OrderStatus.shipped
    expected = sorted(orders[i].buyer_email for i in fresh) if enabled else []
    assert mailed(session) == expected
    if enabled:
        first = orders[fresh[0]]
        [message] = [m for m in sink_files() if m["To"] == first.buyer_email]
        assert body_of(message) == f"{first.buyer_name} 様 {first.order_number}\n"

    # Imported again from the very beginning: the orders are known, nobody is mailed again.
    session.get(ShopSync, mall.shop.id).watermark = None
    session.commit()
    assert _poll(session, mall, adapter_for).inserted == 0
    assert mailed(session) == expected


@ON_OFF
def test_payment_confirmed_on_the_detail_screen_mails_the_orderer_once(
        session, factory, users, enabled):
    system_mail(session, MailEvent.payment_received, enabled)
    order = bank_order(factory)
    actor = Actor(users["operator"].id, "operator", "192.0.2.7", "screen")
    payment_checks.confirm_payment(session, order, actor)
    session.commit()
    expected = [order.buyer_email] if enabled else []
    assert mailed(session) == expected
    with pytest.raises(CheckRefused):  # a second click finds nothing left to confirm
        payment_checks.confirm_payment(session, order, actor)
    session.rollback()
    assert mailed(session) == expected
    sent = session.scalars(sa.select(SentMail)).all()
    assert [(m.event, m.order_id) for m in sent] == (
        [(MailEvent.payment_received, order.id)] if enabled else [])


@ON_OFF
def test_bulk_prepaid_payment_mails_each_order_it_marks_paid_once(
        session, factory, users, enabled):
    system_mail(session, MailEvent.payment_received, enabled)
    unpaid = [bank_order(factory) for _ in range(3)]
    paid = bank_order(factory, payment_status=PaymentStatus.paid)
    session.commit()
    options = bulk.options(session, "prepaid_payment", state="paid")
    job = bulk.run(session, bulk.start(session, users["operator"], [*unpaid, paid],
                                       "prepaid_payment", options).id)
    assert (job.succeeded, job.skipped) == (3, 1)
    expected = sorted(o.buyer_email for o in unpaid) if enabled else []
    assert mailed(session) == expected
    # One mail job for the chunk, not one per order.
    jobs = session.scalars(sa.select(SentMail.notification_id).distinct()).all()
    assert len(jobs) == (1 if enabled else 0)

    # The same update again: every order is already paid (skipped), no mail.
    again = bulk.run(session, bulk.start(session, users["operator"], [*unpaid, paid],
                                         "prepaid_payment", options).id)
    assert (again.succeeded, again.skipped) == (0, 4)
    assert mailed(session) == expected
