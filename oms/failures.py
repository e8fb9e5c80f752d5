"""Failures as people read them: a job's reason and a refused value say what went wrong
in plain words, never SQL or its parameters (the detail goes to the log)."""

import logging

import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import gettext as _

log = logging.getLogger(__name__)


def value_refused() -> str:
    return _("A value was too long, out of range or not storable, so nothing was saved. "
             "Check what you entered and try again.")


def job_failure(error: BaseException, locale: str = "ja") -> str:
    """The reason a job stopped, as the operator reads it. Our own errors (defined in oms)
    are written for people and say what went wrong; anything else, above all a database
    error that carries its SQL and parameters, becomes a plain sentence naming the kind of
    problem, and the detail goes to the log."""
    if type(error).__module__.startswith("oms."):
        return str(error)
    log.error("job failed", exc_info=error)
    with force_locale(locale):
        if isinstance(error, sa.exc.DataError):
            reason = value_refused()
        elif isinstance(error, sa.exc.OperationalError):
            reason = _("The database could not be reached or was busy.")
        elif isinstance(error, sa.exc.SQLAlchemyError):
            reason = _("The database refused the work.")
        elif isinstance(error, OSError):
            reason = _("A file could not be read or written.")
        else:
            reason = _("An unexpected error stopped the job.")
        return _("%(reason)s The details are in the server log (%(kind)s).",
                 reason=reason, kind=type(error).__name__)
