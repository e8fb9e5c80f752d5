"""荷物番号報告: telling each mall the tracking numbers of its orders' shipments (seed 001 §5,
SCOPE P2 S6/S7).

A shop on the API channel gets one pending report per shipment (UNIQUE shipment, channel)
and a job (`tracking_report`, oms.services.mall_ship) queued after the commit; each report
belongs to the one job that may call the mall for it (`notification_id`). A shop on the CSV
channel gets no call: its orders stay 未報告 and are offered in the 楽天/Amazon files
(oms.services.mall_files), which mark them reported through the file's channel.
"""

from collections.abc import Sequence
from datetime import timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from oms.integrations.malls import ADAPTERS
from oms.models import (
    JobState,
    Notification,
    Order,
    ReportChannel,
    ReportState,
    Shipment,
    Shop,
    TargetState,
    TrackingReport,
    User,
)
from oms.models.base import utcnow
from oms.services import jobs, marketplace_jobs, shop_shipping
from oms.services.actor import Actor

# STALE_AFTER is part of the interface the shipping parts share.
from oms.services.report_progress import STALE_AFTER, is_stale  # noqa: F401

# How often the scheduler queues pending reports again whose job has ended.
RETRY_EVERY = timedelta(minutes=10)
KIND = "tracking_report"


def uses_api(shop: Shop) -> bool:
    """Whether the shop's mall learns numbers through the report job (受注APIを利用する)."""
    return (shop.kind.value in ADAPTERS
            and shop_shipping.for_shop(shop).tracking_channel
            is shop_shipping.TrackingChannel.api)


def request(session: Session, shipment_ids: list[int], actor: Actor) -> None:
    """Queue the reports of these new shipments, in the caller's transaction.

    Shops on the API get a pending report and a job after the commit; shops on the CSV
    channel get their rows listed for the 楽天/Amazon files (they stay 未報告 until a file
    is written)."""
    if not shipment_ids:
        return
    rows = session.execute(
        sa.select(Shipment.id, Shipment.order_id, Order.shop_id)
        .join(Order, Order.id == Shipment.order_id)
        .where(Shipment.id.in_(shipment_ids), Shipment.voided_at.is_(None),
               Shipment.tracking_number.is_not(None), Shipment.tracking_number != "")).all()
    api_shops = _api_shops(session, {shop_id for _s, _o, shop_id in rows})
    wanted = [(s, o, shop) for s, o, shop in rows if shop in api_shops]
    known = set(session.scalars(sa.select(TrackingReport.shipment_id).where(
        TrackingReport.shipment_id.in_([s for s, _o, _shop in wanted]),
        TrackingReport.channel == ReportChannel.api)))
    new = [TrackingReport(shipment_id=s, order_id=o, shop_id=shop, channel=ReportChannel.api,
                          state=ReportState.pending)
           for s, o, shop in wanted if s not in known]
    if new:
        session.add_all(new)
        session.flush()
        start(session, [r.id for r in new], actor)


def _api_shops(session: Session, shop_ids: set[int]) -> set[int]:
    shops = session.scalars(sa.select(Shop).where(Shop.id.in_(shop_ids))) if shop_ids else []
    return {shop.id for shop in shops if uses_api(shop)}


def start(session: Session, report_ids: Sequence[int], actor: Actor,
          locale: str = "ja") -> Notification | None:
    """One job over the orders of these pending reports, which it now owns; queued when
    the caller commits."""
    if not report_ids:
        return None
    order_ids = sorted(set(session.scalars(sa.select(TrackingReport.order_id).where(
        TrackingReport.id.in_(report_ids)))))
    user = session.get(User, actor.user_id) if actor.user_id else None
    note = jobs.start(session, KIND, user, {"locale": locale}, orders=len(order_ids))
    session.execute(sa.update(TrackingReport).where(TrackingReport.id.in_(report_ids))
                    .values(notification_id=note.id)
                    .execution_options(synchronize_session=False))
    note.total = marketplace_jobs.freeze(session, note, sa.select(
        sa.literal(note.id), Order.id, sa.literal(TargetState.pending.value), sa.null())
        .where(Order.id.in_(order_ids)))
    return note


class Refused(ValueError):
    """再報告 cannot be done; the message says why."""


def report_again(session: Session, order_ids: Sequence[int], actor: Actor,
                 locale: str = "ja") -> tuple[Notification | None, dict[int, str]]:
    """再報告: the API reports of these orders that failed or wait too long (要確認) are
    sent again by a new job; shipments never reported get their first report. A report
    already done, or pending and not yet stale, is left alone: never two reports of one
    number. Returns the job and, per order left out, why."""
    orders = session.execute(
        sa.select(Order.id, Order.order_number, Order.shop_id)
        .where(Order.id.in_(order_ids), Order.deleted_at.is_(None))).all()
    api_shops = _api_shops(session, {shop_id for _i, _n, shop_id in orders})
    refused: dict[int, str] = {}
    chosen = []
    for order_id, _number, shop_id in orders:
        if shop_id not in api_shops:
            refused[order_id] = str(_l("This shop reports tracking numbers by file "
                                       "(楽天荷物番号報告CSV / Amazon出荷確定)."))
        else:
            chosen.append(order_id)
    shipments = session.execute(
        sa.select(Shipment.id, Shipment.order_id, TrackingReport)
        .outerjoin(TrackingReport, (TrackingReport.shipment_id == Shipment.id)
                   & (TrackingReport.channel == ReportChannel.api))
        .where(Shipment.order_id.in_(chosen), Shipment.voided_at.is_(None),
               Shipment.tracking_number.is_not(None), Shipment.tracking_number != "")).all()
    now, again, reasons = utcnow(), [], {}
    shops = {order_id: shop_id for order_id, _n, shop_id in orders}
    for shipment_id, order_id, report in shipments:
        if report is None:
            report = TrackingReport(shipment_id=shipment_id, order_id=order_id,
                                    shop_id=shops[order_id], channel=ReportChannel.api)
            session.add(report)
        elif report.state is ReportState.ok:
            reasons.setdefault(order_id, str(_l("Already reported to the mall.")))
            continue
        elif report.state is ReportState.pending and not is_stale(report, now):
            reasons.setdefault(order_id, str(_l("The report is being sent.")))
            continue
        report.state, report.error, report.requested_at = ReportState.pending, None, now
        again.append(report)
    session.flush()
    sent = {r.order_id for r in again}
    refused |= {order_id: reasons.get(order_id) or str(
        _l("The order has no tracking number to report."))
        for order_id in chosen if order_id not in sent}
    return start(session, [r.id for r in again], actor, locale), refused


def retry_pending(session: Session, actor: Actor) -> Notification | None:
    """The scheduler's look (every RETRY_EVERY): pending API reports whose job has ended
    (the mall was unavailable, a lost worker gave up) go to a new job."""
    ended = sa.select(Notification.id).where(
        Notification.id == TrackingReport.notification_id,
        Notification.state.not_in([JobState.queued, JobState.running]))
    report_ids = list(session.scalars(
        sa.select(TrackingReport.id)
        .where(TrackingReport.state == ReportState.pending,
               TrackingReport.channel == ReportChannel.api,
               TrackingReport.notification_id.is_(None) | sa.exists(ended))
        .order_by(TrackingReport.id)))
    return start(session, report_ids, actor)
