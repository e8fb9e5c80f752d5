"""成果通知 (seed 002, M9): when an order is created or shipped, each active setting's URL is
called with its tags substituted (URL-encoded), and every attempt is written to the order's
成果通知ログ.

The event's services call `notify` in their own transaction: it records one job over the
orders (the settings frozen in its params), queued after the commit. The job is a
calls-out step of the one runner: the intent is committed before any call, the calls run
with no transaction open (3 tries with backoff, a timeout each), the log rows after.
"""

import re
import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from oms.integrations import notices
from oms.models import (
    ConversionEvent,
    ConversionNotice,
    ConversionSetting,
    Notification,
    Order,
    Shop,
    TargetState,
    User,
)
from oms.models.base import utcnow
from oms.services import jobs, marketplace_jobs, runner
from oms.services.actor import Actor

KIND = "conversion"
ATTEMPTS = 3
METHODS = ("GET", "POST")
_TAG = re.compile(r"\{([^{}]*)\}")


def _local(moment: datetime | None, tz: ZoneInfo, pattern: str) -> str:
    return moment.astimezone(tz).strftime(pattern) if moment else ""


# The tags a URL may hold, each read from the order's row as the partner receives it.
TAGS = {
    "受注番号": lambda o, tz: o.order_number,
    "モール注文番号": lambda o, tz: o.mall_order_id or "",
    "ショップ": lambda o, tz: o.shop_code,
    "注文日時": lambda o, tz: _local(o.ordered_at, tz, "%Y-%m-%d %H:%M:%S"),
    "出荷日時": lambda o, tz: _local(o.shipped_at, tz, "%Y-%m-%d %H:%M:%S"),
    "小計": lambda o, tz: str(o.subtotal),
    "合計": lambda o, tz: str(o.total),
    "媒体": lambda o, tz: o.media or "",
}


def setting_problems(values: dict[str, Any]) -> dict[str, str]:
    """Why a setting cannot be saved: its URL must be http(s) and hold only known tags
    (「不明なタグ: {foo}」)."""
    url = values.get("url") or ""
    unknown = [f"{{{tag}}}" for tag in _TAG.findall(url) if tag not in TAGS]
    if unknown:
        return {"url": str(_l("Unknown tags: %(tags)s", tags=", ".join(unknown)))}
    if not re.match(r"https?://[^/\s{}]+", url):
        return {"url": str(_l("Enter a URL beginning with http:// or https://."))}
    return {}


def render_url(template: str, values: dict[str, str]) -> str:
    """The URL with every tag replaced by its value, URL-encoded."""
    return _TAG.sub(lambda match: quote(values.get(match.group(1), ""), safe=""), template)


def notify(session: Session, order_ids: list[int], event: ConversionEvent,
           actor: Actor | None) -> Notification | None:
    """Record the notices of an event for these orders in the caller's transaction (a job,
    queued when it commits); nothing when no setting is active for the event."""
    settings = list(session.scalars(
        sa.select(ConversionSetting.id)
        .where(ConversionSetting.active, ConversionSetting.event == event)
        .order_by(ConversionSetting.id)))
    if not order_ids or not settings:
        return None
    user = session.get(User, actor.user_id) if actor and actor.user_id else None
    note = jobs.start(session, KIND, user, {"event": event.value, "settings": settings},
                      orders=len(order_ids))
    note.total = marketplace_jobs.freeze(session, note, sa.select(
        sa.literal(note.id), Order.id, sa.literal(TargetState.pending.value), sa.null())
        .where(Order.id.in_(list(order_ids))))
    return note


@dataclass(frozen=True)
class Call:
    target_id: int
    order_id: int
    setting_id: int
    setting_name: str
    method: str
    url: str
    key: str


@dataclass(frozen=True)
class Work:
    calls: list[Call]
    timeout: float
    backoff: float


@dataclass(frozen=True)
class Attempt:
    call: Call
    at: datetime
    answer: notices.Answer


class ConversionStep(runner.Step):
    """Each target is an order; each of the job's settings is called for it."""

    chunk = 20  # partners answer slowly at worst: progress in small steps
    calls_out = True

    def prepare(self, session: Session, targets: list[runner.Target]) -> Work:
        job = session.get(Notification, self.job_id)
        settings = list(session.scalars(sa.select(ConversionSetting).where(
            ConversionSetting.id.in_(job.params.get("settings") or []))
            .order_by(ConversionSetting.id)))
        rows = {row.id: row for row in session.execute(
            sa.select(Order.id, Order.order_number, Order.mall_order_id, Order.ordered_at,
                      Order.shipped_at, Order.subtotal, Order.total, Order.media,
                      Shop.code.label("shop_code"))
            .join(Shop, Shop.id == Order.shop_id)
            .where(Order.id.in_([t.order_id for t in targets])))}
        tz = ZoneInfo(current_app.config["OMS_TZ"])
        calls = []
        for target in targets:
            row = rows.get(target.order_id)
            if row is None:
                continue
            values = {tag: value(row, tz) for tag, value in TAGS.items()}
            calls += [Call(target.id, row.id, s.id, s.name, s.method,
                           render_url(s.url, values), f"{target.key}-{s.id}")
                      for s in settings]
        config = current_app.config
        return Work(calls, config["CONVERSION_TIMEOUT"], config["CONVERSION_BACKOFF"])

    def call(self, work: Work) -> list[Attempt]:
        attempts = []
        with notices.client(work.timeout) as client:
            for call in work.calls:
                for attempt in range(ATTEMPTS):
                    if attempt:
                        time.sleep(work.backoff * 2 ** (attempt - 1))
                    answer = notices.send(client, call.method, call.url, call.key)
                    attempts.append(Attempt(call, utcnow(), answer))
                    if answer.ok:
                        break
        return attempts

    def record(self, session: Session, targets: list[runner.Target], answers: list[Attempt]
               ) -> list[runner.Outcome]:
        session.add_all(ConversionNotice(
            order_id=a.call.order_id, sent_at=a.at, setting_id=str(a.call.setting_id),
            setting_name=a.call.setting_name[:100], url=a.call.url[:500],
            response_status=str(a.answer.status) if a.answer.status is not None else None,
            response_message=a.answer.body, error_message=a.answer.error) for a in answers)
        session.flush()
        last = {(a.call.target_id, a.call.setting_id): a for a in answers}
        failed: dict[int, str] = {}
        for (target_id, _setting), attempt in last.items():
            if not attempt.answer.ok:
                failed.setdefault(target_id, f"{attempt.call.setting_name}: "
                                             f"{attempt.answer.error}")
        return [runner.Outcome(t.id, TargetState.failed if t.id in failed else TargetState.ok,
                               failed.get(t.id)) for t in targets]

    def summary(self, done: Counter) -> str:
        return str(_l("%(ok)d orders notified, %(failed)d failed.",
                      ok=done[TargetState.ok], failed=done[TargetState.failed]))
