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


class SkuMapping(Base):
    """A mall's product code (and option) that stands for one of our SKUs (アイテム紐づけ).

    An empty option matches every option of the product; an exact option wins over it.
    """

    __tablename__ = "sku_mappings"
    __table_args__ = (sa.UniqueConstraint("shop_id", "product_code", "option"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(sa.ForeignKey("shops.id", ondelete="CASCADE"))
    product_code: Mapped[str] = mapped_column(sa.String(64))
    option: Mapped[str] = mapped_column(sa.String(100), default="", server_default="")
    sku_id: Mapped[int] = mapped_column(sa.ForeignKey("skus.id", ondelete="CASCADE"), index=True)

    sku: Mapped[Sku] = relationship()
