"""The AWS CLI (v1, ``awscli``) plays back archived media from kvsim: GetDataEndpoint,
then ``kinesis-video-archived-media`` ``get-clip`` (an MP4 file PyAV decodes),
``get-images`` (base64 pictures Pillow opens), ``get-hls-streaming-session-url``
(a URL FFmpeg plays, against ``kvsim serve``) and ``list-fragments``.

In process under kvsim.boto.mock and as a subprocess against ``kvsim serve`` fed by
an HTTP PutMedia producer, isolated as in ``test_awscli.py``. The media is 6 s of
:func:`kvsim.media.testvideo.h264_test_video` (10 frames a second, three fragments
of 2 s) whose producer time starts at :data:`START`.
"""

from __future__ import annotations

import base64
import io
import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import boto3
import pytest
from helpers import advance_served, kvsim_serve_process, put_media_over_http
from test_awscli import _AWS_ENV, _AWS_OVERRIDES

import kvsim
import kvsim.boto

clidriver = pytest.importorskip(
    "awscli.clidriver", reason="awscli is not installed (pip install awscli)"
)
av = pytest.importorskip("av")
Image = pytest.importorskip("PIL.Image")
from kvsim.media.testvideo import h264_test_video  # noqa: E402  (needs PyAV)

REGION = _AWS_ENV["AWS_DEFAULT_REGION"]
STREAM, NO_RETENTION = "lobby", "ephemeral"
START = datetime(2026, 1, 1, 0, 0, 30, tzinfo=UTC)
T0 = START.timestamp()  # 1767225630.0
VIDEO = {"duration": 6.0, "frame_rate": 10, "fragment_duration": 2.0}  # 320×240


def selector(start: float, end: float) -> str:
    """A PRODUCER_TIMESTAMP fragment selector as the CLI takes it (JSON, epoch seconds)."""
    return json.dumps(
        {
            "FragmentSelectorType": "PRODUCER_TIMESTAMP",
            "TimestampRange": {"StartTimestamp": start, "EndTimestamp": end},
        }
    )


#: The fragments starting at T0+2 and T0+4 (both ends inclusive): 40 frames.
CLIP = selector(T0 + 2, T0 + 4)
#: Every fragment: 60 frames.
EVERYTHING = selector(T0 - 1, T0 + 10)
#: One sample a second from T0-1 to T0+7: no media at either end.
IMAGES = [
    "--image-selector-type",
    "PRODUCER_TIMESTAMP",
    "--start-timestamp",
    f"{T0 - 1:.0f}",
    "--end-timestamp",
    f"{T0 + 7:.0f}",
    "--sampling-interval",
    "1000",
    "--format",
    "JPEG",
    "--width-pixels",
    "160",
    "--height-pixels",
    "120",
]
IMAGE_ERRORS = ["NO_MEDIA"] + [None] * 6 + ["NO_MEDIA"] * 2
NO_RETENTION_ERROR = (
    "An error occurred (NoDataRetentionException) when calling the GetClip operation: "
    f"The stream {NO_RETENTION} does not retain data (DataRetentionInHours is 0)."
)

Aws = Callable[..., tuple[int, str, str]]


def decoded_frames(path: Path) -> list[float]:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        assert (stream.codec_context.width, stream.codec_context.height) == (320, 240)
        return [round(float(frame.time), 3) for frame in container.decode(video=0)]


def check_images(out: str) -> None:
    images = json.loads(out)["Images"]
    assert [image["TimeStamp"] for image in images] == [T0 + s for s in range(-1, 8)]
    assert [image.get("Error") for image in images] == IMAGE_ERRORS
    for image in images:
        if "Error" in image:
            assert "ImageContent" not in image
            continue
        picture = Image.open(io.BytesIO(base64.b64decode(image["ImageContent"])))
        assert (picture.format, picture.size) == ("JPEG", (160, 120))


def check_fragments(out: str, server_delay: float) -> None:
    fragments = sorted(json.loads(out)["Fragments"], key=lambda f: f["ProducerTimestamp"])
    assert [
        (f["ProducerTimestamp"], f["ServerTimestamp"], f["FragmentLengthInMilliseconds"])
        for f in fragments
    ] == [(T0 + 2 * i, T0 + 2 * i + server_delay, 2000) for i in range(3)]


def playback(aws: Aws, tmp_path: Path, server_delay: float) -> str:
    """The CLI session both ways run: GetDataEndpoint, get-clip, get-images,
    list-fragments (the media arrived ``server_delay`` seconds after its producer
    time), then the HLS session URL (returned for the caller to play)."""
    rc, out, err = aws(
        "kinesisvideo", "get-data-endpoint", "--stream-name", STREAM, "--api-name", "GET_CLIP"
    )
    assert rc == 0, err
    endpoint = json.loads(out)["DataEndpoint"]
    archive = ("kinesis-video-archived-media", "--endpoint-url", endpoint)

    clip = tmp_path / "clip.mp4"
    rc, out, err = aws(
        *archive, "get-clip", "--stream-name", STREAM, "--clip-fragment-selector", CLIP, str(clip)
    )
    assert (rc, json.loads(out), err) == (0, {"ContentType": "video/mp4"}, "")
    assert clip.read_bytes()[4:8] == b"ftyp"
    assert decoded_frames(clip) == [round(i / 10, 3) for i in range(40)]  # timeline from 0

    rc, out, err = aws(*archive, "get-images", "--stream-name", STREAM, *IMAGES)
    assert (rc, err) == (0, "")
    check_images(out)

    rc, out, err = aws(*archive, "list-fragments", "--stream-name", STREAM)
    assert (rc, err) == (0, "")
    check_fragments(out, server_delay)

    rc, out, err = aws(
        *archive,
        "get-hls-streaming-session-url",
        "--stream-name",
        STREAM,
        "--playback-mode",
        "ON_DEMAND",
        "--hls-fragment-selector",
        EVERYTHING,
    )
    assert (rc, err) == (0, "")
    (url,) = json.loads(out).values()
    assert isinstance(url, str) and "/hls/v1/getHLSMasterPlaylist.m3u8?SessionToken=" in url
    return url


def no_retention(aws: Aws, tmp_path: Path) -> None:
    rc, out, err = aws(
        "kinesisvideo",
        "get-data-endpoint",
        "--stream-name",
        NO_RETENTION,
        "--api-name",
        "GET_CLIP",
    )
    assert (rc, err) == (0, "")
    endpoint = json.loads(out)["DataEndpoint"]
    rc, out, err = aws(
        "kinesis-video-archived-media",
        "--endpoint-url",
        endpoint,
        "get-clip",
        "--stream-name",
        NO_RETENTION,
        "--clip-fragment-selector",
        EVERYTHING,
        str(tmp_path / "none.mp4"),
    )
    assert (rc, out, err.strip()) == (255, "", NO_RETENTION_ERROR)  # awscli v1; v2 uses 254
    assert not (tmp_path / "none.mp4").exists()


# -- in process: the CLI's own driver under kvsim.boto.mock --------------------------------


@pytest.fixture
def world() -> kvsim.Simulator:
    sim = kvsim.Simulator(seed=0, timings=kvsim.Timings(call_latency=0))
    kv = sim.client(region_name=REGION)
    kv.create_stream(StreamName=STREAM, DataRetentionInHours=24)
    kv.create_stream(StreamName=NO_RETENTION, DataRetentionInHours=0)
    sim.advance(30)
    acks = sim.put_media(
        STREAM,
        h264_test_video(**VIDEO),
        region_name=REGION,
        timecode_type="RELATIVE",
        producer_start=START,
    )
    assert [a["EventType"] for a in acks].count("PERSISTED") == 3
    sim.advance(60)
    return sim


@pytest.fixture
def aws(
    world: kvsim.Simulator, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Aws:
    """``aws(service, *args)`` runs the CLI in process, served by ``world``, in the
    environment of ``test_awscli.py``."""
    for name in _AWS_OVERRIDES:
        monkeypatch.delenv(name, raising=False)
    for name, value in _AWS_ENV.items():
        monkeypatch.setenv(name, value)

    def run(*args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        with kvsim.boto.mock(world):
            try:
                rc = clidriver.create_clidriver().main(list(args))
            except SystemExit as exit:  # the CLI's argument parser
                rc = exit.code
        out, err = capsys.readouterr()
        return rc, out, err

    return run


def test_cli_playback_in_process(aws: Aws, world: kvsim.Simulator, tmp_path: Path) -> None:
    url = playback(aws, tmp_path, server_delay=0.0)
    assert url.startswith("https://b-") and f".kinesisvideo.{REGION}.amazonaws.com/" in url
    master = world.fetch(url)
    assert (master.status, master.text.splitlines()[0]) == (200, "#EXTM3U")
    # The CLI's file is byte for byte the facade's clip of the same range.
    archive = world.client("kinesis-video-archived-media", region_name=REGION)
    clip = archive.get_clip(StreamName=STREAM, ClipFragmentSelector=json.loads(CLIP))
    assert (tmp_path / "clip.mp4").read_bytes() == clip["Payload"].read()


def test_cli_no_data_retention_in_process(aws: Aws, tmp_path: Path) -> None:
    no_retention(aws, tmp_path)


# -- a subprocess against kvsim serve --------------------------------------------------------


@pytest.fixture(scope="module")
def served() -> Iterator[str]:
    """``kvsim serve --port 0`` in a subprocess, with the media put over HTTP; its URL."""
    with kvsim_serve_process("--seed", "0") as base:
        kv = boto3.client(
            "kinesisvideo",
            region_name=REGION,
            endpoint_url=base,
            aws_access_key_id="AKIDSETUP",
            aws_secret_access_key="any",
        )
        kv.create_stream(StreamName=STREAM, DataRetentionInHours=24)
        kv.create_stream(StreamName=NO_RETENTION, DataRetentionInHours=0)
        advance_served(base, 30)
        endpoint = kv.get_data_endpoint(StreamName=STREAM, APIName="PUT_MEDIA")["DataEndpoint"]
        acks = put_media_over_http(
            endpoint, h264_test_video(**VIDEO), stream=STREAM, producer_start=START, region=REGION
        )
        assert acks.count(b'"PERSISTED"') == 3
        advance_served(base, 60)
        yield base


def aws_process(served: str) -> Aws:
    """``aws(service, *args)`` runs ``python -m awscli`` isolated against ``served``."""
    env = {k: v for k, v in os.environ.items() if k not in _AWS_OVERRIDES}
    env.update(_AWS_ENV)

    def run(service: str, *args: str) -> tuple[int, str, str]:
        control_plane = ["--endpoint-url", served] if service == "kinesisvideo" else []
        done = subprocess.run(
            [sys.executable, "-m", "awscli", service, *control_plane, *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
        )
        return done.returncode, done.stdout, done.stderr

    return run


def test_cli_playback_against_kvsim_serve(served: str, tmp_path: Path) -> None:
    # Two CreateStream calls, 30 s advanced, a GetDataEndpoint (50 ms a call): the
    # server's clock reads T0 + 0.15 s when the media arrives.
    url = playback(aws_process(served), tmp_path, server_delay=0.15)
    assert url.startswith(f"{served}/_endpoint/b-")
    with av.open(url) as container:  # FFmpeg's HLS demuxer
        times = [round(float(frame.time), 3) for frame in container.decode(video=0)]
    assert [round(t - times[0], 3) for t in times] == [round(i / 10, 3) for i in range(60)]


def test_cli_no_data_retention_against_kvsim_serve(served: str, tmp_path: Path) -> None:
    no_retention(aws_process(served), tmp_path)
