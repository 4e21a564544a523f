"""HLS and DASH sessions over HTTP, proven with players no one here wrote (issue 13).

The application code is AWS's pattern through real boto3 clients against
``sim.serve()``: GetDataEndpoint, then GetHLSStreamingSessionURL (or DASH) on
that endpoint, then the URL handed to a player. FFmpeg (PyAV) opens the HLS
URL and decodes real H.264 (:func:`kvsim.media.testvideo.h264_test_video`);
PyAV's FFmpeg has no DASH demuxer (no libxml2), so video.js's own manifest
parser (``mpd-parser``, run by Node.js from ``tests/js``) resolves the DASH
manifest's segments, which are fetched over HTTP and decoded by FFmpeg.
"""

from __future__ import annotations

import http.client
import io
import json
import subprocess
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urljoin, urlsplit

import boto3
import pytest
from helpers import JS, node_with

import kvsim

av = pytest.importorskip("av")
from kvsim.media.testvideo import h264_test_video  # noqa: E402  (needs PyAV)

START = datetime(2026, 1, 1, tzinfo=UTC)
FIRST_MS = int((START + timedelta(seconds=5)).timestamp() * 1000)
#: 6 s of H.264 at 10 frames a second, in 2-second fragments, from 00:00:05.
EXPECTED_TIMES = [(FIRST_MS + 100 * i) / 1000 for i in range(60)]


@pytest.fixture(scope="module")
def video() -> bytes:
    return h264_test_video(duration=6.0, frame_rate=10, fragment_duration=2.0)


@pytest.fixture
def served(video: bytes) -> Iterator[tuple[kvsim.Simulator, str]]:
    sim = kvsim.Simulator(seed=5, timings=kvsim.Timings(call_latency=0))
    sim.client().create_stream(StreamName="lobby", DataRetentionInHours=24)
    sim.advance(5)
    sim.put_media("lobby", video, timecode_type="RELATIVE")
    with sim.serve() as base:
        yield sim, base


def client(service: str, **kwargs: Any) -> Any:
    return boto3.client(
        service,
        region_name="us-east-1",
        aws_access_key_id="AKIDPLAYER",
        aws_secret_access_key="secret",
        **kwargs,
    )


def session_url(base: str, protocol: str, **kwargs: Any) -> str:
    """AWS's pattern: the data endpoint, then the session URL on it."""
    api = f"GET_{protocol}_STREAMING_SESSION_URL"
    kv = client("kinesisvideo", endpoint_url=base)
    endpoint = kv.get_data_endpoint(StreamName="lobby", APIName=api)["DataEndpoint"]
    archive = client("kinesis-video-archived-media", endpoint_url=endpoint)
    method = getattr(archive, f"get_{protocol.lower()}_streaming_session_url")
    url: str = method(
        StreamName="lobby",
        PlaybackMode="ON_DEMAND",
        **{
            f"{protocol}FragmentSelector": {
                "FragmentSelectorType": "PRODUCER_TIMESTAMP",
                "TimestampRange": {
                    "StartTimestamp": START,
                    "EndTimestamp": START + timedelta(minutes=1),
                },
            }
        },
        **kwargs,
    )[f"{protocol}StreamingSessionURL"]
    return url


def decoded(source: Any) -> list[float]:
    with av.open(source, timeout=10) as container:
        stream = container.streams.video[0]
        assert (stream.codec_context.name, stream.width, stream.height) == ("h264", 320, 240)
        return [frame.time for frame in container.decode(video=0)]


def test_ffmpeg_plays_the_hls_url_boto3_returns(served: tuple[kvsim.Simulator, str]) -> None:
    _sim, base = served
    url = session_url(base, "HLS")
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}" == base
    assert parts.path.startswith("/_endpoint/b-")
    assert parts.path.endswith(
        ".kinesisvideo.us-east-1.amazonaws.com/hls/v1/getHLSMasterPlaylist.m3u8"
    )
    assert parts.query.startswith("SessionToken=Ci") and parts.query.endswith("~")
    assert decoded(url) == pytest.approx(EXPECTED_TIMES)


def test_an_expired_url_fails_to_open(served: tuple[kvsim.Simulator, str]) -> None:
    sim, base = served
    url = session_url(base, "HLS")
    sim.advance(300)
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(url, timeout=10)
    assert info.value.code == 403
    assert info.value.headers["x-amzn-ErrorType"] == "NotAuthorizedException"
    assert json.loads(info.value.read()) == {"Message": "Streaming session token is expired"}
    with pytest.raises(av.error.HTTPForbiddenError):  # FFmpeg's answer to HTTP 403
        av.open(url, timeout=10)


def _mpd_parser() -> str:
    return node_with("mpd-parser")


def test_a_dash_player_resolves_the_manifest_and_ffmpeg_decodes_it(
    served: tuple[kvsim.Simulator, str],
) -> None:
    node = _mpd_parser()
    _sim, base = served
    url = session_url(base, "DASH", DisplayFragmentNumber="ALWAYS")
    with urllib.request.urlopen(url, timeout=10) as answer:
        assert answer.headers["Content-Type"] == "application/dash+xml"
        manifest = answer.read()
    parsed = json.loads(
        subprocess.run(
            [node, str(JS / "dash_segments.js"), url],
            input=manifest,
            capture_output=True,
            check=True,
            timeout=60,
        ).stdout
    )
    assert parsed["codecs"].startswith("avc1.") and parsed["resolution"] == {
        "width": 320,
        "height": 240,
    }
    segments = parsed["segments"]
    assert [(s["number"], s["duration"], s["presentationTime"]) for s in segments] == [
        (0, 2, 0),
        (1, 2, 2),
        (2, 2, 4),
    ]
    data = b""
    for segment_url in [parsed["init"], *(s["uri"] for s in segments)]:
        with urllib.request.urlopen(segment_url, timeout=10) as answer:
            assert answer.headers["Content-Type"] == "video/mp4"
            data += answer.read()
    assert decoded(io.BytesIO(data)) == pytest.approx(EXPECTED_TIMES)


def test_direct_paths_head_and_keep_alive(served: tuple[kvsim.Simulator, str]) -> None:
    _sim, base = served
    url = session_url(base, "HLS")
    query = urlsplit(url).query
    host = urlsplit(base).netloc
    connection = http.client.HTTPConnection(host, timeout=10)
    try:
        for path, content_type in (
            (f"/hls/v1/getHLSMasterPlaylist.m3u8?{query}", "application/x-mpegURL"),
            (f"/hls/v1/getHLSMediaPlaylist.m3u8?{query}", "application/x-mpegURL"),
        ):
            connection.request("GET", path)
            answer = connection.getresponse()
            body = answer.read()
            assert (answer.status, answer.headers["Content-Type"]) == (200, content_type)
            assert int(answer.headers["Content-Length"]) == len(body) and body.startswith(
                b"#EXTM3U"
            )
        media = [line for line in body.decode().splitlines() if line.startswith("getMP4Media")]
        connection.request("HEAD", f"/hls/v1/{media[0]}")
        answer = connection.getresponse()
        assert answer.status == 200 and answer.read() == b""
        assert answer.headers["Content-Type"] == "video/mp4"
        assert int(answer.headers["Content-Length"]) > 1000
        connection.request("GET", "/hls/v1/getHLSMasterPlaylist.m3u8?SessionToken=x")
        answer = connection.getresponse()
        assert (answer.status, json.loads(answer.read())) == (
            403,
            {"Message": "Streaming session token is invalid"},
        )
    finally:
        connection.close()


def test_ffmpeg_plays_an_mpeg_ts_session(served: tuple[kvsim.Simulator, str]) -> None:
    _sim, base = served
    url = session_url(base, "HLS", ContainerFormat="MPEG_TS")
    with urllib.request.urlopen(url, timeout=10) as answer:
        media = answer.read().decode().splitlines()[-1]
    with urllib.request.urlopen(urljoin(url, media), timeout=10) as answer:
        playlist = answer.read().decode()
    assert "#EXT-X-VERSION:3" in playlist and "#EXT-X-MAP" not in playlist
    segments = [line for line in playlist.splitlines() if line.startswith("getTSFragment.ts?")]
    assert len(segments) == 3
    with urllib.request.urlopen(urljoin(url, segments[0]), timeout=10) as answer:
        assert answer.headers["Content-Type"] == "video/MP2T"
        assert answer.read()[0] == 0x47  # a transport stream's sync byte
    times = decoded(url)
    assert len(times) == 60
    # 90 kHz PTS modulo 2**33: the producer times, wrapped.
    wrap = 2**33 / 90_000
    assert times == pytest.approx([t % wrap for t in EXPECTED_TIMES], abs=1e-3)


def test_ffmpeg_plays_video_with_aac_audio() -> None:
    from media.aac_tone import aac_tone, with_audio

    from kvsim.media.mkv import read_mkv, write_mkv

    header, clusters = read_mkv(h264_test_video(duration=4.0, frame_rate=10, fragment_duration=2.0))
    private, frames = aac_tone(seconds=4.0)
    header, clusters = with_audio(header, clusters, private, frames)
    sim = kvsim.Simulator(seed=5, timings=kvsim.Timings(call_latency=0))
    sim.client().create_stream(StreamName="lobby", DataRetentionInHours=24)
    sim.advance(5)
    sim.put_media(
        "lobby", b"".join(write_mkv(header, [(c, ()) for c in clusters])), timecode_type="RELATIVE"
    )
    with sim.serve() as base:
        url = session_url(base, "HLS")
        with urllib.request.urlopen(url, timeout=10) as answer:
            master = answer.read().decode()
        assert 'CODECS="avc1.' in master and ',mp4a.40.2"' in master
        with av.open(url, timeout=10) as container:
            assert [s.type for s in container.streams] == ["video", "audio"]
            decoded_frames = list(container.decode(video=0, audio=0))
    video = [f for f in decoded_frames if isinstance(f, av.VideoFrame)]
    audio = [f for f in decoded_frames if isinstance(f, av.AudioFrame)]
    assert len(video) == 40
    assert len(audio) == len(frames)
    assert audio[0].sample_rate == 44100
