"""h264_test_video: real, reproducible H.264 in kvsim's own MKV, read back by kvsim and FFmpeg."""

from __future__ import annotations

import io
from typing import Any

import pytest

import kvsim
from kvsim.media.mkv import read_mkv
from kvsim.media.testvideo import h264_test_video

av = pytest.importorskip("av")


@pytest.fixture(scope="module")
def video() -> bytes:
    return h264_test_video()


def decoded(data: bytes) -> list[Any]:
    with av.open(io.BytesIO(data), format="matroska") as container:
        return list(container.decode(video=0))


def luma_rows(frame: Any) -> list[bytes]:
    plane = frame.planes[0]
    raw = bytes(plane)
    return [
        raw[y * plane.line_size : y * plane.line_size + frame.width] for y in range(frame.height)
    ]


def test_same_arguments_same_bytes(video: bytes) -> None:
    assert h264_test_video() == video
    assert h264_test_video(duration=2.0, frame_rate=10, fragment_duration=1.0) == video
    assert h264_test_video(duration=1.0) != video


def test_kvsim_reads_two_fragments_of_ten_frames(video: bytes) -> None:
    header, clusters = read_mkv(video)
    (track,) = header.tracks
    assert (track.codec_id, track.pixel_width, track.pixel_height) == ("V_MPEG4/ISO/AVC", 320, 240)
    assert track.codec_private is not None and track.codec_private[0] == 1  # avcC, not Annex B
    assert [c.timecode_ms for c in clusters] == [0, 1000]
    assert [c.duration_ms for c in clusters] == [1000, 1000]
    for cluster in clusters:
        assert [f.timecode_ms for f in cluster.frames] == list(range(0, 1000, 100))
        assert [f.keyframe for f in cluster.frames] == [True] + [False] * 9
        # length-prefixed NAL units, the first one's length within the frame
        first = cluster.frames[0].data
        assert 0 < int.from_bytes(first[:4], "big") <= len(first) - 4


def test_pyav_decodes_twenty_frames(video: bytes) -> None:
    frames = decoded(video)
    assert len(frames) == 20
    assert {(f.width, f.height) for f in frames} == {(320, 240)}
    assert [round(float(f.pts * f.time_base) * 1000) for f in frames] == list(range(0, 2000, 100))


def test_pictures_change_with_the_frame_number(video: bytes) -> None:
    frames = decoded(video)
    rows = [luma_rows(f) for f in frames]
    # the bar, low in the picture, moves: its brightest column differs
    bar_columns = [max(range(320), key=lambda x: r[200][x]) for r in rows]
    assert len(set(bar_columns)) == 20
    # the frame number in the top left corner differs from frame to frame
    corners = [b"".join(r[y][:40] for y in range(2, 30)) for r in rows]
    assert len(set(corners)) == 20
    assert sum(corners[8]) != sum(corners[1])


def test_other_sizes_and_rates() -> None:
    data = h264_test_video(duration=1.5, frame_rate=30, width=64, height=48, fragment_duration=0.5)
    _, clusters = read_mkv(data)
    assert [len(c.frames) for c in clusters] == [15, 15, 15]
    assert [c.timecode_ms for c in clusters] == [0, 500, 1000]
    assert [f.keyframe for c in clusters for f in c.frames].count(True) == 3
    frames = decoded(data)
    assert len(frames) == 45 and (frames[0].width, frames[0].height) == (64, 48)
    _, short = read_mkv(h264_test_video(duration=2.5, fragment_duration=1.0))
    assert [len(c.frames) for c in short] == [10, 10, 5]


def test_put_media_persists_every_fragment(video: bytes) -> None:
    sim = kvsim.Simulator(timings=kvsim.Timings(call_latency=0))
    sim.client().create_stream(StreamName="cam", DataRetentionInHours=24)
    sim.advance(5)
    acks = sim.put_media("cam", video, timecode_type="RELATIVE")
    assert not [a for a in acks if a["EventType"] == "ERROR"]
    persisted = [a for a in acks if a["EventType"] == "PERSISTED"]
    assert [a["FragmentTimecode"] for a in persisted] == [0, 1000]


@pytest.mark.parametrize(
    ("arguments", "error"),
    [
        ({"duration": "2"}, TypeError),
        ({"duration": True}, TypeError),
        ({"frame_rate": 10.0}, TypeError),
        ({"width": None}, TypeError),
        ({"duration": 0}, ValueError),
        ({"duration": float("inf")}, ValueError),
        ({"duration": 0.05}, ValueError),  # half a frame
        ({"fragment_duration": -1.0}, ValueError),
        ({"fragment_duration": 40.0}, ValueError),  # longer than a cluster can hold
        ({"frame_rate": 0}, ValueError),
        ({"width": 321}, ValueError),
        ({"height": 8}, ValueError),
        ({"height": 8192}, ValueError),
    ],
)
def test_bad_arguments(arguments: dict[str, Any], error: type[Exception]) -> None:
    with pytest.raises(error):
        h264_test_video(**arguments)


def test_arguments_are_keyword_only() -> None:
    with pytest.raises(TypeError):
        h264_test_video(2.0)  # type: ignore[misc]


def test_missing_pyav_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "av", None)  # import av raises ImportError
    with pytest.raises(ImportError, match=r"pip install 'kvsim\[media\]'"):
        h264_test_video()
