"""Reading orders for lists."""

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from oms.models import TABS, Order, OrderStatus


def tab_filter(tab: str) -> sa.ColumnElement[bool]:
    """Restrict to the statuses of a list tab (all orders for an unknown tab)."""
    statuses = TABS.get(tab, TABS["all"])
    if len(statuses) == len(OrderStatus):
        return Order.deleted_at.is_(None)
    return sa.and_(Order.deleted_at.is_(None), Order.status.in_(statuses))


@dataclass
class OrderPage:
    orders: list[Order]
    page: int
    per_page: int
    has_next: bool

    @property
    def has_prev(self) -> bool:
        return self.page > 1


def list_orders(session: Session, *, tab: str = "all", page: int = 1, per_page: int = 50
                ) -> OrderPage:
    """Newest orders first. One row past the page tells whether a next page exists,
    so no count of the whole table is needed."""
    page = max(page, 1)
    rows = session.scalars(
        sa.select(Order)
        .where(tab_filter(tab))
        .order_by(Order.ordered_at.desc(), Order.id.desc())
        .offset((page - 1) * per_page)
        .limit(per_page + 1)
        .options(
            selectinload(Order.shop),
            selectinload(Order.payment_method),
            selectinload(Order.handling_status),
            selectinload(Order.tags),
        )
    ).all()
    return OrderPage(rows[:per_page], page, per_page, len(rows) > per_page)
