"""The world the services act on: the kernel's clock and queue, plus every
account's regions, the limits and the timings.

:class:`World` knows where resources live; what the API calls do is in the
service packages, and how time passes in :mod:`kvsim.core.kernel`.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any
from weakref import WeakSet

from ..core.kernel import Kernel, Transition
from .channels_state import check_channels
from .config import Limits, Timings
from .deliveries import Deliveries
from .state import Region

__all__ = ["World"]


class World(Kernel):
    """Everything a simulator holds, with O(log n) scheduling and change application."""

    __slots__ = ("delays_ms", "deliveries", "limits", "readers", "regions", "timings")

    def __init__(self, seed: int, start_ms: int, limits: Limits, timings: Timings) -> None:
        super().__init__(seed, start_ms)
        self.limits = limits
        self.timings = timings
        #: Every ``Timings`` delay in whole milliseconds, by field name.
        self.delays_ms: dict[str, int] = {
            f.name: round(getattr(timings, f.name) * 1000)
            for f in fields(timings)
            if f.name.endswith(("_delay", "_window"))
        }
        self.regions: dict[tuple[str, str], Region] = {}
        #: Open media reader bodies by ``(stream, operation)``
        #: (:class:`kvsim.services.media_reads.ReaderBody`): not part of snapshots.
        self.readers: dict[tuple[Any, str], WeakSet[Any]] = {}
        #: What image generation and notifications delivered
        #: (:mod:`kvsim.services.deliveries`): not part of snapshots.
        self.deliveries = Deliveries()

    def region(self, account_id: str, region_name: str) -> Region:
        """The (account, region) partition of the world, made on first use."""
        key = (account_id, region_name)
        found = self.regions.get(key)
        if found is None:
            found = self.regions[key] = Region(account_id, region_name)
        return found

    def forget_if_empty(self, region: Region) -> None:
        """Drop ``region`` if it holds nothing (no resources, rate buckets or devices). O(1)."""
        if not (
            region.streams
            or region.buckets
            or region.devices
            or region.channels
            or region.offline_hubs
        ):
            self.regions.pop((region.account_id, region.name), None)

    # -- inspection -----------------------------------------------------------------

    def check(self) -> dict[int, tuple[Any, Transition]]:
        """Assert every invariant of the world (queue, indexes, live changes)."""
        live = super().check()
        for (account, name), region in self.regions.items():
            assert (region.account_id, region.name) == (account, name)
            region.check()
            check_channels(region)
            for resource in (*region.streams.values(), *region.channels.values()):
                if resource.pending:
                    entry = live.get(resource.pending)
                    assert entry is not None and entry[0] is resource, (
                        f"{resource.arn} lost its change"
                    )
                    assert entry[1].before == resource.status, (
                        f"{resource.arn} is {resource.status} with a queued {entry[1]}"
                    )
            for name in {name for names in region.hubs.values() for name in names}:
                edge = region.streams[name].edge
                if edge.pending:
                    entry = live.get(edge.pending)
                    assert entry is not None and entry[0] is edge, f"{name}'s edge lost its change"
                    assert entry[1].before == edge.status, (
                        f"{name}'s edge configuration is {edge.status} with a queued {entry[1]}"
                    )
        return live

    def dump(self) -> dict[str, Any]:
        """The whole observable world (not the clock), JSON-ready, in a stable order."""
        return {
            f"{account}/{name}": region.dump()
            for (account, name), region in sorted(self.regions.items())
            if region.streams
            or region.buckets
            or region.devices
            or region.channels
            or region.offline_hubs
        } | {
            "_pending": [[c.due.isoformat(), c.resource, c.transition] for c in self.pending()],
            "_rng": list(self.rng.getstate()[1]),
        }
