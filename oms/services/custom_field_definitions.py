"""Custom fields (seed 002 カスタム項目), their definitions: the fields and categories an
admin defines (Settings → Custom fields)."""

from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session, selectinload

from oms.models import (
    CustomField,
    CustomFieldCategory,
    CustomFieldValue,
    FieldType,
)
from oms.services import audit
from oms.services.actor import Actor
from oms.services.list_cache import ListCache

MAX_TEXT = 4000
MAX_CHOICES = 100


class DefinitionError(ValueError):
    """A field or category definition is refused; `errors` maps a form field to why."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(errors.values()))
        self.errors = errors


@dataclass
class FieldSpec:
    name: str
    field_type: FieldType
    category_id: int | None = None
    required: bool = False
    max_length: int | None = None
    min_value: int | None = None
    max_value: int | None = None
    choices: list[str] = field(default_factory=list)
    position: int = 0


def fields_in_order(session: Session) -> list[CustomField]:
    """Every field, uncategorised ones first, then by category and position."""
    return list(session.scalars(
        sa.select(CustomField).outerjoin(CustomField.category)
        .options(selectinload(CustomField.category))
        .order_by(CustomFieldCategory.position.nulls_first(), CustomFieldCategory.id.nulls_first(),
                  CustomField.position, CustomField.id)))


@dataclass(frozen=True)
class Category:
    """A category as the order screens read it: a copy, kept per process."""

    id: int
    name: str
    multiple: bool


@dataclass(frozen=True)
class Field:
    """A field as the order screens read it: a copy, kept per process."""

    id: int
    category: Category | None
    name: str
    field_type: FieldType
    required: bool
    max_length: int | None
    min_value: int | None
    max_value: int | None
    choices: tuple[str, ...]


DEFINED = ListCache([CustomField, CustomFieldCategory])


def defined(session: Session) -> list[Field]:
    """`fields_in_order` as copies, from the process's copy while no definition has
    changed anywhere (oms.services.list_cache): every order screen reads them."""
    def load() -> list[Field]:
        kept: dict[int, Category] = {}
        return [Field(f.id, f.category and kept.setdefault(
                          f.category.id, Category(f.category.id, f.category.name,
                                                  f.category.multiple)),
                      f.name, f.field_type, f.required, f.max_length, f.min_value,
                      f.max_value, tuple(f.choices))
                for f in fields_in_order(session)]

    return DEFINED.rows(session, CustomField, load)


def categories(session: Session) -> list[CustomFieldCategory]:
    return list(session.scalars(sa.select(CustomFieldCategory)
                                .order_by(CustomFieldCategory.position, CustomFieldCategory.id)))


def _check_spec(session: Session, spec: FieldSpec) -> None:
    errors = {}
    spec.name = spec.name.strip()
    if not spec.name or len(spec.name) > 64:
        errors["name"] = str(_l("Give the field a name of 1 to 64 characters."))
    if spec.category_id is not None and session.get(CustomFieldCategory, spec.category_id) is None:
        errors["category_id"] = str(_l("Unknown category."))
    if spec.max_length is not None and spec.max_length < 1:
        errors["max_length"] = str(_l("The maximum length must be at least 1."))
    if (spec.min_value is not None and spec.max_value is not None
            and spec.min_value > spec.max_value):
        errors["max_value"] = str(_l("The maximum is below the minimum."))
    choices = [c.strip() for c in spec.choices if c.strip()]
    if spec.field_type.has_choices:
        if not choices:
            errors["choices"] = str(_l("List at least one choice, one per line."))
        elif len(set(choices)) != len(choices) or len(choices) > MAX_CHOICES:
            errors["choices"] = str(_l("Choices must be different from each other, at most "
                                       "%(n)d.", n=MAX_CHOICES))
    spec.choices = choices if spec.field_type.has_choices else []
    if errors:
        raise DefinitionError(errors)


def _fill(target: CustomField, spec: FieldSpec) -> None:
    for name in ("name", "field_type", "category_id", "required", "choices", "position"):
        setattr(target, name, getattr(spec, name))
    textual = spec.field_type in (FieldType.text, FieldType.textarea)
    target.max_length = spec.max_length if textual else None
    numeric = spec.field_type is FieldType.number
    target.min_value = spec.min_value if numeric else None
    target.max_value = spec.max_value if numeric else None


def create_field(session: Session, spec: FieldSpec, actor: Actor) -> CustomField:
    _check_spec(session, spec)
    created = CustomField()
    _fill(created, spec)
    session.add(created)
    session.flush()
    audit.record(session, actor, "custom_field.create", entity_type="custom_field",
                 entity_id=created.id, new=created.name)
    return created


def update_field(session: Session, target: CustomField, spec: FieldSpec, actor: Actor) -> None:
    """Change a definition. Answers already stored stay as they are; those that no longer
    fit are shown on the order with a message and an update button."""
    _check_spec(session, spec)
    _fill(target, spec)
    audit.record(session, actor, "custom_field.update", entity_type="custom_field",
                 entity_id=target.id, new=target.name)
    session.flush()


def delete_field(session: Session, target: CustomField, actor: Actor) -> None:
    """Delete a field with every answer to it."""
    session.execute(sa.delete(CustomFieldValue).where(CustomFieldValue.field_id == target.id))
    audit.record(session, actor, "custom_field.delete", entity_type="custom_field",
                 entity_id=target.id, old=target.name)
    session.delete(target)
    session.flush()


def save_category(session: Session, target: CustomFieldCategory | None, name: str,
                  multiple: bool, position: int, actor: Actor) -> CustomFieldCategory:
    name = name.strip()
    if not name or len(name) > 64:
        raise DefinitionError({"name": str(_l("Give the category a name of 1 to 64 "
                                              "characters."))})
    clash = session.scalar(sa.select(CustomFieldCategory.id).where(
        CustomFieldCategory.name == name,
        CustomFieldCategory.id != (target.id if target else -1)))
    if clash:
        raise DefinitionError({"name": str(_l("A category with this name exists."))})
    if target is None:
        target = CustomFieldCategory()
        session.add(target)
    target.name, target.multiple, target.position = name, multiple, position
    session.flush()
    audit.record(session, actor, "custom_field_category.save",
                 entity_type="custom_field_category", entity_id=target.id, new=name)
    return target


def delete_category(session: Session, target: CustomFieldCategory, actor: Actor) -> None:
    if target.fields:
        raise DefinitionError({"name": str(_l(
            "Move or delete the fields of this category first."))})
    audit.record(session, actor, "custom_field_category.delete",
                 entity_type="custom_field_category", entity_id=target.id, old=target.name)
    session.delete(target)
    session.flush()
