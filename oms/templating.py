"""Globals every template may use: navigation, locale, and link helpers."""

from collections.abc import Callable, Hashable
from functools import cache, lru_cache
from pathlib import Path
from urllib.parse import quote

from flask import Flask, current_app, request, url_for
from flask_babel import get_locale, get_translations
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from jinja2 import pass_eval_context
from markupsafe import Markup

from oms import fragment_cache, labels
from oms.services import blacklist
from oms.services.actor import parse_via
from oms.services.notifications import outcome as job_outcome

NAV = [
    ("orders.index", _l("Orders"), {}),
    ("shipments.index", _l("Shipments"), {}),
    ("main.upcoming", _l("Subscriptions"), {"name": "subscriptions"}),
    ("main.upcoming", _l("Customers"), {"name": "customers"}),
    ("bulk.index", _l("Bulk history"), {}),
    ("notifications.index", _l("Notifications"), {}),
]
ADMIN_NAV = [("main.settings", _l("Settings"), {})]


def nav_items():
    return NAV + (ADMIN_NAV if current_user.is_admin else [])


def nav_active(endpoint: str, args: dict) -> bool:
    if request.endpoint is None or request.blueprint != endpoint.partition(".")[0]:
        return False
    return all(request.view_args.get(k) == v for k, v in args.items())


def fragment_key(name: str, *inputs: Hashable) -> tuple:
    """A key for the fragment cache: what every kept fragment depends on (the locale of
    its texts, the script root its links start with), then the fragment's own inputs."""
    return (name, str(get_locale()), request.script_root, *inputs)


def header_key() -> tuple:
    """Everything the page header depends on, for the fragment cache: the page (its path
    and query, which pick the active link and are the language switch's way back) and the
    signed-in user."""
    user = current_user
    return fragment_key("header", request.method == "GET", request.full_path,
                        user.is_authenticated and (user.username, user.role))


def url_with(**changes) -> str:
    """The current URL with some query arguments replaced (pager and sort links)."""
    args = request.args.to_dict(flat=False)
    for key, value in changes.items():
        args[key] = [value]
    return url_for(request.endpoint, **(request.view_args or {}), **args)


# Passes the int, id and string converters alike, and appears in no route's fixed text.
_PLACEHOLDER = 918273645


def url_parts(endpoint: str, key: str) -> tuple[str, str]:
    """What `url_for(endpoint, key=value)` puts before and after the value."""
    head, _, tail = url_for(endpoint, **{key: _PLACEHOLDER}).partition(str(_PLACEHOLDER))
    return head, tail


def url_pattern(endpoint: str, key: str) -> Callable[[object], str]:
    """`url_for(endpoint, key=value)` for many rows: the URL is built once, and each value
    is put in its place quoted as werkzeug's path converters quote it."""
    head, tail = url_parts(endpoint, key)
    return lambda value: f"{head}{quote(str(value), safe=_PATH_SAFE)}{tail}"


_PATH_SAFE = "!$&'()*+,/:;=@"  # werkzeug.routing.BaseConverter.to_url


def static_url(filename: str) -> str:
    """`url_for("static", filename=filename)`, built once per script root: every page
    links the same files."""
    return _static_url(request.script_root, filename)


@cache
def _static_url(script_root: str, filename: str) -> str:
    return url_for("static", filename=filename)


@cache
def _htmx_file_exists(static_folder: str) -> bool:
    return (Path(static_folder) / "vendor" / "htmx.min.js").is_file()


def htmx_available() -> bool:
    """htmx is optional: without the vendored file every page still works as plain HTML."""
    return _htmx_file_exists(current_app.static_folder)


def render_gettext(translations) -> Callable:
    """`_` for one render, with the catalog looked up once: Flask-Babel's own looks up the
    request's locale and catalog on every call, a hundred times per page. Same result as
    Jinja's newstyle gettext (escaped when autoescaping, always %-formatted). Macros
    imported without context keep Flask-Babel's."""
    @pass_eval_context
    def gettext(eval_ctx, string: str, **variables):
        if eval_ctx.autoescape and not variables:
            return _shown(translations, string)
        text = translations.ugettext(string)
        if eval_ctx.autoescape:
            text = Markup(text)  # noqa: S704 (our catalog's text, as in Jinja's gettext)
        return text % variables
    return gettext


@lru_cache(maxsize=4096)
def _shown(translations, string: str) -> Markup:
    """A message without variables as a page shows it, made once per catalog: a page
    shows a few dozen, each the same on every page."""
    return Markup(translations.ugettext(string)) % {}  # noqa: S704 (our catalog's text)


def init_app(app: Flask) -> None:
    app.jinja_env.add_extension(fragment_cache.FragmentCache)
    # Globals of the environment, so macros imported without context can use them too.
    # csrf_token replaces Flask-WTF's own (its init_app ran first).
    app.jinja_env.globals.update(csrf_token=fragment_cache.csrf_token,
                                 csrf_field=fragment_cache.csrf_field, static_url=static_url,
                                 url_with=url_with, job_outcome=job_outcome,
                                 parse_via=parse_via, htmx_available=htmx_available,
                                 order_blacklist_flag=blacklist.order_flag,
                                 nav_items=nav_items, nav_active=nav_active,
                                 header_key=header_key, labels_all=labels.ALL)

    @app.context_processor
    def per_request():
        return {
            "_": render_gettext(get_translations()),
            "current_locale": lambda: str(get_locale()),
        }
