"""Custom fields (seed 002 カスタム項目): admin-defined questions answered per order."""

from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from oms.models.base import Base, BigId, enum_column


class FieldType(StrEnum):
    text = "text"
    number = "number"
    email = "email"
    date = "date"
    textarea = "textarea"
    select = "select"
    multiselect = "multiselect"
    radio = "radio"
    checkbox = "checkbox"

    @property
    def has_choices(self) -> bool:
        return self in CHOICE_TYPES

    @property
    def multiple(self) -> bool:
        """Answers are a list of choices rather than one value."""
        return self in (FieldType.multiselect, FieldType.checkbox)


CHOICE_TYPES = frozenset({FieldType.select, FieldType.multiselect, FieldType.radio,
                          FieldType.checkbox})


class CustomFieldCategory(Base):
    """Groups fields; a category that allows several answers repeats its fields (+/-)."""

    __tablename__ = "custom_field_categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(64), unique=True)
    multiple: Mapped[bool] = mapped_column(default=False)
    position: Mapped[int] = mapped_column(default=0)

    fields: Mapped[list["CustomField"]] = relationship(
        back_populates="category", order_by="CustomField.position, CustomField.id")


class CustomField(Base):
    __tablename__ = "custom_fields"

    id: Mapped[int] = mapped_column(primary_key=True)
    category_id: Mapped[int | None] = mapped_column(sa.ForeignKey("custom_field_categories.id"))
    name: Mapped[str] = mapped_column(sa.String(64))
    field_type: Mapped[FieldType] = mapped_column(enum_column(FieldType, 16))
    # Marked with ※; saving an order without an answer stays allowed (seed 002).
    required: Mapped[bool] = mapped_column(default=False)
    max_length: Mapped[int | None]
    min_value: Mapped[int | None] = mapped_column(sa.BigInteger)
    max_value: Mapped[int | None] = mapped_column(sa.BigInteger)
    choices: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    position: Mapped[int] = mapped_column(default=0)

    category: Mapped[CustomFieldCategory | None] = relationship(back_populates="fields")


class CustomFieldValue(Base):
    """One answer. `value` is a string, or a list of strings for multiple-choice types;
    values written by imports may not fit the field and are kept as they came."""

    __tablename__ = "custom_field_values"
    __table_args__ = (sa.UniqueConstraint("order_id", "field_id", "answer_no"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    order_id: Mapped[int] = mapped_column(BigId, sa.ForeignKey("orders.id", ondelete="CASCADE"))
    field_id: Mapped[int] = mapped_column(sa.ForeignKey("custom_fields.id", ondelete="CASCADE"),
                                          index=True)
    # Which answer of a multiple-answer category (0 for every other field).
    answer_no: Mapped[int] = mapped_column(sa.SmallInteger, default=0)
    value: Mapped[Any] = mapped_column(sa.JSON)
