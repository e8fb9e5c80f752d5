"""Custom fields (seed 002 カスタム項目), the answers of one order.

An order's answers are edited as a draft: the stored answers, or the submitted form, with
the +/- buttons of multiple-answer categories and the "update" button of values that no
longer fit their field applied to it, then validated and saved as a whole.
"""

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.datastructures import MultiDict

from oms import validation
from oms.models import CustomFieldValue, FieldType, Order
from oms.models.base import utcnow
from oms.services import audit
from oms.services.actor import Actor
from oms.services.custom_field_definitions import MAX_TEXT, Category, Field, defined
from oms.services.order_edit import EditConflict

_INTEGER = re.compile(r"-?[0-9]{1,15}")  # ASCII: \d would also take other scripts' digits




def problem(target: Field, value: Any) -> str | None:
    """Why a stored value does not fit the field (e.g. written by an import), or None."""
    kind = target.field_type
    if value is None or value == "" or value == []:
        return None
    if kind.multiple:
        items = value if isinstance(value, list) else [value]
        unknown = [str(v) for v in items if v not in target.choices]
        if unknown:
            return str(_l("Stored answers that are not among the choices: %(values)s",
                          values=", ".join(unknown)))
        return None
    if not isinstance(value, str):
        return str(_l("The stored value does not fit this field: %(value)s", value=value))
    if kind.has_choices:
        if value not in target.choices:
            return str(_l("The stored answer is not among the choices: %(value)s",
                          value=value))
        return None
    _parsed, error = _parse_scalar(target, value)
    if error:
        return str(_l("The stored value “%(value)s” does not fit this field. %(error)s",
                      value=value, error=error))
    return None


def _parse_scalar(target: Field, raw: str) -> tuple[str | None, str | None]:
    """(value to store, error) for a typed text answer."""
    kind = target.field_type
    text = raw.strip()
    if not text:
        return None, None
    if kind in (FieldType.text, FieldType.textarea):
        limit = target.max_length or MAX_TEXT
        if len(text) > limit:
            return None, str(_l("At most %(n)d characters.", n=limit))
        return text, None
    text = unicodedata.normalize("NFKC", text)
    if kind is FieldType.number:
        if not _INTEGER.fullmatch(text):
            return None, str(_l("Enter a whole number in half-width digits."))
        number = int(text)
        if target.min_value is not None and number < target.min_value:
            return None, str(_l("At least %(n)d.", n=target.min_value))
        if target.max_value is not None and number > target.max_value:
            return None, str(_l("At most %(n)d.", n=target.max_value))
        return str(number), None
    if kind is FieldType.email:
        try:
            return validate_email(text, check_deliverability=False).normalized, None
        except EmailNotValidError:
            return None, str(_l("Enter an e-mail address such as name@example.jp."))
    if kind is FieldType.date:
        try:
            day = date.fromisoformat(text.replace("/", "-"))
        except ValueError:
            return None, str(_l("Enter a date as YYYY-MM-DD."))
        if problem := validation.date_problem(day):
            return None, problem
        return day.isoformat(), None
    raise AssertionError(kind)


def parse_answer(target: Field, raw: list[str]) -> tuple[Any, str | None]:
    """(value to store, error) for what a form sent for one field."""
    if target.field_type.multiple:
        chosen = [v for v in raw if v]
        if any(v not in target.choices for v in chosen):
            return None, str(_l("Choose from the list."))
        ordered = [c for c in target.choices if c in chosen]
        return ordered or None, None
    text = raw[0] if raw else ""
    if target.field_type.has_choices:
        if text and text not in target.choices:
            return None, str(_l("Choose from the list."))
        return text or None, None
    return _parse_scalar(target, text)


@dataclass
class Slot:
    """One field in one answer set, as the form shows it."""

    field: Field
    answer_no: int
    value: Any = None           # stored or submitted (raw list of strings when submitted)
    stored_problem: str | None = None   # the stored value does not fit: shown, kept as is
    error: str | None = None

    @property
    def key(self) -> str:
        return f"{self.field.id}-{self.answer_no}"

    @property
    def selected(self) -> list[str]:
        if self.value is None:
            return []
        return list(self.value) if isinstance(self.value, list) else [str(self.value)]

    @property
    def text(self) -> str:
        if isinstance(self.value, list):
            return ", ".join(str(v) for v in self.value)
        return "" if self.value is None else str(self.value)


@dataclass
class AnswerSet:
    answer_no: int
    slots: list[Slot]


@dataclass
class Group:
    category: Category | None
    sets: list[AnswerSet]

    @property
    def multiple(self) -> bool:
        return bool(self.category and self.category.multiple)

    @property
    def key(self) -> str:
        return str(self.category.id) if self.category else "none"


@dataclass
class Draft:
    groups: list[Group]

    @property
    def slots(self) -> list[Slot]:
        return [slot for g in self.groups for s in g.sets for slot in s.slots]

    @property
    def has_errors(self) -> bool:
        return any(slot.error for slot in self.slots)


def _grouped(session: Session) -> list[tuple[Category | None, list[Field]]]:
    groups: dict[int | None, tuple[Category | None, list[Field]]] = {}
    for item in defined(session):
        groups.setdefault(item.category and item.category.id, (item.category, []))[1].append(item)
    return list(groups.values())


def _stored(session: Session, order: Order) -> dict[tuple[int, int], Any]:
    return {(v.field_id, v.answer_no): v.value for v in session.scalars(
        sa.select(CustomFieldValue).where(CustomFieldValue.order_id == order.id))}


def stored_draft(session: Session, order: Order) -> Draft:
    """The order's answers as stored, every defined field present."""
    stored = _stored(session, order)
    groups = []
    for category, members in _grouped(session):
        ids = {f.id for f in members}
        numbers = sorted({no for fid, no in stored if fid in ids}) or [0]
        if not (category and category.multiple):
            numbers = [0]
        sets = [AnswerSet(no, [Slot(f, no, stored.get((f.id, no)),
                                    problem(f, stored.get((f.id, no)))) for f in members])
                for no in numbers]
        groups.append(Group(category, sets))
    return Draft(groups)


def answered(draft: Draft) -> list[Group]:
    """Only answered fields, for the detail page (seed 002)."""
    shown = []
    for group in draft.groups:
        sets = [AnswerSet(s.answer_no, [slot for slot in s.slots if slot.selected])
                for s in group.sets]
        sets = [s for s in sets if s.slots]
        if sets:
            shown.append(Group(group.category, sets))
    return shown


def submitted_draft(session: Session, order: Order, form: MultiDict) -> Draft:
    """The draft a custom-field form sent: its answer sets, its values, and which stored
    values that do not fit were left untouched (`keep-<field>-<no>`)."""
    stored = _stored(session, order)
    groups = []
    for category, members in _grouped(session):
        key = str(category.id) if category else "none"
        answer_nos = (validation.parse_int(n, 0, validation.INT2_MAX)
                      for n in form.getlist(f"set-{key}"))
        numbers = sorted({n for n in answer_nos if n is not None}) or [0]
        if not (category and category.multiple):
            numbers = [0]
        sets = []
        for no in numbers:
            slots = []
            for item in members:
                slot_key = f"{item.id}-{no}"
                old = stored.get((item.id, no))
                if form.get(f"keep-{slot_key}") and problem(item, old):
                    slots.append(Slot(item, no, old, problem(item, old)))
                else:
                    slots.append(Slot(item, no, form.getlist(f"cf-{slot_key}")))
            sets.append(AnswerSet(no, slots))
        groups.append(Group(category, sets))
    return Draft(groups)


def apply_action(draft: Draft, action: str) -> bool:
    """The form's +, - and update buttons; True when `action` was one of them.

    add:<category>, remove:<category>:<answer no>, fix:<field>:<answer no>."""
    kind, _sep, rest = action.partition(":")
    if kind == "add":
        for group in draft.groups:
            if group.multiple and group.key == rest:
                number = max(s.answer_no for s in group.sets) + 1
                group.sets.append(AnswerSet(number, [
                    Slot(f, number) for f in (slot.field for slot in group.sets[0].slots)]))
        return True
    if kind == "remove":
        key, _sep, number = rest.partition(":")
        for group in draft.groups:
            if group.multiple and group.key == key and len(group.sets) > 1:
                group.sets = [s for s in group.sets if str(s.answer_no) != number]
        return True
    if kind == "fix":
        for slot in draft.slots:
            if f"{slot.field.id}:{slot.answer_no}" == rest and slot.stored_problem:
                # The seed's 更新: the original value cannot be brought back afterwards.
                slot.value, slot.stored_problem = None, None
        return True
    return False


def validate(draft: Draft) -> dict[tuple[int, int], Any]:
    """Parse every submitted slot; errors go on the slots. Returns what to store."""
    values = {}
    for slot in draft.slots:
        if slot.stored_problem:
            values[slot.field.id, slot.answer_no] = slot.value
            continue
        raw = slot.value if isinstance(slot.value, list) else [slot.text]
        value, error = parse_answer(slot.field, raw)
        slot.error = error
        if value is not None:
            values[slot.field.id, slot.answer_no] = value
    return values


def save(session: Session, order: Order, draft: Draft, actor: Actor, *, version: int) -> int:
    """Store the draft's answers in place of the order's; returns how many changed.

    Answer sets are renumbered from 0, so removed sets leave no gaps. Saving touches the
    order, so its version guards answers as it guards the order (EditConflict): the order
    row is written first, so a concurrent save of the same order waits for this one and
    then finds the version changed. Only answers that differ are written; a draft that
    changes nothing writes nothing."""
    if version != order.version:
        raise EditConflict
    wanted = validate(draft)
    if draft.has_errors:
        raise ValueError("validate the draft and show its errors before saving")
    renumber = {}
    for group in draft.groups:
        for index, answer_set in enumerate(group.sets):
            for slot in answer_set.slots:
                renumber[slot.field.id, slot.answer_no] = index
    final = {(fid, renumber[fid, no]): value for (fid, no), value in wanted.items()}
    before = _stored(session, order)
    changed = sorted(key for key in set(before) | set(final)
                     if before.get(key) != final.get(key))
    if not changed:
        return 0
    order.updated_at = utcnow()
    try:
        session.flush()  # the order row first: its lock orders concurrent saves
        names = {slot.field.id: slot.field.name for slot in draft.slots}
        for key in changed:
            audit.record(session, actor, "order.custom_field", entity_type="order",
                         entity_id=order.id, field=names.get(key[0], str(key[0]))[:64],
                         old=_text(before.get(key)), new=_text(final.get(key)),
                         details={"custom_field_id": key[0], "answer_no": key[1]})
        _write_answers(session, order, {key: final.get(key) for key in changed}, before)
        session.flush()
    except StaleDataError as error:
        raise EditConflict from error
    except sa.exc.IntegrityError as error:
        # Answers written meanwhile by something that does not take the order's version
        # (an import), or a field deleted meanwhile: someone else changed them.
        raise EditConflict from error
    return len(changed)


def _write_answers(session: Session, order: Order, new: dict[tuple[int, int], Any],
                   before: dict[tuple[int, int], Any]) -> None:
    """Delete, update and insert the answers in `new` (None: no answer any more)."""
    value = CustomFieldValue.__table__.c
    for (field_id, answer_no), answer in new.items():
        where = (value.order_id == order.id, value.field_id == field_id,
                 value.answer_no == answer_no)
        if answer is None:
            session.execute(sa.delete(CustomFieldValue).where(*where))
        elif (field_id, answer_no) in before:
            session.execute(sa.update(CustomFieldValue).where(*where).values(value=answer))
        else:
            session.add(CustomFieldValue(order_id=order.id, field_id=field_id,
                                         answer_no=answer_no, value=answer))


def _text(value: Any) -> str | None:
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return None if value is None else str(value)
