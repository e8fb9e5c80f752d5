"""成果通知 (M9, check 11): a new order from a mall, or a parcel confirmed, sends each active
setting's URL with its tags filled in and URL-encoded, through a real worker to the
sandbox's echo receiver; every attempt is in the 成果通知ログ, three for a partner that
keeps failing."""

import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import sqlalchemy as sa

from oms.models import (
    ConversionEvent,
    ConversionNotice,
    ConversionSetting,
    JobTarget,
    Notification,
    Order,
    TargetState,
)
from oms.services import mall_polling, shipment_confirm
from oms.services.actor import Actor
from tests.unit.test_shipment_import import shipping

FAST = {"OMS_CONVERSION_BACKOFF": "0.05"}


def _import(session, mall, adapter_for) -> list[Order]:
    adapter = adapter_for(mall.shop)
    mall_polling.poll(session, mall.shop, adapter, datetime.now(UTC) + timedelta(seconds=1),
                      session.commit)
    return list(session.scalars(sa.select(Order).where(Order.shop_id == mall.shop.id)
                                .order_by(Order.id)))


def _notices(session, order) -> list[ConversionNotice]:
    session.expire_all()
    return list(session.scalars(sa.select(ConversionNotice)
                                .where(ConversionNotice.order_id == order.id)
                                .order_by(ConversionNotice.id)))


def test_a_new_order_is_notified_and_a_failing_partner_gets_three_tries(
        session, make_mall, adapter_for, sandbox, run_worker):
    receiver = f"cv-{uuid.uuid4().hex[:8]}"  # the sandbox serves the whole session
    setting = ConversionSetting(
        name="ASP", method="GET", event=ConversionEvent.order_created,
        url=sandbox.echo_url(receiver) + "?order={受注番号}&shop={ショップ}&total={合計}")
    session.add(setting)
    session.commit()
    mall = make_mall("rakuten")
    mall.generate(1, seed=3)
    order = _import(session, mall, adapter_for)[0]
    run_worker(**FAST)

    [notice] = _notices(session, order)
    expected = (f"?order={order.order_number}&shop={quote(mall.shop.code, safe='')}"
                f"&total={order.total}")
    assert notice.url.endswith(expected)
    assert (notice.response_status, notice.response_message, notice.error_message) == (
        "200", f"received {receiver}", None)
    assert notice.setting_id == str(setting.id) and notice.setting_name == "ASP"
    assert [hit["url"] for hit in sandbox.echo_hits(receiver)] == [notice.url]

    # The partner now answers 500: three attempts, each in the log with the error.
    sandbox.echo_answer(receiver, 500)
    mall.generate(1, seed=4)
    second = _import(session, mall, adapter_for)[-1]
    run_worker(**FAST)
    notices = _notices(session, second)
    assert [(n.response_status, n.error_message) for n in notices] == [("500", "HTTP 500")] * 3
    target = session.scalar(sa.select(JobTarget).where(JobTarget.order_id == second.id))
    assert target.state is TargetState.failed and "HTTP 500" in target.error


def test_a_confirmed_parcel_records_the_shipped_notice_in_the_same_transaction(
        session, factory):
    session.add(ConversionSetting(name="出荷", method="POST", event=ConversionEvent.shipped,
                                  url="https://asp.example/ship?o={受注番号}"))
    session.add(ConversionSetting(name="off", method="GET", active=False,
                                  event=ConversionEvent.shipped, url="https://asp.example/x"))
    order = shipping(factory)
    session.commit()
    outcome = shipment_confirm.confirm(session, [shipment_confirm.Confirmation(
        order.id, "123412341234")], Actor(None, None, None, "import"))
    assert outcome.shipped == [order.id]
    job = session.scalar(sa.select(Notification).where(Notification.kind == "conversion"))
    assert job is not None and len(job.params["settings"]) == 1
    assert session.scalars(sa.select(JobTarget.order_id).where(
        JobTarget.job_id == job.id)).all() == [order.id]
    session.rollback()  # nothing is left queued for a change that never happened
    assert session.scalar(sa.select(Notification).where(Notification.kind == "conversion")) \
        is None
