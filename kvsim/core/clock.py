"""The virtual clock's units and the queue of scheduled changes.

Time is an integer count of milliseconds since the Unix epoch; ``datetime``
appears only at the edges.

>>> to_ms(datetime(2026, 1, 1, tzinfo=UTC))
1767225600000
>>> from_ms(1767225600500)
datetime.datetime(2026, 1, 1, 0, 0, 0, 500000, tzinfo=datetime.timezone.utc)
>>> seconds_to_ms(2.5)
2500
"""

from __future__ import annotations

import heapq
import math
from datetime import UTC, datetime, timedelta
from typing import Generic, TypeVar

from .constants import EPOCH

__all__ = ["Scheduler", "from_ms", "seconds_to_ms", "to_ms"]

_MS = timedelta(milliseconds=1)
_FLOAT_EXACT_MS = 2**32 * 1000  # up to the year 2106

T = TypeVar("T")


def to_ms(moment: datetime) -> int:
    """Milliseconds since the epoch of a tz-aware ``datetime`` (rounded down)."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"start must be a timezone-aware datetime, got naive {moment!r}")
    return (moment - EPOCH) // _MS


def from_ms(ms: int) -> datetime:
    """The tz-aware UTC ``datetime`` of an epoch-milliseconds count."""
    if 0 <= ms < _FLOAT_EXACT_MS:
        # Twice as fast; ms / 1000 is within a quarter microsecond of exact
        # in this range, so rounding to microseconds gives the exact value.
        return datetime.fromtimestamp(ms / 1000, UTC)
    return EPOCH + timedelta(milliseconds=ms)


def seconds_to_ms(seconds: float, *, what: str = "seconds") -> int:
    """Whole milliseconds in ``seconds``; rejects negatives, NaN, infinities and non-numbers."""
    if isinstance(seconds, bool) or not isinstance(seconds, int | float):
        raise TypeError(f"{what} must be a number, not {type(seconds).__name__}")
    if not math.isfinite(seconds):
        raise ValueError(f"{what} must be finite, got {seconds!r}")
    if seconds < 0:
        raise ValueError(f"time can't go backwards: {what} must be >= 0, got {seconds!r}")
    return round(seconds * 1000)


class Scheduler(Generic[T]):
    """A queue of ``(due, seq, item)``: earliest due first, then first scheduled first.

    Push and pop are O(log n). Items may go stale (their owner re-scheduled or
    vanished); the owner decides that when it pops them.

    >>> q: Scheduler[str] = Scheduler()
    >>> q.push(20, "b"), q.push(10, "a"), q.push(20, "c")
    (1, 2, 3)
    >>> [q.pop()[2] for _ in range(len(q))]
    ['a', 'b', 'c']
    """

    __slots__ = ("_seq", "heap")

    def __init__(self) -> None:
        #: The heap itself, for O(1) peeks on hot paths; change it only through methods.
        self.heap: list[tuple[int, int, T]] = []
        self._seq = 0

    def __len__(self) -> int:
        return len(self.heap)

    def push(self, due: int, item: T) -> int:
        """Schedule ``item`` at ``due`` ms; returns its sequence number. O(log n)."""
        self._seq += 1
        heapq.heappush(self.heap, (due, self._seq, item))
        return self._seq

    def push_at(self, due: int, seq: int, item: T) -> None:
        """Re-insert an entry with a known sequence number (restoring a snapshot)."""
        heapq.heappush(self.heap, (due, seq, item))

    def set_last_seq(self, seq: int) -> None:
        """Continue numbering after ``seq`` (restoring a snapshot)."""
        self._seq = seq

    def peek_due(self) -> int | None:
        """Due time of the earliest entry, or None when empty. O(1)."""
        return self.heap[0][0] if self.heap else None

    def pop(self) -> tuple[int, int, T]:
        """Remove and return the earliest entry. O(log n)."""
        return heapq.heappop(self.heap)

    def ordered(self) -> list[tuple[int, int, T]]:
        """All entries in the order they will run. O(n log n)."""
        return sorted(self.heap, key=lambda entry: (entry[0], entry[1]))

    @property
    def last_seq(self) -> int:
        """The sequence number given to the latest push."""
        return self._seq
