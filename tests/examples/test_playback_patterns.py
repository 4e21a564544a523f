"""The three playback patterns of public application code, unchanged, against kvsim.

Each function below is written as for AWS, with nothing of kvsim in it:

- **HLS and DASH playback**: GetDataEndpoint, GetHLSStreamingSessionURL or
  GetDASHStreamingSessionURL, then the URL handed to a player (PyAV/FFmpeg,
  OpenCV's ``cv2.VideoCapture``, the FFmpeg command line), which fails once
  the session expired;
- **clip export**: GetClip, the payload saved as an ``.mp4`` file and opened
  by a decoder;
- **thumbnails**: GetImages paginated, each image base64-decoded and opened
  by Pillow.

They run through boto3 in process (``kvsim.boto.mock``; a player needs a
URL it can fetch, so HLS goes through ``sim.serve()``) and against a
``kvsim serve`` subprocess fed by an HTTP PutMedia producer, as a camera
would. The media is :func:`kvsim.media.testvideo.h264_test_video`: 6 s of
real H.264 at 10 frames a second in 2-second fragments.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from helpers import advance_served, ffmpeg_frame_times, kvsim_serve_process, put_media_over_http

import kvsim
import kvsim.boto

av = pytest.importorskip("av")
Image = pytest.importorskip("PIL.Image")
from kvsim.media.testvideo import h264_test_video  # noqa: E402  (needs PyAV)

STREAM = "lobby"
FRAMES, FRAME_RATE, WIDTH, HEIGHT = 60, 10, 320, 240
PRODUCER_START = datetime(2026, 1, 1, 0, 0, 30, tzinfo=UTC)
RANGE = {
    "StartTimestamp": PRODUCER_START - timedelta(seconds=1),
    "EndTimestamp": PRODUCER_START + timedelta(seconds=10),
}
MakeClient = Callable[..., Any]


# -- the application code (written for AWS) ------------------------------------------------


def archived_media(make_client: MakeClient, api_name: str) -> Any:
    kv = make_client("kinesisvideo")
    endpoint = kv.get_data_endpoint(StreamName=STREAM, APIName=api_name)["DataEndpoint"]
    return make_client("kinesis-video-archived-media", endpoint_url=endpoint)


def hls_url(make_client: MakeClient) -> str:
    archive = archived_media(make_client, "GET_HLS_STREAMING_SESSION_URL")
    answer = archive.get_hls_streaming_session_url(
        StreamName=STREAM,
        PlaybackMode="ON_DEMAND",
        HLSFragmentSelector={"FragmentSelectorType": "PRODUCER_TIMESTAMP", "TimestampRange": RANGE},
    )
    url: str = answer["HLSStreamingSessionURL"]
    return url


def play_with_pyav(url: str) -> list[float]:
    """Every frame's presentation time, in seconds, as FFmpeg's HLS demuxer plays it."""
    with av.open(url) as container:
        return [float(frame.time) for frame in container.decode(video=0)]


def dash_url(make_client: MakeClient) -> str:
    archive = archived_media(make_client, "GET_DASH_STREAMING_SESSION_URL")
    answer = archive.get_dash_streaming_session_url(
        StreamName=STREAM,
        PlaybackMode="ON_DEMAND",
        DASHFragmentSelector={
            "FragmentSelectorType": "PRODUCER_TIMESTAMP",
            "TimestampRange": RANGE,
        },
    )
    url: str = answer["DASHStreamingSessionURL"]
    return url


def play_with_opencv(url: str) -> tuple[int, tuple[int, int, int] | None]:
    cv2 = pytest.importorskip("cv2")
    capture = cv2.VideoCapture(url)
    count, shape = 0, None
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        count, shape = count + 1, frame.shape
    capture.release()
    return count, shape


def save_clip(make_client: MakeClient, path: Path) -> None:
    archive = archived_media(make_client, "GET_CLIP")
    answer = archive.get_clip(
        StreamName=STREAM,
        ClipFragmentSelector={
            "FragmentSelectorType": "PRODUCER_TIMESTAMP",
            "TimestampRange": RANGE,
        },
    )
    assert answer["ContentType"] == "video/mp4"
    path.write_bytes(answer["Payload"].read())


def thumbnails(make_client: MakeClient) -> list[tuple[datetime, tuple[int, int]]]:
    archive = archived_media(make_client, "GET_IMAGES")
    pages = archive.get_paginator("get_images").paginate(
        StreamName=STREAM,
        ImageSelectorType="PRODUCER_TIMESTAMP",
        StartTimestamp=PRODUCER_START,
        EndTimestamp=PRODUCER_START + timedelta(seconds=5),
        SamplingInterval=1000,
        Format="JPEG",
        WidthPixels=160,
        HeightPixels=120,
    )
    found = []
    for page in pages:
        for image in page["Images"]:
            if "Error" in image:
                continue
            picture = Image.open(io.BytesIO(base64.b64decode(image["ImageContent"])))
            found.append((image["TimeStamp"], picture.size))
    return found


# -- the checks -----------------------------------------------------------------------------

EXPECTED_TIMES = [i / FRAME_RATE for i in range(FRAMES)]


def check_playback(url: str) -> None:
    times = play_with_pyav(url)
    assert len(times) == FRAMES
    # The player's timeline starts where the session does; frames are 100 ms apart.
    assert [round(t - times[0], 3) for t in times] == EXPECTED_TIMES
    assert play_with_opencv(url) == (FRAMES, (HEIGHT, WIDTH, 3))


def check_clip(path: Path) -> None:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        assert (stream.codec_context.width, stream.codec_context.height) == (WIDTH, HEIGHT)
        times = [float(frame.time) for frame in container.decode(video=0)]
    assert [round(t - times[0], 3) for t in times] == EXPECTED_TIMES


def check_thumbnails(found: list[tuple[datetime, tuple[int, int]]]) -> None:
    assert [size for _, size in found] == [(160, 120)] * 6
    assert [t for t, _ in found] == [PRODUCER_START + timedelta(seconds=s) for s in range(6)]


def video() -> bytes:
    return h264_test_video(
        duration=FRAMES / FRAME_RATE,
        frame_rate=FRAME_RATE,
        width=WIDTH,
        height=HEIGHT,
        fragment_duration=2.0,
    )


# -- in process -----------------------------------------------------------------------------


@pytest.fixture
def sim() -> Iterator[kvsim.Simulator]:
    sim = kvsim.Simulator(seed=13, timings=kvsim.Timings(call_latency=0))
    sim.client().create_stream(StreamName=STREAM, DataRetentionInHours=24)
    sim.advance(30)
    acks = sim.put_media(STREAM, video(), timecode_type="RELATIVE", producer_start=PRODUCER_START)
    assert [a["EventType"] for a in acks].count("PERSISTED") == 3
    sim.advance(60)  # SERVER_TIMESTAMP ranges must end in the past; these use producer time
    yield sim


def boto3_factory(**common: Any) -> MakeClient:
    def make(service: str, **kwargs: Any) -> Any:
        return boto3.client(
            service,
            region_name="us-east-1",
            aws_access_key_id="AKIDAPP",
            aws_secret_access_key="any",
            **{**common, **kwargs},
        )

    return make


def test_hls_playback_through_sim_serve(sim: kvsim.Simulator) -> None:
    with sim.serve() as base:
        check_playback(hls_url(boto3_factory(endpoint_url=base)))


def test_clip_export_in_process(sim: kvsim.Simulator, tmp_path: Path) -> None:
    with kvsim.boto.mock(sim):
        save_clip(boto3_factory(), tmp_path / "incident.mp4")
    check_clip(tmp_path / "incident.mp4")


def test_thumbnails_in_process(sim: kvsim.Simulator) -> None:
    with kvsim.boto.mock(sim):
        check_thumbnails(thumbnails(boto3_factory()))


# -- against `kvsim serve`, fed by an HTTP PutMedia producer -------------------------------------


@pytest.fixture(scope="module")
def served() -> Iterator[str]:
    with kvsim_serve_process("--seed", "13") as base:
        make = boto3_factory(endpoint_url=base)
        kv = make("kinesisvideo")
        kv.create_stream(StreamName=STREAM, DataRetentionInHours=24)
        advance_served(base, 30)
        endpoint = kv.get_data_endpoint(StreamName=STREAM, APIName="PUT_MEDIA")["DataEndpoint"]
        acks = put_media_over_http(endpoint, video(), stream=STREAM, producer_start=PRODUCER_START)
        assert acks.count(b'"PERSISTED"') == 3
        advance_served(base, 60)
        yield base


def test_hls_playback_against_kvsim_serve(served: str) -> None:
    check_playback(hls_url(boto3_factory(endpoint_url=served)))


def test_clip_export_against_kvsim_serve(served: str, tmp_path: Path) -> None:
    save_clip(boto3_factory(endpoint_url=served), tmp_path / "incident.mp4")
    check_clip(tmp_path / "incident.mp4")


def test_thumbnails_against_kvsim_serve(served: str) -> None:
    check_thumbnails(thumbnails(boto3_factory(endpoint_url=served)))


def test_dash_playback_and_expiry_against_kvsim_serve(served: str) -> None:
    make = boto3_factory(endpoint_url=served)
    dash, hls = dash_url(make), hls_url(make)
    status, times, _ = ffmpeg_frame_times(dash)
    assert status == 0 and [round(float(t - times[0]), 3) for t in times] == EXPECTED_TIMES
    advance_served(served, 300)  # Expires: 300 s by default, on the server's virtual clock
    status, times, errors = ffmpeg_frame_times(dash)
    assert status != 0 and times == [] and "403 Forbidden" in errors
    with pytest.raises(av.error.HTTPForbiddenError):
        play_with_pyav(hls)
