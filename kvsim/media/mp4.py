"""ISO BMFF (fragmented MP4) packaging of stored Matroska fragments, without re-encoding.

Standard library only. :func:`init_segment` writes ``ftyp`` + ``moov`` (one
``trak`` per H.264 track, its ``avcC`` the Matroska codec private as is),
:func:`media_segment` one ``moof`` + ``mdat`` for the frames of some clusters,
and :func:`fragmented_mp4` both, one media segment per cluster: a whole
playable MP4, what GetClip returns and what HLS/DASH fMP4 sessions serve.

>>> from kvsim.media import generated_fragments
>>> header, clusters = generated_fragments(count=2, duration=1.0, frame_rate=10, frame_size=8)
>>> data = fragmented_mp4(header, clusters)
>>> data[4:8], data[8:12]
(b'ftyp', b'iso6')
>>> len(data) == len(init_segment(header)) + sum(
...     len(media_segment(header, [c], sequence_number=n + 1)) for n, c in enumerate(clusters))
True

Timescale is 1000 everywhere (ms, Matroska's usual scale after
:mod:`kvsim.media.mkv` applied TimecodeScale). Frames are stored in decode
order with composition offsets 0, so a sample's decode time is the frame's
Matroska timestamp: right for streams without B-frames (what KVS producers
send by default); a stream with reordered frames still plays, with durations
clamped at 0 where timestamps go backwards.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Final

from .mkv import Cluster, Header, Track

__all__ = ["fragmented_mp4", "init_segment", "media_segment"]

_AVC: Final = "V_MPEG4/ISO/AVC"
_TIMESCALE: Final = 1000
_U32: Final = 0xFFFFFFFF
#: 3x3 unity matrix of mvhd and tkhd (16.16, 16.16, 2.30 fixed point).
_MATRIX: Final = b"".join(
    v.to_bytes(4, "big") for v in (0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000)
)
#: sample_flags: a sync sample depends on no other (sample_depends_on 2) ...
_SYNC: Final = 0x02000000
#: ... a non-sync one depends on others (1) and is_non_sync_sample.
_NON_SYNC: Final = 0x01010000
#: trun flags: data-offset, sample duration, size, flags, composition time offset.
_TRUN_FLAGS: Final = 0x000001 | 0x000100 | 0x000200 | 0x000400 | 0x000800
#: tfhd flags: default-base-is-moof (data offsets count from the moof's first byte).
_TFHD_FLAGS: Final = 0x020000


def _u8(v: int) -> bytes:
    return v.to_bytes(1, "big")


def _u16(v: int) -> bytes:
    return v.to_bytes(2, "big")


def _u32(v: int) -> bytes:
    return v.to_bytes(4, "big")


def _u64(v: int) -> bytes:
    return v.to_bytes(8, "big")


def _box(kind: bytes, *parts: bytes) -> bytes:
    """A box of ``parts``; a 64-bit ``largesize`` when it would not fit 32 bits."""
    body = b"".join(parts)
    size = 8 + len(body)
    if size > _U32:
        return b"".join((_u32(1), kind, _u64(size + 8), body))
    return b"".join((_u32(size), kind, body))


def _full(kind: bytes, version: int, flags: int, *parts: bytes) -> bytes:
    return _box(kind, _u8(version), flags.to_bytes(3, "big"), *parts)


def _video_tracks(header: Header) -> tuple[Track, ...]:
    """The header's tracks, each checked to be H.264 with an ``avcC`` codec private."""
    if not header.tracks:
        raise ValueError("no tracks to package")
    for track in header.tracks:
        if track.codec_id != _AVC:
            raise ValueError(
                f"cannot package codec {track.codec_id!r} of track {track.number} into MP4:"
                f" only {_AVC} is supported"
            )
        private = track.codec_private
        if not private or private[0] != 1 or len(private) < 7:
            raise ValueError(f"track {track.number} ({_AVC}) has no valid avcC codec private data")
        if not 1 <= track.number <= _U32:
            raise ValueError(f"track number {track.number} does not fit an MP4 track_ID")
    return header.tracks


def _avc1(track: Track) -> bytes:
    assert track.codec_private is not None
    width = track.pixel_width or 0
    height = track.pixel_height or 0
    return _box(
        b"avc1",
        bytes(6),  # reserved
        _u16(1),  # data_reference_index
        bytes(16),  # pre_defined, reserved, pre_defined[3]
        _u16(width & 0xFFFF),
        _u16(height & 0xFFFF),
        _u32(0x00480000),  # 72 dpi
        _u32(0x00480000),
        bytes(4),  # reserved
        _u16(1),  # frame_count
        bytes(32),  # compressorname
        _u16(0x0018),  # depth
        b"\xff\xff",  # pre_defined = -1
        _box(b"avcC", track.codec_private),
    )


def _trak(track: Track) -> bytes:
    width = (track.pixel_width or 0) & 0xFFFF
    height = (track.pixel_height or 0) & 0xFFFF
    tkhd = _full(
        b"tkhd",
        0,
        3,  # track_enabled | track_in_movie
        bytes(8),  # creation, modification time
        _u32(track.number),
        bytes(4),  # reserved
        bytes(4),  # duration: fragments carry it
        bytes(8),  # reserved
        bytes(4),  # layer, alternate_group
        bytes(4),  # volume 0 (video), reserved
        _MATRIX,
        _u32(width << 16),
        _u32(height << 16),
    )
    mdhd = _full(b"mdhd", 0, 0, bytes(8), _u32(_TIMESCALE), bytes(4), _u16(0x55C4), bytes(2))
    hdlr = _full(b"hdlr", 0, 0, bytes(4), b"vide", bytes(12), b"VideoHandler\x00")
    vmhd = _full(b"vmhd", 0, 1, bytes(8))
    dinf = _box(b"dinf", _full(b"dref", 0, 0, _u32(1), _full(b"url ", 0, 1)))
    stbl = _box(
        b"stbl",
        _full(b"stsd", 0, 0, _u32(1), _avc1(track)),
        _full(b"stts", 0, 0, _u32(0)),
        _full(b"stsc", 0, 0, _u32(0)),
        _full(b"stsz", 0, 0, _u32(0), _u32(0)),
        _full(b"stco", 0, 0, _u32(0)),
    )
    minf = _box(b"minf", vmhd, dinf, stbl)
    return _box(b"trak", tkhd, _box(b"mdia", mdhd, hdlr, minf))


def init_segment(header: Header) -> bytes:
    """``ftyp`` + ``moov`` for the header's tracks: what a player reads before any fragment.

    Every track must be H.264 (``V_MPEG4/ISO/AVC``) with its ``avcC`` record as
    codec private; anything else raises :class:`ValueError` naming the codec.
    MP4 track IDs are the Matroska track numbers. O(tracks).

    >>> from kvsim.media import generated_fragments
    >>> header, _ = generated_fragments(count=1)
    >>> data = init_segment(header)
    >>> data[4:8], data[28:32], b"avcC" in data, b"trex" in data
    (b'ftyp', b'moov', True, True)
    >>> header, _ = generated_fragments(count=1, codec_id="A_AAC")
    >>> init_segment(header)
    Traceback (most recent call last):
    ...
    ValueError: cannot package codec 'A_AAC' of track 1 into MP4: only V_MPEG4/ISO/AVC is supported
    """
    tracks = _video_tracks(header)
    ftyp = _box(b"ftyp", b"iso6", _u32(0), b"iso6", b"mp41")
    mvhd = _full(
        b"mvhd",
        0,
        0,
        bytes(8),  # creation, modification time
        _u32(_TIMESCALE),
        bytes(4),  # duration: fragments carry it
        _u32(0x00010000),  # rate 1.0
        _u16(0x0100),  # volume 1.0
        bytes(10),  # reserved
        _MATRIX,
        bytes(24),  # pre_defined
        _u32(max(track.number for track in tracks) + 1),  # next_track_ID
    )
    trex = (_full(b"trex", 0, 0, _u32(track.number), _u32(1), bytes(12)) for track in tracks)
    moov = _box(b"moov", mvhd, *(_trak(track) for track in tracks), _box(b"mvex", *trex))
    return ftyp + moov


def _samples(
    clusters: Iterable[Cluster], numbers: set[int], base: int
) -> dict[int, list[tuple[int, bytes, bool, int | None, int]]]:
    """Per track, in order: (decode time, data, keyframe, duration or None, cluster end)."""
    out: dict[int, list[tuple[int, bytes, bool, int | None, int]]] = {}
    for cluster in clusters:
        frames = cluster.frames
        if not frames:
            continue
        end = cluster.timecode_ms + min(f.timecode_ms for f in frames) + cluster.duration_ms
        for frame in frames:
            if frame.track not in numbers:
                raise ValueError(f"frame of track {frame.track}, which the header does not have")
            at = cluster.timecode_ms + frame.timecode_ms - base
            if at < 0:
                raise ValueError(f"frame at {at + base} ms is before base_ms {base}")
            out.setdefault(frame.track, []).append(
                (at, frame.data, frame.keyframe, frame.duration_ms, end - base)
            )
    return out


def _traf(
    number: int, samples: Sequence[tuple[int, bytes, bool, int | None, int]], data_offset: int
) -> bytes:
    """One ``traf``; ``data_offset`` is where its first sample lies, from the moof's start."""
    starts = [sample[0] for sample in samples]
    nexts = starts[1:]
    last = samples[-1]
    nexts.append(last[0] + last[3] if last[3] is not None else last[4])
    rows = b"".join(
        b"".join(
            (
                _u32(max(0, following - at)),
                _u32(len(data)),
                _u32(_SYNC if keyframe else _NON_SYNC),
                bytes(4),  # composition time offset
            )
        )
        for (at, data, keyframe, _, _), following in zip(samples, nexts, strict=True)
    )
    return _box(
        b"traf",
        _full(b"tfhd", 0, _TFHD_FLAGS, _u32(number)),
        _full(b"tfdt", 1, 0, _u64(starts[0])),
        _full(b"trun", 0, _TRUN_FLAGS, _u32(len(samples)), _u32(data_offset), rows),
    )


#: Bytes of a traf before its trun rows: traf 8, tfhd 16, tfdt 20, trun header 20.
_TRAF_FIXED: Final = 8 + 16 + 20 + 20


def media_segment(
    header: Header,
    clusters: Iterable[Cluster],
    *,
    sequence_number: int,
    base_ms: int | None = None,
) -> bytes:
    """One ``moof`` + ``mdat`` holding every frame of ``clusters``, one ``traf`` per track.

    A sample's decode time is its cluster's timecode plus its frame's, minus
    ``base_ms`` (0 when ``None``: the stream's own timestamps; an earlier
    frame raises :class:`ValueError`). A sample lasts until the next frame of
    its track; the last one its ``duration_ms``, else until the end of its
    cluster (:attr:`Cluster.duration_ms`). Keyframes are sync samples.
    ``sequence_number`` is the ``mfhd`` one (1, 2, ... in a stream). Frame
    data is joined once, never copied per byte. O(tracks + frames).

    >>> from kvsim.media import generated_fragments
    >>> header, clusters = generated_fragments(count=1, duration=1.0, frame_rate=10, frame_size=8)
    >>> data = media_segment(header, clusters, sequence_number=1)
    >>> data[4:8], data.count(b"trun"), data[-8 * 10 - 4:-8 * 10]
    (b'moof', 1, b'mdat')
    """
    if not 0 <= sequence_number <= _U32:
        raise ValueError(f"sequence_number must be 0 to {_U32}, got {sequence_number}")
    base = 0 if base_ms is None else base_ms
    tracks = _video_tracks(header)
    by_track = _samples(clusters, {track.number for track in tracks}, base)
    order = [track.number for track in tracks if track.number in by_track]
    # The moof's size is known before its contents: mfhd 16, moof 8, per traf fixed + 16/sample.
    moof_size = 8 + 16 + sum(_TRAF_FIXED + 16 * len(by_track[n]) for n in order)
    payload_start = moof_size + 8
    payload_size = sum(len(s[1]) for n in order for s in by_track[n])
    if payload_size + 8 > _U32:
        payload_start += 8  # mdat largesize
    trafs = []
    offset = payload_start
    for number in order:
        samples = by_track[number]
        trafs.append(_traf(number, samples, offset))
        offset += sum(len(s[1]) for s in samples)
    if offset > 0x7FFFFFFF:
        raise ValueError("a media segment over 2 GiB does not fit trun data offsets")
    moof = _box(b"moof", _full(b"mfhd", 0, 0, _u32(sequence_number)), *trafs)
    assert len(moof) == moof_size
    mdat = _box(b"mdat", b"".join(s[1] for n in order for s in by_track[n]))
    return moof + mdat


def fragmented_mp4(header: Header, clusters: Iterable[Cluster]) -> bytes:
    """A whole playable fragmented MP4: :func:`init_segment`, then one media segment per cluster.

    Sequence numbers count from 1; timestamps are the stream's own (ms).
    O(tracks + clusters + frames).

    >>> from kvsim.media import generated_fragments
    >>> header, clusters = generated_fragments(count=3, duration=1.0, frame_rate=10, frame_size=8)
    >>> fragmented_mp4(header, clusters).count(b"moof")
    3
    """
    init = init_segment(header)
    return b"".join(
        (
            init,
            *(
                media_segment(header, (cluster,), sequence_number=n)
                for n, cluster in enumerate(clusters, 1)
            ),
        )
    )
