"""Same seed + same calls ⇒ the same playback, byte for byte, in any process.

One scenario on real media (H.264 and AAC from ``kvsim.media.testvideo``): a
clip, HLS sessions on demand (fMP4 and MPEG-TS) and live with every document
and segment fetched, a DASH manifest and its segments, GetImages as JPEG and
PNG, and image generation and notifications delivered for tagged fragments.
Its transcript holds the URLs, tokens and status codes, and the sha256 of
every body, document and delivery: five fresh simulators, and a fresh
interpreter with another ``PYTHONHASHSEED``, write the same text.

Run as a script (``python tests/core/test_playback_determinism.py``) it prints
the transcript, which is how the subprocess test uses it.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import pytest

import kvsim

HERE = Path(__file__).resolve()
SEED = 11


def _sha(data: bytes | str) -> str:
    return hashlib.sha256(data.encode() if isinstance(data, str) else data).hexdigest()


class _Log:
    def __init__(self, sim: kvsim.Simulator) -> None:
        self.sim = sim
        self.lines: list[Any] = []

    def fetch(self, url: str) -> Any:
        answer = self.sim.fetch(url)
        self.lines.append(["fetch", url, answer.status, answer.headers["Content-Type"]])
        self.lines.append(["body", _sha(answer.body), len(answer.body)])
        return answer

    def playlist(self, session_url: str) -> None:
        # Master → media playlist → init segments and media segments it names.
        master = self.fetch(session_url)
        media_url = urljoin(session_url, master.text.splitlines()[-1])
        playlist = self.fetch(media_url)
        for line in playlist.text.splitlines():
            if line.startswith("#EXT-X-MAP:URI="):
                self.fetch(urljoin(session_url, line.split('"')[1]))
            elif line and not line.startswith("#"):
                self.fetch(urljoin(session_url, line))


def scenario() -> str:
    """Run the playback scenario on a fresh ``Simulator(seed=SEED)``; its transcript."""
    from kvsim.media.mkv import read_mkv, write_mkv
    from kvsim.media.testvideo import h264_test_video

    sim = kvsim.Simulator(seed=SEED)
    log = _Log(sim)
    kv = sim.client()
    archive = sim.client("kinesis-video-archived-media")
    kv.create_stream(StreamName="lobby", DataRetentionInHours=24)
    kv.create_stream(StreamName="gate", DataRetentionInHours=24)
    sim.advance(5)
    for name, image_format in (("lobby", "JPEG"), ("gate", "PNG")):
        kv.update_image_generation_configuration(
            StreamName=name,
            ImageGenerationConfiguration={
                "Status": "ENABLED",
                "ImageSelectorType": "PRODUCER_TIMESTAMP",
                "DestinationConfig": {"Uri": f"s3://{name}", "DestinationRegion": "us-east-1"},
                "SamplingInterval": 500,
                "Format": image_format,
                "WidthPixels": 160,
            },
        )
        kv.update_notification_configuration(
            StreamName=name,
            NotificationConfiguration={
                "Status": "ENABLED",
                "DestinationConfig": {"Uri": f"arn:aws:sns:us-east-1:123456789012:{name}"},
            },
        )
    sim.advance(60)  # the configurations take effect after a minute

    video = h264_test_video(duration=4.0, audio=True, fragment_duration=2.0)
    header, clusters = read_mkv(video)
    tags = [
        ("AWS_KINESISVIDEO_IMAGE_GENERATION", ""),
        ("AWS_KINESISVIDEO_NOTIFICATION", ""),
        ("site", "north"),
    ]
    tagged = b"".join(write_mkv(header, [(clusters[0], tags), (clusters[1], ())]))
    start = sim.now
    log.lines.append(["put", sim.put_media("lobby", video, timecode_type="RELATIVE")])
    log.lines.append(["put", sim.put_media("gate", tagged, timecode_type="RELATIVE")])
    end = sim.now
    span = {"StartTimestamp": start, "EndTimestamp": end}

    clip = archive.get_clip(
        StreamName="lobby",
        ClipFragmentSelector={"FragmentSelectorType": "SERVER_TIMESTAMP", "TimestampRange": span},
    )
    log.lines.append(["clip", clip["ContentType"], _sha(clip["Payload"].read())])

    for container in ("FRAGMENTED_MP4", "MPEG_TS"):
        url = archive.get_hls_streaming_session_url(
            StreamName="lobby",
            PlaybackMode="ON_DEMAND",
            ContainerFormat=container,
            HLSFragmentSelector={
                "FragmentSelectorType": "SERVER_TIMESTAMP",
                "TimestampRange": span,
            },
        )["HLSStreamingSessionURL"]
        log.lines.append(["hls", container, url])
        log.playlist(url)
    live = archive.get_hls_streaming_session_url(StreamName="gate", PlaybackMode="LIVE")
    log.lines.append(["hls-live", live["HLSStreamingSessionURL"]])
    log.playlist(live["HLSStreamingSessionURL"])

    dash = archive.get_dash_streaming_session_url(
        StreamName="lobby",
        PlaybackMode="ON_DEMAND",
        DisplayFragmentNumber="ALWAYS",
        DisplayFragmentTimestamp="ALWAYS",
        DASHFragmentSelector={"FragmentSelectorType": "PRODUCER_TIMESTAMP", "TimestampRange": span},
    )["DASHStreamingSessionURL"]
    log.lines.append(["dash", dash])
    manifest = log.fetch(dash).text
    token = dash.split("SessionToken=")[1]
    log.fetch(urljoin(dash, f"getMP4InitFragment.mp4?SessionToken={token}"))
    for number in range(2):
        log.fetch(
            urljoin(dash, f"getMP4MediaFragment.mp4?SequenceNumber={number}&SessionToken={token}")
        )
    log.lines.append(["manifest-lines", len(manifest.splitlines())])

    for image_format in ("JPEG", "PNG"):
        images = archive.get_images(
            StreamName="lobby",
            ImageSelectorType="PRODUCER_TIMESTAMP",
            StartTimestamp=start - timedelta(seconds=1),
            EndTimestamp=start + timedelta(seconds=5),
            SamplingInterval=1000,
            Format=image_format,
            WidthPixels=160,
        )["Images"]
        log.lines.append(
            [
                "images",
                image_format,
                [
                    [
                        image["TimeStamp"].isoformat(),
                        image.get("Error") or _sha(base64.b64decode(image["ImageContent"])),
                    ]
                    for image in images
                ],
            ]
        )

    sim.advance(5)
    for image in sim.delivered_images():
        log.lines.append(
            [
                "delivered",
                image.uri,
                image.key,
                image.metadata,
                image.image_format,
                _sha(image.content),
            ]
        )
    for note in sim.notifications():
        log.lines.append(["notified", note.topic_arn, note.subject, _sha(note.message)])
    sim.advance(400)  # every session is past its Expires
    log.fetch(dash)
    log.lines.append(["now", sim.now.isoformat()])
    return json.dumps(log.lines, indent=1, default=str)


def test_five_fresh_simulators_play_the_same_bytes() -> None:
    pytest.importorskip("av")
    first = scenario()
    assert '"delivered"' in first and '"notified"' in first and "getTSFragment.ts" in first
    assert "MEDIA_ERROR" not in first and first.count('"fetch"') == 19
    for _run in range(4):
        assert scenario() == first


def test_another_process_and_hash_seed_plays_the_same_bytes() -> None:
    pytest.importorskip("av")
    # The checkout first on the path: the script imports kvsim installed or not.
    path = os.pathsep.join(filter(None, (str(HERE.parents[2]), os.environ.get("PYTHONPATH"))))
    env = {**os.environ, "PYTHONHASHSEED": "12345", "PYTHONPATH": path}
    result = subprocess.run(
        [sys.executable, str(HERE)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    assert result.stdout == scenario() + "\n"


if __name__ == "__main__":
    print(scenario())
