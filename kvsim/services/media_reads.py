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

>>> timestamp_ms(1767225600.25), seconds_text(1767225600250)
(1767225600250, '1767225600.250')
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from ..core.clock import to_ms
from ..model.errors import InvalidArgumentException, ResourceNotFoundException
from .fragments import FragmentStore
from .gate import Admission
from .kinesisvideo.resolve import NOT_FOUND, admit_stream
from .state import ACTIVE, UPDATING, Region, Stream

if TYPE_CHECKING:
    from .world import World

__all__ = [
    "CONTENT_TYPE",
    "Chunk",
    "admit_data",
    "mkv_body",
    "mkv_stream",
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


def chunk(store: FragmentStore, row: int, tags: list[tuple[str, str]]) -> Chunk:
    """Fragment ``row`` of ``store`` to write, with the service's ``tags`` first."""
    media = store.media[row]
    if media is None:
        raise ResourceNotFoundException("The fragment holds no media kvsim can return.")
    header, cluster = media
    producer = store.producer[row]
    if cluster.timecode_ms != producer:
        # Shared (generated) media: the cluster carries this fragment's time.
        # (The constructor, not dataclasses.replace: this runs for every fragment read.)
        cluster = type(cluster)(producer, cluster.frames, cluster.tags, cluster.size)
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
