"""What every row of the order list shares, resolved once per page: labels, fixed texts,
the blacklist flags' markup and the row links. Per row, `url_for`, `gettext` and a macro
call cost more than the row's share of the query."""

from flask import get_template_attribute
from flask_babel import gettext as _

from oms import labels
from oms.services.blacklist import Flag
from oms.templating import url_pattern


def row_kit() -> dict:
    flag = get_template_attribute("orders/_blacklist_flag.html", "blacklist_flag")
    return {
        **labels.resolved(status=labels.ORDER_STATUS, payment_status=labels.PAYMENT_STATUS),
        "text": {"attention": _("Attention"), "hold": _("Hold"),
                 "needs_attention": _("Needs attention"), "shipping_hold": _("Shipping hold"),
                 "refresh": _("Update"), "link": _("Link")},
        "flags": {None: flag(None), **{f: flag(f) for f in Flag}},
        "detail_url": url_pattern("orders.detail", "order_number"),
        "refresh_url": url_pattern("marketplaces.refresh_order", "order_id"),
        "link_url": url_pattern("marketplaces.link_order", "order_id"),
    }
