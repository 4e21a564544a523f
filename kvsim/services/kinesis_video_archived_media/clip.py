"""GetClip: an MP4 of a stream's stored fragments in a time range, without re-encoding.

The clip is a fragmented MP4 (``ftyp`` + ``moov``, then one ``moof`` +
``mdat`` per stored fragment) packaged by :mod:`kvsim.media.mp4` from the
frames PutMedia stored: what any MP4 decoder opens.

kvsim rules where AWS is silent:

- The clip's timeline starts at 0 at the first fragment's start: a frame's
  time in the MP4 is its producer time minus the first fragment's.
- Fragments are taken in number order (producer order for
  ``PRODUCER_TIMESTAMP`` once producer time went back) until 200 fragments
  or 100 MB (AWS's caps), and stop before the first fragment whose tracks
  differ from the first fragment's (a new codec, a new track or new codec
  private data), or before the first one whose producer time lies before
  the first fragment's (a ``SERVER_TIMESTAMP`` range after producer time
  went back: the timeline cannot go below 0): the clip is then shorter, as
  with the caps.
- No fragment in the range: ``ResourceNotFoundException`` with AWS's
  streaming message (:data:`NO_FRAGMENTS`).
- Points: as many fragment-metadata and fragment-media points as fragments
  in the clip, both or neither.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ...model.errors import ResourceNotFoundException
from ..declarations import Declarations
from ..fragments import FragmentStore, take_all_points
from ..media_reads import admit_data, retimed
from .selection import (
    CLIP_MAX_BYTES,
    CLIP_MAX_FRAGMENTS,
    NO_FRAGMENTS,
    codec_problem,
    retained,
    select_rows,
    timestamp_range,
)

if TYPE_CHECKING:
    from ...media.mkv import Cluster, Header
    from ..state import Region
    from ..world import World

__all__ = ["CONTENT_TYPE", "clip_fragments", "declare"]

declare = Declarations("kinesis-video-archived-media")

CONTENT_TYPE = "video/mp4"


def clip_fragments(store: FragmentStore, rows: list[int]) -> list[tuple[Header, Cluster]]:
    """The fragments of ``rows`` (already capped at 200 fragments and 100 MB) that
    go in one clip, in order, each retimed to its producer time: up to the first
    change of tracks or the first fragment that starts before the first one
    (by producer time). O(len(rows))."""
    taken: list[tuple[Header, Cluster]] = []
    first: Header | None = None
    base = 0
    for row in rows:
        header, cluster = retimed(store, row)
        if first is None:
            first, base = header, cluster.timecode_ms
        elif (header is not first and header.tracks != first.tracks) or cluster.timecode_ms < base:
            break
        taken.append((header, cluster))
    return taken


@declare("GetClip", rate=(None, None), resource="stream")
def _get_clip(world: World, region: Region, p: Mapping[str, Any]) -> dict[str, Any]:
    """GetClip: ``{"ContentType": "video/mp4", "Payload": <MP4>}``."""
    kind, start_ms, end_ms = timestamp_range(world, p["ClipFragmentSelector"])
    gate, stream = admit_data(world, region, "GetClip", p.get("StreamName"), p.get("StreamARN"))
    retained(stream)
    store = stream.fragments
    rows = select_rows(
        world, stream, kind, start_ms, end_ms, limit=CLIP_MAX_FRAGMENTS, max_bytes=CLIP_MAX_BYTES
    )
    if store is None or not rows:
        raise ResourceNotFoundException(NO_FRAGMENTS)
    fragments = clip_fragments(store, rows)
    header = fragments[0][0]
    problem = codec_problem(header)
    if problem is not None:
        raise problem
    count = len(fragments)
    take_all_points(
        world,
        store,
        (
            ("metadata", count, world.limits.fragment_metadata_points),
            ("media", count, world.limits.fragment_media_points),
        ),
        "GetClip",
    )
    gate.commit()
    from ...media.mp4 import fragmented_mp4

    clusters = [cluster for _, cluster in fragments]
    payload = fragmented_mp4(header, clusters, base_ms=clusters[0].timecode_ms)
    return {"ContentType": CONTENT_TYPE, "Payload": payload}
