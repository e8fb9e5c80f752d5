"""楽天荷物番号報告CSV and Amazon出荷確定 (出荷通知) TSV (seed 001 §5, FORMATS.md 1 and 3b):
the tracking numbers of shops that do not report through the API, or of reports still
pending after an hour (要確認), as the files the operator uploads to each mall.

One file per shop, since each goes to its own seller account: a single shop's file is
the download itself; several shops' files come as one zip. Writing a shipment's row marks
its report through the file's channel (報告済 in the 出荷済 tab's filter).
"""

import csv
import io
import os
import zipfile
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from oms.csvfiles import file_cell
from oms.models import (
    MallKind,
    Notification,
    Order,
    ReportChannel,
    ReportState,
    Shipment,
    Shop,
    TrackingReport,
)
from oms.models.base import utcnow
from oms.services import carriers, jobs, notifications, order_search, shop_shipping
from oms.services.actor import Person
from oms.services.mall_ship import ship_date

KIND = "mall_file"
AMAZON_LABELS = ("注文番号", "注文商品番号", "出荷数", "出荷日", "配送業者コード", "配送業者名",
                 "お問い合わせ伝票番号", "配送方法")
AMAZON_KEYS = ("order-id", "order-item-id", "quantity", "ship-date", "carrier-code",
               "carrier-name", "tracking-number", "ship-method")


@dataclass(frozen=True)
class FileKind:
    channel: ReportChannel
    mall: MallKind
    prefix: str
    suffix: str
    delimiter: str


FILES = {
    ReportChannel.rakuten_csv: FileKind(ReportChannel.rakuten_csv, MallKind.rakuten,
                                        "rakuten-tracking", "csv", ","),
    ReportChannel.amazon_tsv: FileKind(ReportChannel.amazon_tsv, MallKind.amazon,
                                       "amazon-fulfillment", "txt", "\t"),
}


def start(session: Session, channel: ReportChannel, user: Person, search: str,
          order_ids: list[int] | None, locale: str) -> Notification:
    """The file of the checked orders (else the whole search), written by a job."""
    return jobs.start(session, KIND, user, {"channel": channel.value, "search": search,
                                            "order_ids": order_ids, "locale": locale})


def _header(kind: FileKind, settings: shop_shipping.ShopShipping) -> list[list[str]]:
    if kind.channel is ReportChannel.rakuten_csv:
        return [next(csv.reader([settings.rakuten_csv_header]), [])]
    return [["TemplateType=OrderFulfillment", f"Version={settings.amazon_tsv_version}"],
            list(AMAZON_LABELS), list(AMAZON_KEYS)]


def _row(kind: FileKind, order: Order, shipment: Shipment, told: carriers.MallCarrier,
         tz: ZoneInfo) -> list[str]:
    number = carriers.digits(shipment.tracking_number or "")
    shipped_on = ship_date(shipment, tz).isoformat()
    if kind.channel is ReportChannel.rakuten_csv:
        return [order.mall_order_id, order.mall_package_id or "", shipment.mall_ref or "",
                number, told.code, shipped_on]
    return [order.mall_order_id, "", "", shipped_on, told.code, told.name or "", number,
            shipment.service or order.delivery_method or ""]


def export_job(session: Session, note: Notification, report: Callable[[int], None],
               directory: Path, tz: ZoneInfo) -> None:
    """Write the record's file(s) as its result, and mark the written shipments reported
    through the file's channel. Shipments already reported through the API are left out
    (never two reports of one number)."""
    kind = FILES[ReportChannel(note.params["channel"])]
    where = order_search.target_conditions(session, note.params.get("search", ""),
                                           note.params.get("order_ids"), tz)
    reported = sa.exists().where(TrackingReport.shipment_id == Shipment.id,
                                 TrackingReport.channel == ReportChannel.api,
                                 TrackingReport.state == ReportState.ok)
    rows = session.execute(
        sa.select(Order, Shipment, reported)
        .join(Shipment, Shipment.order_id == Order.id)
        .join(Shop, Shop.id == Order.shop_id)
        .where(*where, Shop.kind == kind.mall, Shipment.voided_at.is_(None),
               Shipment.tracking_number.is_not(None), Shipment.tracking_number != "")
        .order_by(Order.shop_id, Order.id, Shipment.id)).all()
    by_shop: dict[int, list[tuple[Order, Shipment]]] = defaultdict(list)
    already = 0
    for order, shipment, done in rows:
        if done:
            already += 1
        else:
            by_shop[order.shop_id].append((order, shipment))
    written = sum(len(part) for part in by_shop.values())
    notifications.mark_running(session, note, written)
    files = {}
    for shop_id, part in by_shop.items():
        shop = session.get(Shop, shop_id)
        lines = _header(kind, shop_shipping.for_shop(shop))
        for order, shipment in part:
            told = carriers.for_mall(carriers.by_name(session, shipment.carrier)
                                     or carriers.by_name(session, order.carrier), kind.mall)
            lines.append(_row(kind, order, shipment, told, tz))
        files[f"{kind.prefix}-{shop.code}-{note.id}.{kind.suffix}"] = _encode(kind, lines)
    _mark(session, kind, [s for part in by_shop.values() for _o, s in part], note.id)
    directory.mkdir(parents=True, exist_ok=True)
    if files:
        path = _write(directory, kind, note.id, files)
        note.result_path, note.result_name = str(path), path.name
    note.summary = _("%(n)d tracking numbers of %(shops)d shops written.", n=written,
                     shops=len(files))
    if already:
        note.summary += " " + _("%(n)d already reported through the API were left out.",
                                n=already)
    report(written)


def _encode(kind: FileKind, lines: list[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=kind.delimiter, lineterminator="\r\n")
    for line in lines:
        writer.writerow([file_cell(cell, "cp932")[0] for cell in line])
    return out.getvalue().encode("cp932")


def _write(directory: Path, kind: FileKind, note_id: int, files: dict[str, bytes]) -> Path:
    """One shop: its file. Several: a zip holding one file per shop. Written atomically."""
    if len(files) == 1:
        ((name, data),) = files.items()
        path = directory / name
    else:
        path = directory / f"{kind.prefix}-{note_id}.zip"
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, content in files.items():
                archive.writestr(name, content)
        data = buffer.getvalue()
    tmp = path.with_suffix(".part")
    tmp.write_bytes(data)
    os.replace(tmp, path)
    return path


def _mark(session: Session, kind: FileKind, shipments: list[Shipment], note_id: int) -> None:
    """The written shipments' reports through the file's channel: 報告済, once each."""
    if not shipments:
        return
    ids = [s.id for s in shipments]
    now = utcnow()
    session.execute(sa.update(TrackingReport).where(
        TrackingReport.shipment_id.in_(ids), TrackingReport.channel == kind.channel)
        .values(state=ReportState.ok, reported_at=now, notification_id=note_id, error=None)
        .execution_options(synchronize_session=False))
    known = set(session.scalars(sa.select(TrackingReport.shipment_id).where(
        TrackingReport.shipment_id.in_(ids), TrackingReport.channel == kind.channel)))
    shops = dict(session.execute(sa.select(Order.id, Order.shop_id).where(
        Order.id.in_({s.order_id for s in shipments}))).all())
    session.add_all([TrackingReport(
        shipment_id=s.id, order_id=s.order_id, shop_id=shops[s.order_id],
        channel=kind.channel, state=ReportState.ok, requested_at=now, reported_at=now,
        notification_id=note_id) for s in shipments if s.id not in known])
    session.flush()
