"""The OMS application factory."""

import secrets
from collections.abc import Callable
from hashlib import sha512
from pathlib import Path
from typing import Any

from flask import Flask, request, session
from flask_login.config import SESSION_KEYS
from jinja2 import StrictUndefined
from werkzeug.middleware.proxy_fix import ProxyFix

from oms import config, database, formatting, templating, transactions, validation, widgets
from oms.access import enforce_access
from oms.extensions import babel, csrf, db, login_manager, migrate
from oms.htmx import vary_on_htmx
from oms.sessions import SessionInterface

MIGRATIONS = str(Path(__file__).resolve().parent.parent / "migrations")


class App(Flask):
    """Flask, with each view's and hook's sync check made once: Flask asks whether a
    function is a coroutine on every call, some sixteen times per request. (What it is
    asked about is registered once, views, hooks and error handlers: a fixed set.)"""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._sync: dict[Callable, Callable] = {}

    def ensure_sync(self, func: Callable) -> Callable:
        sync = self._sync.get(func)
        if sync is None:
            sync = self._sync[func] = super().ensure_sync(func)
        return sync


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    app = App(__name__, instance_relative_config=True)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.from_mapping(config.from_env(Path(app.instance_path)))
    if overrides:
        app.config.from_mapping(overrides)
    if not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = _instance_secret(Path(app.instance_path))
    app.jinja_env.undefined = StrictUndefined
    app.session_interface = SessionInterface()
    app.url_map.converters.update(validation.CONVERTERS)  # before any route is added
    if proxies := app.config["PROXY_COUNT"]:
        # Behind a load balancer: trust its X-Forwarded-For/-Proto for audit IPs and HTTPS.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)

    db.init_app(app)
    database.init_app(app)
    migrate.init_app(app, db, directory=MIGRATIONS)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=_select_locale)
    _init_login(app)

    app.before_request(enforce_access)
    app.before_request(validation.refuse_control_characters)
    transactions.init_app(app)
    app.after_request(vary_on_htmx)
    app.after_request(_security_headers)
    formatting.init_app(app)
    templating.init_app(app)
    widgets.install()

    from oms import cli, errors
    from oms.blueprints import register_blueprints

    errors.init_app(app)
    register_blueprints(app)
    cli.init_app(app)
    return app


def _instance_secret(instance_path: Path) -> str:
    """A per-installation key kept under instance/, shared by web and worker processes."""
    key_file = instance_path / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


def _select_locale() -> str:
    lang = session.get("lang")
    if lang in ("ja", "en"):
        return lang
    return "ja"


def _init_login(app: Flask) -> None:
    from oms.services import users

    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    # A fresh session on sign-in is the auth blueprint's. Session protection (README
    # "Sessions"): a signed-in session is bound to the browser's User-Agent and the client's
    # address as the app sees it (the TCP peer, or what the OMS_PROXY_COUNT trusted proxies
    # report; never a client's own X-Forwarded-For). A request with another fingerprint is
    # signed out and sent to the sign-in page: a cookie copied into another browser, or
    # used from another address, is refused. Not told apart: a copy used with the same
    # User-Agent from the same address. Flask-Login's "strong" mode alone refuses nothing
    # here (for a permanent session, as ours are, it only marks it not fresh) and trusts
    # X-Forwarded-For from anyone; it stays on, with our fingerprint (no public hook).
    login_manager.session_protection = "strong"
    login_manager._session_identifier_generator = client_fingerprint
    app.before_request(_refuse_copied_session)  # before enforce_access loads the user

    @login_manager.user_loader
    def load_user(user_id: str) -> users.SignedIn | None:
        uid_text, _, epoch_text = user_id.partition(":")
        uid = validation.parse_int(uid_text, 1, validation.INT8_MAX)
        epoch = validation.parse_int(epoch_text, 0)
        if uid is None or epoch is None:
            return None
        return users.signed_in(db.session, uid, epoch)


def client_fingerprint() -> str:
    """What a signed-in session is bound to: the client's address and User-Agent."""
    agent = request.headers.get("User-Agent", "")
    return sha512(f"{request.remote_addr}|{agent}".encode()).hexdigest()


def _refuse_copied_session() -> None:
    if "_user_id" in session and session.get("_id") != client_fingerprint():
        for key in SESSION_KEYS:  # signed out: the user loader never sees this request
            session.pop(key, None)


CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
    "form-action 'self'"
)
SECURITY_HEADERS = (("Content-Security-Policy", CSP), ("X-Content-Type-Options", "nosniff"),
                    ("Referrer-Policy", "same-origin"), ("X-Frame-Options", "DENY"))
HSTS = ("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
# Pages show personal data: keep them out of shared caches and the bfcache.
NO_STORE = ("Cache-Control", "no-store")


def _security_headers(response):
    """Add each header the view did not set itself. (Looked up in one set: werkzeug's
    setdefault makes an exception for each header missing.)"""
    headers = response.headers
    present = {name.lower() for name, _value in headers}
    added = list(SECURITY_HEADERS)
    if request.is_secure:
        added.append(HSTS)
    if response.mimetype == "text/html":
        added.append(NO_STORE)
    for name, value in added:
        if name.lower() not in present:
            headers.add(name, value)
    return response
