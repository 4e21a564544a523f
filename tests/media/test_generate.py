"""kvsim.media.generate: synthetic fragments, shared payloads, exact durations and sizes."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kvsim.media import (
    AVC_CODEC_PRIVATE,
    Cluster,
    Header,
    Track,
    generated_fragments,
    generated_mkv,
    read_mkv,
    write_mkv,
)


def test_defaults() -> None:
    header, clusters = generated_fragments(count=4)
    assert header == Header(
        1_000_000,
        (Track(1, 1, "video", "V_MPEG4/ISO/AVC", AVC_CODEC_PRIVATE, None, 320, 240),),
        "kvsim",
    )
    assert [c.timecode_ms for c in clusters] == [0, 2000, 4000, 6000]
    assert all(c.duration_ms == 2000 and c.tags == () for c in clusters)
    frames = clusters[0].frames
    assert len(frames) == 60
    assert [f.keyframe for f in frames] == [True] + [False] * 59
    assert [f.timecode_ms for f in frames[:4]] == [0, 33, 67, 100]
    assert [f.duration_ms for f in frames] == [None] * 59 + [2000 - frames[-1].timecode_ms]
    assert {len(f.data) for f in frames} == {1024}


def test_every_frame_shares_one_bytes_object_and_every_cluster_one_frames_tuple() -> None:
    _, clusters = generated_fragments(count=50, track_count=3)
    data = clusters[0].frames[0].data
    assert all(frame.data is data for cluster in clusters for frame in cluster.frames)
    assert all(cluster.frames is clusters[0].frames for cluster in clusters)
    assert isinstance(data, bytes)


def test_the_payload_is_deterministic_h264_filler_data() -> None:
    _, [cluster] = generated_fragments(count=1, frame_size=16)
    data = cluster.frames[0].data
    # A 4-byte length (avcC lengthSizeMinusOne = 3), NAL header 0x0C (filler), 0xFF..., 0x80.
    assert data == b"\x00\x00\x00\x0c\x0c" + b"\xff" * 10 + b"\x80"
    assert AVC_CODEC_PRIVATE[4] & 3 == 3
    assert generated_mkv(count=3) == generated_mkv(count=3)
    _, [tiny] = generated_fragments(count=1, frame_size=3)
    assert tiny.frames[0].data == b"\x00\x01\x02"
    _, [other] = generated_fragments(count=1, frame_size=300, codec_id="V_VP8")
    assert other.frames[0].data == (bytes(range(256)) * 2)[:300]


def test_the_avc_decoder_configuration_record() -> None:
    record = AVC_CODEC_PRIVATE
    assert record[:4] == bytes((1, 66, 0xC0, 30))  # version, Baseline, constraints, level 3.0
    assert record[5] == 0xE1  # one SPS
    sps_length = int.from_bytes(record[6:8], "big")
    sps = record[8 : 8 + sps_length]
    assert sps[0] == 0x67 and sps[1:4] == record[1:4]
    assert record[8 + sps_length] == 1  # one PPS
    pps_length = int.from_bytes(record[9 + sps_length : 11 + sps_length], "big")
    assert record[11 + sps_length] == 0x68
    assert len(record) == 11 + sps_length + pps_length


def test_tracks_are_interleaved_and_each_starts_with_a_keyframe() -> None:
    header, [cluster] = generated_fragments(count=1, track_count=3, duration=0.1, frame_rate=30)
    assert [t.number for t in header.tracks] == [1, 2, 3]
    assert [(f.track, f.timecode_ms, f.keyframe) for f in cluster.frames] == [
        (1, 0, True),
        (2, 0, True),
        (3, 0, True),
        (1, 33, False),
        (2, 33, False),
        (3, 33, False),
        (1, 67, False),
        (2, 67, False),
        (3, 67, False),
    ]
    assert cluster.duration_ms == 100


def test_start_and_codec() -> None:
    header, clusters = generated_fragments(count=2, start_ms=1_700_000_000_000, codec_id="V_VP8")
    assert [c.timecode_ms for c in clusters] == [1_700_000_000_000, 1_700_000_002_000]
    assert header.tracks[0].codec_id == "V_VP8" and header.tracks[0].codec_private is None


@given(
    count=st.integers(0, 3),
    duration=st.floats(0.05, 20.0),
    frame_rate=st.floats(1.0, 60.0),
    frame_size=st.integers(0, 64),
    track_count=st.integers(1, 3),
    start_ms=st.integers(0, 2**41),
)
def test_read_back_exactly_with_the_sizes_they_occupy(**options: Any) -> None:
    if round(options["duration"] * options["frame_rate"]) < 1:
        with pytest.raises(ValueError, match="at least one frame"):
            generated_fragments(**options)
        return
    header, clusters = generated_fragments(**options)
    span = round(options["duration"] * 1000)
    assert all(c.duration_ms == span for c in clusters)
    assert [c.timecode_ms for c in clusters] == [
        options["start_ms"] + k * span for k in range(options["count"])
    ]
    read_header, read_clusters = read_mkv(generated_mkv(**options))
    assert read_header == header
    assert read_clusters == clusters  # sizes included


def test_generated_mkv_is_write_mkv_of_the_fragments() -> None:
    header, clusters = generated_fragments(count=3, track_count=2)
    assert generated_mkv(count=3, track_count=2) == b"".join(
        write_mkv(header, [(c, ()) for c in clusters])
    )


def test_a_million_fragments_are_cheap() -> None:
    _, clusters = generated_fragments(count=200_000, frame_size=10_000)
    assert len(clusters) == 200_000 and clusters[-1].timecode_ms == 399_998_000
    assert len({id(c.frames) for c in clusters}) == 1
    assert clusters[-1] == dataclasses.replace(
        clusters[0], timecode_ms=399_998_000, size=clusters[-1].size
    )


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        ({}, TypeError, "count"),  # keyword-only and required
        ({"count": "3"}, TypeError, "count must be an int, got '3'"),
        ({"count": True}, TypeError, "count must be an int"),
        ({"count": -1}, ValueError, "count must be at least 0, got -1"),
        ({"count": 1, "duration": 0}, ValueError, "duration must be positive and finite, got 0"),
        ({"count": 1, "duration": float("nan")}, ValueError, "duration must be positive"),
        ({"count": 1, "duration": float("inf")}, ValueError, "duration must be positive"),
        ({"count": 1, "duration": "2"}, TypeError, "duration must be a number"),
        ({"count": 1, "duration": 33.0}, ValueError, "duration must be 0.001 to 32.767 seconds"),
        ({"count": 1, "duration": 0.0001}, ValueError, "duration must be 0.001"),
        ({"count": 1, "frame_rate": -30}, ValueError, "frame_rate must be positive"),
        ({"count": 1, "frame_rate": 0.1}, ValueError, "at least one frame"),
        ({"count": 1, "frame_rate": 2000}, ValueError, "more than one frame per ms"),
        ({"count": 1, "frame_size": 1.5}, TypeError, "frame_size must be an int"),
        ({"count": 1, "frame_size": -1}, ValueError, "frame_size must be at least 0"),
        ({"count": 1, "track_count": 0}, ValueError, "track_count must be at least 1"),
        ({"count": 1, "start_ms": -5}, ValueError, "start_ms must be at least 0"),
        ({"count": 1, "codec_id": b"V_VP8"}, TypeError, "codec_id must be a str"),
        ({"count": 1, "codec_id": ""}, ValueError, "codec_id must not be empty"),
        ({"count": 1, "colour": "red"}, TypeError, "colour"),
    ],
)
def test_arguments_are_checked(
    options: dict[str, Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        generated_fragments(**options)


def test_positional_arguments_are_refused() -> None:
    with pytest.raises(TypeError):
        generated_fragments(3)  # type: ignore[misc]


def test_cluster_sizes_follow_the_timecode_width() -> None:
    # The Timecode element grows a byte at 2**8, 2**16, ... ms: sizes follow it exactly.
    _, clusters = generated_fragments(count=3, duration=0.128, frame_rate=10, start_ms=0)
    _, read_clusters = read_mkv(generated_mkv(count=3, duration=0.128, frame_rate=10))
    assert [c.size for c in clusters] == [c.size for c in read_clusters]
    assert clusters[2].size == clusters[0].size + 1  # 256 ms takes two bytes
    assert isinstance(clusters[0], Cluster)
