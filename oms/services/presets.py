"""Search presets (seed 000 ⑪): built-in ones, and operators' own saved searches."""

from dataclasses import dataclass
from datetime import date, timedelta
from urllib.parse import parse_qsl, urlencode

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from oms.models import SearchPreset
from oms.services.actor import Person
from oms.services.list_cache import ListCache

MAX_PRESETS_PER_USER = 50
SAVED = ListCache([SearchPreset])


@dataclass(frozen=True)
class BuiltinPreset:
    key: str
    label: object
    build: object  # (today) -> dict of query arguments


BUILTIN = [
    BuiltinPreset("today_new", _l("Today's new orders"),
                  lambda today: {"tab": "new", "date_from": today.isoformat(),
                                 "date_to": today.isoformat()}),
    BuiltinPreset("link_fail", _l("Item link FAIL"), lambda today: {"link_result": "FAIL"}),
    BuiltinPreset("attention", _l("Needs attention"), lambda today: {"needs_attention": "1"}),
    BuiltinPreset("payment_overdue", _l("Awaiting payment over 7 days"),
                  lambda today: {"tab": "waiting", "status": "awaiting_payment",
                                 "date_to": (today - timedelta(days=8)).isoformat()}),
    BuiltinPreset("shipping_hold", _l("Shipping hold"), lambda today: {"shipping_hold": "1"}),
    BuiltinPreset("blacklist", _l("Blacklist hits"),
                  lambda today: {"blacklist": "1", "tab": "new"}),
]


def builtin_query(key: str, today: date) -> str | None:
    for preset in BUILTIN:
        if preset.key == key:
            return urlencode(preset.build(today))
    return None


class PresetError(ValueError):
    """A preset cannot be saved as asked; the message says why."""


def clean_query(query: str) -> str:
    """Keep only search arguments: paging and selection are not part of a preset."""
    pairs = [(k, v) for k, v in parse_qsl(query) if k not in {"page", "select", "preset"}]
    return urlencode(pairs)


def _check_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > 64:
        raise PresetError(str(_l("Give the preset a name of 1 to 64 characters.")))
    return name


def list_for(session: Session, user: Person) -> list[sa.Row]:
    """The user's presets (id, name, query) by name, from the process's copy while no
    preset has changed anywhere: the list shows them on every page."""
    return SAVED.rows(session, user.id, lambda: list(session.execute(
        sa.select(SearchPreset.id, SearchPreset.name, SearchPreset.query)
        .where(SearchPreset.user_id == user.id).order_by(SearchPreset.name))))


def save(session: Session, user: Person, name: str, query: str) -> SearchPreset:
    name = _check_name(name)
    if session.scalar(sa.select(SearchPreset.id).where(
            SearchPreset.user_id == user.id, SearchPreset.name == name)):
        raise PresetError(str(_l("You already have a preset with this name.")))
    if len(list_for(session, user)) >= MAX_PRESETS_PER_USER:
        raise PresetError(str(_l("You have too many presets; delete one first.")))
    preset = SearchPreset(user_id=user.id, name=name, query=clean_query(query)[:2000])
    session.add(preset)
    session.flush()
    return preset


def get_own(session: Session, user: Person, preset_id: int) -> SearchPreset | None:
    return session.scalar(sa.select(SearchPreset).where(
        SearchPreset.id == preset_id, SearchPreset.user_id == user.id))


def rename(session: Session, preset: SearchPreset, name: str) -> None:
    name = _check_name(name)
    clash = session.scalar(sa.select(SearchPreset.id).where(
        SearchPreset.user_id == preset.user_id, SearchPreset.name == name,
        SearchPreset.id != preset.id))
    if clash:
        raise PresetError(str(_l("You already have a preset with this name.")))
    preset.name = name


def delete(session: Session, preset: SearchPreset) -> None:
    session.delete(preset)
