"""Matroska (MKV) as Kinesis Video Streams uses it: one Segment, Info, Tracks, Clusters, Tags.

A PutMedia body is exactly one MKV segment, and each Cluster in it is one
fragment. :class:`MkvStreamReader` reads such a stream as it arrives (known
or unknown sizes, bytes fed in any pieces) and hands out a :class:`Header`
and then one :class:`Cluster` per fragment; :func:`write_mkv` writes the
same shapes back, chunk by chunk, for GetMedia.

>>> header = Header(1_000_000, (Track(1, 1, "video", "V_MPEG4/ISO/AVC", None),))
>>> frames = (Frame(1, 0, True, b"key"), Frame(1, 33, False, b"delta"))
>>> clusters = [Cluster(1000, frames, (), 0), Cluster(1066, frames, (), 0)]
>>> data = b"".join(write_mkv(header, [(clusters[0], [("A", "1")]), (clusters[1], ())]))
>>> read_header, read_clusters = read_mkv(data)
>>> read_header == header, [c.timecode_ms for c in read_clusters], read_clusters[0].tags
(True, [1000, 1066], (('A', '1'),))
>>> read_clusters[1].frames == frames, read_clusters[1].duration_ms
(True, 66)

Only what kvsim needs is interpreted: EBML header (DocType), Info
(TimecodeScale, Title), Tracks (number, uid, type, codec, name, picture size,
sampling), Tags (SimpleTag name and string), Cluster (Timecode, SimpleBlock,
BlockGroup with Block, BlockDuration and ReferenceBlock, all four lacings).
Other elements (SeekHead, Cues, Chapters, Void, CRC-32, ...) are skipped
without buffering them.
"""

from __future__ import annotations

import itertools
import statistics
import struct
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Final

from .ebml import (
    MAX_SIZE,
    UNKNOWN_SIZE,
    Buffer,
    EbmlError,
    binary_element,
    decode_float,
    decode_int,
    decode_string,
    decode_uint,
    element,
    encode_id,
    encode_size,
    float_element,
    int_element,
    iter_children,
    read_element_header,
    read_signed_vint,
    read_vint,
    string_element,
    uint_element,
)

__all__ = [
    "INVALID_MKV",
    "UNDECLARED_TRACK",
    "Cluster",
    "Frame",
    "Header",
    "MkvError",
    "MkvStreamReader",
    "Track",
    "cluster_pieces",
    "encode_cluster",
    "read_mkv",
    "write_mkv",
]

#: PutMedia ack error ids the reader raises.
INVALID_MKV: Final = 4006
UNDECLARED_TRACK: Final = 4010

# -- element ids (Matroska specification) ---------------------------------------------------
EBML: Final = 0x1A45DFA3
EBML_VERSION: Final = 0x4286
EBML_READ_VERSION: Final = 0x42F7
EBML_MAX_ID_LENGTH: Final = 0x42F2
EBML_MAX_SIZE_LENGTH: Final = 0x42F3
DOC_TYPE: Final = 0x4282
DOC_TYPE_VERSION: Final = 0x4287
DOC_TYPE_READ_VERSION: Final = 0x4285
SEGMENT: Final = 0x18538067
SEEK_HEAD: Final = 0x114D9B74
INFO: Final = 0x1549A966
TRACKS: Final = 0x1654AE6B
CLUSTER: Final = 0x1F43B675
CUES: Final = 0x1C53BB6B
TAGS: Final = 0x1254C367
CHAPTERS: Final = 0x1043A770
ATTACHMENTS: Final = 0x1941A469
VOID: Final = 0xEC
TIMECODE_SCALE: Final = 0x2AD7B1
TITLE: Final = 0x7BA9
MUXING_APP: Final = 0x4D80
WRITING_APP: Final = 0x5741
TRACK_ENTRY: Final = 0xAE
TRACK_NUMBER: Final = 0xD7
TRACK_UID: Final = 0x73C5
TRACK_TYPE: Final = 0x83
CODEC_ID: Final = 0x86
CODEC_PRIVATE: Final = 0x63A2
NAME: Final = 0x536E
VIDEO: Final = 0xE0
PIXEL_WIDTH: Final = 0xB0
PIXEL_HEIGHT: Final = 0xBA
AUDIO: Final = 0xE1
SAMPLING_FREQUENCY: Final = 0xB5
CHANNELS: Final = 0x9F
TIMECODE: Final = 0xE7
SIMPLE_BLOCK: Final = 0xA3
BLOCK_GROUP: Final = 0xA0
BLOCK: Final = 0xA1
BLOCK_DURATION: Final = 0x9B
REFERENCE_BLOCK: Final = 0xFB
TAG: Final = 0x7373
TARGETS: Final = 0x63C0
SIMPLE_TAG: Final = 0x67C8
TAG_NAME: Final = 0x45A3
TAG_STRING: Final = 0x4487

#: Elements that end an unknown-size Cluster: anything of level 0 or 1.
_ENDS_CLUSTER: Final = frozenset(
    {EBML, SEGMENT, SEEK_HEAD, INFO, TRACKS, CLUSTER, CUES, TAGS, CHAPTERS, ATTACHMENTS}
)
#: Largest element the reader buffers whole (EBML header, Info, Tracks, Tags, BlockGroup
#: headers aside); blocks stream through with the cluster.
_MAX_WHOLE: Final = 16 << 20
_KINDS: Final = {1: "video", 2: "audio", 17: "subtitle"}
_TRACK_TYPES: Final = {"video": 1, "audio": 2, "subtitle": 17, "other": 33}
_MAX_TRACK_NUMBER: Final = MAX_SIZE
_MS_NS: Final = 1_000_000
_BLOCK_HEAD = struct.Struct(">hB")


class MkvError(ValueError):
    """Invalid Matroska.

    ``error_id`` is the PutMedia ack error id it maps to (4006 invalid MKV,
    4010 a frame of an undeclared track; 4012, too many tracks, is the
    caller's to decide), ``reason`` a one-line text.
    """

    error_id: int
    reason: str

    def __init__(self, error_id: int, reason: str) -> None:
        super().__init__(f"{reason} (PutMedia error {error_id})")
        self.error_id = error_id
        self.reason = reason

    def __reduce__(self) -> tuple[type[MkvError], tuple[int, str]]:
        return type(self), (self.error_id, self.reason)


@dataclass(frozen=True, slots=True)
class Track:
    """One TrackEntry."""

    number: int  # TrackNumber
    uid: int  # TrackUID
    kind: str  # "video" | "audio" | "subtitle" | "other" (TrackType 1/2/17/else)
    codec_id: str  # e.g. "V_MPEG4/ISO/AVC", "A_AAC"
    codec_private: bytes | None
    name: str | None = None
    pixel_width: int | None = None
    pixel_height: int | None = None
    sampling_frequency: float | None = None
    channels: int | None = None


@dataclass(frozen=True, slots=True)
class Header:
    """Info and Tracks of a segment."""

    timecode_scale_ns: int  # Info/TimecodeScale, default 1_000_000
    tracks: tuple[Track, ...]
    title: str | None = None  # Info/Title (producers put the stream name or SDK name)


@dataclass(frozen=True, slots=True)
class Frame:
    """One frame of a block (a laced block gives several, sharing its timecode)."""

    track: int  # track number
    timecode_ms: int  # relative to the cluster's timecode, in ms (scale applied)
    keyframe: bool
    data: bytes  # shared, never copied when generated
    duration_ms: int | None = None  # BlockDuration where given


@dataclass(frozen=True, slots=True)
class Cluster:
    """One Cluster: a KVS fragment."""

    timecode_ms: int  # the cluster's Timecode in ms (scale applied)
    frames: tuple[Frame, ...]
    #: SimpleTag (TagName, TagString) pairs of the Tags elements right before
    #: this cluster (producers put fragment metadata there), in order.
    tags: tuple[tuple[str, str], ...]
    #: Bytes the cluster (and its preceding Tags) occupied in the input.
    size: int

    @property
    def duration_ms(self) -> int:
        """The playback span: last frame end minus first frame start (0 without frames).

        A frame ends at its timecode plus its ``duration_ms`` where given;
        otherwise at the next larger timecode of its track (presentation
        order, so B-frames count right); the last frame of a track without a
        duration ends one *median gap* later, the median (lower middle) of
        the gaps between consecutive distinct timecodes of every track in the
        cluster (0 when no track has two). O(frames), plus the sort of the
        gaps when a last frame lacks a duration.
        """
        frames = self.frames
        if not frames:
            return 0
        starts = [frame.timecode_ms for frame in frames]
        first = min(starts)
        end = max(starts)
        # Per track, its largest timecode and whether a frame there has a duration.
        tops: dict[int, tuple[int, bool]] = {}
        for frame in frames:
            start = frame.timecode_ms
            duration = frame.duration_ms
            if duration is not None and start + duration > end:
                end = start + duration
            top = tops.get(frame.track)
            if top is None or start > top[0] or (start == top[0] and duration is not None):
                tops[frame.track] = (start, duration is not None)
        open_ends = [start for start, timed in tops.values() if not timed]
        if open_ends:
            end = max(end, max(open_ends) + self._median_gap())
        return end - first

    def _median_gap(self) -> int:
        by_track: dict[int, set[int]] = {}
        for frame in self.frames:
            by_track.setdefault(frame.track, set()).add(frame.timecode_ms)
        gaps: list[int] = []
        for times in by_track.values():
            ordered = sorted(times)
            gaps.extend(b - a for a, b in itertools.pairwise(ordered))
        return statistics.median_low(gaps) if gaps else 0


# -- reading ------------------------------------------------------------------------------

_TOP, _SEGMENT, _CLUSTER = 0, 1, 2


def _invalid(reason: str) -> MkvError:
    return MkvError(INVALID_MKV, reason)


def _scaled(raw: int, scale_ns: int) -> int:
    """Ticks of ``scale_ns`` to whole ms (floor)."""
    return raw if scale_ns == _MS_NS else raw * scale_ns // _MS_NS


class MkvStreamReader:
    """Incremental reader: feed bytes as they arrive (PutMedia bodies are streamed).

    :meth:`feed` returns the items completed so far, in order: one
    :class:`Header` (once Info and Tracks are in, or at the first Cluster),
    then one :class:`Cluster` per cluster as soon as its end is known (a
    known-size cluster at its last byte, an unknown-size one when the next
    level-1 element starts or at :meth:`close`). Errors raise
    :class:`MkvError`, and a reader that raised keeps raising the same error.

    The unread input sits in one ``bytearray`` with a read offset, compacted
    when the offset passes half of it, so feeding ``n`` bytes in any pieces
    costs O(n) plus O(1) per piece; frame payloads are copied once, into
    their ``bytes``. Skipped elements (Cues, Void, ...) are never buffered.

    >>> from kvsim.media import generated_mkv
    >>> data = generated_mkv(count=3)
    >>> reader = MkvStreamReader()
    >>> items = [item for i in range(0, len(data), 1000) for item in reader.feed(data[i : i + 1000])]
    >>> items += reader.close()
    >>> [type(item).__name__ for item in items]
    ['Header', 'Cluster', 'Cluster', 'Cluster']
    """

    __slots__ = (
        "_base",
        "_buf",
        "_c_end",
        "_c_frames",
        "_c_start",
        "_c_tags",
        "_c_timecode",
        "_closed",
        "_ebml_seen",
        "_failed",
        "_header",
        "_info",
        "_pending_start",
        "_pending_tags",
        "_pos",
        "_scale",
        "_segment_end",
        "_segments",
        "_skip_to",
        "_track_numbers",
        "_tracks",
        "_where",
    )

    def __init__(self) -> None:
        self._buf = bytearray()
        self._pos = 0  # read offset into _buf
        self._base = 0  # stream offset of _buf[0]
        self._where = _TOP
        self._ebml_seen = False
        self._segments = 0
        self._segment_end: int | None = None  # stream offsets from here on
        self._skip_to: int | None = None
        self._info: tuple[int, str | None] | None = None
        self._tracks: tuple[Track, ...] | None = None
        self._header: Header | None = None
        self._scale = _MS_NS
        self._track_numbers: frozenset[int] = frozenset()
        self._pending_tags: list[tuple[str, str]] = []
        self._pending_start: int | None = None
        self._c_start = 0
        self._c_end: int | None = None
        self._c_timecode: int | None = None
        self._c_frames: list[Frame] = []
        self._c_tags: tuple[tuple[str, str], ...] = ()
        self._closed = False
        self._failed: MkvError | None = None

    @property
    def header(self) -> Header | None:
        """The stream's header once it has been returned."""
        return self._header

    @property
    def offset(self) -> int:
        """How many bytes of the stream have been parsed (or skipped)."""
        return self._base + self._pos

    def feed(self, data: Buffer) -> list[Header | Cluster]:
        """Add ``data``; the items it completes, in order. Raises :class:`MkvError`."""
        self._usable()
        if data:
            self._buf += data
        out: list[Header | Cluster] = []
        self._run(out)
        return out

    def close(self) -> list[Header | Cluster]:
        """End of input: the last (unknown-size) cluster, or :class:`MkvError` if truncated."""
        self._usable()
        self._closed = True
        out: list[Header | Cluster] = []
        try:
            self._finish(out)
        except MkvError as error:
            self._failed = error
            raise
        return out

    def _usable(self) -> None:
        if self._failed is not None:
            raise self._failed
        if self._closed:
            raise ValueError("this MkvStreamReader is closed")

    def _run(self, out: list[Header | Cluster]) -> None:
        view = memoryview(self._buf)
        try:
            self._pos = self._parse(view, self._pos, out)
        except EbmlError as error:
            self._failed = _invalid(str(error).replace("offset", "byte"))
        except MkvError as error:
            self._failed = error
        finally:
            view.release()
        if self._failed is not None:
            raise self._failed
        pos = self._pos
        if pos and (pos == len(self._buf) or (pos >= 1 << 16 and 2 * pos >= len(self._buf))):
            del self._buf[:pos]
            self._base += pos
            self._pos = 0

    def _finish(self, out: list[Header | Cluster]) -> None:
        where = self._base + self._pos
        left = len(self._buf) - self._pos
        if self._skip_to is not None:
            raise _invalid(f"truncated: the stream ends inside an element at byte {where}")
        if self._where == _CLUSTER:
            if self._c_end is not None or left:
                raise _invalid(f"truncated: the stream ends inside a Cluster at byte {where}")
            self._end_cluster(out, where)
        if left:
            raise _invalid(f"truncated: the stream ends inside an element at byte {where}")
        if self._where == _SEGMENT and self._segment_end is not None:
            raise _invalid(f"truncated: the stream ends inside the Segment at byte {where}")
        if not self._segments:
            raise _invalid("no Segment in the stream" if where else "empty stream")
        if self._header is None:
            self._emit_header(out, where)

    # The parser proper: one loop over the buffer, in three places (outside the
    # Segment, in it, in a Cluster). ``pos`` indexes ``view``; ``base + pos`` is
    # the offset in the stream, which error messages give.
    def _parse(self, view: memoryview, pos: int, out: list[Header | Cluster]) -> int:
        base = self._base
        stop = len(view)
        while True:
            if self._skip_to is not None:
                target = self._skip_to - base
                if target > stop:
                    return stop
                pos = target
                self._skip_to = None
            if self._where == _CLUSTER:
                at = base + pos
                end = self._c_end
                if (end is not None and at >= end) or (
                    self._segment_end is not None and at >= self._segment_end
                ):
                    self._end_cluster(out, at)
                    continue
                if view[pos] == SIMPLE_BLOCK if pos < stop else False:
                    after = self._simple_block(view, pos, stop)
                    if after:
                        pos = after
                        continue
                head = read_element_header(view, pos, stop)
                if head is None:
                    return pos
                element_id, size, header_length = head
                if end is None and element_id in _ENDS_CLUSTER:
                    self._end_cluster(out, at)
                    continue
                if size is None:
                    raise _invalid(
                        f"element 0x{element_id:X} of unknown size in a Cluster at byte {at}"
                    )
                payload = pos + header_length
                after = payload + size
                if (end is not None and base + after > end) or (
                    self._segment_end is not None and base + after > self._segment_end
                ):
                    raise _invalid(f"element 0x{element_id:X} at byte {at} overruns its Cluster")
                if element_id in (SIMPLE_BLOCK, BLOCK_GROUP, TIMECODE):
                    if after > stop:
                        return pos
                    self._cluster_child(view, element_id, payload, after, at)
                    pos = after
                else:
                    self._skip_to = base + after
                continue
            if self._where == _SEGMENT:
                at = base + pos
                if self._segment_end is not None and at >= self._segment_end:
                    self._where = _TOP
                    continue
                head = read_element_header(view, pos, stop)
                if head is None:
                    return pos
                element_id, size, header_length = head
                if element_id in (EBML, SEGMENT):
                    raise _invalid(f"more than one segment (a second one at byte {at})")
                if (
                    size is not None
                    and self._segment_end is not None
                    and at + header_length + size > self._segment_end
                ):
                    raise _invalid(f"element 0x{element_id:X} at byte {at} overruns the Segment")
                if element_id == CLUSTER:
                    self._start_cluster(out, at, size, header_length)
                    pos += header_length
                    continue
                if size is None:
                    raise _invalid(f"element 0x{element_id:X} of unknown size at byte {at}")
                if element_id in (INFO, TRACKS, TAGS):
                    if size > _MAX_WHOLE:
                        raise _invalid(f"element 0x{element_id:X} of {size} bytes at byte {at}")
                    after = pos + header_length + size
                    if after > stop:
                        return pos
                    self._segment_child(view, element_id, pos + header_length, after, at, out)
                    pos = after
                else:
                    self._skip_to = at + header_length + size
                continue
            # Outside the segment: an EBML header, then one Segment (Voids allowed).
            at = base + pos
            head = read_element_header(view, pos, stop)
            if head is None:
                return pos
            element_id, size, header_length = head
            if element_id in (EBML, SEGMENT) and self._segments:
                raise _invalid(f"more than one segment (a second one at byte {at})")
            if element_id == EBML:
                if self._ebml_seen:
                    raise _invalid(f"a second EBML header at byte {at}")
                if size is None or size > _MAX_WHOLE:
                    raise _invalid(f"an EBML header of unknown or huge size at byte {at}")
                after = pos + header_length + size
                if after > stop:
                    return pos
                self._read_ebml_header(view, pos + header_length, after)
                pos = after
            elif element_id == SEGMENT:
                if not self._ebml_seen:
                    raise _invalid(f"a Segment without an EBML header at byte {at}")
                self._segments += 1
                self._where = _SEGMENT
                pos += header_length
                self._segment_end = None if size is None else base + pos + size
            elif element_id == VOID and size is not None:
                self._skip_to = at + header_length + size
            else:
                what = "a Segment" if self._ebml_seen else "an EBML header"
                raise _invalid(f"expected {what}, found element 0x{element_id:X} at byte {at}")

    def _simple_block(self, view: memoryview, pos: int, stop: int) -> int:
        """The fast path of the common SimpleBlock, or 0 to take the general one.

        The common block: a 1-2 byte size, a declared track under 127, no
        lacing, all of it in the buffer and inside its Cluster and Segment.
        """
        if pos + 6 > stop:
            return 0
        size = view[pos + 1]
        if size & 0x80 and size != 0xFF:
            payload = pos + 2
            size &= 0x7F
        elif size & 0x40 and size != 0x7F:
            payload = pos + 3
            size = ((size & 0x3F) << 8) | view[pos + 2]
        else:
            return 0
        after = payload + size
        if size < 4 or after > stop:
            return 0
        at_end = self._base + after
        if (self._c_end is not None and at_end > self._c_end) or (
            self._segment_end is not None and at_end > self._segment_end
        ):
            return 0
        track = view[payload]
        flags = view[payload + 3]
        if not track & 0x80 or flags & 0x06 or (track & 0x7F) not in self._track_numbers:
            return 0
        relative = (view[payload + 1] << 8) | view[payload + 2]
        if relative & 0x8000:
            relative -= 0x10000
        scale = self._scale
        self._c_frames.append(
            Frame(
                track & 0x7F,
                relative if scale == _MS_NS else relative * scale // _MS_NS,
                flags & 0x80 != 0,
                bytes(view[payload + 4 : after]),
                None,
            )
        )
        return after

    def _read_ebml_header(self, view: memoryview, start: int, end: int) -> None:
        doc_type = "matroska"
        for element_id, a, b in iter_children(view, start, end):
            if element_id == DOC_TYPE:
                doc_type = decode_string(view[a:b])
            elif element_id == EBML_MAX_SIZE_LENGTH and decode_uint(view[a:b]) > 8:
                raise _invalid("EBMLMaxSizeLength over 8")
        if doc_type not in ("matroska", "webm"):
            raise _invalid(f"DocType {doc_type!r} is not matroska")
        self._ebml_seen = True

    def _segment_child(
        self,
        view: memoryview,
        element_id: int,
        start: int,
        end: int,
        at: int,
        out: list[Header | Cluster],
    ) -> None:
        if element_id == TAGS:
            if self._pending_start is None:
                self._pending_start = at
            self._pending_tags.extend(_read_tags(view, start, end))
            return
        if self._header is not None:
            name = "Info" if element_id == INFO else "Tracks"
            raise _invalid(f"{name} at byte {at}, after the header was complete")
        if element_id == INFO:
            if self._info is not None:
                raise _invalid(f"a second Info at byte {at}")
            self._info = _read_info(view, start, end)
        else:
            if self._tracks is not None:
                raise _invalid(f"a second Tracks at byte {at}")
            self._tracks = _read_tracks(view, start, end)
        if self._info is not None and self._tracks is not None:
            self._emit_header(out, at)

    def _emit_header(self, out: list[Header | Cluster], at: int) -> None:
        if self._tracks is None:
            raise _invalid(f"no Tracks before byte {at}")
        scale, title = self._info if self._info is not None else (_MS_NS, None)
        self._header = Header(scale, self._tracks, title)
        self._scale = scale
        self._track_numbers = frozenset(track.number for track in self._tracks)
        out.append(self._header)

    def _start_cluster(
        self, out: list[Header | Cluster], at: int, size: int | None, header_length: int
    ) -> None:
        if self._header is None:
            self._emit_header(out, at)
        self._where = _CLUSTER
        self._c_start = at if self._pending_start is None else self._pending_start
        self._c_end = None if size is None else at + header_length + size
        self._c_timecode = None
        self._c_frames = []
        self._c_tags = tuple(self._pending_tags)
        self._pending_tags = []
        self._pending_start = None

    def _end_cluster(self, out: list[Header | Cluster], at: int) -> None:
        if self._c_timecode is None:
            raise _invalid(f"a Cluster without a Timecode (ending at byte {at})")
        out.append(
            Cluster(
                _scaled(self._c_timecode, self._scale),
                tuple(self._c_frames),
                self._c_tags,
                at - self._c_start,
            )
        )
        self._c_frames = []
        self._where = _SEGMENT

    def _cluster_child(
        self, view: memoryview, element_id: int, start: int, end: int, at: int
    ) -> None:
        if element_id == TIMECODE:
            self._c_timecode = decode_uint(view[start:end])
            return
        if element_id == SIMPLE_BLOCK:
            self._add_block(view, start, end, at, None, None)
            return
        block: tuple[int, int] | None = None
        duration: int | None = None
        referenced = False
        for child, a, b in iter_children(view, start, end):
            if child == BLOCK:
                if block is not None:
                    raise _invalid(f"a BlockGroup with two Blocks at byte {at}")
                block = (a, b)
            elif child == BLOCK_DURATION:
                duration = _scaled(decode_uint(view[a:b]), self._scale)
            elif child == REFERENCE_BLOCK:
                decode_int(view[a:b])
                referenced = True
        if block is None:
            raise _invalid(f"a BlockGroup without a Block at byte {at}")
        self._add_block(view, block[0], block[1], at, not referenced, duration)

    def _add_block(
        self,
        view: memoryview,
        start: int,
        end: int,
        at: int,
        keyframe: bool | None,
        duration: int | None,
    ) -> None:
        number = read_vint(view, start, end)
        if number is None or start + number[1] + 3 > end:
            raise _invalid(f"a block too short for its header at byte {at}")
        track, length = number
        if track not in self._track_numbers:
            raise MkvError(
                UNDECLARED_TRACK,
                f"a frame of track {track}, which the Tracks element does not declare (byte {at})",
            )
        pos = start + length
        relative, flags = _BLOCK_HEAD.unpack_from(view, pos)
        pos += 3
        timecode = _scaled(relative, self._scale)
        if keyframe is None:
            keyframe = bool(flags & 0x80)
        lacing = flags & 0x06
        if not lacing:
            self._c_frames.append(Frame(track, timecode, keyframe, bytes(view[pos:end]), duration))
            return
        frames = self._c_frames
        for a, b in _laced(view, pos, end, lacing, at):
            frames.append(Frame(track, timecode, keyframe, bytes(view[a:b]), None))


def _laced(view: memoryview, pos: int, end: int, lacing: int, at: int) -> list[tuple[int, int]]:
    """The frame ranges of a laced block's payload (Xiph 0x02, fixed 0x04, EBML 0x06)."""
    if pos >= end:
        raise _invalid(f"a laced block without a frame count at byte {at}")
    count = view[pos] + 1
    pos += 1
    sizes: list[int] = []
    if lacing == 0x04:
        total = end - pos
        if total % count:
            raise _invalid(f"fixed-size lacing of {total} bytes into {count} frames at byte {at}")
        sizes = [total // count] * (count - 1)
    elif lacing == 0x02:
        for _ in range(count - 1):
            size = 0
            while True:
                if pos >= end:
                    raise _invalid(f"Xiph lacing cut off at byte {at}")
                byte = view[pos]
                pos += 1
                size += byte
                if byte != 255:
                    break
            sizes.append(size)
    else:
        if count > 1:
            first = read_vint(view, pos, end)
            if first is None:
                raise _invalid(f"EBML lacing cut off at byte {at}")
            size, length = first
            pos += length
            sizes.append(size)
            for _ in range(count - 2):
                step = read_signed_vint(view, pos, end)
                if step is None:
                    raise _invalid(f"EBML lacing cut off at byte {at}")
                size += step[0]
                pos += step[1]
                if size < 0:
                    raise _invalid(f"EBML lacing with a negative size at byte {at}")
                sizes.append(size)
    ranges = []
    for size in sizes:
        ranges.append((pos, pos + size))
        pos += size
    if pos > end:
        raise _invalid(f"laced frames overrun their block at byte {at}")
    ranges.append((pos, end))
    return ranges


def _read_info(view: memoryview, start: int, end: int) -> tuple[int, str | None]:
    scale = _MS_NS
    title = None
    for element_id, a, b in iter_children(view, start, end):
        if element_id == TIMECODE_SCALE:
            scale = decode_uint(view[a:b])
            if scale == 0:
                raise _invalid("a TimecodeScale of 0")
        elif element_id == TITLE:
            title = decode_string(view[a:b])
    return scale, title


def _read_tracks(view: memoryview, start: int, end: int) -> tuple[Track, ...]:
    tracks: list[Track] = []
    numbers: set[int] = set()
    for element_id, a, b in iter_children(view, start, end):
        if element_id != TRACK_ENTRY:
            continue
        track = _read_track(view, a, b)
        if track.number in numbers:
            raise _invalid(f"two tracks numbered {track.number}")
        numbers.add(track.number)
        tracks.append(track)
    return tuple(tracks)


def _read_track(view: memoryview, start: int, end: int) -> Track:
    number = uid = kind = 0
    codec_id: str | None = None
    private: bytes | None = None
    name: str | None = None
    width = height = channels = None
    frequency: float | None = None
    for element_id, a, b in iter_children(view, start, end):
        payload = view[a:b]
        if element_id == TRACK_NUMBER:
            number = decode_uint(payload)
        elif element_id == TRACK_UID:
            uid = decode_uint(payload)
        elif element_id == TRACK_TYPE:
            kind = decode_uint(payload)
        elif element_id == CODEC_ID:
            codec_id = decode_string(payload)
        elif element_id == CODEC_PRIVATE:
            private = bytes(payload)
        elif element_id == NAME:
            name = decode_string(payload)
        elif element_id == VIDEO:
            for child, c, d in iter_children(view, a, b):
                if child == PIXEL_WIDTH:
                    width = decode_uint(view[c:d])
                elif child == PIXEL_HEIGHT:
                    height = decode_uint(view[c:d])
        elif element_id == AUDIO:
            for child, c, d in iter_children(view, a, b):
                if child == SAMPLING_FREQUENCY:
                    frequency = decode_float(view[c:d])
                elif child == CHANNELS:
                    channels = decode_uint(view[c:d])
    if not 1 <= number <= _MAX_TRACK_NUMBER:
        raise _invalid(f"a TrackEntry with TrackNumber {number}")
    if codec_id is None:
        raise _invalid(f"track {number} has no CodecID")
    return Track(
        number,
        uid,
        _KINDS.get(kind, "other"),
        codec_id,
        private,
        name,
        width,
        height,
        frequency,
        channels,
    )


def _read_tags(view: memoryview, start: int, end: int) -> list[tuple[str, str]]:
    pairs = []
    for element_id, a, b in iter_children(view, start, end):
        if element_id != TAG:
            continue
        for child, c, d in iter_children(view, a, b):
            if child != SIMPLE_TAG:
                continue
            name = value = ""
            for leaf, e, f in iter_children(view, c, d):
                if leaf == TAG_NAME:
                    name = decode_string(view[e:f])
                elif leaf == TAG_STRING:
                    value = decode_string(view[e:f])
            pairs.append((name, value))
    return pairs


def read_mkv(data: Buffer) -> tuple[Header, list[Cluster]]:
    """A whole MKV stream: its header and clusters. Raises :class:`MkvError`. O(len(data))."""
    reader = MkvStreamReader()
    items = reader.feed(data)
    items += reader.close()
    header = items[0]
    assert isinstance(header, Header)
    clusters = [item for item in items[1:] if isinstance(item, Cluster)]
    return header, clusters


# -- writing ------------------------------------------------------------------------------

_EBML_HEADER: Final = element(
    EBML,
    b"".join(
        (
            uint_element(EBML_VERSION, 1),
            uint_element(EBML_READ_VERSION, 1),
            uint_element(EBML_MAX_ID_LENGTH, 4),
            uint_element(EBML_MAX_SIZE_LENGTH, 8),
            string_element(DOC_TYPE, "matroska"),
            uint_element(DOC_TYPE_VERSION, 4),
            uint_element(DOC_TYPE_READ_VERSION, 2),
        )
    ),
)
_SEGMENT_OPEN: Final = encode_id(SEGMENT) + UNKNOWN_SIZE
_CLUSTER_ID: Final = encode_id(CLUSTER)
_SIMPLE_BLOCK_ID: Final = encode_id(SIMPLE_BLOCK)
_TIMECODE_ID: Final = encode_id(TIMECODE)


def _ticks(ms: int, scale_ns: int) -> int:
    """ms to ticks of ``scale_ns``, rounded half up (exact when the scale divides 1 ms)."""
    if scale_ns == _MS_NS:
        return ms
    return (2 * ms * _MS_NS + scale_ns) // (2 * scale_ns)


def _encode_track(track: Track) -> bytes:
    if track.kind not in _TRACK_TYPES:
        raise ValueError(f"track kind {track.kind!r} is not one of {sorted(_TRACK_TYPES)}")
    if not 1 <= track.number <= _MAX_TRACK_NUMBER:
        raise ValueError(f"track number {track.number} is outside 1..{_MAX_TRACK_NUMBER}")
    parts = [
        uint_element(TRACK_NUMBER, track.number),
        uint_element(TRACK_UID, track.uid),
        uint_element(TRACK_TYPE, _TRACK_TYPES[track.kind]),
        string_element(CODEC_ID, track.codec_id),
    ]
    if track.codec_private is not None:
        parts.append(binary_element(CODEC_PRIVATE, track.codec_private))
    if track.name is not None:
        parts.append(string_element(NAME, track.name))
    picture = []
    if track.pixel_width is not None:
        picture.append(uint_element(PIXEL_WIDTH, track.pixel_width))
    if track.pixel_height is not None:
        picture.append(uint_element(PIXEL_HEIGHT, track.pixel_height))
    if picture:
        parts.append(element(VIDEO, b"".join(picture)))
    sound = []
    if track.sampling_frequency is not None:
        sound.append(float_element(SAMPLING_FREQUENCY, track.sampling_frequency))
    if track.channels is not None:
        sound.append(uint_element(CHANNELS, track.channels))
    if sound:
        parts.append(element(AUDIO, b"".join(sound)))
    return element(TRACK_ENTRY, b"".join(parts))


def _encode_head(header: Header) -> bytes:
    if header.timecode_scale_ns < 1:
        raise ValueError(f"timecode_scale_ns must be at least 1, got {header.timecode_scale_ns}")
    numbers = [track.number for track in header.tracks]
    if len(set(numbers)) != len(numbers):
        raise ValueError(f"track numbers repeat: {numbers}")
    info = [
        uint_element(TIMECODE_SCALE, header.timecode_scale_ns),
        string_element(MUXING_APP, "kvsim"),
        string_element(WRITING_APP, "kvsim"),
    ]
    if header.title is not None:
        info.append(string_element(TITLE, header.title))
    tracks = b"".join(_encode_track(track) for track in header.tracks)
    return b"".join(
        (_EBML_HEADER, _SEGMENT_OPEN, element(INFO, b"".join(info)), element(TRACKS, tracks))
    )


# TagName element plus the TagString id, by name (the service's names repeat on
# every cluster), bounded; and one-byte sizes, for short tags.
_tag_prefixes: dict[str, bytes] = {}
_SIZE1: Final = [bytes((0x80 | n,)) for n in range(127)]
_SIMPLE_TAG_ID: Final = encode_id(SIMPLE_TAG)
_TAG_STRING_ID: Final = encode_id(TAG_STRING)
_TAGS_ID: Final = encode_id(TAGS)
_TAG_ID: Final = encode_id(TAG)
_EMPTY_TARGETS: Final = element(TARGETS, b"")


def _encode_tags(tags: Sequence[tuple[str, str]]) -> bytes:
    # One flat list of pieces and two joins (the Tags of every fragment of a body).
    parts = [_EMPTY_TARGETS]
    size1 = _SIZE1
    for name, value in tags:
        prefix = _tag_prefixes.get(name)
        if prefix is None:
            prefix = string_element(TAG_NAME, name) + _TAG_STRING_ID
            if len(_tag_prefixes) < 256:
                _tag_prefixes[name] = prefix
        raw = value.encode("utf-8")
        n = len(raw)
        body = len(prefix) + n + 1 if n < 127 else 0
        if 0 < body < 127:
            parts += (_SIMPLE_TAG_ID, size1[body], prefix, size1[n], raw)
        else:
            inner = b"".join((prefix, encode_size(n), raw))
            parts += (_SIMPLE_TAG_ID, encode_size(len(inner)), inner)
    tag = b"".join(parts)
    tag_head = _TAG_ID + encode_size(len(tag))
    return b"".join((_TAGS_ID, encode_size(len(tag_head) + len(tag)), tag_head, tag))


def encode_cluster(
    cluster: Cluster,
    tags: Sequence[tuple[str, str]] = (),
    *,
    timecode_scale_ns: int = _MS_NS,
) -> bytes:
    """A Tags element holding ``tags`` (if any), then ``cluster`` as a Cluster of known size.

    Frames without a duration become SimpleBlocks; frames with one become
    BlockGroups (Block, BlockDuration, and a ReferenceBlock for a non-key
    frame). ``cluster.tags`` and ``cluster.size`` are not written. Frames of
    any track number are written as given (tests make invalid streams this
    way). Raises ValueError for what Matroska cannot hold: a negative
    cluster timecode or duration, or a frame timecode outside the block's
    signed 16 bits of ticks. O(frames) plus one join of the payloads.
    """
    return b"".join(cluster_pieces(cluster, tags, timecode_scale_ns=timecode_scale_ns))


# (frames, scale, blocks, size) of the last cluster body encoded: fragments that share
# their frames (generated ones) share one body, encoded once.
_last_blocks: tuple[tuple[Frame, ...], int, bytes, int] | None = None


def cluster_pieces(
    cluster: Cluster,
    tags: Sequence[tuple[str, str]] = (),
    *,
    timecode_scale_ns: int = _MS_NS,
) -> tuple[bytes, bytes]:
    """:func:`encode_cluster` in two pieces: the Tags, the Cluster's head and its
    Timecode; then its blocks (the same bytes object for consecutive clusters
    that share their ``frames``, so a body of generated fragments is not copied)."""
    global _last_blocks
    scale = timecode_scale_ns
    raw = _ticks(cluster.timecode_ms, scale)
    if raw < 0:
        raise ValueError(f"a cluster timecode cannot be negative, got {cluster.timecode_ms} ms")
    stamp = raw.to_bytes(max(1, (raw.bit_length() + 7) // 8), "big")
    stamp_size = encode_size(len(stamp))
    last = _last_blocks
    if last is not None and last[0] is cluster.frames and last[1] == scale:
        blocks, blocks_size = last[2], last[3]
    else:
        blocks, blocks_size = _encode_blocks(cluster.frames, scale)
        _last_blocks = (cluster.frames, scale, blocks, blocks_size)
    size = 1 + len(stamp_size) + len(stamp) + blocks_size
    head = b"".join(
        (
            _encode_tags(tags) if tags else b"",
            _CLUSTER_ID,
            encode_size(size),
            _TIMECODE_ID,
            stamp_size,
            stamp,
        )
    )
    return head, blocks


def _encode_blocks(frames: tuple[Frame, ...], scale: int) -> tuple[bytes, int]:
    parts: list[bytes] = []
    size = 0
    numbers: dict[int, bytes] = {}
    previous: dict[int, int] = {}
    append = parts.append
    pack = _BLOCK_HEAD.pack
    for frame in frames:
        number = numbers.get(frame.track)
        if number is None:
            if not 1 <= frame.track <= _MAX_TRACK_NUMBER:
                raise ValueError(f"track number {frame.track} is outside 1..{_MAX_TRACK_NUMBER}")
            number = numbers[frame.track] = encode_size(frame.track)
        relative = _ticks(frame.timecode_ms, scale)
        if not -32768 <= relative <= 32767:
            raise ValueError(
                f"frame timecode {frame.timecode_ms} ms is {relative} ticks of {scale} ns "
                "from its cluster's; a block holds -32768..32767"
            )
        data = frame.data
        if frame.duration_ms is None:
            length = len(number) + 3 + len(data)
            head = b"".join(
                (
                    _SIMPLE_BLOCK_ID,
                    encode_size(length),
                    number,
                    pack(relative, 0x80 if frame.keyframe else 0),
                )
            )
            append(head)
            append(data)
            size += len(head) + len(data)
        else:
            if frame.duration_ms < 0:
                raise ValueError(f"a frame duration cannot be negative, got {frame.duration_ms}")
            block = element(BLOCK, b"".join((number, pack(relative, 0), data)))
            extra = uint_element(BLOCK_DURATION, _ticks(frame.duration_ms, scale))
            if not frame.keyframe:
                extra += int_element(
                    REFERENCE_BLOCK, previous.get(frame.track, relative - 1) - relative
                )
            group = element(BLOCK_GROUP, block + extra)
            append(group)
            size += len(group)
        previous[frame.track] = relative
    return b"".join(parts), size


def write_mkv(
    header: Header,
    clusters: Iterable[tuple[Cluster, Sequence[tuple[str, str]]]],
    *,
    pieces: bool = False,
) -> Iterator[bytes]:
    """Yield an MKV stream, one chunk for the head and one per cluster (so GetMedia can stream).

    The head is the EBML header, a Segment of unknown size, Info and Tracks;
    each ``(cluster, tags)`` becomes :func:`encode_cluster` ``(cluster, tags)``.
    FFmpeg (PyAV) and :func:`read_mkv` read it back: ``read_mkv`` returns an
    equal header and equal clusters, ``size`` aside (and timecodes rounded to
    the TimecodeScale when it does not divide 1 ms). Raises ValueError for
    values Matroska cannot hold (see :func:`encode_cluster`), when reached.
    With ``pieces``, each cluster comes as the two chunks of :func:`cluster_pieces`
    (the media readers' bodies: shared frames are not copied).
    """
    yield _encode_head(header)
    scale = header.timecode_scale_ns
    if pieces:
        for cluster, tags in clusters:
            yield from cluster_pieces(cluster, tags, timecode_scale_ns=scale)
        return
    for cluster, tags in clusters:
        yield encode_cluster(cluster, tags, timecode_scale_ns=scale)
