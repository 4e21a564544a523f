"""MPEG-2 Transport Stream segments of stored Matroska fragments, for HLS ``MPEG_TS`` sessions.

Standard library only, no re-encoding. :func:`ts_segment` packages the
frames of some clusters as one self-contained segment (what an HLS session
of ``ContainerFormat=MPEG_TS`` serves for GetTSFragment): a PAT and a PMT,
then one PES per access unit, in the clusters' frame order.

>>> from kvsim.media import generated_fragments
>>> header, clusters = generated_fragments(count=1, duration=1.0, frame_rate=10, frame_size=500)
>>> data = ts_segment(header, clusters, sequence_number=0)
>>> len(data) % 188, data[::188] == b"G" * (len(data) // 188)
(0, True)
>>> [int.from_bytes(data[n * 188 + 1:n * 188 + 3]) & 0x1FFF for n in range(3)]  # PAT, PMT, video
[0, 4096, 256]

Layout (kvsim rules where the standard leaves a choice):

- PIDs: PAT 0, PMT :data:`PMT_PID` (0x1000), H.264 video :data:`VIDEO_PID`
  (0x100, stream_type 0x1B), AAC audio :data:`AUDIO_PID` (0x101,
  stream_type 0x0F, ADTS). The PCR is on the video PID, on the audio PID
  for audio-only streams.
- Times: a frame's PTS is its stored timestamp (cluster timecode plus frame
  timecode, minus ``base_ms``) times 90 (the 90 kHz clock), modulo 2^33. No
  DTS is written: frames are in decode order without B-frames, so DTS equals
  PTS (ISO/IEC 13818-1 2.4.3.7). Every video PES (every audio PES without
  video) starts with an adaptation field whose PCR equals its PTS, with
  random_access_indicator set on keyframes.
- H.264: the frames' length-prefixed NAL units (the ``avcC`` record's
  lengthSizeMinusOne) become Annex B (4-byte start codes), each access unit
  led by an access unit delimiter (unless it has one) and, before every
  keyframe, the ``avcC``'s SPS and PPS.
- AAC: each frame gets a 7-byte ADTS header built from the
  AudioSpecificConfig (AAC Main, LC, SSR or LTP cores; explicit HE-AAC
  signalling is written as its core, as ADTS does).
- One PES per access unit; video PES lengths are written when they fit 16
  bits (0 otherwise, as allowed for video). Stuffing goes in the adaptation
  field of a PES's first packet (first packets, for a spread PES); PSI packets are stuffed with 0xFF.
- Continuity counters start at ``sequence_number % 16`` on every PID, and
  every PID that has frames gets a packet count of 1 modulo 16 per segment
  (the last PES of the PID is spread over up to 15 more packets), so segment
  ``n + 1`` continues segment ``n`` on every PID. A segment without frames of
  a track (only PAT and PMT for it) breaks that PID's continuity; players
  treat it as a discontinuity.
"""

from __future__ import annotations

import itertools
import struct
from collections.abc import Iterable, Sequence
from typing import Final

from .codecs import (
    AAC,
    AAC_FREQUENCIES,
    AVC,
    UNSUPPORTED_MEDIA_TYPE,
    PackagingError,
    packaging_problem,
    parse_audio_specific_config,
    parse_avcc,
)
from .mkv import Cluster, Header

__all__ = ["AUDIO_PID", "PACKET_SIZE", "PMT_PID", "VIDEO_PID", "ts_segment"]

PACKET_SIZE: Final = 188
PMT_PID: Final = 0x1000
VIDEO_PID: Final = 0x100
AUDIO_PID: Final = 0x101
_PAYLOAD: Final = 184  # a packet's bytes after its 4-byte header
_PCR_FIELD: Final = 8  # adaptation_field_length, flags, 6 bytes of PCR
_MASK33: Final = (1 << 33) - 1
_START: Final = b"\x00\x00\x00\x01"
#: Access unit delimiter: NAL type 9, primary_pic_type 7 (any slice types).
_AUD: Final = _START + b"\x09\xf0"
_AUD_SIZE: Final = len(_AUD)
_STREAM_VIDEO: Final = 0xE0
_STREAM_AUDIO: Final = 0xC0
_INVALID_FRAME: Final = "InvalidMediaFrameException"

#: A piece of the output: bytes, or a slice of a frame's (joined once at the end).
_Piece = bytes | memoryview


def _crc_table() -> tuple[int, ...]:
    table = []
    for byte in range(256):
        crc = byte << 24
        for _ in range(8):
            crc = ((crc << 1) ^ 0x04C11DB7) if crc & 0x80000000 else crc << 1
        table.append(crc & 0xFFFFFFFF)
    return tuple(table)


_CRC_TABLE: Final = _crc_table()


def crc32_mpeg2(data: bytes) -> int:
    """The CRC-32 of MPEG-2 PSI sections (polynomial 0x04C11DB7, not reflected, no final xor).

    >>> hex(crc32_mpeg2(b"123456789"))
    '0x376e6e7'
    """
    crc = 0xFFFFFFFF
    table = _CRC_TABLE
    for byte in data:
        crc = ((crc << 8) & 0xFFFFFFFF) ^ table[(crc >> 24) ^ byte]
    return crc


def _section(table_id: int, extension: int, body: bytes) -> bytes:
    """A long-form PSI section (version 0, current, section 0 of 0) with its CRC."""
    head = bytes((table_id,)) + (0xB000 | (len(body) + 9)).to_bytes(2, "big")
    head += extension.to_bytes(2, "big") + b"\xc1\x00\x00"
    section = head + body
    return section + crc32_mpeg2(section).to_bytes(4, "big")


def _psi_packets(video: bool, audio: bool) -> tuple[bytes, bytes]:
    """The PAT and PMT packet payloads (pointer field, section, 0xFF stuffing)."""
    pat = _section(0x00, 1, (1).to_bytes(2, "big") + (0xE000 | PMT_PID).to_bytes(2, "big"))
    streams = b""
    if video:
        streams += b"\x1b" + (0xE000 | VIDEO_PID).to_bytes(2, "big") + b"\xf0\x00"
    if audio:
        streams += b"\x0f" + (0xE000 | AUDIO_PID).to_bytes(2, "big") + b"\xf0\x00"
    pcr_pid = VIDEO_PID if video else AUDIO_PID
    pmt = _section(0x02, 1, (0xE000 | pcr_pid).to_bytes(2, "big") + b"\xf0\x00" + streams)
    # A pointer field of 0, the section, 0xFF stuffing.
    return (b"\x00" + pat).ljust(_PAYLOAD, b"\xff"), (b"\x00" + pmt).ljust(_PAYLOAD, b"\xff")


_PSI: Final = {(v, a): _psi_packets(v, a) for v in (False, True) for a in (False, True)}


#: Headers of payload-only packets of a PID by continuity counter, cycled 64 times: a run of
#: up to 1,008 packets from any counter is one slice.
_CYCLES: Final = 64
_RUNS: Final = {
    pid: tuple(bytes((0x47, pid >> 8, pid & 0xFF, 0x10 | cc)) for cc in range(16)) * _CYCLES
    for pid in (VIDEO_PID, AUDIO_PID)
}
#: Headers of the first packet of a PES of a PID: by continuity counter, payload only;
#: then by counter, adaptation field and payload.
_FIRST: Final = {
    pid: tuple(
        bytes((0x47, 0x40 | pid >> 8, pid & 0xFF, control | cc))
        for control in (0x10, 0x30)
        for cc in range(16)
    )
    for pid in (VIDEO_PID, AUDIO_PID)
}
#: The whole adaptation field (its length byte included) of ``n`` bytes that only stuffs.
_STUFFING: Final = (b"", b"\x00", *(bytes((n - 1, 0)) + b"\xff" * (n - 2) for n in range(2, 185)))
_FF: Final = tuple(b"\xff" * n for n in range(185))
#: adaptation_field_length, flags (PCR, maybe random access), the PCR field as 32 + 16 bits.
_PCR_HEAD: Final = struct.Struct(">BBIH")
#: A PES header with a PTS only: start code and stream id, length, flags, PTS (1 + 2 + 2).
_PES_HEAD: Final = struct.Struct(">IH3sBHH")
_PES_FLAGS: Final = b"\x84\x80\x05"  # data_alignment_indicator; PTS only; 5 header bytes
_PES_HEAD_SIZE: Final = 14
#: 64 packet bodies at a time.
_BLOCK: Final = struct.Struct(f"{_PAYLOAD}s" * 64)


def _run(pid: int, cc: int, count: int) -> Sequence[bytes]:
    """Headers of ``count`` payload-only packets of ``pid``, continuity counters from ``cc``."""
    if count <= 16 * (_CYCLES - 1):
        return _RUNS[pid][cc : cc + count]
    return tuple(itertools.islice(itertools.cycle(_RUNS[pid][:16]), cc, cc + count))


def _pes_header(stream_id: int, pts: int, size: int) -> bytes:
    """A PES header with a PTS, for ``size`` bytes of elementary stream."""
    length = size + 8
    if length > 0xFFFF:
        length = 0  # unbounded: video only (audio frames are far smaller)
    return _PES_HEAD.pack(
        0x100 | stream_id,
        length,
        _PES_FLAGS,
        0x21 | ((pts >> 29) & 0x0E),
        ((pts >> 14) & 0xFFFE) | 1,
        ((pts << 1) & 0xFFFE) | 1,
    )


def _pcr_field(size: int, pcr: int, random_access: bool) -> list[bytes]:
    """An adaptation field of ``size`` bytes with a PCR (base ``pcr``, extension 0)."""
    pcr48 = (pcr & _MASK33) << 15 | 0x7E00  # 33 bits of base, 6 reserved, 9 of extension
    flags = 0x50 if random_access else 0x10
    return [_PCR_HEAD.pack(size - 1, flags, pcr48 >> 16, pcr48 & 0xFFFF), _FF[size - _PCR_FIELD]]


def _minimum(size: int, pcr: bool) -> int:
    """The fewest packets that carry a PES of ``size`` bytes."""
    first = _PAYLOAD - _PCR_FIELD if pcr else _PAYLOAD
    return 1 if size <= first else 1 + -(-(size - first) // _PAYLOAD)


def _spread(
    headers: list[bytes],
    body: list[_Piece],
    pes: bytes,
    pid: int,
    cc: int,
    pcr: int | None,
    random_access: bool,
    count: int,
) -> None:
    """Append ``count`` packets of ``pid`` carrying ``pes``: their headers, their 184-byte bodies.

    The general case (:func:`ts_segment` inlines the common one): the last
    packets are full (184 bytes of payload); the first ones carry the rest
    behind adaptation fields (the first one's with the PCR and
    random_access_indicator) that stuff them to 184 bytes.
    """
    size = len(pes)
    first_cap = _PAYLOAD - _PCR_FIELD if pcr is not None else _PAYLOAD
    full = min(count - 1, (size - count) // (_PAYLOAD - 1))
    rest = size - _PAYLOAD * full  # bytes of the head packets
    heads = count - full
    assert 1 <= heads <= rest <= first_cap + _PAYLOAD * (heads - 1)
    # Head packet payload sizes: 1 each, then the first filled, then the others.
    left = rest - heads
    sizes = [1] * heads
    take = min(first_cap - 1, left)
    sizes[0] += take
    left -= take
    for n in range(1, heads):
        take = min(_PAYLOAD - 1, left)
        sizes[n] += take
        left -= take
    at = 0
    high, low = pid >> 8, pid & 0xFF
    for n, length in enumerate(sizes):
        b1 = (0x40 | high) if n == 0 else high
        if n == 0 and pcr is not None:
            body += _pcr_field(_PAYLOAD - length, pcr, random_access)
        elif length < _PAYLOAD:
            body.append(_STUFFING[_PAYLOAD - length])
        headers.append(bytes((0x47, b1, low, (0x30 if length < _PAYLOAD else 0x10) | cc)))
        body.append(pes[at : at + length])
        at += length
        cc = (cc + 1) & 15
    if full:
        body.append(memoryview(pes)[at:])
        headers += _run(pid, cc, full)


def _interleave(headers: list[bytes], body: bytes) -> bytes:
    """The packets: each header, then its 184 bytes of ``body``."""
    count = len(headers)
    assert len(body) == _PAYLOAD * count
    whole = 64 * _PAYLOAD * (count // 64)
    chunks: list[_Piece] = list(
        itertools.chain.from_iterable(_BLOCK.iter_unpack(memoryview(body)[:whole]))
    )
    chunks += struct.unpack_from(f"{_PAYLOAD}s" * (count % 64), body, whole)
    pieces: list[_Piece] = [b""] * (2 * count)
    pieces[0::2] = headers
    pieces[1::2] = chunks
    return b"".join(pieces)


def _annex_b(data: bytes, length_size: int) -> list[_Piece]:
    """A frame's length-prefixed NAL units as Annex B pieces (start code, unit, ...)."""
    size = len(data)
    if length_size == 4 and size > 4 and int.from_bytes(data[:4], "big") == size - 4:
        return [_START, memoryview(data)[4:]]  # one NAL unit: the common case
    view = memoryview(data)
    pieces: list[_Piece] = []
    at = 0
    while at < size:
        length = int.from_bytes(data[at : at + length_size], "big")
        at += length_size
        if length == 0 or at + length > size:
            raise PackagingError(
                _INVALID_FRAME,
                f"A frame's NAL unit of {length} bytes at byte {at - length_size} overruns its {size} bytes.",
            )
        pieces += (_START, view[at : at + length])
        at += length
    return pieces


def _adts_header(track_private: bytes, number: int) -> int:
    """The ADTS header of a 0-byte frame, as an int of 56 bits (frame length added per frame)."""
    config = parse_audio_specific_config(track_private)
    if not 1 <= config.object_type <= 4:
        raise PackagingError(
            UNSUPPORTED_MEDIA_TYPE,
            f"Unsupported codec 'A_AAC' in track {number}: audio object type {config.object_type}"
            " has no ADTS profile (MPEG-TS carries AAC Main, LC, SSR or LTP).",
        )
    index = config.frequency_index
    if index == 15:  # explicit frequency: ADTS needs an index
        if config.sample_rate not in AAC_FREQUENCIES:
            raise PackagingError(
                UNSUPPORTED_MEDIA_TYPE,
                f"Unsupported codec 'A_AAC' in track {number}: sampling frequency"
                f" {config.sample_rate} Hz has no ADTS index.",
            )
        index = AAC_FREQUENCIES.index(config.sample_rate)
    return (
        (0xFFF1 << 40)  # syncword, MPEG-4, layer 0, no CRC
        | ((config.object_type - 1) << 38)
        | (index << 34)
        | (config.channel_config << 30)
        | (0x7FF << 2)  # buffer fullness: variable bit rate
    )


def ts_segment(
    header: Header,
    clusters: Iterable[Cluster],
    *,
    sequence_number: int,
    base_ms: int | None = None,
) -> bytes:
    """One MPEG-TS segment holding every frame of ``clusters`` (see the module's layout).

    The header must be what HLS accepts (:func:`~kvsim.media.codecs.packaging_problem`
    with ``audio_only=True``: track 1 H.264, optional track 2 AAC, or a lone
    AAC track), else :class:`~kvsim.media.codecs.PackagingError` (a ValueError)
    with the AWS error's name; a frame of another track, a frame earlier than
    ``base_ms`` (0 when ``None``: the stream's own timestamps), or a frame
    whose NAL unit lengths overrun it raise too. ``sequence_number`` (0 or
    more) sets the continuity counters, so segments ``n``, ``n + 1``, ...
    concatenate into one continuous stream. O(frames + bytes / 188).

    >>> from kvsim.media import generated_fragments
    >>> header, clusters = generated_fragments(count=2, duration=1.0, frame_rate=10, frame_size=8)
    >>> first = ts_segment(header, clusters[:1], sequence_number=5)
    >>> [(data[3] & 15) for data in (first[:188], first[188:376], first[376:])][:3]
    [5, 5, 5]
    >>> len(first) // 188  # PAT, PMT, 17 video packets (10 frames, the last one spread)
    19
    """
    if isinstance(sequence_number, bool) or not isinstance(sequence_number, int):
        raise TypeError(f"sequence_number must be an int, got {sequence_number!r}")
    if sequence_number < 0:
        raise ValueError(f"sequence_number must be 0 or more, got {sequence_number}")
    problem = packaging_problem(header, audio_only=True)
    if problem is not None:
        raise PackagingError(*problem)
    base = 0 if base_ms is None else base_ms
    tracks = header.tracks
    video = tracks[0] if tracks[0].codec_id == AVC else None
    audio = next((track for track in tracks if track.codec_id == AAC), None)
    start_cc = sequence_number & 15
    pat, pmt = _PSI[video is not None, audio is not None]
    headers = [
        bytes((0x47, 0x40, 0x00, 0x10 | start_cc)),
        bytes((0x47, 0x40 | PMT_PID >> 8, PMT_PID & 0xFF, 0x10 | start_cc)),
    ]
    body: list[_Piece] = [pat, pmt]
    video_number = video.number if video is not None else -1
    audio_number = audio.number if audio is not None else -1
    length_size = 4
    keyframe_prefix = b""
    if video is not None:
        assert video.codec_private is not None
        config = parse_avcc(video.codec_private)
        length_size = config.length_size
        keyframe_prefix = b"".join(_START + unit for unit in (*config.sps, *config.pps))
    prefix_size = len(keyframe_prefix)
    adts = 0
    if audio is not None:
        assert audio.codec_private is not None
        adts = _adts_header(audio.codec_private, audio.number)
    # First every PES's pieces, then the packets: the last PES of a PID is spread
    # so that the PID's packet count is 1 modulo 16.
    units: list[tuple[int, list[_Piece], int, int, bool]] = []  # pid, pieces, size, pts, key
    for cluster in clusters:
        offset = cluster.timecode_ms - base
        for frame in cluster.frames:
            at = offset + frame.timecode_ms
            if at < 0:
                raise ValueError(f"frame at {at + base} ms is before base_ms {base}")
            pts = (at * 90) & _MASK33
            track = frame.track
            data = frame.data
            if track == video_number:
                key = frame.keyframe
                total = len(data)
                if (
                    length_size == 4
                    and total > 4
                    and int.from_bytes(data[:4], "big") == total - 4
                    and data[4] & 0x1F != 9
                ):
                    # One NAL unit, no delimiter of its own: the common case, inline.
                    size = _AUD_SIZE + (prefix_size if key else 0) + total
                    pieces: list[_Piece] = [
                        _pes_header(_STREAM_VIDEO, pts, size),
                        _AUD,
                        keyframe_prefix if key else b"",
                        _START,
                        memoryview(data)[4:],
                    ]
                else:
                    nals = _annex_b(data, length_size) if data else []
                    es: list[_Piece] = [_AUD] if not nals or nals[1][0] & 0x1F != 9 else []
                    if key:
                        es.append(keyframe_prefix)
                    es += nals
                    size = sum(map(len, es))
                    pieces = [_pes_header(_STREAM_VIDEO, pts, size), *es]
                units.append((VIDEO_PID, pieces, size, pts, key))
            elif track == audio_number:
                size = len(data) + 7
                if size > 0x1FFF:
                    raise PackagingError(
                        _INVALID_FRAME,
                        f"An AAC frame of {len(data)} bytes does not fit an ADTS frame.",
                    )
                pieces = [
                    _pes_header(_STREAM_AUDIO, pts, size),
                    (adts | size << 13).to_bytes(7, "big"),
                    data,
                ]
                units.append((AUDIO_PID, pieces, size, pts, True))
            else:
                raise ValueError(f"frame of track {track}, which the header does not have")
    pcr_pid = VIDEO_PID if video is not None else AUDIO_PID
    last = {unit[0]: n for n, unit in enumerate(units)}
    counts = {VIDEO_PID: 0, AUDIO_PID: 0}
    for n, (pid, pieces, size, pts, key) in enumerate(units):
        timed = pid == pcr_pid
        done = counts[pid]
        cc = (start_cc + done) & 15
        length = _PES_HEAD_SIZE + size
        field = -length % _PAYLOAD  # adaptation field bytes that make whole packets
        count = (field + length) // _PAYLOAD
        if (timed and field < _PCR_FIELD) or (last[pid] == n and (done + count) & 15 != 1):
            # The PCR does not fit beside the stuffing, or the PID's last PES needs more
            # packets: the general case.
            count = _minimum(length, timed)
            if last[pid] == n:
                count += (1 - done - count) & 15
            pcr = pts if timed else None
            _spread(headers, body, b"".join(pieces), pid, cc, pcr, key and timed, count)
        else:
            # One adaptation field (or none) in the first packet, full packets after it.
            if timed:
                body += _pcr_field(field, pts, key)
            elif field:
                body.append(_STUFFING[field])
            body += pieces
            headers.append(_FIRST[pid][cc | 16 if field else cc])
            if count > 1:
                headers += _run(pid, (cc + 1) & 15, count - 1)
        counts[pid] = done + count
    return _interleave(headers, b"".join(body))
