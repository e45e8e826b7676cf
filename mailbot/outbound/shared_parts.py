"""MIME parts built once and shared, read-only, by the mails of a process that carry the same
bytes: an attached document (outbound/attaching.py), the text and HTML of an event told alike to
several recipients (outbound/render.py). The writer (outbound/senders.py `as_wire_bytes`) keeps
each part's written bytes, so that the next mails copy them instead of writing the part again."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from email.message import Message
from typing import Any, Generic, TypeVar


class SharedPart(Message):
    """A part that no mail changes once built: `wire` keeps its bytes as written for each way
    of writing them (line ends, SMTPUTF8), filled by the writer; `size` is what it holds."""

    def __init__(self, policy: Any):
        super().__init__(policy)
        self.wire: dict[tuple[Any, ...], bytes] = {}
        self.size = 0

    def kept_bytes(self) -> int:
        """What keeping it costs: what it holds and, once written, up to two writings of it."""
        return 3 * self.size


T = TypeVar("T")


class Kept(Generic[T]):
    """The last few values built, by key, within a count and a size (`size_of` of each, taken
    when it is kept); the oldest go first. Safe across threads (a value built twice at once is
    the same value)."""

    def __init__(self, count: int, size: int, size_of: Callable[[T], int]):
        self.count, self.size, self.size_of = count, size, size_of
        self._values: OrderedDict[Hashable, tuple[T, int]] = OrderedDict()
        self._total = 0
        self._lock = threading.Lock()

    def get(self, key: Hashable, build: Callable[[], T]) -> T:
        with self._lock:
            kept = self._values.get(key)
            if kept is not None:
                self._values.move_to_end(key)
                return kept[0]
        value = build()
        size = self.size_of(value)
        with self._lock:
            if key not in self._values:
                self._values[key] = (value, size)
                self._total += size
            while len(self._values) > self.count or (len(self._values) > 1 and self._total > self.size):
                self._total -= self._values.popitem(last=False)[1][1]
        return value
