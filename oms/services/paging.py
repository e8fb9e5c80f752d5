"""A page of rows that knows only whether another follows (no count of the whole)."""

from dataclasses import dataclass


@dataclass
class Page:
    rows: list
    page: int
    has_next: bool

    @property
    def has_prev(self) -> bool:
        return self.page > 1
