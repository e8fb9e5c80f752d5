"""The order list's controls (seed 000 ⑫ ⑭, seed 004 ①): which ones each status tab
shows, and which orders a pressed control acts on.

One rule for every control. It acts on the checked orders; with none checked, on every
order of the search, and the operator is told so before anything happens ("検索結果の
全N件を対象にします") unless "select all results" was chosen first. 全注文更新 and
アイテム紐づけ always take the whole search (seed 000 ⑫), and say so when orders were
checked. A control is refused, with the reason, when the search holds no order, or more
than the control may act on directly (MAX_DIRECT_ORDERS: larger sets go to bulk update),
unless it runs as a job over a larger search (在庫引当).
"""

import re
from dataclasses import dataclass
from enum import StrEnum
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from oms.models import Order
from oms.services import order_search

# The most rows a page shows, so the most orders that can be checked at once.
MAX_SELECTED = max(order_search.PER_PAGE_CHOICES)
# Upper bound for acting on a whole search directly from the list (注文確認, 配送情報送信,
# 在庫引当).
MAX_DIRECT_ORDERS = 2000
# An order id as a form sends it: ASCII digits that fit a BIGINT.
_ID = re.compile(r"[0-9]{1,18}")


class Scope(StrEnum):
    checked = "checked"  # the checked orders; none checked: the whole search
    search = "search"  # always every order of the search (seed 000 ⑫)


@dataclass(frozen=True)
class Control:
    key: str  # also the button's data-action hook
    label: LazyString
    endpoint: str
    scope: Scope = Scope.checked
    limit: int | None = None  # most orders it acts on directly
    job_above_limit: bool = False  # a larger search is a job, not refused
    tab: str | None = None  # it acts only on the orders of this tab
    encoding: bool = False  # offers the CSV encoding choice
    link: bool = False  # a plain link to a page of its own, not a submit button
    primary: bool = False
    title: LazyString | None = None


CONTROLS = {c.key: c for c in (
    Control("confirm", _l("Confirm orders"), "orders.confirm", limit=MAX_DIRECT_ORDERS,
            primary=True),
    Control("send-shipping", _l("Send shipping info"), "marketplaces.send_shipping_info",
            limit=MAX_DIRECT_ORDERS),
    Control("inventory-download", _l("Inventory download"),
            "marketplaces.inventory_download", tab="processing", encoding=True),
    Control("inventory-upload", _l("Inventory upload"), "marketplaces.inventory_upload",
            link=True),
    Control("shipment-import", _l("Shipment confirmation import"),
            "orders.shipment_import_upload", link=True),
    Control("allocate", _l("Allocate stock"), "orders.allocate", limit=MAX_DIRECT_ORDERS,
            job_above_limit=True),
    Control("refresh-all", _l("Update all orders"), "marketplaces.refresh_all",
            scope=Scope.search,
            title=_l("Update every order of this search from its mall (a heavy job)")),
    Control("link-all", _l("Link items"), "marketplaces.link_all", scope=Scope.search,
            title=_l("Link the items of every order of this search, not only the checked "
                     "ones")),
    Control("ship-export", _l("Shipping instructions export"), "shipping_export.start"),
    # 荷物番号報告 (seed 001 §5) on 出荷済: the malls' files, and the API report again.
    Control("rakuten-file", _l("Rakuten tracking CSV export"), "orders.rakuten_file",
            tab="done"),
    Control("amazon-file", _l("Amazon shipment confirmation export"), "orders.amazon_file",
            tab="done"),
    Control("report-again", _l("Report tracking again"), "orders.report_again",
            limit=MAX_DIRECT_ORDERS, tab="done"),
    # 後払い (seed 001 §1, §5): NP / GMO 取引登録 on 確認待ち, 配送伝票 on 出荷済, and the
    # imports of what the provider answers.
    Control("deferred-credit", _l("Deferred payment registration export"),
            "deferred.start_credit", tab="waiting"),
    Control("deferred-credit-import", _l("Credit result import"), "deferred.import_credit",
            link=True),
    Control("deferred-ship", _l("Deferred payment shipping slip export"),
            "deferred.start_ship", tab="done"),
    Control("deferred-ship-import", _l("Shipment report result import"),
            "deferred.import_ship", link=True),
    Control("mail", _l("Send mail"), "mail.start"),
    Control("bulk", _l("Bulk update"), "bulk.start"),
    Control("export", _l("Order information download"), "orders.export", encoding=True),
)}

# Seed 000 ⑭ per tab, and 在庫引当 (seed 001 §3) and 出荷確定インポート (§4) on processing;
# ⑫ (全注文更新, アイテム紐づけ) wherever more than confirming and linking one order is
# allowed, so not on 待機中; bulk update (seed 004) everywhere.
_EVERYWHERE = ("refresh-all", "link-all", "mail", "bulk", "export")
TAB_CONTROLS: dict[str, tuple[str, ...]] = {
    "all": _EVERYWHERE,
    "waiting": ("deferred-credit", "deferred-credit-import", "mail", "bulk", "export"),
    "new": ("confirm", *_EVERYWHERE),
    "processing": ("send-shipping", "inventory-download", "inventory-upload", "allocate",
                   "ship-export", "shipment-import", *_EVERYWHERE),
    "done": ("rakuten-file", "amazon-file", "report-again", "deferred-ship",
             "deferred-ship-import", *_EVERYWHERE),
    "on_hold": _EVERYWHERE,
    "cancelled": _EVERYWHERE,
    "closed": _EVERYWHERE,
}


def for_tab(tab: str) -> list[Control]:
    """The controls the list shows on a status tab, in their order."""
    return [CONTROLS[key] for key in TAB_CONTROLS.get(tab, _EVERYWHERE)]


class Refused(ValueError):
    """The control cannot act on this selection; the message says why."""


@dataclass(frozen=True)
class Target:
    """What a control acts on: the checked orders (`order_ids`), or every order of
    `search` (`order_ids` None, unless the control acts directly: then their ids; a
    control with `job_above_limit` gets None for a search larger than its limit)."""

    control: Control
    search: str
    order_ids: list[int] | None
    count: int
    whole_search: bool
    # Not yet agreed to: the operator is to be told what it acts on, and asked.
    to_confirm: bool = False
    checked: int = 0  # orders that were checked, for a control that takes the search

    def conditions(self, session: Session, tz: ZoneInfo) -> list[sa.ColumnElement[bool]]:
        """The orders as SQL conditions."""
        ids = None if self.whole_search else self.order_ids
        where = order_search.target_conditions(session, self.search, ids, tz)
        return [*where, Order.tab == self.control.tab] if self.control.tab else where

    def message(self) -> str:
        """What the control will act on, in words."""
        if not self.whole_search:
            return str(_l("%(action)s: the %(n)s checked orders.",
                          action=self.control.label, n=f"{self.count:,}"))
        if self.checked:
            return str(_l("%(action)s does not act on the checked orders only: it acts on "
                          "all %(n)s orders of the search.",
                          action=self.control.label, n=f"{self.count:,}"))
        return str(_l("%(action)s: all %(n)s orders of the search.",
                      action=self.control.label, n=f"{self.count:,}"))


def parse_ids(values: list[str]) -> list[int]:
    """The checked order ids of a list form, in their order without repeats. Raises
    Refused for a value that is not an id or for more than a page can hold."""
    ids: dict[int, None] = {}
    for value in values:
        if not _ID.fullmatch(value.strip()):
            raise Refused(str(_l("The selection could not be read. Reload the list and "
                                 "select the orders again.")))
        ids[int(value.strip())] = None
    if len(ids) > MAX_SELECTED:
        raise Refused(str(_l("At most %(n)d orders can be checked at once; choose every "
                             "order of the search instead.", n=MAX_SELECTED)))
    return list(ids)


def choose(session: Session, key: str, *, scope: str, search: str, checked: list[str],
           tz: ZoneInfo) -> Target:
    """What the control `key` acts on, from the list form: `scope` "search" when the
    operator chose every order of the search, `search` the list's query string,
    `checked` the checked rows' values. Raises Refused with the reason."""
    control = CONTROLS[key]
    ids = parse_ids(checked)
    if ids and control.scope is Scope.checked and scope != "search":
        return Target(control, search, ids, len(ids), whole_search=False)
    target = Target(control, search, None, 0, whole_search=True,
                    to_confirm=scope != "search", checked=len(ids))
    where = target.conditions(session, tz)

    def count_all() -> int:
        return session.scalar(sa.select(sa.func.count()).select_from(Order).where(*where))

    found = None
    if control.limit is None:
        count = count_all()
    else:
        found = list(session.scalars(sa.select(Order.id).where(*where).order_by(Order.id)
                                     .limit(control.limit + 1)))
        count = len(found)
    if count == 0:
        raise Refused(str(_l("%(action)s: no order matches the search.",
                             action=control.label)))
    if control.limit is not None and count > control.limit:
        if not control.job_above_limit:
            raise Refused(str(_l("%(action)s acts on at most %(n)s orders at once: narrow "
                                 "the search, or use bulk update.",
                                 action=control.label, n=f"{control.limit:,}")))
        found, count = None, count_all()  # a job evaluates the search itself
    return Target(control, search, found, count, whole_search=True,
                  to_confirm=target.to_confirm, checked=target.checked)
