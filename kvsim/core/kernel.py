"""The kernel: a virtual clock and one queue of timed changes for any kind of resource.

A resource (a stream today; channels, edge sync, retention and sessions next)
is scheduled to change with :meth:`Kernel.schedule`. Each queue entry is
``(due, seq, (resource, transition))``; entries run earliest due first, and
entries due at the same instant in the order they were scheduled. A resource
keeps the sequence number of its live change in the attribute its
transition names (:attr:`Transition.slot`); scheduling again, or setting that
attribute to 0, makes older entries stale, and stale entries are skipped when
they come up instead of being searched for and removed.

>>> class Door:
...     pending = 0
...     state = "OPENING"
...     resource_id = "door-1"
...     location = ("123456789012", "us-east-1")
>>> def opened(kernel, door):
...     door.state = "OPEN"
>>> OPENED = Transition("door.opened", "OPENING", "OPEN", opened, family="doors")
>>> kernel = Kernel(seed=0, start_ms=0)
>>> door = Door()
>>> door.pending = kernel.schedule(door, OPENED, 1500)
>>> [change.transition for change in kernel.pending()]
['OPENING -> OPEN']
>>> kernel.advance_ms(2000), door.state, kernel.now_ms
(1, 'OPEN', 2000)

The clock ends at :data:`~kvsim.core.constants.MAX_MS`
(9999-12-31T23:59:59.999Z) and never goes back: a move or a change past the
end, or back in time, is refused before anything changes.

>>> kernel.schedule(door, OPENED, -1)
Traceback (most recent call last):
...
ValueError: delay_ms must be >= 0 (the clock never goes back), got -1
>>> kernel.advance_ms(253_402_300_800_000)
Traceback (most recent call last):
...
ValueError: can't advance the clock 253402300800 seconds from 1970-01-01T00:00:02Z: the virtual clock ends at 9999-12-31T23:59:59.999Z
>>> kernel.now_ms
2000
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from .clock import Scheduler, format_ms, format_seconds, from_ms
from .constants import LAST_CALL_MS, MAX_DELAY_MS, MAX_MS

__all__ = ["Entry", "Kernel", "Resource", "ScheduledChange", "Transition"]


class Resource(Protocol):
    """What the kernel needs of a resource with timed changes (besides the
    slot attribute each of its transitions names)."""

    @property
    def resource_id(self) -> str:
        """The resource's identity for people: its ARN."""

    @property
    def location(self) -> tuple[str, str]:
        """``(account_id, region_name)`` of the resource."""


@dataclass(frozen=True, slots=True)
class Transition:
    """One kind of timed change: its stable ``name`` (snapshots refer to it),
    the statuses ``before`` and ``after`` it, what it does (``apply(kernel,
    resource)``, run with the clock at its due time), the resource attribute
    holding the sequence number of the live one (``slot``) and the family of
    resources it applies to (``family``, see :mod:`kvsim.core.resources`)."""

    name: str
    before: str
    after: str
    apply: Callable[[Any, Any], None]
    slot: str = "pending"
    family: str = ""

    def __repr__(self) -> str:
        return f"<Transition {self.name}: {self.before} -> {self.after}>"


#: A queue entry: ``(due ms, sequence number, (resource, transition))``.
Entry = tuple[int, int, tuple[Any, Transition]]


@dataclass(frozen=True, slots=True)
class ScheduledChange:
    """A state change waiting on the virtual clock (or one that just ran).

    >>> from datetime import UTC
    >>> ScheduledChange(datetime(2026, 1, 1, tzinfo=UTC), "123456789012", "us-east-1",
    ...                 "arn:aws:kinesisvideo:us-east-1:123456789012:stream/a/1", "CREATING -> ACTIVE")
    ScheduledChange(due=datetime.datetime(2026, 1, 1, 0, 0, tzinfo=datetime.timezone.utc), account_id='123456789012', region_name='us-east-1', resource='arn:aws:kinesisvideo:us-east-1:123456789012:stream/a/1', transition='CREATING -> ACTIVE')
    """

    due: datetime
    account_id: str
    region_name: str
    resource: str
    transition: str


def _live(entry: Entry) -> bool:
    # Whether the entry's resource still holds its sequence number.
    resource, transition = entry[2]
    return bool(getattr(resource, transition.slot) == entry[1])


class Kernel:
    """The clock, the queue of timed changes and the seeded random source of a world.

    Scheduling and popping are O(log n); checking whether anything is due is O(1).
    """

    __slots__ = ("now_ms", "queue", "rng")

    def __init__(self, seed: int, start_ms: int) -> None:
        self.rng = random.Random(seed)
        self.now_ms = start_ms
        self.queue: Scheduler[tuple[Any, Transition]] = Scheduler()

    # -- scheduling -----------------------------------------------------------------

    def schedule(self, resource: Any, transition: Transition, delay_ms: int) -> int:
        """Queue ``transition`` of ``resource`` ``delay_ms`` from now; returns the
        sequence number, which the caller stores in the transition's slot. O(log n).

        A negative delay, or a due time past :data:`MAX_MS`, raises ``ValueError``
        and queues nothing. (An API call never gets there: its delays are at
        most ``MAX_DELAY_MS`` and it starts by ``LAST_CALL_MS``.)
        """
        due = self.now_ms + delay_ms
        if delay_ms < 0 or due > MAX_MS:
            raise ValueError(
                f"delay_ms must be >= 0 (the clock never goes back), got {delay_ms}"
                if delay_ms < 0
                else f"can't schedule a change {format_seconds(delay_ms)} seconds after "
                f"{format_ms(self.now_ms)}: the virtual clock ends at {format_ms(MAX_MS)}"
            )
        return self.queue.push(due, (resource, transition))

    def _pop_live(self, until_ms: int | None) -> Entry | None:
        # Pop stale entries away; return the next live one due by until_ms, if any.
        # (It peeks at the heap itself: this runs for every change that falls due.)
        queue = self.queue
        heap = queue.heap
        while heap:
            if until_ms is not None and heap[0][0] > until_ms:
                return None
            entry = queue.pop()
            resource, transition = entry[2]
            if getattr(resource, transition.slot) == entry[1]:
                return entry
        return None

    def _apply(self, entry: Entry) -> None:
        due, _seq, (resource, transition) = entry
        self.now_ms = due
        setattr(resource, transition.slot, 0)
        transition.apply(self, resource)

    def run_due(self, until_ms: int | None) -> int:
        """Apply every live change due by ``until_ms`` (all, if None), each at its
        own due time; returns how many ran. O(k log n) for k entries."""
        if until_ms is None:
            return self._run_all()
        ran = 0
        while (entry := self._pop_live(until_ms)) is not None:
            self._apply(entry)
            ran += 1
        return ran

    def _run_all(self) -> int:
        # Everything is due: sort the queue once (O(n log n) in C, O(n) when it
        # is already in order) instead of popping the heap entry by entry. A
        # change that schedules another is caught by the loop's second round.
        ran = 0
        while self.queue.heap:
            entries = self.queue.ordered()
            drained: Scheduler[tuple[Any, Transition]] = Scheduler()
            drained.set_last_seq(self.queue.last_seq)
            self.queue = drained
            heap = drained.heap
            for index, entry in enumerate(entries):
                if heap and heap[0][:2] < entry[:2]:
                    # A change scheduled one due before the rest: queue the rest
                    # again and take the next round in (due, seq) order.
                    for due, seq, item in entries[index:]:
                        drained.push_at(due, seq, item)
                    break
                resource, transition = entry[2]
                if getattr(resource, transition.slot) == entry[1]:
                    self._apply(entry)
                    ran += 1
        return ran

    def advance_ms(self, ms: int) -> int:
        """Move the clock ``ms`` forward, applying what falls due on the way.

        A negative ``ms``, or a target past :data:`MAX_MS`, raises ``ValueError``
        before anything changes. O(1) when nothing falls due.
        """
        target = self.now_ms + ms
        # Every call passes here: two int comparisons, the cheapest form (a
        # chained comparison costs more).
        if target > MAX_MS or ms < 0:
            raise ValueError(
                f"time can't go backwards: ms must be >= 0, got {ms}"
                if ms < 0
                else f"can't advance the clock {format_seconds(ms)} seconds from "
                f"{format_ms(self.now_ms)}: the virtual clock ends at {format_ms(MAX_MS)}"
            )
        heap = self.queue.heap
        # Most calls have nothing due: one comparison instead of a method call.
        ran = self.run_due(target) if heap and heap[0][0] <= target else 0
        self.now_ms = target
        return ran

    def catch_up(self) -> None:
        """Get ready for an API call at the current instant: run the changes due
        now (``step()`` runs only one of several that share a due time). O(1)
        when nothing is due.

        Past :data:`LAST_CALL_MS` it raises ``ValueError`` instead, before
        anything changes: a call's latency and delays (each at most
        ``MAX_DELAY_MS``) might not fit before the clock's end.
        """
        now = self.now_ms
        # Every call passes here: one int comparison, the price of calls that
        # never fail halfway (the clock can be advanced, or walked by calls,
        # past LAST_CALL_MS; whatever a call does after this fits).
        if now > LAST_CALL_MS:
            raise ValueError(
                f"no API call can start at {format_ms(now)}: calls must start by "
                f"{format_ms(LAST_CALL_MS)}, so that their latency and delays (up to "
                f"{MAX_DELAY_MS // 86_400_000} days each) end by {format_ms(MAX_MS)}"
            )
        heap = self.queue.heap
        if heap and heap[0][0] <= now:
            self.run_due(now)

    def step(self) -> ScheduledChange | None:
        """Jump to the next live change, apply it and describe it; None if idle."""
        entry = self._pop_live(None)
        if entry is None:
            return None
        change = describe(entry)
        self._apply(entry)
        return change

    def live_entries(self) -> list[Entry]:
        """Live queued entries in the order they will run. O(n log n)."""
        return [entry for entry in self.queue.ordered() if _live(entry)]

    def pending(self) -> list[ScheduledChange]:
        """Live queued changes in the order they will run. O(n log n)."""
        return [describe(entry) for entry in self.live_entries()]

    # -- inspection -----------------------------------------------------------------

    def check(self) -> dict[int, tuple[Any, Transition]]:
        """Assert the queue's invariants; return each live entry's resource and
        transition by sequence number."""
        live: dict[int, tuple[Any, Transition]] = {}
        assert 0 <= self.now_ms <= MAX_MS, f"the clock is out of range at {self.now_ms} ms"
        for due, seq, item in self.live_entries():
            assert due <= MAX_MS, f"{item[0].resource_id}: a change is due past the end, at {due}"
            # Due now is allowed: step() leaves other changes of its instant queued.
            assert due >= self.now_ms, f"{item[0].resource_id}: a change due at {due} did not run"
            live[seq] = item
        return live


def describe(entry: Entry) -> ScheduledChange:
    """The public description of a queue entry."""
    due, _seq, (resource, transition) = entry
    account_id, region_name = resource.location
    return ScheduledChange(
        from_ms(due),
        account_id,
        region_name,
        resource.resource_id,
        f"{transition.before} -> {transition.after}",
    )
