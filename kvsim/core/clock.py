"""The virtual clock's units and the queue of scheduled changes.

Time is an integer count of milliseconds since the Unix epoch; ``datetime``
appears only at the edges.

>>> to_ms(datetime(2026, 1, 1, tzinfo=UTC))
1767225600000
>>> from_ms(1767225600500)
datetime.datetime(2026, 1, 1, 0, 0, 0, 500000, tzinfo=datetime.timezone.utc)
>>> seconds_to_ms(2.5)
2500
>>> format_ms(MAX_MS)
'9999-12-31T23:59:59.999Z'
"""

from __future__ import annotations

import heapq
import math
from datetime import UTC, datetime, timedelta
from typing import Generic, TypeVar

from .constants import EPOCH, MAX_MS

__all__ = [
    "Scheduler",
    "format_ms",
    "format_seconds",
    "from_ms",
    "number_repr",
    "seconds_to_ms",
    "to_ms",
]

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


def format_ms(ms: int) -> str:
    """An epoch-milliseconds count as ISO 8601 UTC with a ``Z``, for messages
    (milliseconds shown only when there are some).

    >>> format_ms(1767225600000), format_ms(1767225600250)
    ('2026-01-01T00:00:00Z', '2026-01-01T00:00:00.250Z')
    """
    # isoformat, not strftime: it always writes a four-digit year.
    text = from_ms(ms).replace(tzinfo=None).isoformat(timespec="seconds")
    return f"{text}.{ms % 1000:03d}Z" if ms % 1000 else f"{text}Z"


def format_seconds(ms: int) -> str:
    """A count of milliseconds as exact seconds, for messages.

    >>> format_seconds(31_536_000_000), format_seconds(2_500), format_seconds(MAX_MS)
    ('31536000', '2.5', '253402300799.999')
    """
    whole, frac = divmod(ms, 1000)
    return f"{whole}.{frac:03d}".rstrip("0") if frac else str(whole)


def number_repr(value: object) -> str:
    """``repr(value)`` for an error message, except for an int too long to
    print whole (Python refuses to turn an int of over 4,300 digits into text).

    >>> number_repr(1.5), number_repr(2**64), number_repr(10**5000)
    ('1.5', '18446744073709551616', 'an int of 16610 bits')
    """
    if isinstance(value, int) and value.bit_length() > 128:
        return f"{'a negative' if value < 0 else 'an'} int of {value.bit_length()} bits"
    return repr(value)


def _limit_text(limit_ms: int) -> str:
    # How a limit on a duration reads in an error message.
    if limit_ms == MAX_MS:
        return f"{format_seconds(MAX_MS)} seconds (the virtual clock ends at {format_ms(MAX_MS)})"
    days, rest = divmod(limit_ms, 86_400_000)
    if rest:
        return f"{format_seconds(limit_ms)} seconds"
    return f"{format_seconds(limit_ms)} seconds ({days} day{'' if days == 1 else 's'})"


def seconds_to_ms(seconds: float, *, what: str = "seconds", limit_ms: int = MAX_MS) -> int:
    """Whole milliseconds in ``seconds``; rejects negatives, NaN, infinities,
    non-numbers and durations over ``limit_ms`` (by default the clock's whole
    range: no longer duration can fit on it).

    >>> seconds_to_ms(3e11)
    Traceback (most recent call last):
    ...
    ValueError: seconds must be at most 253402300799.999 seconds (the virtual clock ends at 9999-12-31T23:59:59.999Z), got 300000000000.0
    >>> seconds_to_ms(4e7, what="create_delay", limit_ms=365 * 86_400_000)
    Traceback (most recent call last):
    ...
    ValueError: create_delay must be at most 31536000 seconds (365 days), got 40000000.0
    """
    if isinstance(seconds, bool) or not isinstance(seconds, int | float):
        raise TypeError(f"{what} must be a number, not {type(seconds).__name__}")
    # (math.isfinite would fail on an int too large for a float.)
    if isinstance(seconds, float) and not math.isfinite(seconds):
        raise ValueError(f"{what} must be finite, got {seconds!r}")
    if seconds < 0:
        raise ValueError(
            f"time can't go backwards: {what} must be >= 0, got {number_repr(seconds)}"
        )
    # Compared in seconds first: 1e306 * 1000 is infinite, and rounding it fails.
    ms = round(seconds * 1000) if seconds <= limit_ms / 1000 else limit_ms + 1
    if ms > limit_ms:
        raise ValueError(
            f"{what} must be at most {_limit_text(limit_ms)}, got {number_repr(seconds)}"
        )
    return ms


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
