"""The 荷物番号報告 job: each pending API report sent to its mall (S6), at most once per
number (S7). A runner step that calls out: the intent (the report's attempt counted) in a
short transaction, the calls with no transaction open under each shop's rate limit, the
outcomes in another short transaction."""

import contextlib
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from oms.integrations.malls import MallAdapter, MallError, MallRefused
from oms.models import (
    Order,
    ReportChannel,
    ReportState,
    Shipment,
    Shop,
    TargetState,
    TrackingReport,
)
from oms.models.base import utcnow
from oms.services import auto_advance, carriers, runner
from oms.services.carriers import MallCarrier
from oms.services.marketplace_jobs import MallStep, outcome

# Sends of one report within a job before it is left pending for the scheduler's retry.
ROUNDS = 3


@dataclass(frozen=True)
class Parcel:
    """What one report tells the mall, as plain data."""

    report_id: int
    order_id: int
    mall_order_id: str
    carrier: MallCarrier
    number: str
    shipped_on: date
    maybe_sent: bool  # an earlier attempt may have reached the mall: read back first


@dataclass(frozen=True)
class Delivery:
    state: ReportState  # ok, failed (the mall said no), pending (try again later)
    mall_ref: str | None = None
    error: str | None = None


def deliver(adapter: MallAdapter, parcel: Parcel) -> Delivery:
    """Tell the mall of one parcel. After a call whose answer may be lost, and before any
    send of a report tried before, the order is read back: a mall already carrying the
    number counts as done, so the number is never reported twice (S7)."""
    maybe_sent, last = parcel.maybe_sent, ""
    for _round in range(ROUNDS):
        if maybe_sent:
            try:
                if found := _held(adapter, parcel):
                    return found
            except MallError as error:
                return Delivery(ReportState.pending, error=str(error))
        try:
            return Delivery(ReportState.ok, adapter.ship(
                parcel.mall_order_id, parcel.carrier, parcel.number, parcel.shipped_on))
        except MallRefused as error:
            # A refusal may be the mall saying it has the parcel (a lost earlier answer).
            with contextlib.suppress(MallError):
                if found := _held(adapter, parcel):
                    return found
            return Delivery(ReportState.failed, error=str(error))
        except MallError as error:  # unavailable, or an answer that could not be read
            maybe_sent, last = True, str(error)
    return Delivery(ReportState.pending, error=last)


def _held(adapter: MallAdapter, parcel: Parcel) -> Delivery | None:
    """Done, when the mall's order already carries the number."""
    held = adapter.tracking(parcel.mall_order_id)
    return Delivery(ReportState.ok, held[parcel.number]) if parcel.number in held else None


class ReportStep(MallStep):
    """Each target is an order; its pending API reports owned by this job are sent."""

    chunk = 20  # calls at the mall's rate: progress and 中止 in small steps

    def prepare(self, session: Session, targets: list[runner.Target]):
        rows = session.execute(
            sa.select(TrackingReport, Shipment, Order.mall_order_id, Order.carrier,
                      Order.shop_id)
            .join(Shipment, Shipment.id == TrackingReport.shipment_id)
            .join(Order, Order.id == TrackingReport.order_id)
            .where(TrackingReport.order_id.in_([t.order_id for t in targets]),
                   TrackingReport.notification_id == self.job_id,
                   TrackingReport.channel == ReportChannel.api,
                   TrackingReport.state == ReportState.pending)
            .order_by(TrackingReport.id)).all()
        tz = ZoneInfo(current_app.config["OMS_TZ"])
        work: dict[int, list[Parcel]] = defaultdict(list)
        for report, shipment, mall_order_id, order_carrier, shop_id in rows:
            shop = session.get(Shop, shop_id)
            carrier = (carriers.by_name(session, shipment.carrier)
                       or carriers.by_name(session, order_carrier))
            work[shop_id].append(Parcel(
                report.id, report.order_id, mall_order_id, carriers.for_mall(carrier, shop.kind),
                carriers.digits(shipment.tracking_number or ""),
                ship_date(shipment, tz), maybe_sent=report.attempts > 0))
            report.attempts += 1  # durable with the intent, before anything leaves
        session.flush()
        return [(shop_id, self._adapter(session.get(Shop, shop_id)), parcels)
                for shop_id, parcels in work.items()]

    def call(self, work):
        return [(parcel, Delivery(ReportState.pending, error=adapter)
                 if isinstance(adapter, str) else deliver(adapter, parcel))
                for _shop_id, adapter, parcels in work for parcel in parcels]

    def record(self, session: Session, targets: list[runner.Target], answers
               ) -> list[runner.Outcome]:
        now = utcnow()
        errors: dict[int, str] = {}
        for parcel, delivered in answers:
            report = session.get(TrackingReport, parcel.report_id)
            if report.notification_id != self.job_id or report.state is ReportState.ok:
                continue  # handed to a newer job meanwhile: that one records
            report.state, report.error = delivered.state, _short(delivered.error)
            if delivered.state is ReportState.ok:
                report.reported_at = now
                if delivered.mall_ref:
                    session.get(Shipment, report.shipment_id).mall_ref = delivered.mall_ref
            else:
                errors.setdefault(parcel.order_id, delivered.error or "")
        session.flush()
        # A mall order with every number reported has nothing left to wait for (000 ⑤).
        auto_advance.advance(session, [t.order_id for t in targets if t.order_id not in errors])
        return [outcome(t, errors.get(t.order_id)) for t in targets]

    def summary(self, done: Counter) -> str:
        return str(_l("%(ok)d orders reported to their malls, %(failed)d not.",
                      ok=done[TargetState.ok], failed=done[TargetState.failed]))


def ship_date(shipment: Shipment, tz: ZoneInfo) -> date:
    """発送日: the 出荷予定日 written on the label, else the day it was confirmed (JST)."""
    if shipment.ship_date:
        return shipment.ship_date
    return (shipment.shipped_at or utcnow()).astimezone(tz).date()


def _short(text: str | None) -> str | None:
    return text[:500] if text else None
