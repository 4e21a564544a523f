"""ListFragments and GetMediaForFragmentList.

kvsim rules where AWS is silent:

- Both need a stream that keeps data: on a stream with ``DataRetentionInHours``
  0 they answer ``NoDataRetentionException`` (its buffer is GetMedia's alone).
- ListFragments: ``MaxResults`` defaults to 100; without ``FragmentSelector``
  every retained fragment is listed; a range is inclusive at both ends and
  compared with fragment *start* times; ``StartTimestamp`` after
  ``EndTimestamp`` is an ``InvalidArgumentException``. Pages follow fragment
  numbers, but each page's items come shuffled by a seeded draw ("no
  guaranteed order"), so a test that forgets to sort fails the same way on
  every run. Tokens are opaque and bound to the stream and the selector.
- GetMediaForFragmentList answers the fragments in the order asked (repeats
  included); a number that names no retained fragment fails the whole
  request with ``ResourceNotFoundException`` before any byte is sent.
- Points (per stream, per second, shared by all readers): ListFragments takes
  ``MaxResults`` fragment-metadata points, GetMediaForFragmentList one
  fragment-media point per fragment (``Limits.fragment_metadata_points``,
  ``Limits.fragment_media_points``); an exhausted budget answers
  ``ClientLimitExceededException``.
- 5 GetMediaForFragmentList bodies open at once per stream
  (``Limits.get_media_for_fragment_list_connections``; the MKV is written as
  the body is read, so an unread body holds its connection): the 6th call
  answers ``ClientLimitExceededException`` (400), as the model has no
  connection error for it (kvsim rule; see :mod:`kvsim.services.media_reads`).
"""

from __future__ import annotations

import random
from bisect import bisect_right
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ...core.clock import from_ms
from ...model.errors import (
    InvalidArgumentException,
    ResourceNotFoundException,
)
from ..declarations import Declarations
from ..fragments import FragmentStore, decode_token, encode_token, keep_ms, take_points
from ..media_reads import (
    CONTENT_TYPE,
    Chunk,
    ReaderBody,
    admit_data,
    check_connections,
    chunk,
    invalid_token,
    mkv_body,
    retained,
    seconds_text,
    timestamp_ms,
)
from ..state import Region, Stream

if TYPE_CHECKING:
    from ..world import World

__all__ = ["DEFAULT_MAX_RESULTS", "declare", "list_fragments"]

declare = Declarations("kinesis-video-archived-media")

#: ListFragments' page without ``MaxResults`` (kvsim rule).
DEFAULT_MAX_RESULTS = 100


def list_fragments(
    world: World,
    store: FragmentStore | None,
    stream: Stream,
    limit: int,
    kind: str,
    start_ms: int,
    end_ms: int,
    after: tuple[int, int] | None,
) -> tuple[list[int], bool]:
    """Up to ``limit`` live rows of ``store`` in number order (producer order for
    ``kind`` ``P`` once producer time went back) within the range, after
    ``after`` (``(producer_ms, seq)`` of the last item of the previous page);
    and whether more follow. O(log n + limit)."""
    if store is None or not len(store):
        return [], False
    low = store.expired_end(world.now_ms, keep_ms(stream.retention))
    if kind == "P" and store.producer_index is not None:
        rows: list[int] = []
        first_seq = store.seqs[low] if low < len(store.seqs) else store.next_seq
        for _pms, seq in store.producer_seqs(start_ms, end_ms, after):
            if seq < first_seq:
                continue
            if len(rows) == limit:
                return rows, True
            row = store.position(seq)
            assert row is not None
            rows.append(row)
        return rows, False
    if kind == "S":
        lo, hi = store.server_rows(low, start_ms, end_ms)
    elif kind == "P":
        found = store.producer_rows(low, start_ms, end_ms)
        assert found is not None
        lo, hi = found
    else:
        lo, hi = low, len(store.seqs)
    if after is not None:
        lo = max(lo, bisect_right(store.seqs, after[1], lo, max(lo, hi)))
    end = min(hi, lo + limit)
    return list(range(lo, end)), end < hi


def _item(store: FragmentStore, row: int) -> dict[str, Any]:
    return {
        "FragmentNumber": store.number(store.seqs[row]),
        "FragmentSizeInBytes": store.sizes[row],
        "ProducerTimestamp": from_ms(store.producer[row]),
        "ServerTimestamp": from_ms(store.server[row]),
        "FragmentLengthInMilliseconds": store.durations[row],
    }


@declare("ListFragments", rate=(None, None), resource="stream")
def _list_fragments(world: World, region: Region, p: Mapping[str, Any]) -> dict[str, Any]:
    """ListFragments: ``{"Fragments": [...], "NextToken"?}``, each page shuffled."""
    limit = p.get("MaxResults", DEFAULT_MAX_RESULTS)
    token = p.get("NextToken")
    selector = p.get("FragmentSelector")
    after: tuple[int, int] | None = None
    if token:
        try:
            fields = decode_token(token)
            kind, base = fields[0], fields[1]
            start_ms, end_ms = int(fields[2]), int(fields[3])
            after = (int(fields[4]), int(fields[5]))
        except (ValueError, IndexError):
            raise invalid_token(token) from None
        if kind not in ("S", "P", "A"):
            raise invalid_token(token)
    elif selector is not None:
        kind = "S" if selector["FragmentSelectorType"] == "SERVER_TIMESTAMP" else "P"
        span = selector["TimestampRange"]
        start_ms = timestamp_ms(span["StartTimestamp"])
        end_ms = timestamp_ms(span["EndTimestamp"])
        if start_ms > end_ms:
            raise InvalidArgumentException(
                "The EndTimestamp of the TimestampRange must not be before its StartTimestamp."
            )
        base = ""
    else:
        kind, base, start_ms, end_ms = "A", "", 0, 0
    gate, stream = admit_data(
        world, region, "ListFragments", p.get("StreamName"), p.get("StreamARN")
    )
    retained(stream)
    store = stream.fragments
    if token and (store is None or base != str(store.base)):
        raise invalid_token(token)
    if store is not None:
        take_points(
            world, store, "metadata", limit, world.limits.fragment_metadata_points, "ListFragments"
        )
    gate.commit()
    rows, more = list_fragments(world, store, stream, limit, kind, start_ms, end_ms, after)
    result: dict[str, Any] = {"Fragments": []}
    if store is None or not rows:
        return result
    items = [_item(store, row) for row in rows]
    last = rows[-1]
    # No guaranteed order, as AWS warns: a seeded shuffle of each page.
    random.Random(store.base ^ store.seqs[rows[0]]).shuffle(items)
    result["Fragments"] = items
    if more:
        result["NextToken"] = encode_token(
            kind, store.base, start_ms, end_ms, store.producer[last], store.seqs[last]
        )
    return result


@declare("GetMediaForFragmentList", rate=(None, None), resource="stream")
def _get_media_for_fragment_list(
    world: World, region: Region, p: Mapping[str, Any]
) -> dict[str, Any]:
    """GetMediaForFragmentList: the fragments asked for, in that order, as MKV."""
    numbers: list[str] = p["Fragments"]
    gate, stream = admit_data(
        world, region, "GetMediaForFragmentList", p.get("StreamName"), p.get("StreamARN")
    )
    retained(stream)
    store = stream.fragments
    low = store.expired_end(world.now_ms, keep_ms(stream.retention)) if store is not None else 0
    rows: list[int] = []
    for number in numbers:
        seq = None if store is None else store.seq_of(number)
        row = None if seq is None or store is None else store.position(seq)
        if row is None or row < low:
            raise ResourceNotFoundException(
                f"The fragment {number} was not found in the stream {stream.name}."
            )
        rows.append(row)
    assert store is not None
    chunks: list[Chunk] = []
    for row in rows:
        chunks.append(
            chunk(
                store,
                row,
                [
                    ("AWS_KINESISVIDEO_FRAGMENT_NUMBER", store.number(store.seqs[row])),
                    ("AWS_KINESISVIDEO_SERVER_SIDE_TIMESTAMP", seconds_text(store.server[row])),
                    ("AWS_KINESISVIDEO_PRODUCER_SIDE_TIMESTAMP", seconds_text(store.producer[row])),
                ],
            )
        )
    check_connections(world, stream, "GetMediaForFragmentList")
    take_points(
        world,
        store,
        "media",
        len(rows),
        world.limits.fragment_media_points,
        "GetMediaForFragmentList",
    )
    gate.commit()
    body = ReaderBody(world, stream, "GetMediaForFragmentList", mkv_body(chunks))
    return {"ContentType": CONTENT_TYPE, "Payload": body}
