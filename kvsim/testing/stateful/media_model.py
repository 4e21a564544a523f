"""The reference model of the fragments streams hold: ingestion, retention, reads.

Plain data the :class:`~kvsim.testing.stateful.media_rules.MediaRules` keep
beside the :class:`~kvsim.testing.stateful.reference.ReferenceModel`. Like the
rest of the oracle it keeps its own copies of the rules instead of reading
kvsim's:

- ``put_fragments`` stores ``count`` fragments one duration apart from now
  (server time; producer time from ``producer_start``); with ``realtime`` the
  first arrives now and each next one a duration later, and the stream's one
  PutMedia connection stays taken until a duration after the last one.
- A fragment stays readable while its server time is after ``now - keep``
  (``keep``: the retention, or 5 minutes at retention 0). Expiry is a batch
  per stream, due at the whole minute after its oldest fragment's expiry,
  which drops what has expired then and plans the next; lowering (or
  raising) retention drops what is older than the new retention at once and
  plans again. What was dropped stays dropped, whatever retention says later.
- Deleting a stream drops its fragments and its producer.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["BUFFER_MS", "ExpectedFragment", "ExpectedMedia", "keep_ms"]

#: A retention-0 stream's buffer (5 minutes), and an hour, in ms.
BUFFER_MS = 300_000
_HOUR_MS = 3_600_000
_MINUTE_MS = 60_000


def keep_ms(retention_hours: int) -> int:
    """How long a fragment stays readable under ``retention_hours``."""
    return retention_hours * _HOUR_MS if retention_hours else BUFFER_MS


@dataclass(frozen=True, slots=True)
class ExpectedFragment:
    """One fragment as ListFragments shows it (size aside)."""

    number: int
    server_ms: int
    producer_ms: int
    duration_ms: int


@dataclass
class ExpectedMedia:
    """The fragments of one stream incarnation (by ARN)."""

    retention: int
    #: Stored fragments, oldest first (``dropped`` of them physically gone).
    fragments: list[ExpectedFragment] = field(default_factory=list)
    dropped: int = 0
    #: When the next batch expiry runs (None: none planned).
    expiry_ms: int | None = None
    #: Fragments of a producer on the clock still to arrive, and when it hangs up.
    arriving: list[ExpectedFragment] = field(default_factory=list)
    busy_until_ms: int = 0
    #: Every number ever stored (dropped or not), for reads that name them.
    numbers: list[int] = field(default_factory=list)
    #: Outcomes seen while settling (for coverage).
    events: list[str] = field(default_factory=list)

    def busy(self, now_ms: int) -> bool:
        """Whether the stream's PutMedia connection is taken at ``now_ms``."""
        return now_ms < self.busy_until_ms

    def store(self, fragments: list[ExpectedFragment], now_ms: int) -> None:
        """Fragments stored at ``now_ms`` (plan the expiry if none is planned)."""
        self.fragments += fragments
        self.numbers += [f.number for f in fragments]
        if self.expiry_ms is None:
            self._plan(now_ms)

    def _plan(self, now_ms: int) -> None:
        if self.dropped == len(self.fragments):
            self.expiry_ms = None
            return
        due = self.fragments[self.dropped].server_ms + keep_ms(self.retention)
        self.expiry_ms = max(now_ms, -(-due // _MINUTE_MS) * _MINUTE_MS)

    def _drop_older(self, cutoff_ms: int) -> int:
        before = self.dropped
        while self.dropped < len(self.fragments) and (
            self.fragments[self.dropped].server_ms <= cutoff_ms
        ):
            self.dropped += 1
        return self.dropped - before

    def settle(self, now_ms: int) -> None:
        """Run the arrivals and batch expiries due by ``now_ms``, in time order."""
        while True:
            arrival = self.arriving[0].server_ms if self.arriving else None
            expiry = self.expiry_ms
            if arrival is not None and arrival <= now_ms and (expiry is None or arrival <= expiry):
                # (Order at a tie does not matter: an arrival is never expired at once.)
                self.store([self.arriving.pop(0)], arrival)
            elif expiry is not None and expiry <= now_ms:
                if self._drop_older(expiry - keep_ms(self.retention)):
                    self.events.append("media:expired-batch")
                self._plan(expiry)
            else:
                return

    def retention_changed(self, retention: int, now_ms: int) -> None:
        """UpdateDataRetention at ``now_ms``: drop what the new retention excludes, plan again."""
        self.settle(now_ms)
        self.retention = retention
        if self._drop_older(now_ms - keep_ms(retention)):
            self.events.append("media:retention-dropped")
        self._plan(now_ms)

    def readable(self, now_ms: int) -> list[ExpectedFragment]:
        """The fragments a reader sees at ``now_ms``, oldest first."""
        cutoff = now_ms - keep_ms(self.retention)
        return [f for f in self.fragments[self.dropped :] if f.server_ms > cutoff]
