"""The world's mutable core: clock, queue of changes, regions, seeded randomness.

:class:`World` knows how time passes and how a scheduled change is applied;
what the API calls do is in :mod:`kvsim.service`.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .clock import Scheduler, from_ms
from .config import Limits, Timings
from .state import ACTIVE, CREATING, DELETING, UPDATING, Region, Stream

__all__ = ["ScheduledChange", "World"]

# What a queued change does, by kind: (status before, status after).
TRANSITIONS: tuple[tuple[str, str], ...] = (
    (CREATING, ACTIVE),
    (UPDATING, ACTIVE),
    (DELETING, "DELETED"),
)
KIND_CREATE, KIND_UPDATE, KIND_DELETE = 0, 1, 2

#: A queue entry's item: the stream and what happens to it.
Change = tuple[Stream, int]


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


class World:
    """Everything a simulator holds, with O(log n) scheduling and change application."""

    __slots__ = ("delays", "limits", "now_ms", "queue", "regions", "rng", "timings")

    def __init__(self, seed: int, start_ms: int, limits: Limits, timings: Timings) -> None:
        self.rng = random.Random(seed)
        self.now_ms = start_ms
        self.limits = limits
        self.timings = timings
        self.delays = (
            round(timings.create_delay * 1000),
            round(timings.update_delay * 1000),
            round(timings.delete_delay * 1000),
        )
        self.queue: Scheduler[Change] = Scheduler()
        self.regions: dict[tuple[str, str], Region] = {}

    def region(self, account_id: str, region_name: str) -> Region:
        """The (account, region) partition of the world, made on first use."""
        key = (account_id, region_name)
        found = self.regions.get(key)
        if found is None:
            found = self.regions[key] = Region(account_id, region_name)
        return found

    # -- scheduling -----------------------------------------------------------------

    def schedule(self, stream: Stream, kind: int) -> None:
        """Queue ``stream``'s next change; any change it had queued goes stale. O(log n)."""
        stream.pending = self.queue.push(self.now_ms + self.delays[kind], (stream, kind))

    def _pop_live(self, until_ms: int | None) -> tuple[int, int, Change] | None:
        # Pop stale entries away; return the next live one due by until_ms, if any.
        # (It peeks at the heap itself: this runs for every change that falls due.)
        queue = self.queue
        heap = queue.heap
        while heap:
            if until_ms is not None and heap[0][0] > until_ms:
                return None
            entry = queue.pop()
            if entry[2][0].pending == entry[1]:
                return entry
        return None

    def _apply(self, entry: tuple[int, int, Change]) -> None:
        due, _seq, (stream, kind) = entry
        self.now_ms = due
        stream.pending = 0
        if kind == KIND_DELETE:
            stream.region.remove(stream)
        else:
            stream.status = ACTIVE

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
        # is already in order) instead of popping the heap entry by entry.
        # Applying a change never schedules another, so this is the pops' order.
        entries = self.queue.ordered()
        drained: Scheduler[Change] = Scheduler()
        drained.set_last_seq(self.queue.last_seq)
        self.queue = drained
        ran = 0
        for entry in entries:
            if entry[2][0].pending == entry[1]:
                self._apply(entry)
                ran += 1
        return ran

    def advance_ms(self, ms: int) -> int:
        """Move the clock ``ms`` forward, applying what falls due on the way."""
        target = self.now_ms + ms
        heap = self.queue.heap
        # Most calls have nothing due: one comparison instead of a method call.
        ran = self.run_due(target) if heap and heap[0][0] <= target else 0
        self.now_ms = target
        return ran

    def catch_up(self) -> None:
        """Run the changes due at the current instant (``step()`` runs only one of
        several that share a due time). O(1) when nothing is due."""
        heap = self.queue.heap
        if heap and heap[0][0] <= self.now_ms:
            self.run_due(self.now_ms)

    def step(self) -> ScheduledChange | None:
        """Jump to the next live change, apply it and describe it; None if idle."""
        entry = self._pop_live(None)
        if entry is None:
            return None
        change = self._describe(entry)
        self._apply(entry)
        return change

    def pending(self) -> list[ScheduledChange]:
        """Live queued changes in the order they will run. O(n log n)."""
        return [
            self._describe(entry)
            for entry in self.queue.ordered()
            if entry[2][0].pending == entry[1]
        ]

    @staticmethod
    def _describe(entry: tuple[int, int, Change]) -> ScheduledChange:
        due, _seq, (stream, kind) = entry
        before, after = TRANSITIONS[kind]
        return ScheduledChange(
            from_ms(due),
            stream.region.account_id,
            stream.region.name,
            stream.arn,
            f"{before} -> {after}",
        )

    # -- inspection -----------------------------------------------------------------

    def check(self) -> None:
        """Assert every invariant of the world."""
        live = {}
        for due, seq, (stream, _kind) in self.queue.ordered():
            if stream.pending == seq:
                # Due now is allowed: step() leaves other changes of its instant queued.
                assert due >= self.now_ms, f"{stream.arn}: a change due at {due} did not run"
                live[seq] = stream
        for (account, name), region in self.regions.items():
            assert (region.account_id, region.name) == (account, name)
            region.check()
            for stream in region.streams.values():
                if stream.pending:
                    assert live.get(stream.pending) is stream, f"{stream.arn} lost its change"

    def dump(self) -> dict[str, Any]:
        """The whole observable world (not the clock), JSON-ready, in a stable order."""
        return {
            f"{account}/{name}": region.dump()
            for (account, name), region in sorted(self.regions.items())
            if region.streams or region.buckets or region.devices
        } | {
            "_pending": [[c.due.isoformat(), c.resource, c.transition] for c in self.pending()],
            "_rng": list(self.rng.getstate()[1]),
        }
