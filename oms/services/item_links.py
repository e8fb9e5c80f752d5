"""アイテム紐づけ: which of our SKUs each order line is, set-based.

A line links to the SKU its shop maps its product code and option to (an exact option
first, then the product's any-option mapping), else to the SKU whose code is the product
code itself. Every line gets OK or FAIL with the reason, and the order's result follows
its lines (FAIL when any line failed) in `OrderLink`, so the list's link-result filter
finds them. Each chunk of orders is two statements, whatever its size: no query per line.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from oms.csvfiles import decode_upload, find_columns, read_rows, shown
from oms.models import LinkResult, Order, OrderLine, OrderLink, Shop, Sku, SkuMapping
from oms.models.base import upsert
from oms.services import audit
from oms.services.actor import Actor

CHUNK = 50_000  # orders per statement pair: bounded transactions, visible progress


def link(session: Session, where: list[sa.ColumnElement[bool]],
         report: Callable[[int], None] | None = None) -> int:
    """Link every line of the orders matching `where`; returns how many orders.
    `report(done)` runs after each chunk (a job commits there)."""
    low, high = session.execute(sa.select(sa.func.min(Order.id), sa.func.max(Order.id))
                                .where(*where)).one()
    done = 0
    if low is None:
        return 0
    messages = (_("No SKU matches this product code and option."),
                _("The matching SKU is inactive."))
    for start in range(low, high + 1, CHUNK):
        in_chunk = [*where, Order.id >= start, Order.id < start + CHUNK]
        # The same range on the lines lets the planner read them by index, chunk by chunk.
        lines_in_chunk = [OrderLine.order_id >= start, OrderLine.order_id < start + CHUNK]
        _link_lines(session, in_chunk + lines_in_chunk, *messages)
        _sum_up_orders(session, in_chunk, lines_in_chunk)
        done += session.scalar(sa.select(sa.func.count()).select_from(Order).where(*in_chunk))
        if report:
            report(done)
    session.flush()
    return done


def _link_lines(session: Session, where, no_match: str, inactive: str) -> None:
    lines, orders = OrderLine.__table__, Order.__table__
    exact, any_option = SkuMapping.__table__.alias("exact"), SkuMapping.__table__.alias("any")
    by_code, sku = Sku.__table__.alias("by_code"), Sku.__table__.alias("sku")
    found = sa.func.coalesce(exact.c.sku_id, any_option.c.sku_id, by_code.c.id)
    candidates = (
        sa.select(lines.c.id.label("line_id"), found.label("sku_id"),
                  sku.c.active.label("active"))
        .select_from(
            lines.join(orders, orders.c.id == lines.c.order_id)
            .outerjoin(exact, sa.and_(exact.c.shop_id == orders.c.shop_id,
                                      exact.c.product_code == lines.c.mall_product_code,
                                      exact.c.option == sa.func.coalesce(lines.c.mall_option, "")))
            .outerjoin(any_option, sa.and_(any_option.c.shop_id == orders.c.shop_id,
                                           any_option.c.product_code == lines.c.mall_product_code,
                                           any_option.c.option == ""))
            .outerjoin(by_code, by_code.c.code == lines.c.mall_product_code)
            .outerjoin(sku, sku.c.id == found))
        .where(*where)
        .subquery("candidate"))
    ok = sa.and_(candidates.c.sku_id.is_not(None), candidates.c.active.is_(True))
    new_sku = sa.case((ok, candidates.c.sku_id))
    new_result = sa.case((ok, LinkResult.ok.value), else_=LinkResult.fail.value)
    new_error = sa.case((candidates.c.sku_id.is_(None), no_match), (ok, None), else_=inactive)
    session.execute(
        sa.update(lines)
        .where(lines.c.id == candidates.c.line_id,
               sa.or_(lines.c.sku_id.is_distinct_from(new_sku),
                      lines.c.link_result.is_distinct_from(new_result),
                      lines.c.link_error.is_distinct_from(new_error)))
        .values(sku_id=new_sku, link_result=new_result, link_error=new_error))


def _sum_up_orders(session: Session, where, lines_where) -> None:
    """Each order's result from its lines, in one upsert of the lines grouped per order,
    written only where it changes."""
    orders, lines = Order.__table__, OrderLine.__table__
    failed = sa.func.max(sa.case((lines.c.link_result == LinkResult.fail.value, 1), else_=0))
    summary = (
        sa.select(lines.c.order_id,
                  sa.case((failed == 1, LinkResult.fail.value), else_=LinkResult.ok.value))
        .select_from(lines.join(orders, orders.c.id == lines.c.order_id))
        .where(*where, *lines_where)
        .group_by(lines.c.order_id))
    insert = upsert(session, OrderLink.__table__).from_select(["order_id", "result"], summary)
    session.execute(insert.on_conflict_do_update(
        index_elements=["order_id"], set_={"result": insert.excluded.result},
        where=OrderLink.__table__.c.result.is_distinct_from(insert.excluded.result)))


def has_link_result(result: LinkResult | str) -> sa.ColumnElement[bool]:
    """The orders whose link result is `result` (a semi-join the planner can drive from
    the few FAIL entries or from the order side, whichever is cheaper)."""
    return sa.exists().where(OrderLink.order_id == Order.id,
                             OrderLink.result == LinkResult(result).value)


def failed_orders(session: Session, where: list[sa.ColumnElement[bool]], *, limit: int
                  ) -> list[tuple[str, list[tuple[str, str | None]]]]:
    """The first orders matching `where` whose link result is FAIL, each with its failed
    lines as (mall product code, reason)."""
    orders = session.execute(
        sa.select(Order.id, Order.order_number).where(*where, has_link_result(LinkResult.fail))
        .order_by(Order.id).limit(limit)).all()
    lines: dict[int, list[tuple[str, str | None]]] = {order_id: [] for order_id, _ in orders}
    for order_id, code, error in session.execute(
            sa.select(OrderLine.order_id, OrderLine.mall_product_code, OrderLine.link_error)
            .where(OrderLine.order_id.in_(list(lines)),
                   OrderLine.link_result == LinkResult.fail)
            .order_by(OrderLine.order_id, OrderLine.line_no)):
        lines[order_id].append((code, error))
    return [(number, lines[order_id]) for order_id, number in orders]


def link_order(session: Session, order: Order) -> LinkResult | None:
    """⑯ アイテム紐づけ for one order."""
    link(session, [Order.id == order.id])
    session.refresh(order)
    return order.link_result


# --- the mapping ---------------------------------------------------------------------

class MappingError(ValueError):
    """A mapping that cannot be saved; the message says why."""


def save_mapping(session: Session, shop_id: int, product_code: str, option: str | None,
                 sku_code: str, *, actor: Actor | None) -> SkuMapping:
    """Add or change the SKU a mall product code (and option) stands for; audited."""
    product_code, option, sku_code = (product_code or "").strip(), (option or "").strip(), \
        (sku_code or "").strip()
    if not product_code or len(product_code) > 64:
        raise MappingError(_("Enter the mall's product code (up to 64 characters)."))
    if len(option) > 100:
        raise MappingError(_("The option is longer than 100 characters."))
    if session.get(Shop, shop_id) is None:
        raise MappingError(_("Unknown shop."))
    sku = session.scalar(sa.select(Sku).where(Sku.code == sku_code))
    if sku is None:
        raise MappingError(_("No SKU has the code %(code)s.", code=shown(sku_code)))
    mapping = session.scalar(sa.select(SkuMapping).where(
        SkuMapping.shop_id == shop_id, SkuMapping.product_code == product_code,
        SkuMapping.option == option))
    old_sku = None
    if mapping is None:
        mapping = SkuMapping(shop_id=shop_id, product_code=product_code, option=option)
        session.add(mapping)
    elif mapping.sku_id == sku.id:
        return mapping  # as it was: nothing to write
    else:
        old_sku = session.scalar(sa.select(Sku.code).where(Sku.id == mapping.sku_id))
    mapping.sku_id = sku.id
    session.flush()
    audit.record(session, actor, "sku_mapping.save", entity_type="sku_mapping",
                 entity_id=mapping.id, field="sku", old=old_sku, new=sku.code,
                 details=_mapping_details(mapping))
    return mapping


def delete_mapping(session: Session, mapping: SkuMapping, actor: Actor | None) -> None:
    """Delete a mapping; audited with what it said."""
    sku_code = session.scalar(sa.select(Sku.code).where(Sku.id == mapping.sku_id))
    audit.record(session, actor, "sku_mapping.delete", entity_type="sku_mapping",
                 entity_id=mapping.id, field="sku", old=sku_code,
                 details=_mapping_details(mapping))
    session.delete(mapping)
    session.flush()


def _mapping_details(mapping: SkuMapping) -> dict:
    return {"shop_id": mapping.shop_id, "product_code": mapping.product_code,
            "option": mapping.option}


@dataclass
class CsvResult:
    saved: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)


CSV_COLUMNS = {
    "shop": _l("Shop"),
    "product_code": _l("Mall product code"),
    "option": _l("Option"),
    "sku": _l("SKU code"),
}


def csv_header() -> list[str]:
    """The mapping file's header, in the current language (any language is read back)."""
    return [str(label) for label in CSV_COLUMNS.values()]


def _shop_lookup(session: Session) -> dict[str, int]:
    """A shop by its code, id or name, as a mapping file may name it. A name that two
    shops share names neither; a code or id wins over another shop's name."""
    shops = session.execute(sa.select(Shop.id, Shop.code, Shop.name)).all()
    names = [name.strip() for _id, _code, name in shops]
    found = {name.strip(): shop_id for shop_id, _code, name in shops
             if names.count(name.strip()) == 1}
    found.update({str(shop_id): shop_id for shop_id, _code, _name in shops})
    found.update({code: shop_id for shop_id, code, _name in shops})
    return found


def import_mappings(session: Session, data: bytes, actor: Actor | None) -> CsvResult:
    """Mappings from a CSV (shop, product code, option, SKU code; header row first, in
    either language). The shop is its code, id or name. Every bad row is reported by line
    number, and then nothing is saved."""
    result = CsvResult()
    rows = list(read_rows(decode_upload(data)))
    header = rows[0].cells if rows else []
    columns = find_columns(header, CSV_COLUMNS, CSV_COLUMNS)
    if len(columns) < len(CSV_COLUMNS) or len(header) != len(CSV_COLUMNS):
        result.errors.append((1, _("The first row must be the header: %(columns)s",
                                   columns=",".join(csv_header()))))
        return result
    shops = _shop_lookup(session)
    with session.begin_nested() as savepoint:
        for row in rows[1:]:
            number = row.line
            if row.problem:
                result.errors.append((number, row.problem))
                continue
            if not any(cell.strip() for cell in row.cells):
                continue
            if len(row.cells) != len(CSV_COLUMNS):
                result.errors.append((number, _("Expected 4 columns, found %(n)d.",
                                                n=len(row.cells))))
                continue
            shop, product_code, option, sku_code = (row.cells[columns[key]].strip()
                                                    for key in CSV_COLUMNS)
            if shop not in shops:
                result.errors.append((number, _("Unknown shop %(shop)s: give its name, code "
                                                "or number.", shop=shown(shop))))
                continue
            try:
                save_mapping(session, shops[shop], product_code, option, sku_code,
                             actor=actor)
                result.saved += 1
            except MappingError as error:
                result.errors.append((number, str(error)))
        if result.errors:
            savepoint.rollback()
            result.saved = 0
    if not result.saved and not result.errors:
        result.errors.append((1, _("The file has no mappings below its header.")))
    return result
