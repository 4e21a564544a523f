"""write_mkv's output read by code no one here wrote: FFmpeg's Matroska demuxer, through PyAV."""

from __future__ import annotations

import io
from typing import Any

import pytest

from kvsim.media import (
    AVC_CODEC_PRIVATE,
    Cluster,
    Frame,
    Header,
    Track,
    generated_fragments,
    write_mkv,
)

av = pytest.importorskip("av")

#: AudioSpecificConfig: AAC LC, 44.1 kHz, stereo.
AAC_PRIVATE = bytes.fromhex("1210")


def demuxed(data: bytes) -> tuple[Any, list[Any]]:
    container = av.open(io.BytesIO(data), format="matroska")
    packets = [packet for packet in container.demux() if packet.size]  # the last ones flush
    return container, packets


def test_generated_h264_fragments() -> None:
    header, clusters = generated_fragments(count=3, track_count=2, frame_size=500, start_ms=5000)
    tags = [
        [
            (
                "AWS_KINESISVIDEO_FRAGMENT_NUMBER",
                str(91343852333181432392682062618274554370250778456 + k),
            )
        ]
        for k in range(3)
    ]
    data = b"".join(write_mkv(header, zip(clusters, tags, strict=True)))
    container, packets = demuxed(data)
    with container:
        assert container.format.name == "matroska"
        assert [s.type for s in container.streams] == ["video", "video"]
        for stream in container.streams:
            context = stream.codec_context
            assert context.name == "h264"
            assert context.extradata == AVC_CODEC_PRIVATE
            # FFmpeg parsed our SPS: the picture size it decodes to is the Tracks' size.
            assert (context.width, context.height) == (320, 240)
            assert (
                stream.time_base == av.time_base_fraction(1, 1000)
                if hasattr(av, "time_base_fraction")
                else True
            )
            assert float(stream.time_base) == 0.001
        for index in (0, 1):
            mine = [p for p in packets if p.stream.index == index]
            expected = [
                c.timecode_ms + f.timecode_ms
                for c in clusters
                for f in c.frames
                if f.track == index + 1
            ]
            assert len(mine) == 3 * 60
            assert [p.pts for p in mine] == expected
            assert [p.dts for p in mine] == expected
            assert {bytes(p) for p in mine} == {clusters[0].frames[0].data}
        # The last frame of each cluster carries a BlockDuration.
        last = [p for p in packets if p.stream.index == 0][59]
        assert last.duration == clusters[0].frames[-1].duration_ms
        # Tags before the first Cluster, and Info/Title, are what FFmpeg shows as the file's metadata.
        assert container.metadata["AWS_KINESISVIDEO_FRAGMENT_NUMBER"] == tags[0][0][1]
        assert container.metadata["title"] == "kvsim"
        assert container.metadata["encoder"] == "kvsim"


def test_keyframes_timecodes_and_durations_of_an_audio_track() -> None:
    # FFmpeg's H.264 parser sets key flags from the NAL units; AAC packets keep the container's.
    header = Header(
        1_000_000,
        (
            Track(
                1, 99, "audio", "A_AAC", AAC_PRIVATE, "mic", sampling_frequency=44100.0, channels=2
            ),
        ),
        "kvsim test",
    )
    frames = tuple(
        Frame(1, i * 23, i % 4 == 0, bytes([i]) * (10 + i), 23 if i % 3 == 0 else None)
        for i in range(12)
    )
    clusters = [Cluster(1000 * k, frames, (), 0) for k in range(3)]
    data = b"".join(
        write_mkv(header, [(c, [("K", str(k)), ("V", "x")]) for k, c in enumerate(clusters)])
    )
    container, packets = demuxed(data)
    with container:
        [stream] = container.streams
        assert stream.type == "audio"
        assert stream.codec_context.name == "aac"
        assert stream.codec_context.extradata == AAC_PRIVATE
        assert stream.codec_context.sample_rate == 44100
        assert (
            stream.codec_context.channels == 2
            if hasattr(stream.codec_context, "channels")
            else True
        )
        assert stream.metadata.get("title") == "mic"
        assert container.metadata["title"] == "kvsim test"
        assert (container.metadata["K"], container.metadata["V"]) == ("0", "x")
        assert len(packets) == 36
        assert [p.pts for p in packets] == [1000 * k + i * 23 for k in range(3) for i in range(12)]
        assert [p.is_keyframe for p in packets] == [f.keyframe for _ in range(3) for f in frames]
        assert [bytes(p) for p in packets] == [f.data for _ in range(3) for f in frames]
        assert [p.duration for p in packets][:12:3] == [23, 23, 23, 23]


def test_a_finer_timecode_scale() -> None:
    header = Header(
        1_000, (Track(1, 1, "audio", "A_AAC", AAC_PRIVATE, sampling_frequency=48000.0, channels=1),)
    )
    frames = tuple(Frame(1, i * 7, True, b"\x01\x02") for i in range(5))  # 28 ms: 28000 ticks
    data = b"".join(write_mkv(header, [(Cluster(10_000, frames, (), 0), ())]))
    container, packets = demuxed(data)
    with container:
        [stream] = container.streams
        # TimecodeScale 1000 ns: FFmpeg's time base is 1/1000000, so pts are in microseconds.
        assert float(stream.time_base) == pytest.approx(1e-6)
        assert [p.pts for p in packets] == [(10_000 + i * 7) * 1000 for i in range(5)]
