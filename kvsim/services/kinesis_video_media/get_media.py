"""GetMedia: a stream's fragments from a start selector, as one MKV body.

kvsim rules where AWS is silent:

- The body holds the fragments stored when the call runs, from the start
  selector on; then, while a producer on the clock feeds the stream
  (``sim.put_fragments(..., realtime=True)``, a scheduled change per
  fragment), a **live tail**: once caught up, reading the body waits for the
  producer's next fragment by advancing the virtual clock to its arrival
  (running every change due on the way, recorded in the trace as a clock
  step, with the simulator's lock held only for the step, never across the
  caller's code), and sends it. Under ``patch_time`` the consumer's clock is
  that virtual clock; over HTTP the server thread that writes the chunked
  body advances the shared world the same way. The body ends when the stream
  has no such producer (none, its last fragment received, or the stream
  deleted) and nothing new is stored, or after :data:`MAX_FRAGMENTS` (1,000)
  fragments: a consumer continues with the last
  ``AWS_KINESISVIDEO_CONTINUATION_TOKEN``, which every fragment carries. A
  producer that sends from another thread (``put_media``, ``POST
  /putMedia``) is not waited for. The same calls give the same bytes and the
  same clock. A stream without fragments answers an empty body.
- ``NOW`` starts with the newest fragment; ``EARLIEST`` with the oldest
  readable one (a retention-0 stream's 5-minute buffer included: GetMedia is
  the one reader of it); ``FRAGMENT_NUMBER`` with the fragment named by
  ``AfterFragmentNumber`` itself; ``SERVER_TIMESTAMP`` and
  ``PRODUCER_TIMESTAMP`` with the fragment that contains ``StartTimestamp``
  (else the first after it); ``CONTINUATION_TOKEN`` with the fragment after
  the one that carried the token. A fragment number or token that names no
  readable fragment answers ``ResourceNotFoundException`` / ``InvalidArgumentException``.
- Tags before each cluster: ``AWS_KINESISVIDEO_FRAGMENT_NUMBER``,
  ``_SERVER_TIMESTAMP``, ``_PRODUCER_TIMESTAMP`` (epoch seconds, three
  decimals), ``_MILLIS_BEHIND_NOW`` (the newest fragment's server timestamp
  minus this one's) and ``_CONTINUATION_TOKEN`` (this fragment's number),
  then the producer's tags.
- 5 calls per second per stream (``ClientLimitExceededException``).
- 3 bodies open at once per stream (``Limits.get_media_connections``): the
  body (:class:`~kvsim.services.media_reads.ReaderBody`) holds its connection
  until it is read to the end, closed or dropped, or its HTTP client goes
  away; the 4th call answers ``ConnectionLimitExceededException`` (400).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from ...model.errors import InvalidArgumentException, ResourceNotFoundException
from ..declarations import Declarations
from ..fragments import FragmentStore, keep_ms
from ..media_reads import (
    CONTENT_TYPE,
    Chunk,
    ReaderBody,
    admit_data,
    check_connections,
    chunk,
    mkv_body,
    mkv_stream,
    seconds_text,
    timestamp_ms,
)
from ..state import Region

if TYPE_CHECKING:
    from ..world import World

__all__ = ["MAX_FRAGMENTS", "LiveTail", "declare", "start_row"]

declare = Declarations("kinesis-video-media")

#: The most fragments one GetMedia body carries (kvsim rule).
MAX_FRAGMENTS = 1_000


def _containing(store: FragmentStore, column: Any, low: int, at_ms: int) -> int:
    # The row whose [start, start + duration) holds at_ms, else the first after it.
    row = bisect_right(column, at_ms, low) - 1
    if row >= low and column[row] + store.durations[row] > at_ms:
        return row
    return row + 1


def start_row(store: FragmentStore, low: int, selector: Mapping[str, Any]) -> int:
    """The physical row a GetMedia start selector names (past the end: none yet)."""
    kind = selector["StartSelectorType"]
    end = len(store.seqs)
    if kind == "EARLIEST":
        return low
    if kind == "NOW":
        return max(low, end - 1)
    if kind in ("FRAGMENT_NUMBER", "CONTINUATION_TOKEN"):
        member = "AfterFragmentNumber" if kind == "FRAGMENT_NUMBER" else "ContinuationToken"
        value = selector.get(member)
        if value is None:
            raise InvalidArgumentException(f"StartSelectorType {kind} needs {member}.")
        seq = store.seq_of(value)
        row = None if seq is None else store.position(seq)
        if seq is not None and kind == "CONTINUATION_TOKEN":
            # After the fragment that carried it, even if that one has expired since.
            return max(low, bisect_right(store.seqs, seq, store.head))
        if row is None or row < low:
            if kind == "CONTINUATION_TOKEN":
                raise InvalidArgumentException(f"The ContinuationToken {value} is not valid.")
            raise ResourceNotFoundException(f"The fragment {value} was not found in the stream.")
        return row
    value = selector.get("StartTimestamp")
    if value is None:
        raise InvalidArgumentException(f"StartSelectorType {kind} needs StartTimestamp.")
    at_ms = timestamp_ms(value)
    if kind == "SERVER_TIMESTAMP":
        return _containing(store, store.server, low, at_ms)
    if store.producer_index is None:
        return _containing(store, store.producer, low, at_ms)
    # Producer time went back: the first fragment (by number) that contains it or follows it.
    for row in range(low, end):
        if store.producer[row] + store.durations[row] > at_ms:
            return row
    return end


def _check_selector(selector: Mapping[str, Any]) -> None:
    kind = selector["StartSelectorType"]
    needs = {
        "FRAGMENT_NUMBER": "AfterFragmentNumber",
        "CONTINUATION_TOKEN": "ContinuationToken",
        "SERVER_TIMESTAMP": "StartTimestamp",
        "PRODUCER_TIMESTAMP": "StartTimestamp",
    }.get(kind)
    if needs is not None and selector.get(needs) is None:
        raise InvalidArgumentException(f"StartSelectorType {kind} needs {needs}.")
    if needs == "StartTimestamp":
        timestamp_ms(selector["StartTimestamp"])


@declare("GetMedia", rate=(None, 5), resource="stream")
def _get_media(world: World, region: Region, p: Mapping[str, Any]) -> dict[str, Any]:
    """GetMedia: ``{"ContentType": "video/webm", "Payload": <MKV>}``."""
    selector = p["StartSelector"]
    _check_selector(selector)
    gate, stream = admit_data(world, region, "GetMedia", p.get("StreamName"), p.get("StreamARN"))
    store = stream.fragments
    chunks: list[Chunk] = []
    next_seq = 0 if store is None else store.next_seq
    if store is not None and len(store):
        low = store.expired_end(world.now_ms, keep_ms(stream.retention))
        first = start_row(store, low, selector)
        end = len(store.seqs)
        if low < end:
            rows = range(first, min(end, first + MAX_FRAGMENTS))
            chunks = _chunks(store, rows)
            if rows.stop < end:
                next_seq = store.seqs[rows.stop]
    elif selector["StartSelectorType"] in ("FRAGMENT_NUMBER", "CONTINUATION_TOKEN"):
        member = (
            "AfterFragmentNumber"
            if selector["StartSelectorType"] == "FRAGMENT_NUMBER"
            else "ContinuationToken"
        )
        raise ResourceNotFoundException(
            f"The fragment {selector[member]} was not found in the stream."
        )
    check_connections(world, stream, "GetMedia")
    gate.commit()
    body = mkv_body(chunks) if store is None else LiveTail(store, chunks, next_seq)
    return {"ContentType": CONTENT_TYPE, "Payload": ReaderBody(world, stream, "GetMedia", body)}


def _chunks(store: FragmentStore, rows: range) -> list[Chunk]:
    # The fragments of ``rows`` with GetMedia's tags.
    if not rows:
        return []
    newest = store.server[len(store.seqs) - 1]
    chunks: list[Chunk] = []
    for row in rows:
        number = store.number(store.seqs[row])
        server = store.server[row]
        chunks.append(
            chunk(
                store,
                row,
                [
                    ("AWS_KINESISVIDEO_FRAGMENT_NUMBER", number),
                    ("AWS_KINESISVIDEO_SERVER_TIMESTAMP", seconds_text(server)),
                    ("AWS_KINESISVIDEO_PRODUCER_TIMESTAMP", seconds_text(store.producer[row])),
                    ("AWS_KINESISVIDEO_MILLIS_BEHIND_NOW", str(newest - server)),
                    ("AWS_KINESISVIDEO_CONTINUATION_TOKEN", number),
                ],
            )
        )
    return chunks


class LiveTail:
    """GetMedia's payload: the fragments chosen when the call ran, then, while a
    producer on the clock feeds the stream, each next fragment as the virtual
    clock reaches it (see the module's text). Iterating it yields MKV bytes."""

    __slots__ = ("_first", "_next_seq", "_runtime", "_sent", "_store")

    def __init__(self, store: FragmentStore, first: list[Chunk], next_seq: int) -> None:
        self._store = store
        self._first = first
        self._sent = len(first)
        #: The sequence number of the next fragment to send (sent or expired before).
        self._next_seq = next_seq
        #: The simulator's runtime (its lock, world and trace), given by the call.
        self._runtime: Any = None

    def attach(self, runtime: Any) -> None:
        """Let the tail wait on ``runtime``'s clock (done by the call that made it)."""
        self._runtime = runtime

    def __iter__(self) -> Iterator[bytes]:
        return mkv_stream(self._chunks())

    def _chunks(self) -> Iterator[Chunk]:
        yield from self._first
        self._first = []
        while self._sent < MAX_FRAGMENTS and self._runtime is not None:
            batch = self._next()
            if not batch:
                return
            self._sent += len(batch)
            yield from batch

    def _next(self) -> list[Chunk]:
        # Under the lock: the fragments after the last one sent, waiting for the
        # feed's next arrival if there are none yet; [] when the body ends.
        runtime = self._runtime
        store = self._store
        with runtime.lock:
            world = runtime.world
            while True:
                stream = store.stream
                if stream is None or stream.fragments is not store:
                    return []
                world.catch_up()
                low = store.expired_end(world.now_ms, keep_ms(stream.retention))
                start = max(low, bisect_left(store.seqs, self._next_seq, store.head))
                end = min(len(store.seqs), start + MAX_FRAGMENTS - self._sent)
                if start < end:
                    self._next_seq = store.seqs[end - 1] + 1
                    return _chunks(store, range(start, end))
                feed = store.feed
                if feed is None or not store.feeding:
                    return []
                # Wait for the producer's next fragment: the clock moves to its arrival.
                before = world.now_ms
                world.advance_ms(max(0, feed[5] - before))
                runtime.trace.clock(before, (world.now_ms - before) / 1000)
