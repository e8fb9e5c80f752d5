"""The rows of the order list, built in Python: per row, Jinja's escaping of every output,
its attribute lookups, `url_for`, `gettext` and a macro call cost more than the row's share
of the query. What every row shares (labels, fixed texts, the blacklist flags' markup, the
row links and buttons, the time zone) is resolved once per process and locale; only the
order's own values are escaped per row.

A row's markup is kept, keyed by everything the row shows (its ListRow, which is hashable,
and the page's selection): the same page seen again, as a tab is reloaded all day, costs a
lookup per row instead of escaping and formatting its values. A changed order is a new
key, so nothing needs forgetting; the oldest rows go first past `KEPT_ROWS`."""

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from zoneinfo import ZoneInfo

from flask import current_app, get_template_attribute, request
from flask_babel import get_locale
from flask_babel import gettext as _
from markupsafe import Markup, escape

from oms import labels
from oms.formatting import yen
from oms.models import LinkResult, OrderStatus, PaymentStatus
from oms.services import list_controls, order_search, presets
from oms.services.blacklist import Flag
from oms.services.order_rows import ListRow
from oms.templating import url_parts, url_pattern

# Before the row, the lines of the template's tags that it replaced: pages stay byte for
# byte the same.
_LEAD = "\n        " * 3
# Nothing at the mall to update yet.
_NOT_REFRESHED = frozenset({OrderStatus.pending_review, OrderStatus.awaiting_payment})
# Rows kept per kit (a worker and locale): forty pages of fifty, some 6 MB.
KEPT_ROWS = 2000


@dataclass(frozen=True)
class RowKit:
    status: dict[OrderStatus, str]  # the status cell's markup, per status
    payment_status: dict[PaymentStatus, Markup]
    link: dict[LinkResult | None, str]  # the item link cell, per result
    attention: str  # the flags' markup
    hold: str
    flags: dict[Flag | None, Markup]
    detail_url: Callable[[object], str]
    refresh: Callable[[int], str]  # the row's buttons, per order id
    link_button: Callable[[int], str]
    tz: ZoneInfo
    kept: dict[tuple[ListRow, str | None], str] = field(default_factory=dict)

    def rows(self, rows: list[ListRow], select: str | None) -> Markup:
        """The page's rows, laid out as a loop of the template would (a loop of fifty
        calls from Jinja cost half as much as the rows themselves)."""
        return Markup("".join(  # noqa: S704 (each row escapes its own values)
            [self._kept_row(o, select) for o in rows]))

    def _kept_row(self, o: ListRow, select: str | None) -> str:
        """The row's markup with the loop's lines around it, as kept."""
        key = (o, select)
        markup = self.kept.get(key)
        if markup is None:
            markup = self.kept[key] = f"\n        {self.row(o, select)}\n        "
            if len(self.kept) > KEPT_ROWS:
                self.kept.pop(next(iter(self.kept)), None)
        return markup

    def row(self, o: ListRow, select: str | None, message: str | None = None,
            ok: bool = True) -> Markup:
        """The order's <tr> (with `message` under its buttons, after a row action)."""
        url = escape(self.detail_url(o.order_number))
        number = escape(o.order_number)
        kana = f"<br><small>{escape(o.buyer_kana)}</small>" if o.buyer_kana else ""
        country = (f' <span class="country">{escape(o.destination_country)}</span>'
                   if o.destination_country != "JP" else "")
        note = (f'<br><small class="allocation-note" data-allocation-note>'
                f'{escape(o.allocation_note)}</small>'
                if o.status is OrderStatus.awaiting_allocation and o.allocation_note else "")
        tags = "".join(f'<span class="tag tag-{escape(color)}">{escape(name)}</span> '
                       for name, color in o.tags)
        refresh = (f"\n            {self.refresh(o.id)}\n            "
                   if o.shop_kind != "own" and o.status not in _NOT_REFRESHED else "")
        said = (f'<br><small class="{"hint" if ok else "error-text"}" role="status" '
                f"data-row-message>{escape(message)}</small>" if message is not None else "")
        checkbox = (f'<input type="checkbox" name="order_id" value="{o.id}" '
                    f'aria-labelledby="on-{o.id}"{" checked" if select else ""}'
                    f'{" disabled" if select == "all" else ""}>')
        number_link = (f'<a id="on-{o.id}" href="{url}" hx-get="{url}" hx-target="#dialog" '
                       f"data-dialog>{number}</a>")
        return Markup(f"""{_LEAD}<tr data-order-number="{number}">
          <td class="check">{checkbox}</td>
          <td class="mono">{number_link}</td>
          <td><span class="mall mall-{escape(o.shop_kind)}">{escape(o.shop_name)}</span></td>
          <td class="nowrap">{o.ordered_at.astimezone(self.tz):%Y-%m-%d %H:%M}</td>
          <td>{escape(o.buyer_name)}{kana}</td>
          <td>{escape(o.ship_prefecture or "")}{country}</td>
          <td class="num">{yen(o.total)}</td>
          <td>{escape(o.payment_name)}<br><small>{self.payment_status[o.payment_status]}</small></td>
          <td>{self.status[o.status]}{note}</td>
          <td>{escape(o.handling_name or "")}</td>
          <td>{tags}</td>
          <td>{self.link[o.link_result]}</td>
          <td>
            {self.attention if o.needs_attention else ""}
            {self.hold if o.shipping_hold else ""}
            {self.flags[o.blacklist]}
          </td>
          <td class="row-actions">
            {refresh}
            {self.link_button(o.id)}
            {said}
          </td>
        </tr>
        """)  # noqa: S704 (the order's values are escaped above)


def _button(endpoint: str, action: str, label: Markup) -> Callable[[int], str]:
    """A row's button to an order-id route, its markup around the id made once (an id is
    digits: nothing in it to quote or escape)."""
    head, tail = (escape(part) for part in url_parts(endpoint, "order_id"))
    before, between, again = (f'<button type="submit" class="link" formaction="{head}',
                               f'{tail}" id="{action}-', f'" hx-post="{head}')
    after = (f'{tail}" hx-target="closest tr" hx-swap="outerHTML" '
             f'data-action="{action}-order">{label}</button>')
    return lambda order_id: f"{before}{order_id}{between}{order_id}{again}{order_id}{after}"


@cache
def fixed_texts(locale: str) -> dict[str, dict]:
    """The list's fixed texts in `locale` (tabs, statuses, what its selects, presets and
    controls offer), translated once per process: a lazy string looks its catalog up
    through Flask-Babel every time it is shown, a hundred times per page. As Markup,
    since a lazy string renders itself unescaped."""
    controls = list_controls.CONTROLS.values()
    return {name: {key: Markup(text)  # noqa: S704 (our catalog's text)
                   for key, text in mapping.items()} for name, mapping in {
        "tab": labels.TAB, "status": labels.ORDER_STATUS,
        "payment_status": labels.PAYMENT_STATUS, "mall": labels.MALL,
        "allocation_state": labels.ALLOCATION_STATE, "report_progress": labels.REPORT_PROGRESS,
        "date_basis": order_search.DATE_BASES, "sort": order_search.SORTS,
        "preset": {p.key: p.label for p in presets.BUILTIN},
        "control": {c.key: c.label for c in controls},
        "control_title": {c.key: c.title for c in controls if c.title},
    }.items()}


def row_kit() -> RowKit:
    """The page's RowKit, built once per process, locale and script root: all it holds is
    fixed there."""
    kits = current_app.extensions.setdefault("oms_row_kits", {})
    key = (str(get_locale()), request.script_root)
    if key not in kits:
        kits[key] = _row_kit(key[0])
    return kits[key]


def _row_kit(locale: str) -> RowKit:
    flag = get_template_attribute("orders/_blacklist_flag.html", "blacklist_flag")
    shown = fixed_texts(locale)
    return RowKit(
        status={key: f'<span class="status status-{key.value}">{escape(str(label))}</span>'
                for key, label in shown["status"].items()},
        payment_status={key: escape(str(text))
                        for key, text in shown["payment_status"].items()},
        link={None: "", **{result: f'<span class="link-{result.value.lower()}">'
                                   f"{result.value}</span>" for result in LinkResult}},
        attention=(f'<span class="flag flag-attention" title="{escape(_("Needs attention"))}">'
                   f'{escape(_("Attention"))}</span>'),
        hold=(f'<span class="flag flag-hold" title="{escape(_("Shipping hold"))}">'
              f'{escape(_("Hold"))}</span>'),
        flags={None: flag(None), **{f: flag(f) for f in Flag}},
        detail_url=url_pattern("orders.detail", "order_number"),
        refresh=_button("marketplaces.refresh_order", "refresh", escape(_("Update"))),
        link_button=_button("marketplaces.link_order", "link", escape(_("Link"))),
        tz=ZoneInfo(current_app.config["OMS_TZ"]),
    )
