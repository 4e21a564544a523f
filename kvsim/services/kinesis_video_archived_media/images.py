"""GetImages: still images of a stream's stored H.264 video at sampled times.

kvsim rules where AWS is silent or loose:

- **Samples.** ``StartTimestamp``, ``StartTimestamp + SamplingInterval``, ...
  up to ``EndTimestamp`` inclusive (so a range shorter than the interval
  gives the one sample at ``StartTimestamp``), by the producer or server
  timestamps (``ImageSelectorType``). ``SamplingInterval`` defaults to 1000
  ms (kvsim rule); below the documented minimum of 200 ms, an
  ``EndTimestamp`` before ``StartTimestamp`` or a range longer than 300 s are
  ``InvalidArgumentException`` (the model's text says
  ``IllegalArgumentException`` for the last, which is not a modelled error).
- **Which picture.** A sample at time *t* falls in the latest-starting
  retained fragment whose span ``[start, start + duration)`` holds *t*; its
  image is the picture of the nearest keyframe of the fragment's first H.264
  track at or before *t* (AWS: "the nearest key frame at or before"). No such
  fragment, or no keyframe of it at or before *t*: ``{"TimeStamp": t,
  "Error": "NO_MEDIA"}``. A fragment without H.264 video (audio only,
  another codec, kvsim's generated filler frames, a frame the decoder
  refuses): ``"MEDIA_ERROR"``. Otherwise ``{"TimeStamp": t, "ImageContent":
  base64}``, rendered by :func:`kvsim.media.images.render_image` (size and
  JPEG quality rules there). Several samples on one keyframe decode it once.
- **Format.** ``FormatConfig`` holds only ``JPEGQuality``, an integer "1" to
  "100" (80 when absent), and only with ``Format`` ``JPEG``: anything else is
  ``InvalidArgumentException`` (as UpdateImageGenerationConfiguration).
  ``WidthPixels`` alone or ``HeightPixels`` alone keep the aspect ratio.
- **Pages.** ``MaxResults`` (1-100) defaults to 25; a page holds at most
  ``min(MaxResults, 25)`` samples, and ``NextToken`` continues with the next
  sample. Tokens are opaque and bound to the stream (this incarnation) and to
  the request's selector, range, interval, format and size: sent with other
  values they are ``InvalidArgumentException``.
- **Points.** Each call takes ``400 + MaxResults`` fragment-metadata points
  and ``MaxResults`` fragment-media points of the stream's budgets (both or
  neither), or answers ``ClientLimitExceededException``.
- **Retention 0.** ``NoDataRetentionException``.
- **Without PyAV.** A call that has a picture to render raises the
  ImportError naming the extra (``pip install 'kvsim[media]'``) before it
  changes anything (rate buckets and points untouched); over HTTP that is an
  internal error. Calls whose samples are all ``NO_MEDIA`` or
  ``MEDIA_ERROR`` without decoding work without it.
"""

from __future__ import annotations

import base64
import hashlib
from bisect import bisect_right
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ...core.clock import from_ms
from ...model.errors import (
    InvalidArgumentException,
)
from ..declarations import Declarations
from ..fragments import (
    MAX_FRAGMENT_MS,
    FragmentStore,
    decode_token,
    encode_token,
    keep_ms,
    take_all_points,
)
from ..media_reads import admit_data, invalid_token, retained, timestamp_ms
from ..state import Region, Stream

if TYPE_CHECKING:
    from ..world import World

__all__ = [
    "DEFAULT_JPEG_QUALITY",
    "DEFAULT_MAX_RESULTS",
    "DEFAULT_SAMPLING_INTERVAL_MS",
    "MAX_RANGE_MS",
    "METADATA_POINTS_BASE",
    "MIN_SAMPLING_INTERVAL_MS",
    "PAGE_SIZE",
    "declare",
    "find_fragment",
    "keyframe_at",
]

declare = Declarations("kinesis-video-archived-media")

#: ``SamplingInterval`` when absent (kvsim rule) and its documented minimum, in ms.
DEFAULT_SAMPLING_INTERVAL_MS = 1_000
MIN_SAMPLING_INTERVAL_MS = 200
#: The longest range from ``StartTimestamp`` to ``EndTimestamp``, in ms.
MAX_RANGE_MS = 300_000
#: ``MaxResults`` when absent (kvsim rule), and the most images a page holds.
DEFAULT_MAX_RESULTS = 25
PAGE_SIZE = 25
DEFAULT_JPEG_QUALITY = 80
#: Fragment-metadata points a call takes on top of ``MaxResults``.
METADATA_POINTS_BASE = 400


def find_fragment(
    world: World, store: FragmentStore, stream: Stream, kind: str, t: int
) -> int | None:
    """The physical row of the latest-starting retained fragment whose span by
    ``kind`` (``"S"`` server, ``"P"`` producer) timestamps holds ``t``, or None.
    Only fragments starting in ``(t - MAX_FRAGMENT_MS, t]`` can (no stored
    fragment lasts longer), so this is O(log n + k) for the k fragments that
    start in that window, overlapping ones included (producer time that went
    back)."""
    low = store.expired_end(world.now_ms, keep_ms(stream.retention))
    if low >= len(store.seqs):
        return None
    earliest = t - MAX_FRAGMENT_MS
    durations = store.durations
    index = store.producer_index
    if kind == "P" and index is not None:
        first_seq = store.seqs[low]
        for start, seq in index.irange((earliest, 2**62), (t, 2**62), reverse=True):
            if seq < first_seq:
                continue
            row = store.position(seq)
            if row is not None and t < start + durations[row]:
                return row
        return None
    column = store.server if kind == "S" else store.producer
    first = bisect_right(column, earliest, low)
    for row in range(bisect_right(column, t, low) - 1, first - 1, -1):
        if t < column[row] + durations[row]:
            return row
    return None


def keyframe_at(media: Any, offset_ms: int) -> tuple[str, int]:
    """Where the picture of ``offset_ms`` into a fragment's ``media`` comes from:
    ``("ok", frame index)`` of the nearest keyframe of its H.264 track at or
    before it, ``("NO_MEDIA", -1)`` when there is none, ``("MEDIA_ERROR", -1)``
    when the fragment has no H.264 video or that keyframe no coded slice
    (generated filler frames: known without decoding, so without PyAV).
    O(frames)."""
    from ...media.codecs import has_slices, parse_avcc
    from ...media.images import video_track

    if media is None:
        return "MEDIA_ERROR", -1
    header, cluster = media
    track = video_track(header)
    if track is None:
        return "MEDIA_ERROR", -1
    found, seen = -1, False
    for index, frame in enumerate(cluster.frames):
        if frame.track != track.number:
            continue
        seen = True
        if frame.timecode_ms > offset_ms:
            break
        if frame.keyframe:
            found = index
    if not seen:
        return "MEDIA_ERROR", -1
    if found < 0:
        return "NO_MEDIA", -1
    try:
        length_size = parse_avcc(track.codec_private or b"").length_size
    except ValueError:
        return "MEDIA_ERROR", -1
    return (
        ("ok", found)
        if has_slices(cluster.frames[found].data, length_size)
        else ("MEDIA_ERROR", -1)
    )


def _quality(p: Mapping[str, Any]) -> int:
    config = p.get("FormatConfig")
    if not config:
        return DEFAULT_JPEG_QUALITY
    unknown = sorted(key for key in config if key != "JPEGQuality")
    if unknown:
        raise InvalidArgumentException(f"FormatConfig takes only JPEGQuality, not {unknown[0]}.")
    value = config["JPEGQuality"]
    if p["Format"] != "JPEG":
        raise InvalidArgumentException(
            f"FormatConfig JPEGQuality applies to the JPEG format only, not {p['Format']}."
        )
    if not (value.isascii() and value.isdigit() and 1 <= int(value) <= 100):
        raise InvalidArgumentException(
            f"FormatConfig JPEGQuality must be an integer from 1 to 100, got {value[:20]!r}."
        )
    return int(value)


def _request_key(stream: Stream, *fields: object) -> str:
    """A digest that binds a token to the stream incarnation and the request."""
    text = "|".join(str(f) for f in (stream.arn, *fields))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:24]


@declare("GetImages", rate=(None, None), resource="stream")
def _get_images(world: World, region: Region, p: Mapping[str, Any]) -> dict[str, Any]:
    """GetImages: ``{"Images": [...], "NextToken"?}`` (see the module's text)."""
    kind = "S" if p["ImageSelectorType"] == "SERVER_TIMESTAMP" else "P"
    start_ms = timestamp_ms(p["StartTimestamp"])
    end_ms = timestamp_ms(p["EndTimestamp"])
    if end_ms < start_ms:
        raise InvalidArgumentException("The EndTimestamp must not be before the StartTimestamp.")
    if end_ms - start_ms > MAX_RANGE_MS:
        raise InvalidArgumentException(
            "The range from StartTimestamp to EndTimestamp must be at most 300 seconds."
        )
    interval = p.get("SamplingInterval", DEFAULT_SAMPLING_INTERVAL_MS)
    if interval < MIN_SAMPLING_INTERVAL_MS:
        raise InvalidArgumentException(
            f"The SamplingInterval must be at least {MIN_SAMPLING_INTERVAL_MS} ms, got {interval}."
        )
    image_format = p["Format"]
    quality = _quality(p)
    width, height = p.get("WidthPixels"), p.get("HeightPixels")
    limit = p.get("MaxResults", DEFAULT_MAX_RESULTS)
    total = (end_ms - start_ms) // interval + 1
    gate, stream = admit_data(world, region, "GetImages", p.get("StreamName"), p.get("StreamARN"))
    retained(stream)
    key = _request_key(
        stream, kind, start_ms, end_ms, interval, image_format, quality, width, height
    )
    first = 0
    token = p.get("NextToken")
    if token:
        try:
            fields = decode_token(token)
            tag, bound, first = fields[0], fields[1], int(fields[2])
        except (ValueError, IndexError):
            raise invalid_token(token) from None
        if tag != "images" or bound != key or not 0 < first < total:
            raise invalid_token(token)
    last = min(total, first + min(limit, PAGE_SIZE))
    store = stream.fragments
    # Where each sample's picture comes from, before anything changes.
    plan: list[tuple[int, str, tuple[int, int] | None]] = []
    for number in range(first, last):
        t = start_ms + number * interval
        row = None if store is None else find_fragment(world, store, stream, kind, t)
        if row is None or store is None:
            plan.append((t, "NO_MEDIA", None))
            continue
        begin = store.server[row] if kind == "S" else store.producer[row]
        outcome, frame = keyframe_at(store.media[row], t - begin)
        plan.append((t, outcome, (row, frame) if outcome == "ok" else None))
    render = None
    if any(source is not None for _t, _o, source in plan):
        from ...media.images import render_image, require_av

        require_av()  # before anything changes: an ImportError naming the extra
        render = render_image
    if store is not None:
        take_all_points(
            world,
            store,
            (
                ("metadata", METADATA_POINTS_BASE + limit, world.limits.fragment_metadata_points),
                ("media", limit, world.limits.fragment_media_points),
            ),
            "GetImages",
        )
    gate.commit()
    images: list[dict[str, Any]] = []
    rendered: dict[tuple[int, int], str | None] = {}
    for t, outcome, source in plan:
        item: dict[str, Any] = {"TimeStamp": from_ms(t)}
        if source is None:
            item["Error"] = outcome
        else:
            assert store is not None and render is not None
            if source not in rendered:
                row, frame = source
                header, cluster = store.media[row]
                data = render(
                    header,
                    cluster.frames[frame : frame + 1],
                    image_format=image_format,
                    width=width,
                    height=height,
                    quality=quality,
                )
                rendered[source] = None if data is None else base64.b64encode(data).decode()
            content = rendered[source]
            if content is None:
                item["Error"] = "MEDIA_ERROR"
            else:
                item["ImageContent"] = content
        images.append(item)
    result: dict[str, Any] = {"Images": images}
    if last < total:
        result["NextToken"] = encode_token("images", key, last)
    return result
