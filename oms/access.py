"""Who may open which route: every view declares it, and anything undeclared is refused."""

from collections.abc import Callable
from enum import StrEnum

from flask import abort, current_app, request, url_for
from flask_login import current_user

from oms.extensions import login_manager
from oms.services.actor import SCREEN, Actor


class Access(StrEnum):
    public = "public"
    operator = "operator"  # any signed-in user; admins included
    admin = "admin"


def access(level: Access | str) -> Callable:
    """Declare the access level of a view function."""
    level = Access(level)

    def mark(view: Callable) -> Callable:
        view.access = level
        return view

    return mark


def required_access(endpoint: str | None) -> Access | None:
    if endpoint is None or endpoint == "static":
        return Access.public
    view = current_app.view_functions.get(endpoint)
    return getattr(view, "access", None)


def enforce_access():
    """before_request hook: refuse undeclared routes, send strangers to the login page."""
    if request.endpoint is None:
        return None  # 404 follows
    level = required_access(request.endpoint)
    if level is None:
        abort(403)
    if level is Access.public:
        return None
    if not current_user.is_authenticated:
        if request.headers.get("HX-Request") == "true":
            # htmx would swap the login page into a fragment: send the whole tab there.
            return "", 401, {"HX-Redirect": url_for("auth.login")}
        return login_manager.unauthorized()
    if level is Access.admin and not current_user.is_admin:
        abort(403)
    return None


def current_actor() -> Actor:
    """The signed-in user acting on a screen, from the request's address."""
    return Actor(current_user.id, current_user.username, request.remote_addr, SCREEN)
