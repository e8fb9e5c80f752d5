"""Our items (SKUs) and their stock per location."""

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from oms.models.base import Base


class Sku(Base):
    __tablename__ = "skus"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(64), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    price: Mapped[int] = mapped_column(sa.Integer)
    tax_rate: Mapped[int] = mapped_column(sa.SmallInteger, default=10)
    active: Mapped[bool] = mapped_column(default=True)

    stocks: Mapped[list["Stock"]] = relationship(back_populates="sku")


class Stock(Base):
    __tablename__ = "stocks"
    __table_args__ = (sa.UniqueConstraint("sku_id", "location"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sku_id: Mapped[int] = mapped_column(sa.ForeignKey("skus.id"))
    location: Mapped[str] = mapped_column(sa.String(32), default="main")
    quantity: Mapped[int] = mapped_column(default=0)
    allocated: Mapped[int] = mapped_column(default=0)

    sku: Mapped[Sku] = relationship(back_populates="stocks")
