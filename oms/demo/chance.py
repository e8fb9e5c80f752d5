"""Weighted picks: a few times faster than random.choices() for one item, which matters
on the path run for each of a million orders, and drawing the same numbers."""

import random
from bisect import bisect
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import accumulate
from typing import Any


@dataclass(frozen=True, slots=True)
class Weighted:
    items: tuple
    cumulative: tuple[float, ...]

    @classmethod
    def of(cls, items: Iterable, weights: Iterable[float]) -> "Weighted":
        return cls(tuple(items), tuple(accumulate(weights)))

    def pick(self, rng: random.Random) -> Any:
        return self.items[bisect(self.cumulative, rng.random() * self.cumulative[-1])]
