"""PutMedia: a producer's MKV stream in, acknowledgements out (no botocore model).

A :class:`PutMediaSession` is one PutMedia connection. Opening it checks what
the service checks before it answers HTTP 200: the stream (by name or ARN,
``ACTIVE`` or ``UPDATING``, else ``ResourceNotFoundException``), the call rate
(5 per second per stream, ``ClientLimitExceededException``) and the one open
connection per stream (``ConnectionLimitExceededException``, the newest one
refused). Then :meth:`PutMediaSession.feed` takes MKV bytes in any chunking
and answers the acknowledgements of every fragment (cluster) completed, as
the wire's JSON objects.

kvsim rules:

- **Time.** The producer sends in real time: a fragment starts arriving at
  ``max(now, session start + its producer offset from the session's first
  fragment)``, which is its server timestamp; the virtual clock moves to the
  end of each fragment (its start plus its duration) as it is received, and
  changes due on the way run.
- **Acks.** ``BUFFERING``, ``RECEIVED``, then ``PERSISTED`` when the stream
  keeps data, all once the cluster is complete. A failed fragment gets
  ``BUFFERING`` and ``ERROR`` (``ErrorId``, ``ErrorCode``) and is not stored;
  its fragment number stays used. Invalid MKV (4006), too many tracks (4012),
  a frame of an undeclared track (4010) and a deleted stream (4008) end the
  session; the other errors drop only their fragment.
- **Limits.** Duration 1-20 s (``ErrorId`` 4002, ``ErrorCode``
  ``MIN_FRAGMENT_DURATION_REACHED`` / ``MAX_FRAGMENT_DURATION_REACHED``), size
  50 MB (4001), 3 tracks (4012), a frame for every track (4011), 10 producer
  tags (4009), each fragment's first frame after the previous fragment's last
  within the session (4004), no producer timestamp before the epoch (4007).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ...core.clock import from_ms
from ...core.constants import MAX_MS
from ...core.kernel import Transition
from ...model.errors import (
    ClientLimitExceededException,
    ResourceNotFoundException,
    service_errors,
)
from ..deliveries import deliver
from ..fragments import (
    BUFFER_BYTES,
    MAX_FRAGMENT_MS,
    MIN_FRAGMENT_MS,
    FragmentStore,
    schedule_expiry,
    store_of,
)
from ..gate import tokens
from ..kinesisvideo.resolve import NOT_FOUND, check_reference, resolve_stream
from ..state import ACTIVE, UPDATING, Region, Stream

if TYPE_CHECKING:
    from ..world import World

__all__ = [
    "ERROR_CODES",
    "FED",
    "MAX_FRAGMENT_BYTES",
    "MAX_FRAGMENT_MS",
    "MAX_TAGS",
    "MAX_TRACKS",
    "MIN_FRAGMENT_MS",
    "FragmentBatch",
    "PutMediaSession",
    "put_fragments",
]

ConnectionLimitExceededException = service_errors("kinesis-video-media")[
    "ConnectionLimitExceededException"
]

MAX_FRAGMENT_BYTES = 50 * 1000 * 1000
MAX_TRACKS = 3
MAX_TAGS = 10
#: PutMedia connections per second per stream.
PUT_MEDIA_TPS = 5

#: The ack ``ErrorCode`` of each ``ErrorId`` (the producer SDKs' names).
ERROR_CODES = {
    4000: "STREAM_READ_ERROR",
    4001: "MAX_FRAGMENT_SIZE_REACHED",
    4002: "MAX_FRAGMENT_DURATION_REACHED",
    4003: "MAX_CONNECTION_DURATION_REACHED",
    4004: "FRAGMENT_TIMECODE_LESSER_THAN_PREVIOUS",
    4005: "MORE_THAN_ALLOWED_TRACKS_FOUND",
    4006: "INVALID_MKV_DATA",
    4007: "INVALID_PRODUCER_TIMESTAMP",
    4008: "STREAM_NOT_ACTIVE",
    4009: "FRAGMENT_METADATA_LIMIT_REACHED",
    4010: "TRACK_NUMBER_MISMATCH",
    4011: "FRAMES_MISSING_FOR_TRACK",
    4012: "MORE_THAN_ALLOWED_TRACKS_FOUND",
    5000: "INTERNAL_ERROR",
}
_ENDING = frozenset({4006, 4008, 4010, 4012})


def _open(
    world: World, region: Region, name: str | None, arn: str | None
) -> tuple[Stream, FragmentStore]:
    # The checks before HTTP 200: the stream, the rate, the one connection.
    # PutMedia has no model operation: its rate is a bucket of the stream's store.
    check_reference(name, arn)
    stream = resolve_stream(region, name, arn)
    if stream.status not in (ACTIVE, UPDATING):
        raise ResourceNotFoundException(NOT_FOUND)
    store = store_of(world, stream)
    if world.limits.throttling:
        left = tokens(store.points, "PutMedia", world.now_ms, PUT_MEDIA_TPS)
        if left < 1:
            raise ClientLimitExceededException(
                f"Limit exceeded on number of requests for PutMedia API for resource '{stream.name}'"
            )
    if store.session:
        raise ConnectionLimitExceededException(
            f"The stream {stream.name} already has a PutMedia connection; at most 1 is allowed."
        )
    if world.limits.throttling:
        store.points["PutMedia"] = [left - 1, world.now_ms]
    return stream, store


def _trim_buffer(stream: Stream, store: FragmentStore) -> None:
    # A retention-0 stream's buffer holds at most 200 MB: the oldest go first.
    if stream.retention or store.bytes <= BUFFER_BYTES:
        return
    row = store.head
    excess = store.bytes - BUFFER_BYTES
    while excess > 0 and row < len(store.seqs):
        excess -= store.sizes[row]
        row += 1
    store.drop_before(row)


def _stored(world: World, stream: Stream, store: FragmentStore, added: int = 1) -> None:
    """After ``added`` fragments were appended: the buffer bound, expiry, and what
    they deliver (image generation, notifications)."""
    _trim_buffer(stream, store)
    if not store.expiry:
        schedule_expiry(world, store)
    end = len(store.seqs)
    deliver(world, stream, store, range(max(store.head, end - added), end))


class PutMediaSession:
    """One PutMedia connection to one stream (see the module's text). Call its
    methods with the world's lock held."""

    def __init__(
        self,
        world: World,
        region: Region,
        name: str | None,
        arn: str | None,
        *,
        timecode_type: str = "ABSOLUTE",
        producer_start_ms: int | None = None,
    ) -> None:
        from ...media.mkv import MkvStreamReader

        if timecode_type not in ("ABSOLUTE", "RELATIVE"):
            raise ValueError(
                f"timecode_type must be 'ABSOLUTE' or 'RELATIVE', got {timecode_type!r}"
            )
        self.world = world
        self.stream, self.store = _open(world, region, name, arn)
        self.store.session = True
        self.relative = timecode_type == "RELATIVE"
        self.producer_start_ms = world.now_ms if producer_start_ms is None else producer_start_ms
        self.server_start_ms = world.now_ms
        self.first_producer_ms: int | None = None
        self.last_frame_ms: int | None = None
        self.header: Any = None
        self.reader = MkvStreamReader()
        self.received = 0
        self.open = True

    def _ack(
        self,
        kind: str,
        timecode: int,
        number: str | None,
        error: int | None = None,
        code: str | None = None,
    ) -> dict[str, Any]:
        ack: dict[str, Any] = {"EventType": kind, "FragmentTimecode": timecode}
        if number is not None:
            ack["FragmentNumber"] = number
        if error is not None:
            ack["ErrorId"] = error
            ack["ErrorCode"] = code or ERROR_CODES[error]
        return ack

    def _fail(
        self, timecode: int, number: str | None, error: int, code: str | None = None
    ) -> list[dict[str, Any]]:
        if error in _ENDING:
            self.close_session()
        return [self._ack("ERROR", timecode, number, error, code)]

    def feed(self, data: bytes) -> list[dict[str, Any]]:
        """Take the next bytes of the MKV stream; the acks of the fragments they complete."""
        if not self.open:
            return []
        from ...media.mkv import MkvError

        self.received += len(data)
        try:
            items = self.reader.feed(data)
        except MkvError as error:
            return self._fail(0, None, error.error_id if error.error_id in ERROR_CODES else 4006)
        return self._take(items)

    def close(self) -> list[dict[str, Any]]:
        """The end of the request body: the acks of what it completes; the connection closes."""
        if not self.open:
            return []
        from ...media.mkv import MkvError

        if not self.received:  # an empty body: nothing to acknowledge
            self.close_session()
            return []
        try:
            acks = self._take(self.reader.close())
        except MkvError as error:
            acks = self._fail(0, None, error.error_id if error.error_id in ERROR_CODES else 4006)
        self.close_session()
        return acks

    def close_session(self) -> None:
        """Release the stream's one PutMedia connection."""
        if self.open:
            self.open = False
            self.store.session = False

    def _take(self, items: Iterable[Any]) -> list[dict[str, Any]]:
        from ...media.mkv import Cluster, Header

        acks: list[dict[str, Any]] = []
        for item in items:
            if not self.open:
                break
            if isinstance(item, Header):
                if self.header is not None:
                    # A second segment in one PutMedia body.
                    acks += self._fail(0, None, 4006)
                    break
                self.header = item
                if len(item.tracks) > MAX_TRACKS:
                    acks += self._fail(0, None, 4012)
            elif isinstance(item, Cluster):
                acks += self._fragment(item)
        return acks

    def _fragment(self, cluster: Any) -> list[dict[str, Any]]:
        world, stream, store = self.world, self.stream, self.store
        timecode = cluster.timecode_ms
        if self.header is None:
            return self._fail(timecode, None, 4006)
        producer = self.producer_start_ms + timecode if self.relative else timecode
        if self.first_producer_ms is None:
            self.first_producer_ms = producer
        arrival = max(world.now_ms, self.server_start_ms + producer - self.first_producer_ms)
        if arrival > world.now_ms:
            world.advance_ms(arrival - world.now_ms)
        if stream.status not in (ACTIVE, UPDATING) or stream.fragments is not store:
            return self._fail(timecode, None, 4008)
        seq = store.next_seq
        store.next_seq = seq + 1
        number = store.number(seq)
        acks = [self._ack("BUFFERING", timecode, number)]
        error = self._problem(cluster, producer)
        duration = cluster.duration_ms
        if error is None:
            store.next_seq = seq  # append() takes it again
            store.append(arrival, producer, duration, cluster.size, (self.header, cluster))
            _stored(world, stream, store)
        world.advance_ms(max(0, arrival + duration - world.now_ms))
        if error is not None:
            code = (
                "MIN_FRAGMENT_DURATION_REACHED"
                if error == 4002 and duration < MIN_FRAGMENT_MS
                else None
            )
            return acks + self._fail(timecode, number, error, code)
        frames = cluster.frames
        if frames:
            self.last_frame_ms = producer + max(f.timecode_ms for f in frames)
        acks.append(self._ack("RECEIVED", timecode, number))
        if stream.retention:
            acks.append(self._ack("PERSISTED", timecode, number))
        return acks

    def _problem(self, cluster: Any, producer: int) -> int | None:
        header = self.header
        declared = {track.number for track in header.tracks}
        frames = cluster.frames
        if any(frame.track not in declared for frame in frames):
            return 4010
        if {frame.track for frame in frames} != declared:
            return 4011
        if producer < 0:
            return 4007
        duration = cluster.duration_ms
        if duration > MAX_FRAGMENT_MS or duration < MIN_FRAGMENT_MS:
            return 4002
        if cluster.size > MAX_FRAGMENT_BYTES:
            return 4001
        if len(cluster.tags) > MAX_TAGS:
            return 4009
        first = producer + min(frame.timecode_ms for frame in frames)
        if self.last_frame_ms is not None and first <= self.last_frame_ms:
            return 4004
        return None


@dataclass(frozen=True, slots=True)
class FragmentBatch:
    """What :func:`put_fragments` stored: ``count`` fragments of ``duration_ms``,
    numbered ``first_fragment_number`` … ``last_fragment_number``."""

    count: int
    first_fragment_number: str
    last_fragment_number: str
    server_start: datetime
    producer_start: datetime
    duration_ms: int


def put_fragments(
    world: World,
    region: Region,
    name: str | None,
    arn: str | None,
    *,
    count: int,
    duration_ms: int,
    media: Any,
    size: int,
    producer_start_ms: int | None,
    realtime: bool = False,
) -> FragmentBatch:
    """Store ``count`` generated fragments of one shared ``media`` (a PutMedia
    session of its own), moving the clock by their duration. O(count) in C.

    ``realtime``: the clock does not move; the first fragment is stored now and
    each next one arrives one duration later as a scheduled change (:data:`FED`)
    while the connection stays open, until the last has been received."""
    if not MIN_FRAGMENT_MS <= duration_ms <= MAX_FRAGMENT_MS:
        raise ValueError(
            f"duration must be between {MIN_FRAGMENT_MS / 1000:g} and "
            f"{MAX_FRAGMENT_MS / 1000:g} seconds (AWS's fragment limits), got {duration_ms / 1000:g}"
        )
    if size > MAX_FRAGMENT_BYTES:
        raise ValueError(f"a fragment of {size} bytes is over AWS's 50 MB limit")
    if realtime and world.now_ms + count * duration_ms > MAX_MS:
        raise ValueError("the feed would end after the end of the virtual clock")
    stream, store = _open(world, region, name, arn)
    now = world.now_ms
    producer = now if producer_start_ms is None else producer_start_ms
    if producer < 0:
        raise ValueError("producer_start must not be before 1970")
    if realtime:
        # The first fragment arrives now, the others one duration apart as the
        # clock reaches them; the connection stays open until the last one is in.
        first = store.append(now, producer, duration_ms, size, media)
        _stored(world, stream, store)
        store.session = True
        store.feed = [
            count - 1,
            duration_ms,
            size,
            producer + duration_ms,
            media,
            now + duration_ms,
        ]
        store.feeding = world.schedule(store, FED, duration_ms)
    else:
        first = store.extend(count, now, producer, duration_ms, size, media)
        _stored(world, stream, store, count)
        world.advance_ms(count * duration_ms)
    return FragmentBatch(
        count,
        store.number(first),
        store.number(first + count - 1),
        from_ms(now),
        from_ms(producer),
        duration_ms,
    )


def _fed(kernel: Any, store: FragmentStore) -> None:
    # The next fragment of a producer on the clock arrives (or, after the last, it hangs up).
    world: World = kernel
    feed = store.feed
    stream = store.stream
    assert feed is not None and stream is not None
    left, duration, size, producer, media, _due = feed
    if not left or stream.status not in (ACTIVE, UPDATING) or stream.fragments is not store:
        store.feed = None
        store.session = False
        return
    store.append(world.now_ms, producer, duration, size, media)
    _stored(world, stream, store)
    feed[0] = left - 1
    feed[3] = producer + duration
    feed[5] = world.now_ms + duration
    store.feeding = world.schedule(store, FED, duration)


#: The arrival of a scheduled producer's next fragment (``put_fragments(realtime=True)``).
FED = Transition("fragments.fed", "STORED", "FED", _fed, slot="feeding", family="fragments")
