"""GetMedia: a stream's fragments from a start selector, as one MKV body.

kvsim rules where AWS is silent:

- The body holds the fragments stored when the call runs, from the start
  selector on, at most :data:`MAX_FRAGMENTS` (1,000) of them, then ends (the
  real service keeps the connection open for new fragments: a consumer
  continues with the last ``AWS_KINESISVIDEO_CONTINUATION_TOKEN``, which
  every fragment carries). A stream without fragments answers an empty body.
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
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ...model.errors import InvalidArgumentException, ResourceNotFoundException
from ..declarations import Declarations
from ..fragments import FragmentStore, keep_ms
from ..media_reads import (
    CONTENT_TYPE,
    Chunk,
    admit_data,
    chunk,
    mkv_body,
    seconds_text,
    timestamp_ms,
)
from ..state import Region

if TYPE_CHECKING:
    from ..world import World

__all__ = ["MAX_FRAGMENTS", "declare", "start_row"]

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
    if store is not None and len(store):
        low = store.expired_end(world.now_ms, keep_ms(stream.retention))
        first = start_row(store, low, selector)
        end = len(store.seqs)
        if low < end:
            newest = store.server[end - 1]
            for row in range(first, min(end, first + MAX_FRAGMENTS)):
                number = store.number(store.seqs[row])
                server = store.server[row]
                chunks.append(
                    chunk(
                        store,
                        row,
                        [
                            ("AWS_KINESISVIDEO_FRAGMENT_NUMBER", number),
                            ("AWS_KINESISVIDEO_SERVER_TIMESTAMP", seconds_text(server)),
                            (
                                "AWS_KINESISVIDEO_PRODUCER_TIMESTAMP",
                                seconds_text(store.producer[row]),
                            ),
                            ("AWS_KINESISVIDEO_MILLIS_BEHIND_NOW", str(newest - server)),
                            ("AWS_KINESISVIDEO_CONTINUATION_TOKEN", number),
                        ],
                    )
                )
    elif selector["StartSelectorType"] in ("FRAGMENT_NUMBER", "CONTINUATION_TOKEN"):
        member = (
            "AfterFragmentNumber"
            if selector["StartSelectorType"] == "FRAGMENT_NUMBER"
            else "ContinuationToken"
        )
        raise ResourceNotFoundException(
            f"The fragment {selector[member]} was not found in the stream."
        )
    gate.commit()
    return {"ContentType": CONTENT_TYPE, "Payload": mkv_body(chunks)}
