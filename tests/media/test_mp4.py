"""mp4's fragmented MP4 read by code no one here wrote: FFmpeg's MP4 demuxer, through PyAV."""

from __future__ import annotations

import dataclasses
import io
import itertools
from typing import Any

import pytest
from aac_tone import SAMPLES_PER_FRAME, aac_tone, audio_only, audio_track, frame_ms, with_audio

from kvsim.media import AVC_CODEC_PRIVATE, Cluster, Header, Track, generated_fragments
from kvsim.media.codecs import PackagingError, packaging_problem
from kvsim.media.mkv import read_mkv
from kvsim.media.mp4 import fragmented_mp4, init_segment, media_segment
from kvsim.media.testvideo import h264_test_video

av = pytest.importorskip("av")


def demuxed(data: bytes) -> tuple[Any, list[Any]]:
    container = av.open(io.BytesIO(data), format="mp4")
    packets = [packet for packet in container.demux() if packet.size]  # the last ones flush
    return container, packets


def _idr_slice(size: int) -> bytes:
    """A length-prefixed IDR slice NAL of ``size`` bytes: a slice header, then padding.

    FFmpeg's H.264 parser sets a packet's key flag from its content (the
    container's flag is dropped), and generated frames are filler NAL units,
    never key; an IDR slice header is enough for the parser to say key.
    """
    bits = "1" + "0001000" + "1" + "0000" + "1" + "0" + "0" + "1" + "010" + "1"
    bits += "0" * (-len(bits) % 8)
    body = b"\x65" + int(bits, 2).to_bytes(len(bits) // 8, "big")
    body += b"\xff" * (size - 4 - len(body))
    return (size - 4).to_bytes(4, "big") + body


def fragments(start_ms: int = 0) -> tuple[Header, list[Cluster]]:
    """3 fragments of 1 s at 10 fps, 100-byte frames, the keyframes IDR slices."""
    header, clusters = generated_fragments(
        count=3, duration=1.0, frame_rate=10, frame_size=100, start_ms=start_ms
    )
    idr = _idr_slice(100)
    frames = tuple(
        dataclasses.replace(frame, data=idr) if frame.keyframe else frame
        for frame in clusters[0].frames
    )
    return header, [dataclasses.replace(cluster, frames=frames) for cluster in clusters]


@pytest.mark.parametrize("start_ms", [0, 5000])
def test_pyav_plays_the_fragmented_mp4(start_ms: int) -> None:
    container, packets = demuxed(fragmented_mp4(*fragments(start_ms)))
    with container:
        (stream,) = container.streams
        assert stream.type == "video"
        assert stream.codec_context.name == "h264"
        assert (stream.codec_context.width, stream.codec_context.height) == (320, 240)
        assert stream.time_base == 1 / 1000 or str(stream.time_base) == "1/1000"
        assert len(packets) == 30
        assert [p.pts for p in packets] == [start_ms + 100 * i for i in range(30)]
        assert [p.dts for p in packets] == [start_ms + 100 * i for i in range(30)]
        assert [p.is_keyframe for p in packets] == [i % 10 == 0 for i in range(30)]
        assert {p.size for p in packets} == {100}
        assert {p.duration for p in packets} == {100}


def test_init_segment_then_a_media_segment_parses() -> None:
    header, clusters = fragments()
    data = init_segment(header) + media_segment(header, clusters[1:], sequence_number=7)
    container, packets = demuxed(data)
    with container:
        assert len(packets) == 20
        assert [p.pts for p in packets] == [1000 + 100 * i for i in range(20)]
        assert [p.is_keyframe for p in packets] == [i % 10 == 0 for i in range(20)]


def test_base_ms_moves_the_timeline() -> None:
    header, clusters = fragments(start_ms=5000)
    data = init_segment(header) + media_segment(header, clusters, sequence_number=1, base_ms=5000)
    container, packets = demuxed(data)
    with container:
        assert [p.pts for p in packets] == [100 * i for i in range(30)]
    with pytest.raises(ValueError, match="before base_ms"):
        media_segment(header, clusters, sequence_number=1, base_ms=5001)


def test_plain_generated_fragments_play_too() -> None:
    header, clusters = generated_fragments(count=3, duration=1.0, frame_rate=10, frame_size=100)
    container, packets = demuxed(fragmented_mp4(header, clusters))
    with container:
        assert [p.pts for p in packets] == [100 * i for i in range(30)]
        assert {p.size for p in packets} == {100}


def test_frame_data_is_carried_unchanged() -> None:
    header, clusters = fragments()
    container, packets = demuxed(fragmented_mp4(header, clusters))
    with container:
        expected = [frame.data for _ in clusters for frame in clusters[0].frames]
        assert [bytes(p) for p in packets] == expected


def test_sync_sample_flags_drive_seeking() -> None:
    """FFmpeg's index takes key samples from trun's flags: a seek lands on a fragment start."""
    container = av.open(io.BytesIO(fragmented_mp4(*fragments())), format="mp4")
    with container:
        stream = container.streams.video[0]
        container.seek(1500, stream=stream)
        first = next(p for p in container.demux(stream) if p.size)
        assert first.pts == 1000


@pytest.mark.parametrize("codec_id", ["V_MPEGH/ISO/HEVC", "V_VP8", "A_MS/ACM"])
def test_other_codecs_are_refused_by_name(codec_id: str) -> None:
    header, clusters = generated_fragments(count=1, codec_id=codec_id)
    for call in (
        lambda: init_segment(header),
        lambda: media_segment(header, clusters, sequence_number=1),
        lambda: fragmented_mp4(header, clusters),
    ):
        with pytest.raises(PackagingError, match=codec_id.replace("/", ".")) as raised:
            call()
        assert raised.value.code == "UnsupportedStreamMediaTypeException"


@pytest.mark.parametrize("codec_id", ["V_MPEG4/ISO/AVC", "A_AAC"])
def test_missing_codec_private_is_refused_with_aws_message(codec_id: str) -> None:
    header, clusters = fragments()
    track = dataclasses.replace(header.tracks[0], codec_id=codec_id, codec_private=None)
    header = dataclasses.replace(header, tracks=(track,))
    for call in (
        lambda: init_segment(header),
        lambda: media_segment(header, clusters, sequence_number=1),
        lambda: fragmented_mp4(header, clusters),
    ):
        with pytest.raises(ValueError) as raised:
            call()
        assert str(raised.value) == "Missing codec private data in fragment for track 1."
        assert isinstance(raised.value, PackagingError)
        assert raised.value.code == "MissingCodecPrivateDataException"


@pytest.mark.parametrize(
    ("codec_id", "private", "reason"),
    [
        ("V_MPEG4/ISO/AVC", b"\x01\x42\x00", "shorter than its 7-byte minimum"),
        ("V_MPEG4/ISO/AVC", b"\x00" + AVC_CODEC_PRIVATE[1:], "configurationVersion is 0"),
        ("V_MPEG4/ISO/AVC", AVC_CODEC_PRIVATE[:5] + b"\xe0\x01", "no SPS"),
        ("V_MPEG4/ISO/AVC", AVC_CODEC_PRIVATE[:-3], "PPS overruns"),
        ("A_AAC", b"\x12", "ends early"),
        ("A_AAC", b"\x07\x10", "audioObjectType is 0"),
        ("A_AAC", b"\x16\x90", "samplingFrequencyIndex 13 is reserved"),
        ("A_AAC", b"\x12\x40", "channelConfiguration 8 is reserved"),
    ],
)
def test_malformed_codec_private_is_invalid(codec_id: str, private: bytes, reason: str) -> None:
    header = Header(1_000_000, (Track(1, 1, "video", codec_id, private),))
    with pytest.raises(PackagingError, match=reason) as raised:
        init_segment(header)
    assert raised.value.code == "InvalidCodecPrivateDataException"
    assert str(raised.value).startswith("Invalid codec private data in fragment for track 1")
    assert packaging_problem(header, audio_only=True) == (raised.value.code, str(raised.value))


def test_a_frame_of_an_unknown_track_is_refused() -> None:
    header, clusters = generated_fragments(count=1, track_count=2)
    one_track = dataclasses.replace(header, tracks=header.tracks[:1])
    with pytest.raises(ValueError, match="track 2"):
        media_segment(one_track, clusters, sequence_number=1)


def test_two_tracks_play_with_their_own_samples() -> None:
    header, clusters = generated_fragments(
        count=2, duration=1.0, frame_rate=10, frame_size=50, track_count=2
    )
    container, packets = demuxed(fragmented_mp4(header, clusters))
    with container:
        assert len(container.streams) == 2
        for index in range(2):
            mine = [p for p in packets if p.stream.index == index]
            assert sorted(p.pts for p in mine) == [100 * i for i in range(20)]


def test_same_input_same_bytes() -> None:
    first = fragmented_mp4(*fragments())
    assert fragmented_mp4(*fragments()) == first
    header, clusters = fragments()
    assert media_segment(header, clusters, sequence_number=3) == media_segment(
        header, clusters, sequence_number=3
    )
    assert media_segment(header, clusters, sequence_number=3) != media_segment(
        header, clusters, sequence_number=4
    )


# -- AAC audio and the box tree ---------------------------------------------------------------


def boxes(data: bytes, start: int = 0, end: int | None = None) -> list[tuple[bytes, int, int]]:
    """(type, body start, body end) of the boxes between ``start`` and ``end``."""
    end = len(data) if end is None else end
    found = []
    while start < end:
        size = int.from_bytes(data[start : start + 4])
        kind = data[start + 4 : start + 8]
        head = 8
        if size == 1:
            size, head = int.from_bytes(data[start + 8 : start + 16]), 16
        assert size >= head and start + size <= end
        found.append((kind, start + head, start + size))
        start += size
    return found


def child(data: bytes, path: str, start: int = 0, end: int | None = None) -> tuple[int, int]:
    """The body of the first box at ``path`` ("moov/trak/mdia"), ``+4`` after a full box's kind."""
    for name in path.split("/"):
        skip = int(name[-1]) if name[-1].isdigit() else 0  # "trak1": the second trak
        kind = name.rstrip("0123456789").encode()
        matches = [(a, b) for k, a, b in boxes(data, start, end) if k == kind]
        start, end = matches[skip]
    return start, end


@pytest.fixture(scope="module")
def tone() -> tuple[bytes, list[bytes]]:
    return aac_tone(seconds=1.0)


@pytest.fixture(scope="module")
def video() -> tuple[Header, list[Cluster]]:
    return read_mkv(h264_test_video(duration=3.0, frame_rate=10, fragment_duration=1.0))


def test_the_aac_track_has_mp4a_esds_smhd_and_a_sound_handler(tone: Any) -> None:
    private, _ = tone
    header = Header(1_000_000, (fragments()[0].tracks[0], audio_track(private, 2)))
    data = init_segment(header)
    assert [k for k, _, _ in boxes(data)] == [b"ftyp", b"moov"]
    moov = child(data, "moov")
    assert [k for k, _, _ in boxes(data, *moov)] == [b"mvhd", b"trak", b"trak", b"mvex"]
    a, b = child(data, "moov/trak1")
    tkhd = child(data, "tkhd", a, b)
    assert int.from_bytes(data[tkhd[0] + 12 : tkhd[0] + 16]) == 2  # track_ID
    assert data[tkhd[0] + 36 : tkhd[0] + 38] == b"\x01\x00"  # volume 1.0
    hdlr = child(data, "mdia/hdlr", a, b)
    assert data[hdlr[0] + 8 : hdlr[0] + 12] == b"soun"
    mdhd = child(data, "mdia/mdhd", a, b)
    assert int.from_bytes(data[mdhd[0] + 12 : mdhd[0] + 16]) == 1000  # ms timescale
    minf = child(data, "mdia/minf", a, b)
    assert [k for k, _, _ in boxes(data, *minf)] == [b"smhd", b"dinf", b"stbl"]
    stsd = child(data, "stbl/stsd", *minf)
    (entry,) = boxes(data, stsd[0] + 8, stsd[1])
    assert entry[0] == b"mp4a"
    body = data[entry[1] : entry[2]]
    assert int.from_bytes(body[16:18]) == 2  # channelcount
    assert int.from_bytes(body[18:20]) == 16  # samplesize
    assert int.from_bytes(body[24:28]) == 44100 << 16  # samplerate, 16.16
    ((kind, es_start, es_end),) = boxes(data, entry[1] + 28, entry[2])
    assert kind == b"esds"
    es = data[es_start + 4 : es_end]  # after version and flags
    assert es[0] == 0x03 and es[1] == len(es) - 2  # ES_Descriptor
    decoder_config = es[5:]
    assert decoder_config[0] == 0x04 and decoder_config[2] == 0x40  # objectTypeIndication AAC
    assert decoder_config[3] >> 2 == 5  # audio stream
    specific = decoder_config[15:]
    assert specific[0] == 0x05 and specific[2 : 2 + specific[1]] == private
    assert es.endswith(b"\x06\x01\x02")  # SLConfigDescriptor


def test_sample_rate_and_channels_come_from_the_audio_specific_config_without_track_values() -> (
    None
):
    track = Track(1, 1, "audio", "A_AAC", bytes.fromhex("1188"))  # LC, 48 kHz, 1 channel
    data = init_segment(Header(1_000_000, (track,)))
    at = data.index(b"mp4a") + 4
    assert int.from_bytes(data[at + 16 : at + 18]) == 1
    assert int.from_bytes(data[at + 24 : at + 28]) == 48000 << 16


def test_audio_samples_are_all_sync_with_ms_durations(tone: Any) -> None:
    private, frames = tone
    header, clusters = audio_only(private, frames[:10], per_cluster=10)
    data = media_segment(header, clusters, sequence_number=1)
    trun = child(data, "moof/traf/trun")
    body = data[trun[0] : trun[1]]
    count = int.from_bytes(body[4:8])
    assert count == 10
    rows = [
        [int.from_bytes(body[12 + 16 * i + 4 * j : 16 + 16 * i + 4 * j]) for j in range(4)]
        for i in range(count)
    ]
    starts = [frame_ms(i) for i in range(11)]
    assert [r[0] for r in rows[:-1]] == [b - a for a, b in itertools.pairwise(starts[:10])]
    assert [r[1] for r in rows] == [len(f) for f in frames[:10]]
    assert {r[2] for r in rows} == {0x02000000}  # sync, depends on no other
    mdat = child(data, "mdat")
    assert data[mdat[0] : mdat[1]] == b"".join(frames[:10])


def test_pyav_decodes_video_and_aac_from_the_fragmented_mp4(video: Any, tone: Any) -> None:
    private, frames = tone
    header, clusters = with_audio(*video, private, frames)
    with av.open(io.BytesIO(fragmented_mp4(header, clusters)), format="mp4") as container:
        audio = container.streams.audio[0]
        assert audio.codec_context.name == "aac"
        assert (audio.codec_context.sample_rate, audio.codec_context.channels) == (44100, 2)
        pictures, sounds = [], []
        for frame in container.decode(video=0, audio=0):
            (pictures if isinstance(frame, av.VideoFrame) else sounds).append(frame)
    assert len(pictures) == 30
    assert [round(float(f.time), 6) for f in pictures] == [i / 10 for i in range(30)]
    assert len(sounds) == 45
    assert sum(f.samples for f in sounds) == 45 * SAMPLES_PER_FRAME
    assert [round(float(f.time), 6) for f in sounds] == [frame_ms(i) / 1000 for i in range(45)]
    end = float(sounds[-1].time) + sounds[-1].samples / 44100
    assert end == pytest.approx(45 * SAMPLES_PER_FRAME / 44100, abs=0.001)


def test_pyav_decodes_an_audio_only_mp4(tone: Any) -> None:
    private, frames = tone
    header, clusters = audio_only(private, frames, per_cluster=20)
    with av.open(io.BytesIO(fragmented_mp4(header, clusters)), format="mp4") as container:
        assert not container.streams.video
        sounds = list(container.decode(audio=0))
    assert {(f.sample_rate, f.layout.nb_channels) for f in sounds} == {(44100, 2)}
    assert [round(float(f.time), 6) for f in sounds] == [frame_ms(i) / 1000 for i in range(45)]


def test_pyav_decodes_every_real_h264_frame(video: Any) -> None:
    header, clusters = video
    with av.open(io.BytesIO(fragmented_mp4(header, clusters)), format="mp4") as container:
        decoded = list(container.decode(video=0))
    assert len(decoded) == 30
    assert [round(float(f.time), 6) for f in decoded] == [i / 10 for i in range(30)]


# -- packaging_problem: AWS's rules -----------------------------------------------------------

_AVC_TRACK = Track(1, 1, "video", "V_MPEG4/ISO/AVC", AVC_CODEC_PRIVATE)
_AAC_PRIVATE = bytes.fromhex("1210")


def _track(number: int, codec_id: str, private: bytes | None = b"\x00") -> Track:
    return Track(
        number, number, "audio" if codec_id.startswith("A_") else "video", codec_id, private
    )


@pytest.mark.parametrize(
    ("tracks", "options", "expected"),
    [
        ((_AVC_TRACK,), {}, None),
        ((_AVC_TRACK, _track(2, "A_AAC", _AAC_PRIVATE)), {}, None),
        ((_track(1, "A_AAC", _AAC_PRIVATE),), {"audio_only": True}, None),
        ((), {}, ("UnsupportedStreamMediaTypeException", "The fragments have no tracks.")),
        (
            (_track(1, "A_AAC", _AAC_PRIVATE),),
            {},
            (
                "UnsupportedStreamMediaTypeException",
                "Unsupported codec 'A_AAC' in track 1: track 1 must be H.264 (V_MPEG4/ISO/AVC);"
                " audio-only A_AAC streams play with HLS only.",
            ),
        ),
        (
            (_track(1, "V_MPEGH/ISO/HEVC"),),
            {},
            (
                "UnsupportedStreamMediaTypeException",
                "Unsupported codec 'V_MPEGH/ISO/HEVC' in track 1: kvsim packages H.264"
                " (V_MPEG4/ISO/AVC) video, not H.265.",
            ),
        ),
        (
            (_AVC_TRACK, _track(2, "A_MS/ACM")),
            {"audio_codecs": ("A_AAC", "A_MS/ACM")},
            (
                "UnsupportedStreamMediaTypeException",
                "Unsupported codec 'A_MS/ACM' in track 2: kvsim packages AAC (A_AAC) audio,"
                " not G.711.",
            ),
        ),
        (
            (_AVC_TRACK, _track(2, "A_MS/ACM")),
            {},
            (
                "UnsupportedStreamMediaTypeException",
                "Unsupported codec 'A_MS/ACM' in track 2: track 2 must be audio of A_AAC.",
            ),
        ),
        (
            (_AVC_TRACK, _track(2, "A_AAC", _AAC_PRIVATE), _track(3, "A_AAC", _AAC_PRIVATE)),
            {},
            (
                "UnsupportedStreamMediaTypeException",
                "The fragments have 3 tracks; at most 2 (video, then audio) are supported.",
            ),
        ),
        (
            (_AVC_TRACK, _track(2, "A_AAC", None)),
            {},
            (
                "MissingCodecPrivateDataException",
                "Missing codec private data in fragment for track 2.",
            ),
        ),
        (
            (dataclasses.replace(_AVC_TRACK, codec_private=b""), _track(2, "A_AAC", None)),
            {},
            (
                "MissingCodecPrivateDataException",
                "Missing codec private data in fragment for track 1.",
            ),
        ),
        (
            (_AVC_TRACK, _track(2, "A_AAC", b"\x12")),
            {},
            (
                "InvalidCodecPrivateDataException",
                "Invalid codec private data in fragment for track 2 (A_AAC):"
                " AudioSpecificConfig of 1 bytes ends early.",
            ),
        ),
    ],
)
def test_packaging_problem_follows_aws_rules(
    tracks: tuple[Track, ...], options: dict[str, Any], expected: tuple[str, str] | None
) -> None:
    assert packaging_problem(Header(1_000_000, tracks), **options) == expected


def test_packaging_errors_pickle_with_their_code() -> None:
    import pickle

    error = PackagingError("MissingCodecPrivateDataException", "Missing.")
    again = pickle.loads(pickle.dumps(error))
    assert (type(again), again.code, str(again)) == (PackagingError, error.code, "Missing.")
