"""The media kvsim can package, and AWS's errors for the rest: codec ids, codec private data.

Standard library only. :func:`packaging_problem` checks a Matroska header
against AWS's media requirements for GetClip, HLS and DASH and names the AWS
error a service answers with; :func:`parse_avcc` and
:func:`parse_audio_specific_config` read the codec private data the packagers
(:mod:`kvsim.media.mp4`, :mod:`kvsim.media.mpegts`) need.

kvsim rules for codecs (AWS lists more than kvsim packages):

- Video is H.264 (``V_MPEG4/ISO/AVC``) only. AWS also accepts H.265
  (``V_MPEGH/ISO/HEVC``) for GetClip, HLS and DASH; kvsim does not package
  it and answers ``UnsupportedStreamMediaTypeException`` saying so.
- Audio is AAC (``A_AAC``) only. AWS accepts G.711 (``A_MS/ACM``) as track 2
  for GetClip and DASH; kvsim does not package it either (same error, saying
  so) when the caller lists it in ``audio_codecs``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from .mkv import Header, Track

__all__ = [
    "AAC",
    "AAC_CHANNELS",
    "AAC_FREQUENCIES",
    "AVC",
    "G711",
    "HEVC",
    "INVALID_CODEC_PRIVATE",
    "MISSING_CODEC_PRIVATE",
    "UNSUPPORTED_MEDIA_TYPE",
    "AacConfig",
    "AvcConfig",
    "PackagingError",
    "has_slices",
    "packaging_problem",
    "parse_audio_specific_config",
    "parse_avcc",
    "private_data_problem",
    "unsupported_problem",
]

AVC: Final = "V_MPEG4/ISO/AVC"
AAC: Final = "A_AAC"
#: The H.265 ids AWS's texts use (the Matroska one, and the HLS text's spelling).
HEVC: Final = ("V_MPEGH/ISO/HEVC", "V_MPEG/ISO/HEVC")
#: G.711 in Matroska (a WAVEFORMATEX codec private).
G711: Final = "A_MS/ACM"

#: The AWS error names :func:`packaging_problem` gives.
UNSUPPORTED_MEDIA_TYPE: Final = "UnsupportedStreamMediaTypeException"
MISSING_CODEC_PRIVATE: Final = "MissingCodecPrivateDataException"
INVALID_CODEC_PRIVATE: Final = "InvalidCodecPrivateDataException"

#: AAC sampling frequencies by samplingFrequencyIndex (ISO/IEC 14496-3 1.6.3.4).
AAC_FREQUENCIES: Final = (
    96000,
    88200,
    64000,
    48000,
    44100,
    32000,
    24000,
    22050,
    16000,
    12000,
    11025,
    8000,
    7350,
)
#: Channels by channelConfiguration (0: defined in the bitstream; 2 assumed).
AAC_CHANNELS: Final = (2, 1, 2, 3, 4, 5, 6, 8)


class PackagingError(ValueError):
    """Stored media kvsim cannot package: ``code`` is the AWS error a service answers with
    (:data:`UNSUPPORTED_MEDIA_TYPE`, :data:`MISSING_CODEC_PRIVATE`,
    :data:`INVALID_CODEC_PRIVATE`, or ``"InvalidMediaFrameException"`` for a
    frame whose NAL unit lengths overrun it), ``message`` its text.

    >>> error = PackagingError(MISSING_CODEC_PRIVATE, "Missing codec private data in fragment for track 1.")
    >>> isinstance(error, ValueError), error.code, str(error)
    (True, 'MissingCodecPrivateDataException', 'Missing codec private data in fragment for track 1.')
    """

    code: str
    message: str

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def __reduce__(self) -> tuple[type[PackagingError], tuple[str, str]]:
        return type(self), (self.code, self.message)


# -- codec private data ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AvcConfig:
    """What packaging needs of an ``avcC`` record (AVCDecoderConfigurationRecord)."""

    length_size: int  # bytes of each NAL unit's length prefix in the frames (1, 2 or 4)
    sps: tuple[bytes, ...]
    pps: tuple[bytes, ...]


@dataclass(frozen=True, slots=True)
class AacConfig:
    """What packaging needs of an AudioSpecificConfig (ISO/IEC 14496-3 1.6.2.1)."""

    object_type: int  # audioObjectType of the core (2 is AAC LC), SBR/PS signalling unwrapped
    frequency_index: int  # samplingFrequencyIndex of the core (15: explicit)
    sample_rate: int  # the core's sampling frequency in Hz
    channel_config: int  # channelConfiguration (0: in the bitstream)
    output_rate: int  # the decoded rate: the SBR extension's where signalled, else sample_rate


def parse_avcc(private: bytes) -> AvcConfig:
    """An ``avcC`` record's NAL length size and parameter sets; ValueError when malformed.

    >>> from kvsim.media import AVC_CODEC_PRIVATE
    >>> config = parse_avcc(AVC_CODEC_PRIVATE)
    >>> config.length_size, [s[0] & 0x1F for s in config.sps], [p[0] & 0x1F for p in config.pps]
    (4, [7], [8])
    >>> parse_avcc(b"\\x01\\x42\\x00")
    Traceback (most recent call last):
    ...
    ValueError: avcC record of 3 bytes is shorter than its 7-byte minimum
    """
    if len(private) < 7:
        raise ValueError(f"avcC record of {len(private)} bytes is shorter than its 7-byte minimum")
    if private[0] != 1:
        raise ValueError(f"avcC configurationVersion is {private[0]}, not 1")
    length_size = (private[4] & 3) + 1
    if length_size == 3:
        raise ValueError("avcC lengthSizeMinusOne is 2: NAL lengths are 1, 2 or 4 bytes")
    at = 5
    sets: list[tuple[bytes, ...]] = []
    for count_mask, kind, name in ((0x1F, 7, "SPS"), (0xFF, 8, "PPS")):
        if at >= len(private):
            raise ValueError(f"avcC record ends before its {name} count")
        count = private[at] & count_mask
        at += 1
        if count == 0:
            raise ValueError(f"avcC record has no {name}")
        units = []
        for _ in range(count):
            size = int.from_bytes(private[at : at + 2], "big")
            unit = private[at + 2 : at + 2 + size]
            if at + 2 > len(private) or size == 0 or len(unit) != size:
                raise ValueError(f"avcC record's {name} overruns its end")
            if unit[0] & 0x1F != kind:
                raise ValueError(f"avcC record's {name} has NAL unit type {unit[0] & 0x1F}")
            units.append(bytes(unit))
            at += 2 + size
        sets.append(tuple(units))
    return AvcConfig(length_size, sets[0], sets[1])


def has_slices(frame: bytes, length_size: int) -> bool:
    """Whether a length-prefixed H.264 access unit holds a coded slice (NAL unit
    types 1-5): what can decode to a picture. Filler, SEI or parameter sets
    alone cannot; neither can a frame whose lengths overrun it. O(NAL units).

    >>> has_slices(b"\\x00\\x00\\x00\\x02\\x65\\x88", 4), has_slices(b"\\x00\\x00\\x00\\x01\\x0c", 4)
    (True, False)
    """
    at, end = 0, len(frame)
    while at + length_size <= end:
        size = int.from_bytes(frame[at : at + length_size], "big")
        at += length_size
        if size == 0 or at + size > end:
            return False
        if 1 <= frame[at] & 0x1F <= 5:
            return True
        at += size
    return False


def parse_audio_specific_config(private: bytes) -> AacConfig:
    """An AudioSpecificConfig's object type, sampling frequency and channel configuration.

    Explicit SBR/PS signalling (object type 5 or 29) is unwrapped to the core
    object type, with the extension's rate as ``output_rate``. ValueError when
    malformed (too short, object type 0, a reserved frequency index or
    channel configuration).

    >>> c = parse_audio_specific_config(bytes.fromhex("1210"))
    >>> c.object_type, c.sample_rate, c.channel_config
    (2, 44100, 2)
    >>> c = parse_audio_specific_config(bytes.fromhex("2b1188"))  # HE-AAC: 24 kHz core, 48 kHz out
    >>> c.object_type, c.sample_rate, c.output_rate, c.channel_config
    (2, 24000, 48000, 2)
    """
    bits = int.from_bytes(private, "big")
    total = 8 * len(private)
    at = 0

    def take(n: int) -> int:
        nonlocal at
        if at + n > total:
            raise ValueError(f"AudioSpecificConfig of {len(private)} bytes ends early")
        at += n
        return (bits >> (total - at)) & ((1 << n) - 1)

    def object_type() -> int:
        kind = take(5)
        return 32 + take(6) if kind == 31 else kind

    def frequency() -> tuple[int, int]:
        index = take(4)
        if index == 15:
            return index, take(24)
        if index >= len(AAC_FREQUENCIES):
            raise ValueError(f"AudioSpecificConfig samplingFrequencyIndex {index} is reserved")
        return index, AAC_FREQUENCIES[index]

    kind = object_type()
    if kind == 0:
        raise ValueError("AudioSpecificConfig audioObjectType is 0 (null)")
    index, rate = frequency()
    if rate == 0:
        raise ValueError("AudioSpecificConfig sampling frequency is 0")
    channels = take(4)
    if channels > 7:
        raise ValueError(f"AudioSpecificConfig channelConfiguration {channels} is reserved")
    output = rate
    if kind in (5, 29):  # explicit SBR (HE-AAC) / PS (HE-AAC v2): the core follows
        output = frequency()[1]
        kind = object_type()
    return AacConfig(kind, index, rate, channels, output)


# -- checks -----------------------------------------------------------------------------------


def _missing(track: Track) -> tuple[str, str]:
    return (
        MISSING_CODEC_PRIVATE,
        f"Missing codec private data in fragment for track {track.number}.",
    )


def private_data_problem(track: Track) -> tuple[str, str] | None:
    """Missing or malformed codec private data of an H.264 or AAC track."""
    private = track.codec_private
    if not private:
        return _missing(track)
    try:
        if track.codec_id == AVC:
            parse_avcc(private)
        else:
            parse_audio_specific_config(private)
    except ValueError as error:
        return (
            INVALID_CODEC_PRIVATE,
            f"Invalid codec private data in fragment for track {track.number} ({track.codec_id}): {error}.",
        )
    return None


def unsupported_problem(track: Track, detail: str) -> tuple[str, str]:
    return (
        UNSUPPORTED_MEDIA_TYPE,
        f"Unsupported codec {track.codec_id!r} in track {track.number}: {detail}",
    )


def packaging_problem(
    header: Header,
    *,
    audio_codecs: Sequence[str] = (AAC,),
    audio_only: bool = False,
) -> tuple[str, str] | None:
    """Why a header's media cannot be packaged, as ``(AWS error name, message)``; None if it can.

    AWS's rules for GetClip, HLS and DASH: the first track is H.264
    (``V_MPEG4/ISO/AVC``), an optional second track is audio of
    ``audio_codecs`` (``("A_AAC",)`` for HLS; GetClip and DASH also list
    G.711, ``"A_MS/ACM"``); with ``audio_only`` (HLS), a lone ``A_AAC``
    track is accepted too. More than two tracks, or another codec, give
    :data:`UNSUPPORTED_MEDIA_TYPE`; so do H.265 and G.711, which AWS accepts
    but kvsim does not package (the message says so). A track without codec
    private data gives :data:`MISSING_CODEC_PRIVATE` (AWS's message), a
    malformed ``avcC`` or AudioSpecificConfig :data:`INVALID_CODEC_PRIVATE`.
    Codecs are checked before codec private data, track 1 before track 2.

    >>> from kvsim.media import AVC_CODEC_PRIVATE, Header, Track
    >>> video = Track(1, 1, "video", "V_MPEG4/ISO/AVC", AVC_CODEC_PRIVATE)
    >>> audio = Track(2, 2, "audio", "A_AAC", bytes.fromhex("1210"))
    >>> packaging_problem(Header(1_000_000, (video, audio))) is None
    True
    >>> packaging_problem(Header(1_000_000, (Track(1, 1, "video", "V_MPEG4/ISO/AVC", None),)))
    ('MissingCodecPrivateDataException', 'Missing codec private data in fragment for track 1.')
    >>> packaging_problem(Header(1_000_000, (Track(1, 1, "audio", "A_AAC", b"\\x12\\x10"),)))[0]
    'UnsupportedStreamMediaTypeException'
    >>> packaging_problem(Header(1_000_000, (Track(1, 1, "audio", "A_AAC", b"\\x12\\x10"),)), audio_only=True)
    """
    tracks = header.tracks
    if not tracks:
        return UNSUPPORTED_MEDIA_TYPE, "The fragments have no tracks."
    if len(tracks) > 2:
        return (
            UNSUPPORTED_MEDIA_TYPE,
            f"The fragments have {len(tracks)} tracks; at most 2 (video, then audio) are supported.",
        )
    first = tracks[0]
    if first.codec_id == AAC:
        if not audio_only or len(tracks) > 1:
            return unsupported_problem(
                first,
                "track 1 must be H.264 (V_MPEG4/ISO/AVC); audio-only A_AAC streams play with HLS only.",
            )
    elif first.codec_id in HEVC:
        return unsupported_problem(
            first, "kvsim packages H.264 (V_MPEG4/ISO/AVC) video, not H.265."
        )
    elif first.codec_id != AVC:
        return unsupported_problem(first, "track 1 must be H.264 (V_MPEG4/ISO/AVC).")
    if len(tracks) == 2:
        second = tracks[1]
        if second.codec_id not in audio_codecs:
            return unsupported_problem(
                second, f"track 2 must be audio of {', '.join(audio_codecs)}."
            )
        if second.codec_id == G711:
            return unsupported_problem(second, "kvsim packages AAC (A_AAC) audio, not G.711.")
        if second.codec_id != AAC:
            return unsupported_problem(second, "kvsim packages AAC (A_AAC) audio only.")
    for track in tracks:
        problem = private_data_problem(track)
        if problem is not None:
            return problem
    return None
