"""What the three media readers share: finding a stream's data, timestamps, MKV bodies.

A reader finds its stream as every stream operation does (name or ARN, the
rate buckets), and then needs it ``ACTIVE`` or ``UPDATING``: a stream being
created has no data host yet and a stream being deleted has none any more
(``ResourceNotFoundException``, kvsim rule).

Bodies are MKV streams written by :func:`kvsim.media.mkv.write_mkv`: one
segment (EBML header, tracks) per run of fragments that share their tracks
(one PutMedia session, one ``put_fragments`` call), each cluster preceded by
a ``Tags`` element with the service's ``AWS_KINESISVIDEO_*`` tags and then
the producer's own. The fragments are chosen when the call runs; the bytes
are made as the body is read.

Connections (kvsim rules where AWS is silent): a GetMedia or
GetMediaForFragmentList answer is a :class:`ReaderBody`, which holds one of
its stream's reader connections for that operation from the call until it
is released: read to its end, closed (``StreamingBody.close()``, kvsim's or
botocore's, which closes it), the HTTP client of ``kvsim serve`` gone, or
the body garbage-collected unread (at once in CPython when its last
reference goes; later if it sits in a reference cycle, so close bodies you
stop reading). Deleting the stream releases them too (the stream's next
incarnation starts with none). ``Limits.get_media_connections`` (AWS's 3)
and ``Limits.get_media_for_fragment_list_connections`` (AWS's 5) bound them
per stream; the call past the bound is refused (the newest, as AWS throttles
them) with ``ConnectionLimitExceededException`` (GetMedia) or, as the
archived-media model has no such error, ``ClientLimitExceededException``
(GetMediaForFragmentList). ``throttling=False`` does not lift them. Over HTTP
the body is held while the server writes it: a body that fits the socket
buffers is released once written, whether or not the client has read it.

>>> timestamp_ms(1767225600.25), seconds_text(1767225600250)
(1767225600250, '1767225600.250')
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import suppress
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from weakref import WeakSet

from ..core.clock import to_ms
from ..model.errors import (
    ClientError,
    ClientLimitExceededException,
    InvalidArgumentException,
    NoDataRetentionException,
    ResourceNotFoundException,
    service_errors,
)
from .fragments import FragmentStore
from .gate import Admission
from .kinesisvideo.resolve import NOT_FOUND, admit_stream
from .state import ACTIVE, UPDATING, Region, Stream

if TYPE_CHECKING:
    from .world import World

__all__ = [
    "CONTENT_TYPE",
    "Chunk",
    "ReaderBody",
    "admit_data",
    "check_connections",
    "chunk",
    "invalid_token",
    "mkv_body",
    "mkv_stream",
    "open_readers",
    "retained",
    "retimed",
    "seconds_text",
    "timestamp_ms",
]

#: The ``ContentType`` of GetMedia and GetMediaForFragmentList answers.
CONTENT_TYPE = "video/webm"

#: One fragment to write: ``(header, cluster, tags)``.
Chunk = tuple[Any, Any, Sequence[tuple[str, str]]]


def timestamp_ms(value: object) -> int:
    """A request timestamp in epoch milliseconds: a ``datetime`` (naive ones are
    UTC, as botocore sends them), epoch seconds, or an ISO 8601 / epoch string."""
    if isinstance(value, datetime):
        return to_ms(value if value.tzinfo is not None else value.replace(tzinfo=UTC))
    if isinstance(value, bool):
        raise InvalidArgumentException(f"{value!r} is not a timestamp.")
    if isinstance(value, int | float):
        return round(value * 1000)
    if isinstance(value, str):
        try:
            return round(float(value) * 1000)
        except ValueError:
            pass
        try:
            return timestamp_ms(datetime.fromisoformat(value.replace("Z", "+00:00")))
        except ValueError:
            pass
    raise InvalidArgumentException(f"{value!r} is not a timestamp.")


def seconds_text(ms: int) -> str:
    """A timestamp as the media tags carry it: epoch seconds with three decimals (kvsim rule)."""
    return f"{ms // 1000}.{ms % 1000:03d}"


def admit_data(
    world: World, region: Region, op: str, name: str | None, arn: str | None
) -> tuple[Admission, Stream]:
    """The preamble of a data-plane call: the stream, ``ACTIVE`` or ``UPDATING``."""
    gate, stream = admit_stream(world, region, op, name, arn)
    if stream.status not in (ACTIVE, UPDATING):
        raise ResourceNotFoundException(NOT_FOUND)
    return gate, stream


def retained(stream: Stream) -> None:
    """``NoDataRetentionException`` for a stream that keeps no data (retention 0):
    its 5-minute buffer is GetMedia's alone."""
    if not stream.retention:
        raise NoDataRetentionException(
            f"The stream {stream.name} does not retain data (DataRetentionInHours is 0)."
        )


def invalid_token(token: str) -> ClientError:
    """The error for a ``NextToken`` kvsim did not issue for this request."""
    return InvalidArgumentException(f"The NextToken {token[:100]} is not valid.")


def retimed(store: FragmentStore, row: int) -> tuple[Any, Any]:
    """Fragment ``row``'s ``(Header, Cluster)``, the cluster at the fragment's producer
    time (``ResourceNotFoundException`` for a fragment without media). O(1)."""
    media = store.media[row]
    if media is None:
        raise ResourceNotFoundException("The fragment holds no media kvsim can return.")
    header, cluster = media
    producer = store.producer[row]
    if cluster.timecode_ms != producer:
        # Shared (generated) media: the cluster carries this fragment's time.
        # (The constructor, not dataclasses.replace: this runs for every fragment read.)
        cluster = type(cluster)(producer, cluster.frames, cluster.tags, cluster.size)
    return header, cluster


def chunk(store: FragmentStore, row: int, tags: list[tuple[str, str]]) -> Chunk:
    """Fragment ``row`` of ``store`` to write, with the service's ``tags`` first."""
    header, cluster = retimed(store, row)
    return header, cluster, [*tags, *cluster.tags]


def mkv_body(chunks: list[Chunk]) -> Iterator[bytes]:
    """The MKV stream of ``chunks``: a new segment whenever the tracks change."""
    from ..media.mkv import write_mkv

    start = 0
    while start < len(chunks):
        header = chunks[start][0]
        end = start + 1
        while end < len(chunks) and chunks[end][0] is header:
            end += 1
        yield from write_mkv(header, ((c[1], c[2]) for c in chunks[start:end]), pieces=True)
        start = end


def mkv_stream(chunks: Iterable[Chunk]) -> Iterator[bytes]:
    """As :func:`mkv_body` for chunks that come as they are made (GetMedia's live
    tail): a new segment whenever the tracks change."""
    from ..media.mkv import cluster_pieces, write_mkv

    current = None
    for header, cluster, tags in chunks:
        if header is not current:
            current = header
            yield from write_mkv(header, (), pieces=True)
        yield from cluster_pieces(cluster, tags, timecode_scale_ns=header.timecode_scale_ns)


# -- reader connections ------------------------------------------------------------------

ConnectionLimitExceededException = service_errors("kinesis-video-media")[
    "ConnectionLimitExceededException"
]

#: The ``Limits`` field that bounds each reader's connections per stream.
_LIMIT_FIELDS = {
    "GetMedia": "get_media_connections",
    "GetMediaForFragmentList": "get_media_for_fragment_list_connections",
}


def _limit(world: World, op: str) -> int | None:
    limit: int | None = getattr(world.limits, _LIMIT_FIELDS[op])
    return limit


def check_connections(world: World, stream: Stream, op: str) -> None:
    """Refuse an ``op`` call on ``stream`` whose open bodies are at the limit
    (see the module's text). O(1)."""
    limit = _limit(world, op)
    if limit is None:
        return
    bodies = world.readers.get((stream, op))
    if (0 if bodies is None else len(bodies)) < limit:
        return
    message = (
        f"Limit exceeded on number of concurrent connections for {op} API for resource "
        f"'{stream.name}': at most {limit} are allowed."
    )
    if op == "GetMedia":
        raise ConnectionLimitExceededException(message)
    raise ClientLimitExceededException(message)


def open_readers(world: World) -> list[str]:
    """The ARNs (sorted) of live streams with open reader bodies, which a snapshot would lose."""
    return sorted(
        {
            stream.arn
            for (stream, _op), bodies in list(world.readers.items())
            if len(bodies) and stream.region.streams.get(stream.name) is stream
        }
    )


class ReaderBody:
    """A media reader's payload (GetMedia, GetMediaForFragmentList): an iterator of
    MKV bytes that holds one of its stream's connections for ``op`` until it ends,
    is closed or is garbage-collected (see the module's text)."""

    __slots__ = ("__weakref__", "_bodies", "_key", "_pieces", "_runtime", "_source", "_world")

    def __init__(self, world: World, stream: Stream, op: str, source: Iterable[bytes]) -> None:
        self._world = world
        self._key = (stream, op)
        self._source: Iterable[bytes] | None = source
        self._pieces: Iterator[bytes] | None = None
        #: The simulator's runtime (its lock), given by the call; None for a bare handler.
        self._runtime: Any = None
        bodies = world.readers.get(self._key)
        if bodies is None:
            bodies = world.readers[self._key] = WeakSet()
        bodies.add(self)
        self._bodies: WeakSet[ReaderBody] | None = bodies

    def attach(self, runtime: Any) -> None:
        """Take the call's runtime (done by the call that made it; passed on to a live tail)."""
        self._runtime = runtime
        attach = getattr(self._source, "attach", None)
        if attach is not None:
            attach(runtime)

    @property
    def open(self) -> bool:
        """Whether the body still holds its connection."""
        return self._bodies is not None

    def __iter__(self) -> ReaderBody:
        return self

    def __next__(self) -> bytes:
        pieces = self._pieces
        if pieces is None:
            if self._source is None:
                raise StopIteration
            pieces = self._pieces = iter(self._source)
        try:
            return next(pieces)
        except StopIteration:
            self.close()
            raise

    def close(self) -> None:
        """Release the connection and drop what is left (idempotent)."""
        pieces, self._pieces, self._source = self._pieces, None, None
        self._release()
        close = getattr(pieces, "close", None)
        if close is not None:
            # ValueError: being read by another thread, which ends at its next piece.
            with suppress(ValueError):
                close()

    def _release(self) -> None:
        bodies = self._bodies
        if bodies is None:
            return
        self._bodies = None
        runtime = self._runtime
        if runtime is None:
            self._forget(bodies)
            return
        with runtime.lock:
            self._forget(bodies)

    def _forget(self, bodies: WeakSet[ReaderBody]) -> None:
        bodies.discard(self)
        readers = self._world.readers
        if not bodies and readers.get(self._key) is bodies:
            del readers[self._key]
