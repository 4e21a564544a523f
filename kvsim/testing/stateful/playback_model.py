"""The playback rule's expectations: what GetClip, the sessions and GetImages
should answer, computed from the fragments of
:class:`~kvsim.testing.stateful.media_model.ExpectedMedia` (plain code, no kvsim).
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
from typing import Any

from .media_model import ExpectedFragment

__all__ = [
    "DAY_MS",
    "INVALID",
    "SERVER",
    "ExpectedSession",
    "fragment_start",
    "holding",
    "in_range",
    "points_left",
    "range_error",
    "top_level_boxes",
]

SERVER = "SERVER_TIMESTAMP"
DAY_MS = 86_400_000
INVALID = "InvalidArgumentException"


def top_level_boxes(data: bytes) -> list[bytes]:
    """The types of the top-level boxes of an MP4 (``[b"ftyp", b"moov", b"moof", ...]``);
    AssertionError for a box that runs past the end or is shorter than its header."""
    boxes, at = [], 0
    while at < len(data):
        assert at + 8 <= len(data), f"a truncated box header at {at}"
        size = int.from_bytes(data[at : at + 4], "big")
        assert 8 <= size <= len(data) - at, f"box {data[at + 4 : at + 8]!r} of size {size} at {at}"
        boxes.append(data[at + 4 : at + 8])
        at += size
    return boxes


@dataclass
class ExpectedSession:
    """What the model expects one session to have listed (fragment numbers, in order)."""

    mode: str
    kind: str
    max_results: int
    listed: list[int] = field(default_factory=list)
    cursor: int | None = None  # LIVE: the last fragment looked at
    high: int | None = None  # LIVE: the newest listed fragment's start


def fragment_start(fragment: ExpectedFragment, kind: str) -> int:
    """A fragment's start by the selector's time (``SERVER_TIMESTAMP`` or producer)."""
    return fragment.server_ms if kind == SERVER else fragment.producer_ms


def in_range(
    readable: list[ExpectedFragment], kind: str, start: int, end: int
) -> list[ExpectedFragment]:
    """The fragments a range selects (start times in ``[start, end]``), in the
    selector's order (ties: by number)."""
    found = [f for f in readable if start <= fragment_start(f, kind) <= end]
    return sorted(found, key=lambda f: (fragment_start(f, kind), f.number))


def range_error(kind: str, start: int, end: int, now: int) -> str | None:
    """The error code a clip or session range gets (None: a valid range)."""
    if end <= start or end - start > DAY_MS:
        return INVALID
    if kind == SERVER and end > now:
        return INVALID
    return None


def points_left(bucket: list[float] | None, per_second: int, now: int) -> float:
    """A fragment-points bucket refilled to ``now`` (the token-bucket rule)."""
    if bucket is None:
        return per_second
    return min(per_second, bucket[0] + (now - bucket[1]) * per_second / 1000)


def holding(readable: list[ExpectedFragment], kind: str) -> Any:
    """A test ``t -> whether a fragment's [start, start + duration) holds t`` (by ``kind``)."""
    spans = sorted(
        (fragment_start(f, kind), fragment_start(f, kind) + f.duration_ms) for f in readable
    )
    starts = [begin for begin, _end in spans]
    reach, ends = 0, []
    for _begin, end in spans:
        reach = max(reach, end)
        ends.append(reach)  # the latest end of the fragments starting so far

    def held(t: int) -> bool:
        index = bisect_right(starts, t) - 1
        return index >= 0 and ends[index] > t

    return held
