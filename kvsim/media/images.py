"""Still images from stored H.264 fragments, for GetImages and image generation.

>>> output_size(1280, 720, None, None), output_size(1280, 720, 640, None)
((1280, 720), (640, 360))
>>> output_size(1280, 720, None, 90), output_size(1280, 720, 100, 100)
((160, 90), (100, 100))
>>> [jpeg_qscale(q) for q in (100, 95, 80, 50, 1)]
[1, 3, 7, 16, 31]

:func:`render_image` decodes a keyframe (and, optionally, the frames after it
up to the wanted one) of a track whose codec is ``V_MPEG4/ISO/AVC`` with
FFmpeg's H.264 decoder (the ``avcC`` record as extradata, each
length-prefixed frame as one packet, one thread), scales the last picture
it gives (FFmpeg's ``swscale``, bicubic) and encodes it as JPEG (FFmpeg's
``mjpeg``, full-range 4:2:0) or PNG (FFmpeg's ``png``, RGB 8-bit), with
FFmpeg's bit-exact flag: the same frames and options give the same bytes
with the same FFmpeg build. Media that gives no picture (no H.264 track,
kvsim's generated filler frames, a broken frame) gives ``None``, what
GetImages reports as ``MEDIA_ERROR``.

The size follows AWS's rules: with both ``width`` and ``height`` the image
is stretched to exactly that; with one, the other follows the source's
aspect ratio (rounded to the nearest pixel, at least 1, at most the bound);
with neither, the source's size. Bounds: 1-3840 x 1-2160.

JPEG quality (``JPEGQuality`` "1".."100", 80 by default) maps to the JPEG
encoder's quantiser scale (1 best, 31 worst) linearly, rounded to the
nearest: ``qscale = 1 + round((100 - quality) * 30 / 99)`` (kvsim rule;
AWS does not say how it encodes), so 100 → 1, 80 → 7, 1 → 31.

PyAV (the optional extra ``media``) is imported when a function needs it:
without it, :func:`render_image` raises an ImportError naming the extra,
``pip install 'kvsim[media]'``.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from typing import Any, Final

from .mkv import Frame, Header, Track

__all__ = [
    "AVC_CODEC_ID",
    "DEFAULT_JPEG_QUALITY",
    "FORMATS",
    "MAX_HEIGHT",
    "MAX_WIDTH",
    "MISSING_AV",
    "jpeg_qscale",
    "output_size",
    "render_image",
    "require_av",
    "video_track",
]

AVC_CODEC_ID: Final = "V_MPEG4/ISO/AVC"
MAX_WIDTH: Final = 3840
MAX_HEIGHT: Final = 2160
DEFAULT_JPEG_QUALITY: Final = 80
#: The image formats, with their file name extension.
FORMATS: Final = {"JPEG": "jpg", "PNG": "png"}
MISSING_AV: Final = "rendering images needs PyAV (FFmpeg): pip install 'kvsim[media]'"
_FF_QP2LAMBDA: Final = 118


def jpeg_qscale(quality: int) -> int:
    """The ``mjpeg`` quantiser scale (1-31) of a JPEG quality from 1 to 100 (see the module)."""
    if isinstance(quality, bool) or not isinstance(quality, int) or not 1 <= quality <= 100:
        raise ValueError(f"quality must be an int from 1 to 100, got {quality!r}")
    return 1 + ((100 - quality) * 30 * 2 + 99) // (2 * 99)


def _side(value: int | None, name: str, bound: int) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= bound:
        raise ValueError(f"{name} must be an int from 1 to {bound}, got {value!r}")


def output_size(
    source_width: int, source_height: int, width: int | None, height: int | None
) -> tuple[int, int]:
    """The size of an image of a ``source_width`` x ``source_height`` picture for the
    requested ``width`` and ``height`` (either may be None; see the module)."""
    _side(width, "width", MAX_WIDTH)
    _side(height, "height", MAX_HEIGHT)
    if width is not None and height is not None:
        return width, height
    if width is not None:
        scaled = (2 * width * source_height + source_width) // (2 * source_width)
        return width, min(MAX_HEIGHT, max(1, scaled))
    if height is not None:
        scaled = (2 * height * source_width + source_height) // (2 * source_height)
        return min(MAX_WIDTH, max(1, scaled)), height
    return min(MAX_WIDTH, source_width), min(MAX_HEIGHT, source_height)


def video_track(header: Header) -> Track | None:
    """The first H.264 video track of ``header`` with an ``avcC`` record, or None."""
    for track in header.tracks:
        if track.codec_id == AVC_CODEC_ID and track.codec_private:
            return track
    return None


def require_av() -> Any:
    """PyAV, or an ImportError naming the extra."""
    try:
        import av  # the optional extra, loaded when used
    except ImportError as missing:
        raise ImportError(MISSING_AV) from missing
    return av


def _decode(av: Any, track: Track, frames: Sequence[Frame]) -> Any | None:
    """The last picture the frames of ``track`` give, or None."""
    decoder: Any = av.CodecContext.create("h264", "r")
    decoder.extradata = track.codec_private
    decoder.thread_count = 1
    pictures: list[Any] = []
    try:
        for index, frame in enumerate(frames):
            if frame.track != track.number:
                continue
            packet = av.Packet(frame.data)
            packet.pts = index
            pictures.extend(decoder.decode(packet))
        pictures.extend(decoder.decode(None))
    except (av.FFmpegError, ValueError):
        return None
    return pictures[-1] if pictures else None


def _encode(av: Any, picture: Any, image_format: str, size: tuple[int, int], quality: int) -> bytes:
    width, height = size
    if image_format == "JPEG":
        pixels = "yuvj420p"
        encoder: Any = av.CodecContext.create("mjpeg", "w")
        encoder.qmin = encoder.qmax = jpeg_qscale(quality)
        encoder.global_quality = encoder.qmin * _FF_QP2LAMBDA
    else:
        pixels = "rgb24"
        encoder = av.CodecContext.create("png", "w")
    encoder.width, encoder.height = width, height
    encoder.pix_fmt = pixels
    encoder.time_base = Fraction(1, 1)
    encoder.thread_count = 1
    encoder.options = {"flags": "+bitexact"}
    encoder.open()
    scaled = picture.reformat(width=width, height=height, format=pixels, interpolation="BICUBIC")
    scaled.pts = 0
    packets = [*encoder.encode(scaled), *encoder.encode(None)]
    return b"".join(bytes(packet) for packet in packets)


def render_image(
    header: Header,
    frames: Sequence[Frame],
    *,
    image_format: str = "JPEG",
    width: int | None = None,
    height: int | None = None,
    quality: int = DEFAULT_JPEG_QUALITY,
) -> bytes | None:
    """An image (``image_format`` ``"JPEG"`` or ``"PNG"``) of the last picture that
    ``frames`` (a keyframe first, then the frames after it up to the wanted
    one; frames of other tracks are skipped) give, at the size the module's
    rules give for ``width`` and ``height``; None when they give no picture.
    ``quality`` (1-100) applies to JPEG. ValueError for bad options,
    ImportError naming the extra without PyAV.

    >>> from kvsim.media.mkv import read_mkv
    >>> from kvsim.media.testvideo import h264_test_video
    >>> header, clusters = read_mkv(h264_test_video(duration=1.0, width=160, height=90))
    >>> image = render_image(header, clusters[0].frames[:1], width=80)
    >>> image[:2], image[-2:]
    (b'\\xff\\xd8', b'\\xff\\xd9')
    >>> render_image(header, clusters[0].frames[:1], image_format="PNG")[:4]
    b'\\x89PNG'
    """
    if image_format not in FORMATS:
        raise ValueError(f"image_format must be 'JPEG' or 'PNG', got {image_format!r}")
    jpeg_qscale(quality)
    _side(width, "width", MAX_WIDTH)
    _side(height, "height", MAX_HEIGHT)
    av = require_av()
    track = video_track(header)
    if track is None:
        return None
    picture = _decode(av, track, frames)
    if picture is None:
        return None
    size = output_size(picture.width, picture.height, width, height)
    return _encode(av, picture, image_format, size, quality)
