"""ISO BMFF (fragmented MP4) packaging of stored Matroska fragments, without re-encoding.

Standard library only. :func:`init_segment` writes ``ftyp`` + ``moov`` (one
``trak`` per track: H.264 as ``avc1`` with the Matroska codec private as its
``avcC``, AAC as ``mp4a`` with an ``esds`` around the AudioSpecificConfig),
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

Timescale is 1000 for every track, video and audio (ms, Matroska's usual
scale after :mod:`kvsim.media.mkv` applied TimecodeScale): a sample's time
is exactly its frame's stored timestamp, and audio frames keep the ms
rounding the producer's Matroska gave them (an AAC frame of 1024 samples at
44.1 kHz lasts 23 or 24 ms; decoders take the sample count from the
bitstream). Frames are stored in decode order with composition offsets 0,
so a sample's decode time is the frame's Matroska timestamp: right for
streams without B-frames (what KVS producers send by default); a stream with
reordered frames still plays, with durations clamped at 0 where timestamps
go backwards. Audio samples are all sync samples.

Which codecs kvsim packages, and the AWS error for the others, is
:mod:`kvsim.media.codecs`.
"""

from __future__ import annotations

import itertools
import struct
from collections.abc import Iterable, Sequence
from typing import Final

from .codecs import (
    AAC,
    AAC_CHANNELS,
    AVC,
    UNSUPPORTED_MEDIA_TYPE,
    PackagingError,
    parse_audio_specific_config,
    private_data_problem,
    unsupported_problem,
)
from .mkv import Cluster, Header, Track

__all__ = ["fragmented_mp4", "init_segment", "media_segment"]

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
_HEAD: Final = struct.Struct(">I4s")
_FULL_HEAD: Final = struct.Struct(">I4sI")
_LARGE_HEAD: Final = struct.Struct(">I4sQ")
_MOOF_HEAD: Final = struct.Struct(">I4sI4sII")  # moof header, then the whole mfhd


def _checked_tracks(header: Header) -> tuple[Track, ...]:
    """The header's tracks, each H.264 or AAC with valid codec private data, else PackagingError."""
    if not header.tracks:
        raise PackagingError(UNSUPPORTED_MEDIA_TYPE, "no tracks to package")
    for track in header.tracks:
        if track.codec_id not in (AVC, AAC):
            raise PackagingError(
                *unsupported_problem(
                    track,
                    f"cannot package it into MP4: only {AVC} and {AAC} are supported",
                )
            )
        problem = private_data_problem(track)
        if problem is not None:
            raise PackagingError(*problem)
        if not 1 <= track.number <= _U32:
            raise PackagingError(
                UNSUPPORTED_MEDIA_TYPE, f"track number {track.number} does not fit an MP4 track_ID"
            )
    return header.tracks


# -- boxes ------------------------------------------------------------------------------------


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
        return b"".join((_LARGE_HEAD.pack(1, kind, size + 8), body))
    return b"".join((_HEAD.pack(size, kind), body))


def _full(kind: bytes, version: int, flags: int, *parts: bytes) -> bytes:
    body = b"".join(parts)
    return b"".join((_FULL_HEAD.pack(12 + len(body), kind, (version << 24) | flags), body))


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


def _descriptor(tag: int, *parts: bytes) -> bytes:
    """An MPEG-4 descriptor (ISO/IEC 14496-1 8.3.3): tag, expandable size, body."""
    body = b"".join(parts)
    size = len(body)
    length = bytearray((size & 0x7F,))
    size >>= 7
    while size:
        length.insert(0, 0x80 | (size & 0x7F))
        size >>= 7
    return bytes((tag,)) + bytes(length) + body


def _audio_format(track: Track) -> tuple[int, int]:
    """(sample rate, channels): the Track's Matroska values, else the AudioSpecificConfig's."""
    assert track.codec_private is not None
    config = parse_audio_specific_config(track.codec_private)
    rate = round(track.sampling_frequency) if track.sampling_frequency else config.output_rate
    channels = track.channels or AAC_CHANNELS[config.channel_config]
    return rate, channels


def _mp4a(track: Track) -> bytes:
    assert track.codec_private is not None
    rate, channels = _audio_format(track)
    decoder_config = _descriptor(
        0x04,  # DecoderConfigDescriptor
        b"\x40",  # objectTypeIndication: Audio ISO/IEC 14496-3 (AAC)
        b"\x15",  # streamType 5 (audio) << 2 | upStream 0 | reserved 1
        bytes(3),  # bufferSizeDB
        bytes(8),  # maxBitrate, avgBitrate: unknown
        _descriptor(0x05, track.codec_private),  # DecoderSpecificInfo: the AudioSpecificConfig
    )
    es = _descriptor(
        0x03,  # ES_Descriptor
        _u16(0),  # ES_ID
        b"\x00",  # no stream dependence, URL or OCR stream
        decoder_config,
        _descriptor(0x06, b"\x02"),  # SLConfigDescriptor: predefined 2 (MP4)
    )
    return _box(
        b"mp4a",
        bytes(6),  # reserved
        _u16(1),  # data_reference_index
        bytes(8),  # version, revision level, vendor
        _u16(min(channels, 0xFFFF)),
        _u16(16),  # samplesize
        bytes(4),  # pre_defined, reserved
        _u32(rate << 16 if rate <= 0xFFFF else 0),  # 16.16; the esds carries the real rate
        _full(b"esds", 0, 0, es),
    )


def _trak(track: Track) -> bytes:
    audio = track.codec_id == AAC
    width = 0 if audio else (track.pixel_width or 0) & 0xFFFF
    height = 0 if audio else (track.pixel_height or 0) & 0xFFFF
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
        _u16(0x0100 if audio else 0),  # volume: 1.0 for audio, 0 for video
        bytes(2),  # reserved
        _MATRIX,
        _u32(width << 16),
        _u32(height << 16),
    )
    mdhd = _full(b"mdhd", 0, 0, bytes(8), _u32(_TIMESCALE), bytes(4), _u16(0x55C4), bytes(2))
    if audio:
        hdlr = _full(b"hdlr", 0, 0, bytes(4), b"soun", bytes(12), b"SoundHandler\x00")
        media_header = _full(b"smhd", 0, 0, bytes(4))  # balance 0, reserved
        entry = _mp4a(track)
    else:
        hdlr = _full(b"hdlr", 0, 0, bytes(4), b"vide", bytes(12), b"VideoHandler\x00")
        media_header = _full(b"vmhd", 0, 1, bytes(8))
        entry = _avc1(track)
    dinf = _box(b"dinf", _full(b"dref", 0, 0, _u32(1), _full(b"url ", 0, 1)))
    stbl = _box(
        b"stbl",
        _full(b"stsd", 0, 0, _u32(1), entry),
        _full(b"stts", 0, 0, _u32(0)),
        _full(b"stsc", 0, 0, _u32(0)),
        _full(b"stsz", 0, 0, _u32(0), _u32(0)),
        _full(b"stco", 0, 0, _u32(0)),
    )
    minf = _box(b"minf", media_header, dinf, stbl)
    return _box(b"trak", tkhd, _box(b"mdia", mdhd, hdlr, minf))


def _init_segment(tracks: Sequence[Track]) -> bytes:
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
        _u32(min(_U32, max(track.number for track in tracks) + 1)),  # next_track_ID
    )
    trex = (_full(b"trex", 0, 0, _u32(track.number), _u32(1), bytes(12)) for track in tracks)
    moov = _box(b"moov", mvhd, *(_trak(track) for track in tracks), _box(b"mvex", *trex))
    return ftyp + moov


def init_segment(header: Header) -> bytes:
    """``ftyp`` + ``moov`` for the header's tracks: what a player reads before any fragment.

    Every track must be H.264 (``V_MPEG4/ISO/AVC``, its ``avcC`` record as
    codec private) or AAC (``A_AAC``, its AudioSpecificConfig as codec
    private; sample rate and channels from the Track's Matroska
    ``SamplingFrequency``/``Channels``, else from the AudioSpecificConfig);
    anything else raises :class:`PackagingError` (a ValueError) naming the
    codec, missing or malformed codec private data one with AWS's message.
    MP4 track IDs are the Matroska track numbers. O(tracks).

    >>> from kvsim.media import generated_fragments
    >>> header, _ = generated_fragments(count=1)
    >>> data = init_segment(header)
    >>> data[4:8], data[28:32], b"avcC" in data, b"trex" in data
    (b'ftyp', b'moov', True, True)
    >>> header, _ = generated_fragments(count=1, codec_id="V_VP8")
    >>> init_segment(header)
    Traceback (most recent call last):
    ...
    kvsim.media.codecs.PackagingError: Unsupported codec 'V_VP8' in track 1: cannot package it into MP4: only V_MPEG4/ISO/AVC and A_AAC are supported
    >>> header, _ = generated_fragments(count=1, codec_id="A_AAC")  # no codec private
    >>> init_segment(header)
    Traceback (most recent call last):
    ...
    kvsim.media.codecs.PackagingError: Missing codec private data in fragment for track 1.
    """
    return _init_segment(_checked_tracks(header))


# -- fragments --------------------------------------------------------------------------------

#: Per track: (decode times, frame data, keyframe flags, the last sample's duration).
_Run = tuple[list[int], list[bytes], list[bool], int]


def _last_duration(cluster: Cluster, frame_duration: int | None, at: int, base: int) -> int:
    """The last sample's duration: its frame's, else until its cluster's end."""
    if frame_duration is not None:
        return frame_duration
    frames = cluster.frames
    end = cluster.timecode_ms + min(f.timecode_ms for f in frames) + cluster.duration_ms
    return end - base - at


def _samples(clusters: Iterable[Cluster], numbers: Sequence[int], base: int) -> dict[int, _Run]:
    """Per track that has frames, in decode order: its samples' times, data and key flags."""
    times: dict[int, list[int]] = {n: [] for n in numbers}
    datas: dict[int, list[bytes]] = {n: [] for n in numbers}
    keys: dict[int, list[bool]] = {n: [] for n in numbers}
    last: dict[int, tuple[Cluster, int | None, int]] = {}
    only = numbers[0] if len(numbers) == 1 else None
    for cluster in clusters:
        frames = cluster.frames
        if not frames:
            continue
        offset = cluster.timecode_ms - base
        if only is not None:
            # One track: whole-cluster comprehensions, no per-frame dict lookups.
            stamps = [offset + f.timecode_ms for f in frames]
            if any(f.track != only for f in frames):
                other = next(f.track for f in frames if f.track != only)
                raise ValueError(f"frame of track {other}, which the header does not have")
            if min(stamps) < 0:
                raise ValueError(f"frame at {min(stamps) + base} ms is before base_ms {base}")
            times[only] += stamps
            datas[only] += [f.data for f in frames]
            keys[only] += [f.keyframe for f in frames]
            final = frames[-1]
            last[only] = (cluster, final.duration_ms, stamps[-1])
            continue
        for frame in frames:
            track = frame.track
            mine = times.get(track)
            if mine is None:
                raise ValueError(f"frame of track {track}, which the header does not have")
            at = offset + frame.timecode_ms
            if at < 0:
                raise ValueError(f"frame at {at + base} ms is before base_ms {base}")
            mine.append(at)
            datas[track].append(frame.data)
            keys[track].append(frame.keyframe)
            last[track] = (cluster, frame.duration_ms, at)
    return {
        n: (times[n], datas[n], keys[n], _last_duration(*last[n], base))
        for n in numbers
        if times[n]
    }


def _traf(number: int, run: _Run, all_sync: bool, data_offset: int) -> bytes:
    """One ``traf``; ``data_offset`` is where its first sample lies, from the moof's start."""
    starts, datas, keys, last = run
    count = len(starts)
    durations = [b - a for a, b in itertools.pairwise(starts)]
    durations.append(last)
    if min(durations) < 0:
        durations = [d if d > 0 else 0 for d in durations]
    flat = [0] * (4 * count)  # duration, size, flags, composition offset 0
    flat[0::4] = durations
    flat[1::4] = [len(data) for data in datas]
    flat[2::4] = [_SYNC] * count if all_sync else [_SYNC if k else _NON_SYNC for k in keys]
    rows = struct.pack(f">{4 * count}I", *flat)
    trun_size = 20 + len(rows)
    return b"".join(
        (
            struct.pack(
                ">I4s" + "I4sII" + "I4sIQ" + "I4sIII",
                8 + 16 + 20 + trun_size,
                b"traf",
                16,
                b"tfhd",
                _TFHD_FLAGS,
                number,
                20,
                b"tfdt",
                1 << 24,
                starts[0],
                trun_size,
                b"trun",
                _TRUN_FLAGS,
                count,
                data_offset,
            ),
            rows,
        )
    )


#: Bytes of a traf before its trun rows: traf 8, tfhd 16, tfdt 20, trun header 20.
_TRAF_FIXED: Final = 8 + 16 + 20 + 20


def _segment_parts(
    tracks: Sequence[Track],
    clusters: Iterable[Cluster],
    sequence_number: int,
    base_ms: int | None,
) -> list[bytes]:
    """One media segment as pieces to join: the moof, the mdat header, each frame's data."""
    if not 0 <= sequence_number <= _U32:
        raise ValueError(f"sequence_number must be 0 to {_U32}, got {sequence_number}")
    base = 0 if base_ms is None else base_ms
    by_track = _samples(clusters, [track.number for track in tracks], base)
    order = [track for track in tracks if track.number in by_track]
    # The moof's size is known before its contents: mfhd 16, moof 8, per traf fixed + 16/sample.
    moof_size = 8 + 16 + sum(_TRAF_FIXED + 16 * len(by_track[t.number][0]) for t in order)
    sizes = [sum(map(len, by_track[t.number][1])) for t in order]
    payload_size = sum(sizes)
    large = payload_size + 8 > _U32
    offset = moof_size + (16 if large else 8)
    parts = [_MOOF_HEAD.pack(moof_size, b"moof", 16, b"mfhd", 0, sequence_number)]
    for track, size in zip(order, sizes, strict=True):
        if offset > 0x7FFFFFFF:
            raise ValueError("a media segment over 2 GiB does not fit trun data offsets")
        parts.append(_traf(track.number, by_track[track.number], track.codec_id == AAC, offset))
        offset += size
    assert sum(map(len, parts)) == moof_size
    if large:
        parts.append(_LARGE_HEAD.pack(1, b"mdat", payload_size + 16))
    else:
        parts.append(_HEAD.pack(payload_size + 8, b"mdat"))
    for track in order:
        parts += by_track[track.number][1]
    return parts


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
    cluster (:attr:`Cluster.duration_ms`). Keyframes are sync samples, and
    every audio sample. ``sequence_number`` is the ``mfhd`` one (1, 2, ...
    in a stream). Tracks are checked as :func:`init_segment` does. Frame data
    is joined once, never copied per byte. O(tracks + frames).

    >>> from kvsim.media import generated_fragments
    >>> header, clusters = generated_fragments(count=1, duration=1.0, frame_rate=10, frame_size=8)
    >>> data = media_segment(header, clusters, sequence_number=1)
    >>> data[4:8], data.count(b"trun"), data[-8 * 10 - 4:-8 * 10]
    (b'moof', 1, b'mdat')
    """
    tracks = _checked_tracks(header)
    return b"".join(_segment_parts(tracks, clusters, sequence_number, base_ms))


def fragmented_mp4(
    header: Header, clusters: Iterable[Cluster], *, base_ms: int | None = None
) -> bytes:
    """A whole playable fragmented MP4: :func:`init_segment`, then one media segment per cluster.

    Sequence numbers count from 1; timestamps are the stream's own (ms),
    minus ``base_ms`` when given (GetClip's timeline starts at its first
    fragment). The tracks are checked once and the whole file is joined once
    (the same bytes as joining :func:`init_segment` and each
    :func:`media_segment`, one copy fewer). O(tracks + clusters + frames).

    >>> from kvsim.media import generated_fragments
    >>> header, clusters = generated_fragments(count=3, duration=1.0, frame_rate=10, frame_size=8)
    >>> fragmented_mp4(header, clusters).count(b"moof")
    3
    >>> header, clusters = generated_fragments(count=3, duration=1.0, frame_rate=10, start_ms=5000)
    >>> fragmented_mp4(header, clusters, base_ms=5000) == init_segment(header) + b"".join(
    ...     media_segment(header, [c], sequence_number=n, base_ms=5000)
    ...     for n, c in enumerate(clusters, 1))
    True
    """
    tracks = _checked_tracks(header)
    parts = [_init_segment(tracks)]
    for n, cluster in enumerate(clusters, 1):
        parts += _segment_parts(tracks, (cluster,), n, base_ms)
    return b"".join(parts)
