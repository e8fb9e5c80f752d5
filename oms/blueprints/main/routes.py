from flask import abort, jsonify, redirect, render_template, url_for
from flask_babel import lazy_gettext as _l

from oms.access import Access, access
from oms.blueprints.main import bp
from oms.extensions import db
from oms.queue import get_redis
from oms.services import health, masters

# Areas whose issues are still open: an honest page instead of a dead link.
UPCOMING = {
    "subscriptions": _l("Subscriptions"),
    "customers": _l("Customers"),
}


@bp.route("/")
@access(Access.operator)
def index():
    """The landing page is the order list."""
    return redirect(url_for("orders.index"))


@bp.route("/healthz")
@access(Access.public)
def healthz():
    """Database and Redis reachability for load balancers."""
    result = health.check(db.session, get_redis)
    ok = all(result.values())
    return jsonify(status="ok" if ok else "unavailable", **result), 200 if ok else 503


@bp.route("/area/<name>")
@access(Access.operator)
def upcoming(name: str):
    """An area that is not built yet."""
    if name not in UPCOMING:
        abort(404)
    return render_template("main/upcoming.html", title=UPCOMING[name])


# The settings area's sections: (endpoint, label). Each area's blueprint adds its own.
SETTINGS_SECTIONS: list[tuple[str, object]] = [
    ("custom_fields.index", _l("Custom fields")),
]


SETTINGS_SECTIONS += [("shops.index", _l("Shops")),
                      ("shops.mappings", _l("Item links (SKU mappings)"))]
SETTINGS_SECTIONS += [("workflow_settings.edit", _l("Order workflow settings")),
                      ("payment_settings.edit", _l("Payment settings")),
                      ("bank_accounts.index", _l("Bank accounts for transfers")),
                      ("carriers.index", _l("Carriers"))]
SETTINGS_SECTIONS += [("payment_methods.index", _l("Payment methods"))]
# The lists orders pick from, and 成果通知設定 (oms.services.masters): one screen each.
SETTINGS_LISTS = ("handling-statuses", "tags", "attention-reasons", "media", "wrappings",
                  "stock-locations", "conversion-settings")
SETTINGS_SECTIONS += [("mail.templates", _l("Mail templates")),
                      ("mail.system_mails", _l("System mails")),
                      ("mail.outbox", _l("Sent mail (file)"))]


@bp.route("/settings")
@access(Access.admin)
def settings():
    """Settings (admins only): an index of the sections."""
    lists = [(url_for("masters.index", slug=slug), masters.MASTERS[slug].title)
             for slug in SETTINGS_LISTS]
    return render_template("main/settings.html", sections=[
        (url_for(endpoint), label) for endpoint, label in SETTINGS_SECTIONS] + lists)
