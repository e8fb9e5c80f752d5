"""注文情報ダウンロード: the order information CSV."""

import csv
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Session, selectinload

from oms import labels
from oms.csvfiles import ENCODINGS, export_cell
from oms.formatting import local_time
from oms.models import Notification, Order
from oms.services import notifications, order_search

CHUNK = 2000
# Orders named when characters had to be substituted: in the summary, and on the job page.
NAMED_IN_SUMMARY = 10
LISTED = 1000


@dataclass
class Substitutions:
    """Characters written as 〓 because CP932 has no form for them, and in which orders."""

    characters: int = 0
    orders: int = 0
    order_numbers: list[str] = field(default_factory=list)  # the first LISTED

    def add(self, order_number: str, characters: int) -> None:
        self.characters += characters
        self.orders += 1
        if len(self.order_numbers) < LISTED:
            self.order_numbers.append(order_number)

    def summary(self) -> str | None:
        """The job summary naming the orders (translated in the job's locale)."""
        if not self.characters:
            return None
        named = ", ".join(self.order_numbers[:NAMED_IN_SUMMARY])
        if self.orders > NAMED_IN_SUMMARY:
            return _("%(chars)d characters in %(orders)d orders have no Shift_JIS (CP932) "
                     "form and were written as 〓: %(numbers)s and %(more)d more (listed "
                     "below).", chars=self.characters, orders=self.orders, numbers=named,
                     more=self.orders - NAMED_IN_SUMMARY)
        return _("%(chars)d characters in %(orders)d orders have no Shift_JIS (CP932) form "
                 "and were written as 〓: %(numbers)s.", chars=self.characters,
                 orders=self.orders, numbers=named)


def _columns() -> list[tuple[str, Callable[[Order], object]]]:
    return [
        (_("Order number"), lambda o: o.order_number),
        (_("Shop"), lambda o: o.shop.name),
        (_("Mall order ID"), lambda o: o.mall_order_id),
        (_("Order date"), lambda o: local_time(o.ordered_at)),
        (_("Status"), lambda o: labels.ORDER_STATUS[o.status]),
        (_("Payment method"), lambda o: o.payment_method.name),
        (_("Payment status"), lambda o: labels.PAYMENT_STATUS[o.payment_status]),
        (_("Buyer name"), lambda o: o.buyer_name),
        (_("Buyer kana"), lambda o: o.buyer_kana),
        (_("Email"), lambda o: o.buyer_email),
        (_("Phone"), lambda o: o.buyer_phone),
        (_("Postcode"), lambda o: o.buyer_postcode),
        (_("Address"), lambda o: _join(o.buyer_prefecture, o.buyer_address1, o.buyer_address2)),
        (_("Recipient"), lambda o: o.ship_name),
        (_("Recipient postcode"), lambda o: o.ship_postcode),
        (_("Recipient address"),
         lambda o: _join(o.ship_prefecture, o.ship_address1, o.ship_address2)),
        (_("Recipient phone"), lambda o: o.ship_phone),
        (_("Destination country"), lambda o: o.destination_country),
        (_("Subtotal"), lambda o: o.subtotal),
        (_("Discount"), lambda o: o.discount),
        (_("Points used"), lambda o: o.points_used),
        (_("Shipping fee"), lambda o: o.shipping_fee),
        (_("Payment fee"), lambda o: o.payment_fee),
        (_("Tax 10%"), lambda o: o.tax_10),
        (_("Tax 8%"), lambda o: o.tax_8),
        (_("Total"), lambda o: o.total),
        (_("Tracking numbers"),
         lambda o: " ".join(s.tracking_number for s in o.shipments if s.tracking_number)),
        (_("Tags"), lambda o: " ".join(t.name for t in o.tags)),
        (_("Needs attention"), lambda o: _("Yes") if o.needs_attention else ""),
        (_("Remarks 1"), lambda o: o.remarks1),
    ]


def _join(*parts: str | None) -> str:
    return " ".join(p for p in parts if p)


def count_orders(session: Session, where: list[sa.ColumnElement[bool]]) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(Order).where(*where))


def _chunks(session: Session, where: list[sa.ColumnElement[bool]]) -> Iterator[list[Order]]:
    """The orders by id, a chunk at a time, without OFFSET scans."""
    last_id = 0
    while True:
        orders = session.scalars(
            sa.select(Order)
            .where(*where, Order.id > last_id)
            .order_by(Order.id)
            .limit(CHUNK)
            .options(
                selectinload(Order.shop),
                selectinload(Order.payment_method),
                selectinload(Order.tags),
                selectinload(Order.shipments),
            )
        ).all()
        if not orders:
            return
        last_id = orders[-1].id
        yield orders


def write_orders_csv(
    session: Session,
    where: list[sa.ColumnElement[bool]],
    encoding: str,
    path: Path,
    report: Callable[[int], None],
) -> Substitutions:
    """Write the matching orders to `path` atomically; returns the characters that had
    no CP932 form and were substituted, and their orders."""
    if encoding not in ENCODINGS:
        raise ValueError(f"unknown encoding {encoding!r}")
    columns = _columns()
    tmp = path.with_suffix(".part")
    substituted, done = Substitutions(), 0
    try:
        with tmp.open("w", encoding=ENCODINGS[encoding], newline="") as handle:
            writer = csv.writer(handle, lineterminator="\r\n")
            writer.writerow([export_cell(name, encoding)[0] for name, _get in columns])
            for orders in _chunks(session, where):
                for order in orders:
                    row, lost_here = [], 0
                    for _name, get in columns:
                        cell, lost = export_cell(get(order), encoding)
                        row.append(cell)
                        lost_here += lost
                    writer.writerow(row)
                    if lost_here:
                        substituted.add(order.order_number, lost_here)
                done += len(orders)
                report(done)  # may stop the job (中止): no half-written file is left
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    os.replace(tmp, path)
    return substituted


def export_job(session: Session, note: Notification, report: Callable[[int], None],
               directory: Path, tz: ZoneInfo) -> None:
    """注文情報ダウンロード as a job: the CSV of the record's search or chosen orders, in
    its encoding, as the record's result file."""
    params = note.params
    where = order_search.target_conditions(session, params.get("search", ""),
                                           params.get("order_ids"), tz)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"orders-{note.id}.csv"
    notifications.mark_running(session, note, count_orders(session, where))
    report(0)
    substituted = write_orders_csv(session, where, params["encoding"], path, report)
    note.summary = substituted.summary()
    note.result_path, note.result_name = str(path), path.name
    if substituted.order_numbers:
        note.params = {**params, "substituted": substituted.order_numbers}
