"""GetMedia's payload read by FFmpeg (PyAV), an MKV reader no one here wrote:
the frames, their times and the fragments' tags equal what was put in."""

from __future__ import annotations

import io
import itertools
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

import kvsim
import kvsim.boto
from kvsim.media.generate import generated_mkv

av = pytest.importorskip("av")

FRAGMENTS, FRAMES, FRAME_SIZE = 4, 10, 200


@pytest.fixture(params=["in-process", "serve"])
def world(request: pytest.FixtureRequest) -> Iterator[tuple[kvsim.Simulator, Any]]:
    sim = kvsim.Simulator(seed=2, timings=kvsim.Timings(call_latency=0))
    sim.client().create_stream(StreamName="cam", DataRetentionInHours=2)
    sim.advance(5)
    media = generated_mkv(count=FRAGMENTS, duration=1.0, frame_rate=FRAMES, frame_size=FRAME_SIZE)
    sim.put_media("cam", media, timecode_type="RELATIVE")
    if request.param == "in-process":
        kv = kvsim.boto.client(sim)
        url = kv.get_data_endpoint(StreamName="cam", APIName="GET_MEDIA")["DataEndpoint"]
        yield sim, kvsim.boto.client(sim, "kinesis-video-media", endpoint_url=url)
        return
    with sim.serve() as base:
        session = boto3.session.Session(
            aws_access_key_id="AKIDPYAV", aws_secret_access_key="x", region_name="us-east-1"
        )
        kv = session.client("kinesisvideo", endpoint_url=base)
        url = kv.get_data_endpoint(StreamName="cam", APIName="GET_MEDIA")["DataEndpoint"]
        yield sim, session.client("kinesis-video-media", endpoint_url=url)


def test_ffmpeg_reads_get_medias_frames_times_and_tags(
    world: tuple[kvsim.Simulator, Any],
) -> None:
    sim, media = world
    answer = media.get_media(StreamName="cam", StartSelector={"StartSelectorType": "EARLIEST"})
    data = answer["Payload"].read()
    listed = sim.client("kinesis-video-archived-media").list_fragments(StreamName="cam")
    fragments = sorted(listed["Fragments"], key=lambda f: int(f["FragmentNumber"]))
    assert len(fragments) == FRAGMENTS
    with av.open(io.BytesIO(data), format="matroska") as container:
        [stream] = container.streams.video
        assert stream.codec_context.name == "h264"
        packets = [p for p in container.demux(stream) if p.size]
        # FFmpeg shows the tags in front of the first cluster as container metadata.
        tags = dict(container.metadata)
    assert len(packets) == FRAGMENTS * FRAMES
    assert {p.size for p in packets} == {FRAME_SIZE}
    pts = sorted(p.pts for p in packets)
    first_ms = round(fragments[0]["ProducerTimestamp"].timestamp() * 1000)
    assert pts[0] == first_ms  # clusters carry producer time, in ms
    assert {b - a for a, b in itertools.pairwise(pts)} == {1000 // FRAMES}
    assert tags["AWS_KINESISVIDEO_FRAGMENT_NUMBER"] == fragments[0]["FragmentNumber"]
    assert tags["AWS_KINESISVIDEO_CONTINUATION_TOKEN"] == fragments[0]["FragmentNumber"]
    # The newest fragment arrived 3 s (3 fragments of 1 s, sent in real time) later.
    assert tags["AWS_KINESISVIDEO_MILLIS_BEHIND_NOW"] == "3000"
