"""Blacklisted non-member orderers (seed 003 ブラックリスト客の指定/解除)."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from oms.models.base import Base, BigId, utcnow


class BlacklistEntry(Base):
    """A designated orderer, identified by normalised contact keys (oms.services.contact_keys).

    Orders placed after `created_at` whose orderer matches are flagged through
    `Order.blacklist_entry_id`; releasing the entry clears the flag on all of them.
    """

    __tablename__ = "blacklist_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    mobile_key: Mapped[str | None] = mapped_column(sa.String(20), index=True)
    email_key: Mapped[str | None] = mapped_column(sa.String(254), index=True)
    landline_key: Mapped[str | None] = mapped_column(sa.String(20), index=True)
    reason: Mapped[str | None] = mapped_column(sa.String(200))
    # The order it was designated from; no foreign key, as orders point at entries.
    source_order_id: Mapped[int | None] = mapped_column(BigId)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_name: Mapped[str | None] = mapped_column(sa.String(64))
    released_at: Mapped[datetime | None]
    released_by_name: Mapped[str | None] = mapped_column(sa.String(64))

    @property
    def active(self) -> bool:
        return self.released_at is None
