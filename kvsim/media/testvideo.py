"""Real H.264 test video, as MKV ready for PutMedia, byte-for-byte reproducible.

>>> from kvsim.media.mkv import read_mkv
>>> data = h264_test_video(duration=2.0, frame_rate=10, fragment_duration=1.0)
>>> data == h264_test_video(duration=2.0, frame_rate=10, fragment_duration=1.0)
True
>>> header, clusters = read_mkv(data)
>>> track = header.tracks[0]
>>> track.codec_id, track.pixel_width, track.pixel_height, track.codec_private[0]
('V_MPEG4/ISO/AVC', 320, 240, 1)
>>> [(c.timecode_ms, len(c.frames), c.duration_ms) for c in clusters]
[(0, 10, 1000), (1000, 10, 1000)]
>>> [f.keyframe for f in clusters[1].frames][:3]
[True, False, False]

Each picture is a mid-grey field with a white bar that moves with the frame
number, and the frame number and its time (``mm:ss.cc`` from the start)
drawn in the top left corner (a built-in 3x5 font, scaled), so a decoded
frame tells which one it is. ``audio=True`` adds an AAC track of a 1 kHz
tone (FFmpeg's native ``aac`` encoder, bit-exact, one thread). The
encoder is FFmpeg's ``libx264`` through PyAV (the optional extra ``media``,
``pip install 'kvsim[media]'``), run with one thread, no B-frames, preset
``ultrafast``, a constant quantiser of 22 (the fastest rate control), a
fixed GOP of one fragment and FFmpeg's bit-exact flag; kvsim's own
:func:`~kvsim.media.mkv.write_mkv` muxes the result (not FFmpeg's Matroska
muxer), so the same arguments give the same bytes with the same x264 build.
The module imports PyAV only when called: without the extra, importing it
works and calling it raises an ImportError naming the extra.
"""

from __future__ import annotations

import functools
import math
from array import array
from fractions import Fraction
from typing import Any, Final

from .mkv import Cluster, Frame, Header, Track, write_mkv

__all__ = ["h264_test_video"]

_AVC: Final = "V_MPEG4/ISO/AVC"
_MAX_CLUSTER_MS: Final = 32767  # a block's relative timecode is 16 bits of ms
_MAX_SIDE: Final = 4096
_MIN_SIDE: Final = 16
_MAX_FRAME_RATE: Final = 240
_BACKGROUND: Final = 96
_BAR: Final = 235
_INK: Final = 235
_PAPER: Final = 16
_CHROMA: Final = 128
_AAC: Final = "A_AAC"
_AUDIO_RATE: Final = 48_000
_AAC_FRAME: Final = 1024  # samples per AAC frame
_TONE_HZ: Final = 1_000

#: 3x5 digit glyphs, one string of 15 pixels ("#" on) per digit, row by row.
_DIGITS: Final = (
    "####.##.##.####",  # 0
    ".#.##..#..#.###",  # 1
    "###..#####..###",  # 2
    "###..####..####",  # 3
    "#.##.####..#..#",  # 4
    "####..###..####",  # 5
    "####..####.####",  # 6
    "###..#..#..#..#",  # 7
    "####.#####.####",  # 8
    "####.####..####",  # 9
)
#: The other glyphs of the time stamp.
_SIGNS: Final = {
    ":": "....#.....#....",
    ".": ".............#.",
    " ": "...............",
}
_GLYPHS: Final = {**{str(digit): glyph for digit, glyph in enumerate(_DIGITS)}, **_SIGNS}
_MISSING_AV: Final = "kvsim.media.testvideo needs PyAV to encode H.264: pip install 'kvsim[media]'"


def _count(seconds: float, frame_rate: int, name: str) -> int:
    """``seconds`` as a whole number of frames at ``frame_rate`` (ValueError otherwise)."""
    frames = seconds * frame_rate
    whole = round(frames)
    if whole < 1 or not math.isclose(frames, whole, rel_tol=0, abs_tol=1e-6):
        raise ValueError(
            f"{name} must be a positive whole number of frames at {frame_rate} fps, got {seconds!r}"
        )
    return whole


def _check_number(value: object, name: str, kind: type | tuple[type, ...]) -> None:
    if isinstance(value, bool) or not isinstance(value, kind):
        expected = "an int" if kind is int else "a number"
        raise TypeError(f"{name} must be {expected}, got {type(value).__name__}")


def _validate(
    duration: float, frame_rate: int, width: int, height: int, fragment_duration: float
) -> tuple[int, int]:
    """Check the arguments; return (frame count, frames per fragment)."""
    for name, value in (("duration", duration), ("fragment_duration", fragment_duration)):
        _check_number(value, name, (int, float))
        if not math.isfinite(value) or value <= 0:
            raise ValueError(f"{name} must be a positive finite number of seconds, got {value!r}")
    for name, value in (("frame_rate", frame_rate), ("width", width), ("height", height)):
        _check_number(value, name, int)
    if not 1 <= frame_rate <= _MAX_FRAME_RATE:
        raise ValueError(f"frame_rate must be between 1 and {_MAX_FRAME_RATE}, got {frame_rate}")
    for name, value in (("width", width), ("height", height)):
        if not _MIN_SIDE <= value <= _MAX_SIDE or value % 2:
            raise ValueError(
                f"{name} must be even and between {_MIN_SIDE} and {_MAX_SIDE}, got {value}"
            )
    total = _count(duration, frame_rate, "duration")
    per_fragment = _count(fragment_duration, frame_rate, "fragment_duration")
    if (per_fragment * 1000) // frame_rate > _MAX_CLUSTER_MS:
        raise ValueError(
            f"fragment_duration must be at most {_MAX_CLUSTER_MS / 1000} s, got {fragment_duration}"
        )
    return total, per_fragment


def _stamp(index: int, time_ms: int) -> str:
    """The text drawn into frame ``index`` at ``time_ms``: its number and ``mm:ss.cc``.

    >>> _stamp(1234, 61_234)
    '1234 01:01.23'
    """
    minutes, ms = divmod(time_ms, 60_000)
    return f"{index} {minutes:02d}:{ms // 1000:02d}.{ms % 1000 // 10:02d}"


@functools.lru_cache(maxsize=8)
def _cells(scale: int) -> dict[str, tuple[bytes, ...]]:
    """Each glyph's 5 pixel rows at ``scale``: 3 columns of ink or paper and one of
    spacing, ``4 * scale`` bytes each."""
    paper, ink = bytes([_PAPER]) * scale, bytes([_INK]) * scale
    return {
        char: tuple(
            b"".join(ink if pixel == "#" else paper for pixel in glyph[row * 3 : row * 3 + 3])
            + paper
            for row in range(5)
        )
        for char, glyph in _GLYPHS.items()
    }


def _luma(index: int, time_ms: int, width: int, height: int, stride: int) -> bytes:
    """The Y plane of frame ``index``: background, a moving bar, the frame number
    and the time. Rows are joined from cached glyph cells (no loop over pixels)."""
    scale = max(1, height // 40)
    background = bytes([_BACKGROUND]) * width
    bar_width = max(2, width // 16)
    step = max(1, width // 20)
    bar_x = (index * step) % (width - bar_width + 1)
    pad = bytes(stride - width)
    bar_row = background[:bar_x] + bytes([_BAR]) * bar_width + background[bar_x + bar_width :]
    cells = _cells(scale)
    text = _stamp(index, time_ms)
    margin = bytes([_PAPER]) * scale
    paper_width = min(width, len(text) * 4 * scale + scale)  # dark paper behind the text
    blank = (margin * (paper_width // scale + 1))[:paper_width] + background[paper_width:] + pad
    rows: list[bytes] = [blank] * scale  # a margin row, 5 glyph rows, a margin row
    for glyph_row in range(5):
        band = (margin + b"".join(cells[char][glyph_row] for char in text))[:paper_width]
        rows.extend([band + background[paper_width:] + pad] * scale)
    rows.extend([blank] * scale)
    rows = rows[:height]
    rows.extend([bar_row + pad] * (height - len(rows)))
    return b"".join(rows)


def _nal_units(annexb: bytes) -> list[bytes]:
    """The NAL units of an Annex B byte stream (start codes and trailing zeros dropped)."""
    units: list[bytes] = []
    start = annexb.find(b"\x00\x00\x01")
    while start >= 0:
        begin = start + 3
        nxt = annexb.find(b"\x00\x00\x01", begin)
        unit = annexb[begin : len(annexb) if nxt < 0 else nxt]
        if nxt >= 0:
            unit = unit.rstrip(b"\x00")
        if unit:
            units.append(unit)
        start = nxt
    return units


def _avcc(units: list[bytes]) -> bytes:
    """An ``avcC`` record (AVCDecoderConfigurationRecord) of the SPS and PPS in ``units``."""
    sps = [unit for unit in units if unit[0] & 0x1F == 7]
    pps = [unit for unit in units if unit[0] & 0x1F == 8]
    if not sps or not pps or sps[0][1] not in (66, 77, 88):
        raise RuntimeError("libx264 gave no usable SPS/PPS in its extradata")
    record = bytearray((1, sps[0][1], sps[0][2], sps[0][3], 0xFF, 0xE0 | len(sps)))
    for unit in sps:
        record += len(unit).to_bytes(2, "big") + unit
    record.append(len(pps))
    for unit in pps:
        record += len(unit).to_bytes(2, "big") + unit
    return bytes(record)


def _length_prefixed(annexb: bytes) -> bytes:
    """An Annex B access unit as the 4-byte length-prefixed NAL units ``avcC`` announces."""
    return b"".join(len(unit).to_bytes(4, "big") + unit for unit in _nal_units(annexb))


def _av() -> Any:
    """PyAV, or an ImportError naming the extra."""
    try:
        import av  # the optional extra, loaded when used
    except ImportError as missing:
        raise ImportError(_MISSING_AV) from missing
    return av


def _tone(samples: int) -> list[bytes]:
    """``samples`` of the test tone (a 1 kHz sine at a quarter of full scale, mono
    float32), as the planes of consecutive 1024-sample AAC frames (the last one
    padded with silence)."""
    period = _AUDIO_RATE // _TONE_HZ  # 48 samples: the tone repeats exactly
    cycle = array("f", (0.25 * math.sin(2 * math.pi * i / period) for i in range(period)))
    reps = -(-(_AAC_FRAME + period) // period)
    wave = (cycle * reps).tobytes()
    size = cycle.itemsize
    planes: list[bytes] = []
    for start in range(0, samples, _AAC_FRAME):
        count = min(_AAC_FRAME, samples - start)
        phase = start % period
        plane = wave[phase * size : (phase + count) * size]
        planes.append(plane + bytes((_AAC_FRAME - count) * size))
    return planes


def _encode_audio(samples: int) -> tuple[bytes, list[bytes]]:
    """Encode ``samples`` of the tone with FFmpeg's native ``aac`` encoder: the
    AudioSpecificConfig and the packets in order (the first is the encoder's
    priming frame)."""
    av = _av()
    context: Any = av.CodecContext.create("aac", "w")
    context.sample_rate = _AUDIO_RATE
    context.layout = "mono"
    context.format = "fltp"
    context.bit_rate = 64_000
    context.time_base = Fraction(1, _AUDIO_RATE)
    context.thread_count = 1
    context.flags |= av.codec.context.Flags.global_header  # AudioSpecificConfig in extradata
    context.options = {"flags": "+bitexact"}
    context.open()
    packets: list[Any] = []
    for index, plane in enumerate(_tone(samples)):
        frame = av.AudioFrame(format="fltp", layout="mono", samples=_AAC_FRAME)
        frame.sample_rate = _AUDIO_RATE
        frame.planes[0].update(plane)
        frame.pts = index * _AAC_FRAME
        frame.time_base = context.time_base
        packets.extend(context.encode(frame))
    packets.extend(context.encode(None))
    return bytes(context.extradata or b""), [bytes(packet) for packet in packets]


def _encode(
    total: int, per_fragment: int, frame_rate: int, width: int, height: int
) -> tuple[bytes, list[tuple[bytes, bool]]]:
    """Encode ``total`` frames: the ``avcC`` record and each frame's (data, keyframe)."""
    av = _av()
    if "libx264" not in av.codecs_available:
        raise RuntimeError("this PyAV build's FFmpeg has no libx264 encoder")
    context: Any = av.CodecContext.create("libx264", "w")
    context.width, context.height = width, height
    context.pix_fmt = "yuv420p"
    context.time_base = Fraction(1, frame_rate)
    context.framerate = Fraction(frame_rate, 1)
    context.gop_size = per_fragment
    context.max_b_frames = 0
    context.thread_count = 1
    context.flags |= av.codec.context.Flags.global_header  # SPS/PPS in extradata (Annex B)
    context.options = {
        "preset": "ultrafast",
        "tune": "zerolatency",
        "profile": "baseline",
        "flags": "+bitexact",
        "x264-params": (
            f"keyint={per_fragment}:min-keyint={per_fragment}:scenecut=0:bframes=0"
            ":threads=1:sliced-threads=0:rc-lookahead=0:sync-lookahead=0:repeat-headers=0:qp=22"
        ),
    }
    context.open()
    chroma = b""
    packets: list[Any] = []
    for index in range(total):
        frame = av.VideoFrame(width, height, "yuv420p")
        luma, blue, red = frame.planes
        luma.update(_luma(index, index * 1000 // frame_rate, width, height, luma.line_size))
        if len(chroma) != blue.buffer_size:
            chroma = bytes([_CHROMA]) * blue.buffer_size
        blue.update(chroma)
        red.update(chroma)
        frame.pts = index
        frame.time_base = context.time_base
        packets.extend(context.encode(frame))
    packets.extend(context.encode(None))
    extradata = bytes(context.extradata or b"")
    if extradata[:1] == b"\x01":  # already avcC (not what libx264 gives, but fine)
        record = extradata
        frames = [(bytes(packet), bool(packet.is_keyframe)) for packet in packets]
    else:
        record = _avcc(_nal_units(extradata))
        frames = [(_length_prefixed(bytes(packet)), bool(packet.is_keyframe)) for packet in packets]
    if [packet.pts for packet in packets] != list(range(total)):
        raise RuntimeError("libx264 did not return one packet per frame, in order")
    return record, frames


def h264_test_video(
    *,
    duration: float = 2.0,
    frame_rate: int = 10,
    width: int = 320,
    height: int = 240,
    fragment_duration: float = 1.0,
    audio: bool = False,
) -> bytes:
    """An MKV stream of ``duration`` seconds of H.264 video, for ``sim.put_media``.

    ``frame_rate`` frames a second of ``width`` x ``height`` pixels (even, 16 to
    4096); each Cluster is one fragment of ``fragment_duration`` seconds (the
    last one shorter when ``duration`` is not a multiple of it) and starts with
    a keyframe (IDR). Cluster timecodes start at 0 (send with
    ``timecode_type="RELATIVE"`` or shift them). Both durations must be whole
    numbers of frames. Frame ``i`` is at ``i * 1000 // frame_rate`` ms and shows
    ``i`` and that time as ``mm:ss.cc``.

    ``audio=True`` adds track 2, AAC-LC (FFmpeg's native ``aac`` encoder, 48 kHz
    mono, 64 kbit/s, bit-exact, one thread): a 1 kHz tone. Its codec private
    data is the AudioSpecificConfig; AAC frame ``k`` (1024 samples, the first
    being the encoder's priming frame) is at ``k * 1024 * 1000 // 48000`` ms,
    in the cluster whose span holds that time, interleaved with the video by
    timecode; the last audio frame of a cluster carries a BlockDuration that
    ends it with the cluster, so fragment durations stay those of the video.

    >>> from kvsim.media.mkv import read_mkv
    >>> header, clusters = read_mkv(h264_test_video(duration=1.0, audio=True))
    >>> [(t.number, t.codec_id, t.sampling_frequency, t.channels) for t in header.tracks][1]
    (2, 'A_AAC', 48000.0, 1)
    >>> [(f.track, f.timecode_ms) for f in clusters[0].frames][:4]
    [(1, 0), (2, 0), (2, 21), (2, 42)]
    >>> clusters[0].duration_ms, sum(f.track == 2 for f in clusters[0].frames)
    (1000, 47)

    Raises TypeError or ValueError for bad arguments, ImportError naming the
    extra when PyAV is missing.
    """
    total, per_fragment = _validate(duration, frame_rate, width, height, fragment_duration)
    if not isinstance(audio, bool):
        raise TypeError(f"audio must be a bool, got {type(audio).__name__}")
    record, encoded = _encode(total, per_fragment, frame_rate, width, height)
    tracks = [Track(1, 1, "video", _AVC, record, None, width, height)]
    sounds: list[tuple[int, bytes]] = []
    if audio:
        end_ms = total * 1000 // frame_rate
        config, packets = _encode_audio(-(-end_ms * _AUDIO_RATE // 1000))
        tracks.append(Track(2, 2, "audio", _AAC, config, None, None, None, float(_AUDIO_RATE), 1))
        for k, packet in enumerate(packets):
            at = k * _AAC_FRAME * 1000 // _AUDIO_RATE
            if at >= end_ms:
                break
            sounds.append((at, packet))
    header = Header(1_000_000, tuple(tracks), "kvsim test video")
    clusters: list[tuple[Cluster, tuple[()]]] = []
    next_sound = 0
    for first in range(0, total, per_fragment):
        last = min(total, first + per_fragment)
        start = first * 1000 // frame_rate
        end = last * 1000 // frame_rate
        frames = []
        for index in range(first, last):
            data, keyframe = encoded[index]
            if (index == first) != keyframe:
                raise RuntimeError(f"libx264 put a keyframe at frame {index}: not a cluster start")
            timecode = index * 1000 // frame_rate - start
            duration_ms = end - start - timecode if index == last - 1 else None
            frames.append(Frame(1, timecode, keyframe, data, duration_ms))
        if sounds:
            mine: list[Frame] = []
            while next_sound < len(sounds) and sounds[next_sound][0] < end:
                at, packet = sounds[next_sound]
                mine.append(Frame(2, at - start, True, packet))
                next_sound += 1
            if mine:
                tail = mine[-1]
                mine[-1] = Frame(
                    2, tail.timecode_ms, True, tail.data, end - start - tail.timecode_ms
                )
            # Interleaved by timecode, video first at a tie (a stable sort).
            frames = sorted(frames + mine, key=lambda frame: frame.timecode_ms)
        clusters.append((Cluster(start, tuple(frames), (), 0), ()))
    return b"".join(write_mkv(header, clusters))
