"""Error pages: every failure reaches the operator as a readable page, never a stack trace
or SQL (those go to the log)."""

import sqlalchemy as sa
from flask import Flask, render_template
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from oms.extensions import db
from oms.failures import value_refused


def _messages() -> dict[int, str]:
    return {
        400: _("The request could not be understood. Please go back and try again."),
        403: _("You do not have permission to open this page."),
        404: _("This page does not exist, or the item was deleted."),
        405: _("This action cannot be done that way."),
        413: _("The file is too large."),
        429: _("Too many attempts. Please wait a little and try again."),
        500: _("Something went wrong on our side. Nothing was changed; please try again."),
    }


def render_error(code: int, message: str | None = None, refused_by: str | None = None):
    """The error page; `refused_by="database"` marks a value that only the database
    refused (a check is missing: the hostile-input tests look for it)."""
    message = message or _messages().get(code, _messages()[400])
    return render_template("errors/error.html", code=code, message=message,
                           refused_by=refused_by), code


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return render_error(
            400, _("The form was out of date or incomplete. Reload the page and try again.")
        )

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        return render_error(error.code or 500)

    @app.errorhandler(sa.exc.DataError)
    def database_refused_a_value(error: sa.exc.DataError):
        # The last line of defence: forms and services check values first, so this means
        # a check is missing. Logged with the statement; the page never shows it.
        db.session.rollback()
        app.logger.exception("the database refused a value")
        return render_error(422, value_refused(), "database")

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception):
        # Roll back so the failed request leaves nothing half-written.
        db.session.rollback()
        app.logger.exception("unhandled error")
        return render_error(500)
