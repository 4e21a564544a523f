"""The FFmpeg command line plays kvsim's DASH and HLS sessions, from a URL, as a user would.

PyAV's FFmpeg has no DASH demuxer (it is built without libxml2); the static
``ffmpeg`` of ``imageio-ffmpeg`` (in the test extra) has both FFmpeg's
``dash`` and ``hls`` demuxers. It is given the session URL a genuine boto3
client got from ``sim.serve()``, demuxes and decodes every frame, and reports
each with its presentation time (``-f framemd5``).
"""

from __future__ import annotations

from collections.abc import Iterator
from fractions import Fraction
from typing import Any

import boto3
import pytest
from helpers import ffmpeg_frame_times

import kvsim

pytest.importorskip("av")
pytest.importorskip("imageio_ffmpeg")
from kvsim.media.testvideo import h264_test_video

FRAMES = 60  # 6 s at 10 frames a second, in 2 s fragments


def client(name: str, **kwargs: Any) -> Any:
    return boto3.client(
        name,
        region_name="us-east-1",
        aws_access_key_id="AKIDPLAYER",
        aws_secret_access_key="any",
        **kwargs,
    )


@pytest.fixture
def served() -> Iterator[tuple[kvsim.Simulator, Any, dict[str, Any]]]:
    sim = kvsim.Simulator(seed=21, timings=kvsim.Timings(call_latency=0))
    sim.client().create_stream(StreamName="porch", DataRetentionInHours=24)
    sim.advance(5)
    start = sim.now
    video = h264_test_video(duration=6.0, frame_rate=10, fragment_duration=2.0)
    sim.put_media("porch", video, timecode_type="RELATIVE")
    selector = {
        "FragmentSelectorType": "SERVER_TIMESTAMP",
        "TimestampRange": {"StartTimestamp": start, "EndTimestamp": sim.now},
    }
    with sim.serve() as base:
        endpoint = client("kinesisvideo", endpoint_url=base).get_data_endpoint(
            StreamName="porch", APIName="GET_DASH_STREAMING_SESSION_URL"
        )["DataEndpoint"]
        yield sim, client("kinesis-video-archived-media", endpoint_url=endpoint), selector


def test_ffmpeg_plays_a_dash_session_and_not_once_it_expired(
    served: tuple[kvsim.Simulator, Any, dict[str, Any]],
) -> None:
    sim, archive, selector = served
    url = archive.get_dash_streaming_session_url(
        StreamName="porch", PlaybackMode="ON_DEMAND", DASHFragmentSelector=selector
    )["DASHStreamingSessionURL"]
    status, times = ffmpeg_frame_times(url)[:2]
    assert status == 0 and len(times) == FRAMES
    assert [t - times[0] for t in times] == [Fraction(i, 10) for i in range(FRAMES)]
    sim.advance(300)  # the default Expires
    status, times = ffmpeg_frame_times(url)[:2]
    assert status != 0 and times == []


@pytest.mark.parametrize("container", ["FRAGMENTED_MP4", "MPEG_TS"])
def test_ffmpeg_plays_an_hls_session(
    served: tuple[kvsim.Simulator, Any, dict[str, Any]], container: str
) -> None:
    _, archive, selector = served
    url = archive.get_hls_streaming_session_url(
        StreamName="porch",
        PlaybackMode="ON_DEMAND",
        HLSFragmentSelector=selector,
        ContainerFormat=container,
    )["HLSStreamingSessionURL"]
    status, times = ffmpeg_frame_times(url)[:2]
    assert status == 0 and len(times) == FRAMES
    assert [t - times[0] for t in times] == [Fraction(i, 10) for i in range(FRAMES)]
