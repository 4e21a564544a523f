"""mp4's fragmented MP4 read by code no one here wrote: FFmpeg's MP4 demuxer, through PyAV."""

from __future__ import annotations

import dataclasses
import io
from typing import Any

import pytest

from kvsim.media import Cluster, Header, generated_fragments
from kvsim.media.mp4 import fragmented_mp4, init_segment, media_segment

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


@pytest.mark.parametrize("codec_id", ["A_AAC", "V_MPEGH/ISO/HEVC", "V_VP8"])
def test_other_codecs_are_refused_by_name(codec_id: str) -> None:
    header, clusters = generated_fragments(count=1, codec_id=codec_id)
    with pytest.raises(ValueError, match=codec_id.replace("/", ".")):
        init_segment(header)
    with pytest.raises(ValueError, match=codec_id.replace("/", ".")):
        media_segment(header, clusters, sequence_number=1)
    with pytest.raises(ValueError, match=codec_id.replace("/", ".")):
        fragmented_mp4(header, clusters)


def test_missing_codec_private_is_refused() -> None:
    header, _ = fragments()
    track = dataclasses.replace(header.tracks[0], codec_private=None)
    with pytest.raises(ValueError, match="avcC"):
        init_segment(dataclasses.replace(header, tracks=(track,)))


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
