"""The fragments a stream holds, on the virtual clock: the per-stream store and retention.

Each stream that received media has a :class:`FragmentStore`: parallel
``array('q')`` columns (sequence number, server and producer timestamps,
duration, size) and one list of media references, so a fragment costs about
48 bytes plus its media, and fragments of one PutMedia session (or of one
``put_fragments`` call) share their track header and, when generated, their
payload. Fragments are appended in number order with non-decreasing server
timestamps, so ranges by number or server time are two bisections
(O(log n + k)); producer timestamps are bisected too while they never went
back, else a sorted index kept beside them answers.

Fragment numbers are 47-digit decimals, as the real service's: a seeded
47-digit base per stream plus the fragment's sequence number times a fixed
stride (the step between two real consecutive numbers), so numbers grow with
ingestion and are never stored.

>>> store = FragmentStore(None, base=10**46)
>>> first = store.append(1_000, 500, 2_000, 1_024, None)
>>> store.number(first), store.seq_of(store.number(first)) == first
('10000000000000000000000000000000000000000000000', True)
>>> len(store.number(store.append(3_000, 2_500, 2_000, 1_024, None)))
47

Retention is a batch: one scheduled change per stream (:data:`EXPIRED`), due
at the minute after the oldest fragment's expiry, drops the whole expired
prefix in O(k) (amortised) and schedules the next one. Reads never wait for
it: they skip what is older than the retention at the instant they run.
"""

from __future__ import annotations

import base64
import binascii
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Iterator
from itertools import pairwise, repeat
from typing import TYPE_CHECKING, Any

from sortedcontainers import SortedList

from ..core.constants import MAX_MS
from ..core.kernel import Kernel, Transition
from ..model.errors import ClientLimitExceededException
from .gate import tokens

if TYPE_CHECKING:
    from .state import Stream
    from .world import World

__all__ = [
    "BUFFER_BYTES",
    "BUFFER_MS",
    "EXPIRED",
    "MAX_FRAGMENT_MS",
    "MIN_FRAGMENT_MS",
    "STRIDE",
    "FragmentStore",
    "drop_stream_media",
    "keep_ms",
    "retention_changed",
    "store_of",
    "take_all_points",
    "take_points",
]

#: The step between consecutive fragment numbers (two real consecutive numbers differ so).
STRIDE = 4951760157141521104101130774010
#: A retention-0 stream's buffer: 5 minutes or 200 MB, whichever fills first.
BUFFER_MS = 5 * 60 * 1000
BUFFER_BYTES = 200 * 1000 * 1000
#: A fragment lasts 1 to 20 s (PutMedia's limits, ack 4002): no stored fragment is longer.
MIN_FRAGMENT_MS = 1_000
MAX_FRAGMENT_MS = 20_000
#: Expiry runs at whole minutes (kvsim rule): one batch per stream per minute at most.
EXPIRY_GRANULARITY_MS = 60_000
_HOUR_MS = 3_600_000


def keep_ms(retention_hours: int) -> int:
    """How long a fragment stays readable: the retention, or the 5-minute buffer at 0."""
    return retention_hours * _HOUR_MS if retention_hours else BUFFER_MS


class FragmentStore:
    """The fragments of one stream incarnation (see the module's text).

    Physical rows ``head`` onwards are live; the expired prefix before
    ``head`` is cut away when it outgrows the live part (amortised O(1) per
    fragment). ``media[i]`` is ``(Header, Cluster)`` for media that can be
    read back, shared between fragments where it is the same, or None.
    """

    __slots__ = (
        "base",
        "bytes",
        "durations",
        "expiry",
        "feed",
        "feeding",
        "head",
        "media",
        "next_seq",
        "points",
        "producer",
        "producer_index",
        "seqs",
        "server",
        "session",
        "sizes",
        "stream",
    )

    def __init__(self, stream: Stream | None, *, base: int) -> None:
        self.stream = stream
        self.base = base
        self.next_seq = 0
        self.head = 0
        self.seqs = array("q")
        self.server = array("q")
        self.producer = array("q")
        self.durations = array("q")
        self.sizes = array("q")
        self.media: list[Any] = []
        #: ``SortedList`` of ``(producer_ms, seq)`` once producer time went back, else None.
        self.producer_index: SortedList | None = None
        #: The live expiry change's sequence number (0: none).
        self.expiry = 0
        #: Bytes of the live fragments (the retention-0 buffer's bound).
        self.bytes = 0
        #: Fragment point buckets: ``{"metadata"|"media": [tokens, last refill ms]}``.
        self.points: dict[str, list[float]] = {}
        #: Whether a PutMedia connection is open (at most one per stream).
        self.session = False
        #: A producer on the clock (``put_fragments(realtime=True)``): ``[fragments
        #: left, duration ms, size, next producer ms, media, next arrival ms]``, or None.
        self.feed: list[Any] | None = None
        #: The live feed change's sequence number (0: none).
        self.feeding = 0

    # -- identity for the kernel --------------------------------------------------------

    @property
    def resource_id(self) -> str:
        """The stream's ARN."""
        assert self.stream is not None
        return self.stream.arn

    @property
    def location(self) -> tuple[str, str]:
        """The stream's ``(account_id, region_name)``."""
        assert self.stream is not None
        return self.stream.location

    def __len__(self) -> int:
        return len(self.seqs) - self.head

    # -- numbers --------------------------------------------------------------------------

    def number(self, seq: int) -> str:
        """The fragment number of sequence number ``seq``."""
        return str(self.base + seq * STRIDE)

    def seq_of(self, number: str) -> int | None:
        """The sequence number a fragment number stands for (issued or not), or None."""
        if not number.isdigit() or len(number) > 60:
            return None
        seq, rest = divmod(int(number) - self.base, STRIDE)
        return seq if rest == 0 and 0 <= seq < self.next_seq else None

    def position(self, seq: int) -> int | None:
        """The row of the live fragment ``seq``, or None. O(log n)."""
        row = bisect_left(self.seqs, seq, self.head)
        return row if row < len(self.seqs) and self.seqs[row] == seq else None

    # -- appending ------------------------------------------------------------------------

    def append(
        self, server_ms: int, producer_ms: int, duration_ms: int, size: int, media: Any
    ) -> int:
        """Store one fragment; returns its sequence number. O(1) (O(log n) once
        producer time went back)."""
        seq = self.next_seq
        self.next_seq = seq + 1
        self._note_producer(producer_ms, seq)
        self.seqs.append(seq)
        self.server.append(server_ms)
        self.producer.append(producer_ms)
        self.durations.append(duration_ms)
        self.sizes.append(size)
        self.media.append(media)
        self.bytes += size
        return seq

    def _note_producer(self, producer_ms: int, seq: int) -> None:
        index = self.producer_index
        if index is not None:
            index.add((producer_ms, seq))
        elif len(self.producer) > self.head and producer_ms < self.producer[-1]:
            # Producer time went back (a new session with earlier timecodes):
            # from now on a sorted index answers producer ranges.
            index = SortedList(zip(self.producer[self.head :], self.seqs[self.head :], strict=True))
            index.add((producer_ms, seq))
            self.producer_index = index

    def extend(
        self,
        count: int,
        server_ms: int,
        producer_ms: int,
        duration_ms: int,
        size: int,
        media: Any,
    ) -> int:
        """Store ``count`` evenly spaced fragments of one duration, size and media
        (generated ones); returns the first's sequence number. O(count) in C."""
        first = self.next_seq
        if self.producer_index is not None or (
            len(self.producer) > self.head and producer_ms < self.producer[-1]
        ):
            for i in range(count):
                self.append(
                    server_ms + i * duration_ms,
                    producer_ms + i * duration_ms,
                    duration_ms,
                    size,
                    media,
                )
            return first
        self.next_seq = first + count
        self.seqs.extend(range(first, first + count))
        self.server.extend(
            range(server_ms, server_ms + count * duration_ms, duration_ms)
            if duration_ms
            else repeat(server_ms, count)
        )
        self.producer.extend(
            range(producer_ms, producer_ms + count * duration_ms, duration_ms)
            if duration_ms
            else repeat(producer_ms, count)
        )
        self.durations.extend(repeat(duration_ms, count))
        self.sizes.extend(repeat(size, count))
        self.media.extend(repeat(media, count))
        self.bytes += size * count
        return first

    # -- dropping -------------------------------------------------------------------------

    def drop_before(self, row: int) -> int:
        """Drop the live fragments before physical row ``row``; returns how many.
        O(k) amortised (plus O(k log n) with a producer index)."""
        head = self.head
        if row <= head:
            return 0
        dropped = row - head
        self.bytes -= sum(self.sizes[head:row])
        index = self.producer_index
        if index is not None:
            for i in range(head, row):
                index.remove((self.producer[i], self.seqs[i]))
        self.head = row
        if row * 2 >= len(self.seqs):
            self._compact()
        return dropped

    def _compact(self) -> None:
        head = self.head
        for column in (self.seqs, self.server, self.producer, self.durations, self.sizes):
            del column[:head]
        del self.media[:head]
        self.head = 0
        if self.producer_index is not None and not self.producer_index:
            self.producer_index = None

    def clear(self) -> None:
        """Drop every fragment (the stream was deleted). Its numbers stay used."""
        self.drop_before(len(self.seqs))
        self.producer_index = None

    def expired_end(self, now_ms: int, keep: int) -> int:
        """The first physical row still readable ``keep`` ms after its server time. O(log n)."""
        return bisect_right(self.server, now_ms - keep, self.head)

    # -- ranges ---------------------------------------------------------------------------

    def server_rows(self, low: int, start_ms: int, end_ms: int) -> tuple[int, int]:
        """Physical rows ``[lo, hi)`` from ``low`` whose server time lies in
        ``[start_ms, end_ms]``. O(log n)."""
        lo = bisect_left(self.server, start_ms, low)
        return lo, max(lo, bisect_right(self.server, end_ms, lo))

    def producer_rows(self, low: int, start_ms: int, end_ms: int) -> tuple[int, int] | None:
        """As :meth:`server_rows` by producer time, while producer time never went
        back (None otherwise: use :meth:`producer_seqs`). O(log n)."""
        if self.producer_index is not None:
            return None
        lo = bisect_left(self.producer, start_ms, low)
        return lo, max(lo, bisect_right(self.producer, end_ms, lo))

    def producer_seqs(
        self, start_ms: int, end_ms: int, after: tuple[int, int] | None
    ) -> Iterator[tuple[int, int]]:
        """``(producer_ms, seq)`` in producer order within ``[start_ms, end_ms]``,
        after ``after``, from the producer index. O(log n + k)."""
        index = self.producer_index
        assert index is not None
        low = (start_ms, -1) if after is None else after
        return iter(index.irange(low, (end_ms, 2**62), inclusive=(after is None, True)))

    def rows(self) -> range:
        """The physical rows of the live fragments."""
        return range(self.head, len(self.seqs))

    def check(self) -> None:
        """Assert the store's invariants (for tests)."""
        n = len(self.seqs)
        for column in (self.server, self.producer, self.durations, self.sizes):
            assert len(column) == n
        assert len(self.media) == n and 0 <= self.head <= n
        live = self.rows()
        for a, b in pairwise(live):
            assert self.seqs[a] < self.seqs[b], "sequence numbers must increase"
            assert self.server[a] <= self.server[b], "server time must not go back"
        assert self.bytes == sum(self.sizes[self.head :]), "byte count"
        if self.producer_index is not None:
            assert list(self.producer_index) == sorted(
                (self.producer[i], self.seqs[i]) for i in live
            ), "producer index"
        assert all(s < self.next_seq for s in self.seqs[self.head :])


def store_of(world: World, stream: Stream) -> FragmentStore:
    """The stream's store, made (with its seeded number base) on first use."""
    store: FragmentStore | None = stream.fragments
    if store is None:
        # A 47-digit base with room for 10**15 fragments after it.
        base = 10**46 + world.rng.randrange(8 * 10**46)
        store = stream.fragments = FragmentStore(stream, base=base)
    return store


# -- retention -----------------------------------------------------------------------------


def _expire(kernel: Kernel, store: FragmentStore) -> None:
    stream = store.stream
    assert stream is not None
    store.drop_before(store.expired_end(kernel.now_ms, keep_ms(stream.retention)))
    schedule_expiry(kernel, store)


#: The batch expiry of a stream's fragments (one per stream at a time).
EXPIRED = Transition(
    "fragments.expired", "STORED", "EXPIRED", _expire, slot="expiry", family="fragments"
)


def schedule_expiry(kernel: Kernel, store: FragmentStore) -> None:
    """(Re)schedule the store's next batch expiry at the minute after its oldest
    fragment expires (nothing when it is empty). O(log n)."""
    stream = store.stream
    assert stream is not None
    if not len(store):
        store.expiry = 0
        return
    due = store.server[store.head] + keep_ms(stream.retention)
    due = -(-due // EXPIRY_GRANULARITY_MS) * EXPIRY_GRANULARITY_MS
    if due > MAX_MS:
        store.expiry = 0
        return
    store.expiry = kernel.schedule(store, EXPIRED, max(0, due - kernel.now_ms))


def retention_changed(world: World, stream: Stream) -> None:
    """After UpdateDataRetention: data older than the new retention goes at once,
    and the next batch expiry follows the new retention. O(k + log n)."""
    store = stream.fragments
    if store is None:
        return
    store.drop_before(store.expired_end(world.now_ms, keep_ms(stream.retention)))
    schedule_expiry(world, store)


def drop_stream_media(stream: Stream) -> None:
    """DeleteStream: the stream's fragments become unreachable at once."""
    store = stream.fragments
    if store is not None:
        store.clear()
        store.expiry = 0
        store.session = False
        store.feed = None
        store.feeding = 0


# -- fragment points -----------------------------------------------------------------------


def take_points(
    world: World, store: FragmentStore, kind: str, count: int, per_second: int | None, op: str
) -> None:
    """Take ``count`` fragment-``kind`` points of the stream's budget (``per_second``
    a second, None: unlimited), or ``ClientLimitExceededException``. O(1)."""
    take_all_points(world, store, ((kind, count, per_second),), op)


def take_all_points(
    world: World,
    store: FragmentStore,
    wanted: tuple[tuple[str, int, int | None], ...],
    op: str,
) -> None:
    """Take every ``(kind, count, per_second)`` of ``wanted``, or none of them:
    ``ClientLimitExceededException`` names the first budget short (a call that
    reads metadata and media, as GetClip, fails whole). O(len(wanted))."""
    if not world.limits.throttling:
        return
    now = world.now_ms
    taken: list[tuple[str, float]] = []
    for kind, count, per_second in wanted:
        if per_second is None:
            continue
        left = tokens(store.points, kind, now, per_second)
        if left < count:
            stream = store.stream
            name = stream.name if stream is not None else "?"
            raise ClientLimitExceededException(
                f"Limit exceeded on fragment {kind} points for {op} API for resource '{name}'"
            )
        taken.append((kind, left - count))
    for kind, left in taken:
        store.points[kind] = [left, now]


# -- tokens --------------------------------------------------------------------------------


def decode_token(token: str) -> list[str]:
    """The fields of an opaque ListFragments token (kvsim's), or ValueError."""
    try:
        text = base64.b64decode(token, validate=True).decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise ValueError(token) from None
    if not text.startswith("kvsim-fragments:"):
        raise ValueError(token)
    return text.split(":")[1:]


def encode_token(*fields: object) -> str:
    """An opaque ListFragments token for ``fields``."""
    return base64.b64encode(
        ("kvsim-fragments:" + ":".join(str(f) for f in fields)).encode("ascii")
    ).decode("ascii")
