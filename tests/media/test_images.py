"""kvsim.media.images (pictures of stored H.264) and the test video's time stamp and
AAC track (issue 13 §3)."""

from __future__ import annotations

import io
import sys
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kvsim.media.generate import generated_fragments
from kvsim.media.images import jpeg_qscale, output_size, render_image
from kvsim.media.mkv import Header, Track, read_mkv
from kvsim.media.testvideo import h264_test_video

av = pytest.importorskip("av")


def picture(data: bytes, codec: str = "mjpeg") -> Any:
    (frame,) = av.CodecContext.create(codec, "r").decode(av.Packet(data))
    return frame


def rows(frame: Any) -> list[bytes]:
    """The picture's rows of grey (luma) bytes, without numpy."""
    grey = frame.reformat(format="gray")
    plane = grey.planes[0]
    raw = bytes(plane)
    return [raw[y * plane.line_size : y * plane.line_size + grey.width] for y in range(grey.height)]


def test_sizes_follow_aws_rules() -> None:
    assert output_size(1280, 720, None, None) == (1280, 720)
    assert output_size(1280, 720, 3840, None) == (3840, 2160)
    assert output_size(720, 1280, 3840, None) == (3840, 2160)  # bounded
    assert output_size(1280, 720, None, 1) == (2, 1)
    assert output_size(160, 90, 1, None) == (1, 1)
    assert output_size(4096, 2160, None, None) == (3840, 2160)
    with pytest.raises(ValueError, match="width must be an int from 1 to 3840"):
        output_size(160, 90, 0, None)
    with pytest.raises(ValueError, match="height must be an int from 1 to 2160"):
        output_size(160, 90, None, 2161)


@given(st.integers(1, 100))
def test_jpeg_quality_maps_to_a_qscale(quality: int) -> None:
    scale = jpeg_qscale(quality)
    assert 1 <= scale <= 31
    assert scale == 1 + round((100 - quality) * 30 / 99 + 1e-9)
    if quality > 1:
        assert jpeg_qscale(quality - 1) >= scale


def test_render_decodes_the_frames_up_to_the_wanted_one() -> None:
    header, clusters = read_mkv(h264_test_video(duration=1.0, width=160, height=90))
    frames = clusters[0].frames
    key = render_image(header, frames[:1], image_format="PNG")
    later = render_image(header, frames[:5], image_format="PNG")
    assert key is not None and later is not None and key != later
    assert render_image(header, frames[:5], image_format="PNG") == later
    shown = picture(later, "png")
    assert (shown.width, shown.height) == (160, 90)
    # The 5th frame's bar: further right than the keyframe's.
    first, fifth = (rows(picture(x, "png"))[80] for x in (key, later))
    assert first.index(max(first)) < fifth.index(max(fifth))


def test_no_picture_is_none() -> None:
    header, clusters = generated_fragments(count=1)
    assert render_image(header, clusters[0].frames[:3]) is None
    audio = Header(1_000_000, (Track(1, 1, "audio", "A_AAC", b"\x11\x90"),))
    assert render_image(audio, clusters[0].frames[:1]) is None
    real, real_clusters = read_mkv(h264_test_video(duration=1.0, width=64, height=48))
    broken = type(real_clusters[0].frames[0])(1, 0, True, b"\x00\x00\x00\x02\x65\xff")
    assert render_image(real, (broken,)) is None


def test_bad_options() -> None:
    header, clusters = read_mkv(h264_test_video(duration=1.0, width=64, height=48))
    with pytest.raises(ValueError, match="image_format"):
        render_image(header, clusters[0].frames[:1], image_format="GIF")
    with pytest.raises(ValueError, match="quality"):
        render_image(header, clusters[0].frames[:1], quality=0)


def test_without_pyav_rendering_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    header, clusters = read_mkv(h264_test_video(duration=1.0, width=64, height=48))
    monkeypatch.setitem(sys.modules, "av", None)
    with pytest.raises(ImportError, match=r"pip install 'kvsim\[media\]'"):
        render_image(header, clusters[0].frames[:1])


def test_the_time_is_drawn_beside_the_frame_number() -> None:
    data = h264_test_video(duration=2.0, frame_rate=10, width=320, height=240)
    header, clusters = read_mkv(data)
    # Frames 1 and 11 (0.1 s and 1.1 s) differ in the time's digits too, far right of the number.
    one = picture(render_image(header, clusters[0].frames[:2], image_format="PNG") or b"", "png")
    eleven = picture(render_image(header, clusters[1].frames[:2], image_format="PNG") or b"", "png")
    a, b = rows(one), rows(eleven)
    # The time, "00:00.10" vs "00:01.10": columns 100 to 260 differ.
    assert [r[100:260] for r in a[6:36]] != [r[100:260] for r in b[6:36]]


def test_audio_track_is_aac_interleaved_and_reproducible() -> None:
    data = h264_test_video(duration=2.0, width=64, height=48, audio=True)
    assert data == h264_test_video(duration=2.0, width=64, height=48, audio=True)
    header, clusters = read_mkv(data)
    _video, audio = header.tracks
    assert (audio.number, audio.kind, audio.codec_id) == (2, "audio", "A_AAC")
    assert audio.codec_private is not None and audio.codec_private[:2] == b"\x11\x88"
    assert (audio.sampling_frequency, audio.channels) == (48_000.0, 1)
    assert [c.duration_ms for c in clusters] == [1000, 1000]
    for cluster in clusters:
        times = [f.timecode_ms for f in cluster.frames]
        assert times == sorted(times)
        assert {f.track for f in cluster.frames} == {1, 2}
    counts = [sum(f.track == 2 for f in c.frames) for c in clusters]
    assert counts == [47, 47]  # 1024-sample frames at 48 kHz: 21.33 ms each
    with av.open(io.BytesIO(data), format="matroska") as container:
        kinds = [s.type for s in container.streams]
        decoded = [frame for packet in container.demux(audio=0) for frame in packet.decode()]
    assert kinds == ["video", "audio"]
    assert sum(frame.samples for frame in decoded) == 94 * 1024
    # Without audio the video is what it was: one track.
    assert len(read_mkv(h264_test_video(duration=2.0, width=64, height=48))[0].tracks) == 1
    with pytest.raises(TypeError, match="audio must be a bool"):
        h264_test_video(audio=1)  # type: ignore[arg-type]
