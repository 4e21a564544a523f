"""kvsim.media.mpegts: the packets' structure read here, and the segments decoded by FFmpeg
(PyAV): real H.264 from kvsim.media.testvideo, real AAC from FFmpeg's encoder."""

from __future__ import annotations

import dataclasses
import io
import itertools
from typing import Any

import pytest
from aac_tone import SAMPLES_PER_FRAME, aac_tone, audio_only, frame_ms, with_audio
from hypothesis import given, settings
from hypothesis import strategies as st

from kvsim.media import AVC_CODEC_PRIVATE, Cluster, Frame, Header, Track, generated_fragments
from kvsim.media.codecs import PackagingError, parse_avcc
from kvsim.media.mkv import read_mkv
from kvsim.media.mpegts import AUDIO_PID, PMT_PID, VIDEO_PID, crc32_mpeg2, ts_segment
from kvsim.media.testvideo import h264_test_video

# -- a small reader of what ts_segment writes ------------------------------------------------


@dataclasses.dataclass
class Packet:
    pid: int
    start: bool  # payload_unit_start_indicator
    cc: int
    adaptation: bytes  # the adaptation field after its length byte (b"" without one)
    payload: bytes


def packets(data: bytes) -> list[Packet]:
    assert len(data) % 188 == 0
    out = []
    for at in range(0, len(data), 188):
        p = data[at : at + 188]
        assert p[0] == 0x47
        control = (p[3] >> 4) & 3
        assert control in (1, 3)  # every packet carries payload
        body = p[4:]
        adaptation = b""
        if control == 3:
            adaptation = body[1 : 1 + body[0]]
            body = body[1 + body[0] :]
            if adaptation:
                assert adaptation[0] & 0xAF == 0  # only PCR and random_access flags, if any
                stuffing = adaptation[7:] if adaptation[0] & 0x10 else adaptation[1:]
                assert set(stuffing) <= {0xFF}
            assert body  # stuffing never fills a whole packet
        out.append(
            Packet(((p[1] & 0x1F) << 8) | p[2], bool(p[1] & 0x40), p[3] & 15, adaptation, body)
        )
    return out


def pes_units(found: list[Packet], pid: int) -> list[bytes]:
    """The PES packets of ``pid``, reassembled."""
    units: list[bytearray] = []
    for p in found:
        if p.pid != pid:
            continue
        if p.start:
            units.append(bytearray())
        units[-1] += p.payload
    return [bytes(u) for u in units]


def pes_pts(pes: bytes) -> tuple[int, bytes]:
    """(PTS, elementary stream bytes) of a PES with a PTS only."""
    assert pes[:3] == b"\x00\x00\x01"
    assert pes[7] >> 6 == 2  # PTS, no DTS
    header_length = pes[8]
    b = pes[9:14]
    pts = (
        ((b[0] >> 1) & 7) << 30 | (int.from_bytes(b[1:3]) >> 1) << 15 | int.from_bytes(b[3:5]) >> 1
    )
    length = int.from_bytes(pes[4:6])
    es = pes[9 + header_length :]
    if length:
        assert length == len(pes) - 6
    return pts, es


def pcr_of(p: Packet) -> int | None:
    if len(p.adaptation) >= 7 and p.adaptation[0] & 0x10:
        return int.from_bytes(p.adaptation[1:7]) >> 15
    return None


def section(payload: bytes) -> bytes:
    pointer = payload[0]
    body = payload[1 + pointer :]
    length = int.from_bytes(body[1:3]) & 0x0FFF
    whole = body[: 3 + length]
    assert crc32_mpeg2(whole[:-4]) == int.from_bytes(whole[-4:])
    assert set(body[3 + length :]) <= {0xFF}
    return whole


def nal_types(es: bytes) -> list[int]:
    """NAL unit types of an Annex B stream with 4-byte start codes."""
    parts = es.split(b"\x00\x00\x00\x01")
    assert parts[0] == b""
    return [unit[0] & 0x1F for unit in parts[1:]]


@pytest.fixture(scope="module")
def video() -> tuple[Header, list[Cluster]]:
    """3 s of real H.264 at 10 fps, fragments of 1 s."""
    pytest.importorskip("av")
    return read_mkv(h264_test_video(duration=3.0, frame_rate=10, fragment_duration=1.0))


@pytest.fixture(scope="module")
def tone() -> tuple[bytes, list[bytes]]:
    pytest.importorskip("av")
    return aac_tone(seconds=1.0)


def segments(header: Header, clusters: list[Cluster], first: int = 0) -> bytes:
    return b"".join(
        ts_segment(header, [c], sequence_number=first + n) for n, c in enumerate(clusters)
    )


# -- structure --------------------------------------------------------------------------------


def test_pat_and_pmt_lead_and_name_the_streams() -> None:
    header, clusters = generated_fragments(count=1, duration=1.0, frame_rate=10, frame_size=64)
    private = bytes.fromhex("1210")
    track = Track(2, 2, "audio", "A_AAC", private, None, None, None, 44100.0, 2)
    header = dataclasses.replace(header, tracks=(*header.tracks, track))
    found = packets(ts_segment(header, clusters, sequence_number=0))
    assert [p.pid for p in found[:2]] == [0, PMT_PID]
    assert found[0].start and found[1].start
    pat = section(found[0].payload)
    assert pat[0] == 0x00 and int.from_bytes(pat[3:5]) == 1  # transport_stream_id
    assert int.from_bytes(pat[8:10]) == 1 and int.from_bytes(pat[10:12]) & 0x1FFF == PMT_PID
    pmt = section(found[1].payload)
    assert pmt[0] == 0x02 and int.from_bytes(pmt[8:10]) & 0x1FFF == VIDEO_PID  # PCR PID
    streams = pmt[12:-4]
    assert [(streams[i], int.from_bytes(streams[i + 1 : i + 3]) & 0x1FFF) for i in (0, 5)] == [
        (0x1B, VIDEO_PID),
        (0x0F, AUDIO_PID),
    ]
    assert {p.pid for p in found[2:]} == {VIDEO_PID}  # generated clusters hold no audio frames


def test_video_pes_has_the_frame_times_at_90_khz_and_a_pcr(video: Any) -> None:
    header, clusters = video
    found = packets(ts_segment(header, clusters[1:2], sequence_number=1))
    units = pes_units(found, VIDEO_PID)
    assert len(units) == 10
    assert [pes_pts(u)[0] for u in units] == [90 * (1000 + 100 * i) for i in range(10)]
    starts = [p for p in found if p.pid == VIDEO_PID and p.start]
    assert [pcr_of(p) for p in starts] == [90 * (1000 + 100 * i) for i in range(10)]
    assert [bool(p.adaptation[0] & 0x40) for p in starts] == [i == 0 for i in range(10)]
    found = packets(ts_segment(header, clusters[1:2], sequence_number=1, base_ms=1000))
    assert [pes_pts(u)[0] for u in pes_units(found, VIDEO_PID)] == [9000 * i for i in range(10)]


def test_h264_becomes_annex_b_with_aud_and_parameter_sets_before_keyframes(video: Any) -> None:
    header, clusters = video
    config = parse_avcc(header.tracks[0].codec_private)
    units = pes_units(packets(ts_segment(header, clusters[:1], sequence_number=0)), VIDEO_PID)
    for i, (unit, frame) in enumerate(zip(units, clusters[0].frames, strict=True)):
        es = pes_pts(unit)[1]
        assert es.startswith(b"\x00\x00\x00\x01\x09\xf0")
        slices = es.split(b"\x00\x00\x00\x01")[2:]
        if i == 0:
            assert slices[:2] == [config.sps[0], config.pps[0]]
            slices = slices[2:]
        assert nal_types(es)[0] == 9
        # The frame's own NAL units, unchanged, each after a start code.
        own, at = [], 0
        while at < len(frame.data):
            size = int.from_bytes(frame.data[at : at + 4])
            own.append(frame.data[at + 4 : at + 4 + size])
            at += 4 + size
        assert slices == own


def test_adts_headers_come_from_the_audio_specific_config(tone: Any) -> None:
    private, frames = tone
    header, clusters = audio_only(private, frames[:10])
    found = packets(ts_segment(header, clusters, sequence_number=0))
    pmt = section(found[1].payload)
    assert int.from_bytes(pmt[8:10]) & 0x1FFF == AUDIO_PID  # audio-only: PCR on audio
    units = pes_units(found, AUDIO_PID)
    assert len(units) == 10
    for i, unit in enumerate(units):
        pts, es = pes_pts(unit)
        assert pts == 90 * frame_ms(i)
        adts = int.from_bytes(es[:7])
        assert adts >> 44 == 0xFFF and (adts >> 40) & 0xF == 1  # sync, MPEG-4, no CRC
        assert (adts >> 38) & 3 == 1  # AAC LC
        assert (adts >> 34) & 0xF == 4  # 44,100 Hz
        assert (adts >> 30) & 7 == 2  # stereo
        assert (adts >> 13) & 0x1FFF == len(frames[i]) + 7
        assert es[7:] == frames[i]
        assert int.from_bytes(unit[4:6]) == len(unit) - 6  # audio PES lengths are exact
    assert [pcr_of(p) for p in found if p.pid == AUDIO_PID and p.start] == [
        90 * frame_ms(i) for i in range(10)
    ]


def test_continuity_counters_continue_across_consecutive_segments(video: Any, tone: Any) -> None:
    header, clusters = with_audio(*video, *tone)
    found = packets(segments(header, clusters, first=14))
    for pid in (0, PMT_PID, VIDEO_PID, AUDIO_PID):
        ccs = [p.cc for p in found if p.pid == pid]
        assert ccs[0] == 14
        assert all((b - a) & 15 == 1 for a, b in itertools.pairwise(ccs)), pid
    one = packets(ts_segment(header, clusters[:1], sequence_number=3))
    assert sum(p.pid == VIDEO_PID for p in one) % 16 == 1
    assert sum(p.pid == AUDIO_PID for p in one) % 16 == 1


def test_a_big_keyframe_spans_many_packets_with_an_unbounded_pes() -> None:
    size = 100_000
    data = (size - 4).to_bytes(4) + b"\x65" + b"\x11" * (size - 5)
    header, _ = generated_fragments(count=1)
    cluster = Cluster(0, (Frame(1, 0, True, data, 33),), (), 0)
    found = packets(ts_segment(header, [cluster], sequence_number=0))
    (unit,) = pes_units(found, VIDEO_PID)
    assert int.from_bytes(unit[4:6]) == 0  # too long for 16 bits
    es = pes_pts(unit)[1]
    assert es.endswith(data[4:]) and nal_types(es) == [9, 7, 8, 5]


def test_other_nal_length_sizes_convert() -> None:
    config = AVC_CODEC_PRIVATE[:4] + bytes((0xFC | 1,)) + AVC_CODEC_PRIVATE[5:]  # 2-byte lengths
    header, _ = generated_fragments(count=1)
    header = dataclasses.replace(
        header, tracks=(dataclasses.replace(header.tracks[0], codec_private=config),)
    )
    data = b"\x00\x03\x65\x88\x80" + b"\x00\x02\x06\x05"
    cluster = Cluster(0, (Frame(1, 0, False, data, 33),), (), 0)
    es = pes_pts(
        pes_units(packets(ts_segment(header, [cluster], sequence_number=0)), VIDEO_PID)[0]
    )[1]
    assert (
        es == b"\x00\x00\x00\x01\x09\xf0" + b"\x00\x00\x00\x01\x65\x88\x80\x00\x00\x00\x01\x06\x05"
    )


@pytest.mark.parametrize("audio", [False, True])
def test_every_pes_length_modulo_184_packs(audio: bool) -> None:
    """PES lengths of every residue: the PCR beside little stuffing, the spread last PES."""
    if audio:
        header = Header(1_000_000, (Track(1, 1, "audio", "A_AAC", bytes.fromhex("1210")),))
    else:
        header, _ = generated_fragments(count=1)
    for size in range(1, 400):
        data = b"\x01" * size if audio else (size + 1).to_bytes(4) + b"\x41" + b"\x01" * size
        small = b"\x01" * 5 if audio else b"\x00\x00\x00\x02\x41\x01"
        frames = (Frame(1, 0, True, data), Frame(1, 40, False, small))
        found = packets(ts_segment(header, [Cluster(0, frames, (), 0)], sequence_number=size))
        pid = AUDIO_PID if audio else VIDEO_PID
        ccs = [p.cc for p in found if p.pid == pid]
        assert ccs == [(size + i) & 15 for i in range(len(ccs))] and len(ccs) % 16 == 1
        units = [pes_pts(u) for u in pes_units(found, pid)]
        assert [pts for pts, _ in units] == [0, 3600]
        if audio:
            assert [es[7:] for _, es in units] == [f.data for f in frames]
        else:
            assert units[0][1].endswith(b"\x00\x00\x00\x01" + data[4:])
        starts = [p for p in found if p.pid == pid and p.start]
        assert [pcr_of(p) for p in starts] == [0, 3600]


def test_same_input_same_bytes(video: Any) -> None:
    header, clusters = video
    assert segments(header, clusters) == segments(header, clusters)
    assert ts_segment(header, clusters, sequence_number=1) != ts_segment(
        header, clusters, sequence_number=2
    )


# -- decoded by FFmpeg ------------------------------------------------------------------------


def test_pyav_decodes_every_video_frame_at_its_time(video: Any) -> None:
    av = pytest.importorskip("av")
    header, clusters = video
    with av.open(io.BytesIO(segments(header, clusters)), format="mpegts") as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264"
        assert (stream.codec_context.width, stream.codec_context.height) == (320, 240)
        decoded = list(container.decode(stream))
    assert len(decoded) == 30
    assert [round(float(f.time), 6) for f in decoded] == [i / 10 for i in range(30)]
    assert [f.key_frame for f in decoded] == [i % 10 == 0 for i in range(30)]


def test_pyav_decodes_video_and_aac_audio(video: Any, tone: Any) -> None:
    av = pytest.importorskip("av")
    private, frames = tone
    header, clusters = with_audio(*video, private, frames)
    with av.open(io.BytesIO(segments(header, clusters)), format="mpegts") as container:
        audio = container.streams.audio[0]
        assert audio.codec_context.name == "aac"
        assert (audio.codec_context.sample_rate, audio.codec_context.channels) == (44100, 2)
        pictures, sounds = [], []
        for frame in container.decode(video=0, audio=0):
            (pictures if isinstance(frame, av.VideoFrame) else sounds).append(frame)
    assert len(pictures) == 30
    assert [round(float(f.time), 6) for f in pictures] == [i / 10 for i in range(30)]
    assert len(sounds) == len(frames) == 45
    assert sum(f.samples for f in sounds) == 45 * SAMPLES_PER_FRAME
    assert [round(float(f.time), 6) for f in sounds] == [frame_ms(i) / 1000 for i in range(45)]
    end = float(sounds[-1].time) + sounds[-1].samples / 44100
    assert end == pytest.approx(45 * SAMPLES_PER_FRAME / 44100, abs=0.001)


def test_pyav_decodes_an_audio_only_stream(tone: Any) -> None:
    av = pytest.importorskip("av")
    private, frames = tone
    header, clusters = audio_only(private, frames, per_cluster=20)
    assert len(clusters) == 3
    with av.open(io.BytesIO(segments(header, clusters)), format="mpegts") as container:
        assert not container.streams.video
        sounds = list(container.decode(audio=0))
    assert {(f.sample_rate, f.layout.nb_channels) for f in sounds} == {(44100, 2)}
    assert [round(float(f.time), 6) for f in sounds] == [frame_ms(i) / 1000 for i in range(45)]


# -- refusals ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("codec_id", "private", "code"),
    [
        ("V_MPEGH/ISO/HEVC", b"\x01", "UnsupportedStreamMediaTypeException"),
        ("V_VP8", None, "UnsupportedStreamMediaTypeException"),
        ("V_MPEG4/ISO/AVC", None, "MissingCodecPrivateDataException"),
        ("V_MPEG4/ISO/AVC", b"\x01\x42", "InvalidCodecPrivateDataException"),
    ],
)
def test_what_hls_refuses_raises_with_the_aws_error(
    codec_id: str, private: bytes | None, code: str
) -> None:
    header = Header(1_000_000, (Track(1, 1, "video", codec_id, private),))
    with pytest.raises(PackagingError) as raised:
        ts_segment(header, [], sequence_number=0)
    assert raised.value.code == code
    if code == "MissingCodecPrivateDataException":
        assert str(raised.value) == "Missing codec private data in fragment for track 1."


def test_bad_frames_and_arguments_are_refused() -> None:
    header, clusters = generated_fragments(count=1, duration=1.0, frame_rate=10, frame_size=64)
    with pytest.raises(ValueError, match="before base_ms"):
        ts_segment(header, clusters, sequence_number=0, base_ms=1)
    with pytest.raises(ValueError, match="0 or more"):
        ts_segment(header, clusters, sequence_number=-1)
    stray = Cluster(0, (Frame(3, 0, True, b"\x00"),), (), 0)
    with pytest.raises(ValueError, match="track 3"):
        ts_segment(header, [stray], sequence_number=0)
    overrun = Cluster(0, (Frame(1, 0, True, b"\x00\x00\x00\x09\x65"),), (), 0)
    with pytest.raises(PackagingError) as raised:
        ts_segment(header, [overrun], sequence_number=0)
    assert raised.value.code == "InvalidMediaFrameException"


def test_no_frames_gives_pat_and_pmt_only() -> None:
    header, _ = generated_fragments(count=1)
    data = ts_segment(header, [], sequence_number=7)
    assert [(p.pid, p.cc) for p in packets(data)] == [(0, 7), (PMT_PID, 7)]


# -- properties -------------------------------------------------------------------------------

_nal = st.binary(min_size=1, max_size=600).map(lambda b: bytes((0x41,)) + b)


@st.composite
def _streams(draw: st.DrawFn) -> tuple[Header, list[Cluster], bool]:
    with_audio_track = draw(st.booleans())
    tracks = [Track(1, 1, "video", "V_MPEG4/ISO/AVC", AVC_CODEC_PRIVATE)]
    if with_audio_track:
        tracks.append(Track(2, 2, "audio", "A_AAC", bytes.fromhex("1190"), None))
    clusters = []
    at = draw(st.integers(0, 10**6))
    for _ in range(draw(st.integers(1, 4))):
        frames = []
        for i in range(draw(st.integers(1, 6))):
            units = draw(st.lists(_nal, min_size=1, max_size=3))
            data = b"".join(len(u).to_bytes(4) + u for u in units)
            frames.append(Frame(1, 33 * i, i == 0, data))
            if with_audio_track and draw(st.booleans()):
                frames.append(Frame(2, 33 * i, True, draw(st.binary(min_size=1, max_size=500))))
        clusters.append(Cluster(at, tuple(frames), (), 0))
        at += 33 * len(frames)
    return Header(1_000_000, tuple(tracks)), clusters, with_audio_track


@settings(max_examples=40, deadline=None)
@given(_streams(), st.integers(0, 2**32))
def test_packets_and_counters_hold_for_any_frames(
    stream: tuple[Header, list[Cluster], bool], first: int
) -> None:
    header, clusters, has_audio = stream
    data = segments(header, clusters, first)
    assert len(data) % 188 == 0 and data[::188] == b"\x47" * (len(data) // 188)
    found = packets(data)
    pids = (0, PMT_PID, VIDEO_PID) + ((AUDIO_PID,) if has_audio else ())
    assert {p.pid for p in found} <= set(pids)
    for pid in (0, PMT_PID, VIDEO_PID):
        ccs = [p.cc for p in found if p.pid == pid]
        assert ccs[0] == first & 15
        assert all((b - a) & 15 == 1 for a, b in itertools.pairwise(ccs))
    # Every video frame's NAL units come back whole and in order, each PES at its time.
    units = pes_units(found, VIDEO_PID)
    frames = [
        (c.timecode_ms + f.timecode_ms, f) for c in clusters for f in c.frames if f.track == 1
    ]
    assert len(units) == len(frames)
    for unit, (at, frame) in zip(units, frames, strict=True):
        pts, es = pes_pts(unit)
        assert pts == at * 90
        expected = b"\x00\x00\x00\x01\x09\xf0"
        if frame.keyframe:
            expected += b"\x00\x00\x00\x01" + parse_avcc(AVC_CODEC_PRIVATE).sps[0]
            expected += b"\x00\x00\x00\x01" + parse_avcc(AVC_CODEC_PRIVATE).pps[0]
        pos = 0
        while pos < len(frame.data):
            size = int.from_bytes(frame.data[pos : pos + 4])
            expected += b"\x00\x00\x00\x01" + frame.data[pos + 4 : pos + 4 + size]
            pos += 4 + size
        assert es == expected
    audio = [f.data for c in clusters for f in c.frames if f.track == 2]
    assert [pes_pts(u)[1][7:] for u in pes_units(found, AUDIO_PID)] == audio
