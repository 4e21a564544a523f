"""The archived-media selection rules GetClip, HLS and DASH sessions share.

Three jobs, each one function:

- :func:`parse_range` / :func:`check_range`: a ``TimestampRange`` as AWS
  validates it;
- :func:`select_rows`: the stored fragments a range selects, in the order the
  selector's timestamps give, capped by count and bytes;
- :func:`codec_problem`: the media-type error a fragment's tracks deserve.

Range rules (AWS's, with kvsim's reading where its text is vague), checked in
this order, each an ``InvalidArgumentException`` (400):

1. ``EndTimestamp`` must be later than ``StartTimestamp`` (equal is refused);
2. at most 24 hours after it;
3. with ``SERVER_TIMESTAMP``, ``EndTimestamp`` must not lie in the future
   (kvsim rule: "in the past" read as at or before the current virtual time),
   and ``StartTimestamp`` neither (a range without an end, LIVE_REPLAY's);
   AWS's "StartTimestamp must be later than the stream head" is not enforced
   further (kvsim rule): a start before the oldest retained fragment simply
   selects from the oldest one.

Selection: a fragment is in the range when its *start* time (server or
producer, as the selector says) lies in ``[start, end]``, both ends inclusive:
a fragment that began before the start is left out even if it runs past it, one
that starts at or before the end is in even if it runs past it. Only
retained fragments are selected (older than the retention: gone).

>>> from datetime import UTC, datetime
>>> parse_range({"StartTimestamp": datetime(2026, 1, 1, tzinfo=UTC), "EndTimestamp": 1767225660})
(1767225600000, 1767225660000)
>>> check_range("PRODUCER_TIMESTAMP", 0, 86_400_001, now_ms=0)  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
kvsim.errors.InvalidArgumentException: ...: The TimestampRange must not span more than 24 hours.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

from ...core.constants import MAX_MS
from ...model.errors import (
    ClientError,
    InvalidArgumentException,
    service_errors,
)
from ..fragments import keep_ms
from ..media_reads import retained, timestamp_ms
from .fragments import list_fragments

if TYPE_CHECKING:
    from ..fragments import FragmentStore
    from ..state import Stream
    from ..world import World

__all__ = [
    "CLIP_MAX_BYTES",
    "CLIP_MAX_FRAGMENTS",
    "MAX_RANGE_MS",
    "NO_FRAGMENTS",
    "check_codecs",
    "check_range",
    "codec_problem",
    "kind_of",
    "parse_range",
    "retained",
    "retained_start",
    "select_rows",
    "selector_key",
    "timestamp_range",
]

#: The longest ``TimestampRange``: 24 hours.
MAX_RANGE_MS: Final = 24 * 3_600_000
#: GetClip's payload holds at most the first 200 fragments ...
CLIP_MAX_FRAGMENTS: Final = 200
#: ... or 100 MB of them, whichever comes first.
CLIP_MAX_BYTES: Final = 100 * 1000 * 1000

_ERRORS = service_errors("kinesis-video-archived-media")

#: AWS's message when a clip or session would hold no fragment.
NO_FRAGMENTS: Final = "No fragments found in the stream for the streaming request."


def kind_of(selector_type: str) -> str:
    """``"S"`` for ``SERVER_TIMESTAMP``, ``"P"`` for ``PRODUCER_TIMESTAMP`` (the store's kinds).

    >>> kind_of("SERVER_TIMESTAMP"), kind_of("PRODUCER_TIMESTAMP")
    ('S', 'P')
    """
    return "S" if selector_type == "SERVER_TIMESTAMP" else "P"


def parse_range(span: Mapping[str, Any]) -> tuple[int, int | None]:
    """``(start_ms, end_ms or None)`` of a validated ``TimestampRange`` (either
    timestamp as botocore sends it: a datetime, epoch seconds or text)."""
    start = timestamp_ms(span["StartTimestamp"])
    end = span.get("EndTimestamp")
    return start, None if end is None else timestamp_ms(end)


def timestamp_range(world: World, selector: Mapping[str, Any]) -> tuple[str, int, int]:
    """``(kind, start_ms, end_ms)`` of a validated selector with a whole range
    (GetClip's ``ClipFragmentSelector``), checked by :func:`check_range` at the
    current virtual time; ``kind`` as :func:`kind_of`. ``InvalidArgumentException``
    without an ``EndTimestamp``."""
    selector_type = selector["FragmentSelectorType"]
    start_ms, end_ms = parse_range(selector["TimestampRange"])
    if end_ms is None:
        raise InvalidArgumentException("The TimestampRange needs an EndTimestamp.")
    check_range(selector_type, start_ms, end_ms, now_ms=world.now_ms)
    return kind_of(selector_type), start_ms, end_ms


def check_range(selector_type: str, start_ms: int, end_ms: int | None, *, now_ms: int) -> None:
    """Refuse a range AWS refuses (see the module's text) with
    ``InvalidArgumentException``; ``end_ms`` None is an open range (LIVE_REPLAY). O(1)."""
    if end_ms is not None:
        if end_ms <= start_ms:
            raise InvalidArgumentException(
                "The EndTimestamp of the TimestampRange must be later than its StartTimestamp."
            )
        if end_ms - start_ms > MAX_RANGE_MS:
            raise InvalidArgumentException("The TimestampRange must not span more than 24 hours.")
    if selector_type == "SERVER_TIMESTAMP":
        if end_ms is not None and end_ms > now_ms:
            raise InvalidArgumentException(
                "With SERVER_TIMESTAMP, the EndTimestamp of the TimestampRange must be in the past."
            )
        if start_ms > now_ms:
            raise InvalidArgumentException(
                "With SERVER_TIMESTAMP, the StartTimestamp of the TimestampRange must be in the past."
            )


def select_rows(
    world: World,
    stream: Stream,
    kind: str,
    start_ms: int,
    end_ms: int | None,
    *,
    limit: int,
    max_bytes: int | None = None,
    after: tuple[int, int] | None = None,
) -> list[int]:
    """The physical rows of ``stream``'s store (``stream.fragments``) selected by
    a ``kind`` (``"S"``/``"P"``) range, in that timestamp's order (ties by
    fragment number), at most ``limit`` of them and, with ``max_bytes``, no more
    than that many bytes (the fragment that would pass it and those after are
    left out). ``after`` (``(timestamp ms, sequence number)`` of a fragment
    already taken) continues a selection. O(log n + limit).

    GetClip: ``select_rows(world, stream, kind, start, end,
    limit=CLIP_MAX_FRAGMENTS, max_bytes=CLIP_MAX_BYTES)``.
    """
    store: FragmentStore | None = stream.fragments
    if store is None or limit <= 0:
        return []
    high = MAX_MS if end_ms is None else end_ms
    rows, _more = list_fragments(world, store, stream, limit, kind, start_ms, high, after)
    if max_bytes is None:
        return rows
    taken, total = [], 0
    for row in rows:
        total += store.sizes[row]
        if total > max_bytes:
            break
        taken.append(row)
    return taken


def selector_key(store: FragmentStore, kind: str, row: int) -> tuple[int, int]:
    """``(timestamp ms, sequence number)`` of ``row`` by the selector's time: what
    :func:`select_rows` orders by and takes as ``after``."""
    column = store.server if kind == "S" else store.producer
    return column[row], store.seqs[row]


def retained_start(world: World, stream: Stream) -> int:
    """The first physical row still retained in ``stream``'s store (0 without one)."""
    store = stream.fragments
    if store is None:
        return 0
    return store.expired_end(world.now_ms, keep_ms(stream.retention))


def codec_problem(header: Any, *, operation: str = "GetClip") -> ClientError | None:
    """The error a fragment's tracks (a :class:`kvsim.media.mkv.Header`) get from
    ``operation`` (GetClip, GetHLSStreamingSessionURL, GetDASHStreamingSessionURL),
    or None when kvsim can package them.

    AWS's media requirements as :func:`kvsim.media.codecs.packaging_problem`
    checks them (kvsim rule: what kvsim cannot package is refused, whatever
    AWS would also accept): track 1 H.264 (``V_MPEG4/ISO/AVC``) and an
    optional track 2 AAC (``A_AAC``); for HLS a lone AAC track too; H.265 and
    G.711 answer ``UnsupportedStreamMediaTypeException``. No codec private:
    ``MissingCodecPrivateDataException`` with AWS's message (``Missing codec
    private data in fragment for track 1.``); a malformed one
    ``InvalidCodecPrivateDataException``. O(tracks).

    >>> from kvsim.media.mkv import Header, Track
    >>> codec_problem(Header(1_000_000, (Track(1, 1, "video", "V_MPEG4/ISO/AVC", None),))).message
    'Missing codec private data in fragment for track 1.'
    """
    from ...media.codecs import AAC, G711, packaging_problem

    if operation == "GetHLSStreamingSessionURL":
        found = packaging_problem(header, audio_codecs=(AAC,), audio_only=True)
    else:
        found = packaging_problem(header, audio_codecs=(AAC, G711))
    if found is None:
        return None
    code, message = found
    error: ClientError = _ERRORS[code](message)
    return error


def check_codecs(store: FragmentStore, rows: list[int], *, operation: str) -> None:
    """Raise :func:`codec_problem`'s error for the first of ``rows`` whose tracks
    fail (each distinct header checked once; fragments without readable media
    are skipped). O(rows)."""
    seen: list[Any] = []
    for row in rows:
        media = store.media[row]
        if media is None:
            continue
        header = media[0]
        if any(header is h for h in seen):
            continue
        seen.append(header)
        error = codec_problem(header, operation=operation)
        if error is not None:
            raise error
