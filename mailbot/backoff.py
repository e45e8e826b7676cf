"""Exponential backoff with jitter for reconnecting to a lost server (IMAP, database, broker)."""

from __future__ import annotations

import random
from collections.abc import Callable


class Backoff:
    """Delays of `first`, 2×, 4×… capped at `longest`, each drawn at random in [d/2, d]
    ("equal jitter") so that many pollers losing one server do not come back in step."""

    def __init__(self, first: float = 1.0, longest: float = 60.0, *,
                 rand: Callable[[], float] = random.random):
        self.first = first
        self.longest = max(longest, first)
        self.failures = 0
        self._rand = rand

    def ceiling(self) -> float:
        """The largest delay the next failure may wait."""
        return min(self.first * 2 ** max(self.failures - 1, 0), self.longest)

    def next_delay(self) -> float:
        """Count one more failure and return how long to wait before trying again."""
        self.failures += 1
        top = self.ceiling()
        return top / 2 + self._rand() * top / 2

    def reset(self) -> None:
        """The server answered: the next failure starts from `first` again."""
        self.failures = 0
