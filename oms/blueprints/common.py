"""What every blueprint shares: the one-button form, and a record or 404."""

from typing import Any, TypeVar

from flask import abort
from flask_wtf import FlaskForm

from oms.extensions import db

T = TypeVar("T")


class EmptyForm(FlaskForm):
    """A one-button action: only the CSRF token (STYLE.md 8)."""


def or_404(record: T | None) -> T:
    """The record a service found, or 404 when there is none (or it is not the user's)."""
    if record is None:
        abort(404)
    return record


def get_or_404(model: type[T], ident: Any, **belongs: Any) -> T:
    """The row of `model` with this primary key whose attributes equal `belongs` (a memo
    of this order, an order not deleted), else 404."""
    record = db.session.get(model, ident)
    if record is None or any(getattr(record, name) != value for name, value in belongs.items()):
        abort(404)
    return record
