"""The one capped exponential backoff of mailbot: how long to wait after the n-th failure in a row.

Reconnecting to a lost server (IMAP, database, broker: the IMAP watchers and `mailbot run`) waits
`Backoff.next_delay()`, jittered; the outbox spaces the attempts at sending one notification with
`capped_delay` (`mailbot.outbound.delivery.retry_delay`). The doubling and the cap are tenacity's
`wait_exponential`, which answers the cap however many failures there were: a hand-written
`first * 2 ** n` overflows a float after ~1,000 failures and a timedelta after ~40.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import cast

from tenacity import RetryCallState, wait_exponential


@dataclass(frozen=True)
class _Attempt:
    """All a tenacity wait strategy reads of its retry state."""

    attempt_number: int


def capped_delay(failures: int, first: float, longest: float) -> float:
    """`first` after the first failure (and before any), doubling after each further one, never
    more than `longest` (nor less than 0)."""
    wait = wait_exponential(multiplier=first, max=max(longest, 0.0), exp_base=2)
    return float(wait(cast(RetryCallState, _Attempt(max(failures, 1)))))


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
        return capped_delay(self.failures, self.first, self.longest)

    def next_delay(self) -> float:
        """Count one more failure and return how long to wait before trying again."""
        self.failures += 1
        top = self.ceiling()
        return top / 2 + self._rand() * top / 2

    def reset(self) -> None:
        """The server answered: the next failure starts from `first` again."""
        self.failures = 0
