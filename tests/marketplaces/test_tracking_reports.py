"""荷物番号報告 (SCOPE P2 S6, S7, check 5): shipments of orders in shops on the API channel
reach their malls through the report job on a real worker: the carrier as each mall codes
it, digits only, the ship date; a 500 is retried and a lost answer read back, and the mall
holds one row per number whatever happens."""

import os
import signal
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from oms.models import (
    Notification,
    Order,
    OrderStatus,
    ReportChannel,
    ReportState,
    Shipment,
    TrackingReport,
)
from oms.services import carriers, mall_ship, report_progress, tracking_reports
from oms.services.actor import Actor
from tests.conftest import ROOT
from tests.marketplaces.test_adapters import NEW
from tests.workers import horse_of, wait_for

ACTOR = Actor(None, "importer", None, "import")
READY = {"amazon": "Unshipped", "rakuten": "300", "qoo10": "3", "yahoo": "2-1"}


def shipped_order(factory, mall, carrier: str = "ヤマト運輸", number: str = "1234-5678-9012"):
    """An order of the mall's, shipped here with a confirmed parcel; the mall has it ready."""
    (mall_id,) = mall.generate(1, status=READY[mall.kind])
    order = factory.order(shop=mall.shop, mall_order_id=mall_id, status=OrderStatus.shipped,
                          carrier=carrier)
    return order, factory.shipment(order, number)


def report_of(session, shipment: Shipment) -> TrackingReport:
    session.expire_all()
    return session.scalars(sa.select(TrackingReport)
                           .where(TrackingReport.shipment_id == shipment.id)).one()


def test_check_5_rakuten_receives_the_carrier_code_digits_and_date(
        session, factory, make_mall, run_worker):
    mall = make_mall("rakuten")
    order, shipment = shipped_order(factory, mall)
    tracking_reports.request(session, [shipment.id], ACTOR)
    session.commit()
    assert report_of(session, shipment).state is ReportState.pending  # 荷物番号報告中
    run_worker()

    rows = mall.order(order.mall_order_id)["tracking"]
    assert [(r["carrier"], r["number"], r["date"]) for r in rows] == [
        ("1001", "123456789012", "2026-12-01")]
    report = report_of(session, shipment)
    assert (report.state, report.attempts, report.error) == (ReportState.ok, 1, None)
    assert report.reported_at is not None
    assert session.get(Shipment, shipment.id).mall_ref == "1"  # shippingDetailId


@pytest.mark.parametrize("fault", ["500", "lost"])
def test_a_failed_or_lost_call_leaves_one_row_at_the_mall(session, factory, make_mall,
                                                         run_worker, fault):
    mall = make_mall("rakuten", timeout_seconds=3, shop_settings={"timeout_seconds": 1})
    order, shipment = shipped_order(factory, mall)
    tracking_reports.request(session, [shipment.id], ACTOR)
    session.commit()
    mall.faults("pass", fault)  # getOrder passes; updateOrderShipping fails or is lost
    run_worker()

    rows = mall.order(order.mall_order_id)["tracking"]
    assert [r["number"] for r in rows] == ["123456789012"]
    assert report_of(session, shipment).state is ReportState.ok


@pytest.mark.parametrize(("kind", "carrier", "told"), [
    ("amazon", "ヤマト運輸", ("Yamato Transport", None)),
    ("amazon", "日本通運", ("Nippon Express", None)),
    ("qoo10", "佐川急便", ("佐川急便", None)),
    ("yahoo", "日本郵便", ("3", None)),
])
def test_every_mall_kind_is_told_in_its_own_codes(session, factory, make_mall, run_worker,
                                                  kind, carrier, told):
    mall = make_mall(kind)
    order, shipment = shipped_order(factory, mall, carrier, "1234 5678 901")
    tracking_reports.request(session, [shipment.id], ACTOR)
    session.commit()
    run_worker()
    (row,) = mall.order(order.mall_order_id)["tracking"]
    assert ((row["carrier"], row["name"]), row["number"]) == (told, "12345678901")
    assert report_of(session, shipment).state is ReportState.ok


def test_amazon_other_carrier_goes_with_its_name(session, factory, make_mall, run_worker):
    mall = make_mall("amazon")
    order, shipment = shipped_order(factory, mall, "その他", "AB12")
    tracking_reports.request(session, [shipment.id], ACTOR)
    session.commit()
    run_worker()
    (row,) = mall.order(order.mall_order_id)["tracking"]
    assert (row["carrier"], row["name"], row["number"]) == ("Other", "その他", "AB12")


def test_the_malls_refusal_is_kept_as_ng_with_its_message(session, factory, make_mall,
                                                         run_worker):
    mall = make_mall("rakuten")
    order, shipment = shipped_order(factory, mall)
    mall.event(order.mall_order_id, "cancel")  # the buyer's cancel reached the mall first
    tracking_reports.request(session, [shipment.id], ACTOR)
    session.commit()
    run_worker()
    report = report_of(session, shipment)
    assert report.state is ReportState.failed  # 報告NG
    assert "cannot ship" in report.error and order.mall_order_id in report.error
    assert mall.order(order.mall_order_id)["tracking"] == []


def test_one_report_per_shipment_and_none_for_csv_shops(session, factory, make_mall):
    api = make_mall("rakuten")
    files = make_mall("rakuten", shop_settings={"shipping": {"tracking_channel": "csv"}})
    _order, shipment = shipped_order(factory, api)
    _other, by_file = shipped_order(factory, files)
    tracking_reports.request(session, [shipment.id, by_file.id], ACTOR)
    tracking_reports.request(session, [shipment.id], ACTOR)  # the same import applied again
    session.commit()
    reports = session.scalars(sa.select(TrackingReport)).all()
    assert [(r.shipment_id, r.channel) for r in reports] == [(shipment.id, ReportChannel.api)]
    assert session.scalar(sa.select(sa.func.count()).select_from(Notification)) == 1


def test_read_back_counts_a_number_the_mall_already_has(make_mall, adapter_for, factory):
    """S7 without a worker, at every mall: the adapter sends once (a lost answer is
    MallUnavailable, not a second send); deliver() reads the order back and is done."""
    for kind in ("amazon", "rakuten", "qoo10", "yahoo"):
        mall = make_mall(kind, timeout_seconds=2)
        (mall_id,) = mall.generate(1, status=NEW[kind])
        adapter = adapter_for(mall.shop)
        adapter.confirm(mall_id)
        parcel = mall_ship.Parcel(0, 0, mall_id, carriers.MallCarrier(
            {"amazon": "Yamato Transport", "rakuten": "1001", "qoo10": "ヤマト宅急便",
             "yahoo": "1"}[kind]), "456789012345", date(2026, 11, 24), maybe_sent=False)
        # Rakuten reads the basket first: the shipping call is the second one.
        mall.faults(*(["pass"] if kind == "rakuten" else []), "lost")
        delivered = mall_ship.deliver(adapter, parcel)
        assert delivered.state is ReportState.ok, (kind, delivered)
        assert [t["number"] for t in mall.order(mall_id)["tracking"]] == ["456789012345"]


def test_stale_reports_are_to_check_and_the_scheduler_queues_them_again(
        session, factory, make_mall, run_worker, test_env):
    mall = make_mall("rakuten")
    order, shipment = shipped_order(factory, mall)
    tracking_reports.request(session, [shipment.id], ACTOR)
    session.commit()
    # The job ran while the mall was away: the report stays pending, its job finished.
    mall.faults(*["503"] * 8)  # every try of the job: 4 of the basket read, 4 of the read-back
    run_worker()
    report = report_of(session, shipment)
    assert report.state is ReportState.pending and "503" in report.error
    first_job = report.notification_id
    report.requested_at = datetime.now(UTC) - timedelta(minutes=61)
    session.commit()
    stale = report_progress.progress_condition(report_progress.Progress.check)
    assert session.scalars(sa.select(Order.id).where(stale)).all() == [order.id]
    # `flask scheduler` queues pending reports again (at once, then every 10 minutes):
    subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "scheduler", "--once"],
                   cwd=ROOT, env={**os.environ, **test_env}, check=True, timeout=60)
    session.expire_all()
    assert report_of(session, shipment).notification_id != first_job
    assert tracking_reports.retry_pending(session, ACTOR) is None  # the new job owns it
    run_worker()
    assert report_of(session, shipment).state is ReportState.ok
    assert len(mall.order(order.mall_order_id)["tracking"]) == 1


@pytest.mark.slow
def test_a_worker_killed_mid_report_leaves_no_duplicate(session, factory, make_mall, workers):
    """RELIABILITY F: kill -9 the worker (and its horse) while it is telling the mall; a
    second worker recovers the job: each number reaches the mall exactly once."""
    mall = make_mall("rakuten", latency_ms=400)
    parcels = [shipped_order(factory, mall, number=f"1000-0000-{n:04d}") for n in range(6)]
    tracking_reports.request(session, [s.id for _o, s in parcels], ACTOR)
    session.commit()
    recover = {"OMS_JOB_LEASE_SECONDS": "2", "OMS_WORKER_MAINTENANCE_SECONDS": "1"}
    first = workers.start("first", **recover)

    def rows(order) -> int:
        return len(mall.order(order.mall_order_id)["tracking"])

    # Mid-chunk: the first parcel is at the mall, the last not yet, nothing recorded.
    assert wait_for(lambda: rows(parcels[0][0]) == 1, 60, 0.05), workers.logs()
    assert rows(parcels[-1][0]) == 0
    horse = horse_of(first.pid)
    if horse:
        os.killpg(horse, signal.SIGKILL)
    os.killpg(first.pid, signal.SIGKILL)
    session.expire_all()
    assert session.scalar(sa.select(sa.func.count()).select_from(TrackingReport)
                          .where(TrackingReport.state == ReportState.ok)) == 0
    workers.start("second", **recover)

    def all_done() -> bool:
        session.expire_all()
        return session.scalar(sa.select(sa.func.count()).select_from(TrackingReport).where(
            TrackingReport.state == ReportState.ok)) == len(parcels)

    assert wait_for(all_done, 120, 0.5), workers.logs()
    assert [rows(order) for order, _s in parcels] == [1] * len(parcels)
    # The parcel already at the mall was read back, not sent again, after the recovery.
    assert report_of(session, parcels[0][1]).attempts == 2
