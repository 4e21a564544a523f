"""The AWS SDK for JavaScript v3 (``@aws-sdk/client-kinesis-video`` and
``@aws-sdk/client-kinesis-video-archived-media``) plays back archived media from
``sim.serve()``.

``tests/js/archived_media.js`` calls GetDataEndpoint for GET_CLIP, GET_IMAGES and
GET_HLS_STREAMING_SESSION_URL, then GetClip (its streamed payload read to the end),
GetImages (paginated), GetHLSStreamingSessionURL and ListFragments, and prints what it
got; every value is checked against what the in-process facade answers for the same
request. ``.ci/run`` installs the packages (``npm ci`` in ``tests/js``); here they are
installed if missing. Skipped only where Node.js is missing.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import urllib.request
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from helpers import JS, node_with

import kvsim
from kvsim.media.testvideo import h264_test_video

pytest.importorskip("av", reason="the media extra is not installed (the test video needs PyAV)")


STREAM = "lobby"
START = datetime(2026, 1, 1, 0, 0, 30, tzinfo=UTC)
#: The producer-time range the script plays: the fragments starting at 30 s, 32 s
#: and 34 s (both ends inclusive).
RANGE = {"StartTimestamp": START, "EndTimestamp": START + timedelta(seconds=4)}
#: The script's images: one a second from 1 s before the range to 3 s after it.
IMAGE_ERRORS = ["NO_MEDIA"] + [None] * 6 + ["NO_MEDIA"] * 2


@pytest.fixture(scope="module")
def node() -> str:
    return node_with("@aws-sdk/client-kinesis-video-archived-media")


@pytest.fixture
def world() -> kvsim.Simulator:
    sim = kvsim.Simulator(seed=0, timings=kvsim.Timings(call_latency=0))
    sim.client().create_stream(StreamName=STREAM, DataRetentionInHours=24)
    sim.advance(30)
    video = h264_test_video(duration=6.0, frame_rate=10, fragment_duration=2.0)
    acks = sim.put_media(STREAM, video, timecode_type="RELATIVE", producer_start=START)
    assert [a["EventType"] for a in acks].count("PERSISTED") == 3
    sim.advance(60)
    return sim


def iso(when: datetime) -> str:
    """A time as JavaScript's ``Date.toISOString()`` writes it."""
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def expected_images(sim: kvsim.Simulator) -> list[dict[str, Any]]:
    """The facade's GetImages for the request the script makes."""
    archive = sim.client("kinesis-video-archived-media")
    pages = archive.get_paginator("get_images").paginate(
        StreamName=STREAM,
        ImageSelectorType="PRODUCER_TIMESTAMP",
        StartTimestamp=RANGE["StartTimestamp"] - timedelta(seconds=1),
        EndTimestamp=RANGE["EndTimestamp"] + timedelta(seconds=3),
        SamplingInterval=1000,
        Format="JPEG",
        WidthPixels=160,
        HeightPixels=120,
    )
    return [
        {
            "timeStamp": iso(image["TimeStamp"]),
            "error": image.get("Error"),
            "contentLength": len(image["ImageContent"]) if "ImageContent" in image else None,
        }
        for page in pages
        for image in page["Images"]
    ]


def test_js_sdk_plays_back_archived_media(node: str, world: kvsim.Simulator) -> None:
    with world.serve() as base:
        run = subprocess.run(
            [
                node,
                str(JS / "archived_media.js"),
                base,
                STREAM,
                str(RANGE["StartTimestamp"].timestamp()),
                str(RANGE["EndTimestamp"].timestamp()),
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert run.returncode == 0, run.stdout + run.stderr
        got = json.loads(run.stdout.strip().splitlines()[-1])

        # Every data endpoint is the stream's b- host, served under the base URL.
        host = world.client().get_data_endpoint(StreamName=STREAM, APIName="GET_CLIP")
        served_host = f"{base}/_endpoint/{host['DataEndpoint'].removeprefix('https://')}"
        assert got["endpoints"] == {
            "GET_CLIP": served_host,
            "GET_IMAGES": served_host,
            "GET_HLS_STREAMING_SESSION_URL": served_host,
        }

        # The HLS session URL points at the server, which answers its master playlist.
        url = got["hlsUrl"]
        assert url.startswith(f"{served_host}/hls/v1/getHLSMasterPlaylist.m3u8?SessionToken=")
        with urllib.request.urlopen(url, timeout=10) as answer:
            assert (answer.status, answer.read().splitlines()[0]) == (200, b"#EXTM3U")
        in_process = world.fetch(url)
        assert (in_process.status, in_process.text.splitlines()[0]) == (200, "#EXTM3U")

    # The clip: the facade's MP4 of the same range, byte for byte.
    archive = world.client("kinesis-video-archived-media")
    clip = archive.get_clip(
        StreamName=STREAM,
        ClipFragmentSelector={
            "FragmentSelectorType": "PRODUCER_TIMESTAMP",
            "TimestampRange": RANGE,
        },
    )["Payload"].read()
    assert clip[4:8] == b"ftyp"
    assert got["clip"] == {
        "contentType": "video/mp4",
        "length": len(clip),
        "head": clip[:8].hex(),
        "sha256": hashlib.sha256(clip).hexdigest(),
    }

    # Images: 9 samples a second apart in pages of 4, no media before and after the video.
    assert got["imagePages"] == 3
    assert [image["error"] for image in got["images"]] == IMAGE_ERRORS
    assert [image["timeStamp"] for image in got["images"]] == [
        iso(START + timedelta(seconds=s)) for s in range(-1, 8)
    ]
    assert all(image["contentLength"] > 1000 for image in got["images"][1:7])
    assert got["images"] == expected_images(world)

    # ListFragments: the three fragments (in no guaranteed order), as the facade lists them.
    fragments = archive.list_fragments(StreamName=STREAM)["Fragments"]
    assert sorted(got["fragments"], key=lambda f: f["producerTimestamp"]) == [
        {
            "number": f["FragmentNumber"],
            "producerTimestamp": iso(f["ProducerTimestamp"]),
            "lengthMs": f["FragmentLengthInMilliseconds"],
            "size": f["FragmentSizeInBytes"],
        }
        for f in sorted(fragments, key=lambda f: f["ProducerTimestamp"])
    ]
    assert sorted(f["producerTimestamp"] for f in got["fragments"]) == [
        iso(START + timedelta(seconds=s)) for s in (0, 2, 4)
    ]
