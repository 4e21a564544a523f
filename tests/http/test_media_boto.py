"""The three media patterns through genuine boto3 clients, in process and over
``sim.serve()``, with what comes back parsed by PyAV/FFmpeg (issue 12)."""

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
from kvsim.media.mkv import read_mkv


@pytest.fixture
def sim() -> kvsim.Simulator:
    sim = kvsim.Simulator(seed=1, timings=kvsim.Timings(call_latency=0))
    sim.client().create_stream(StreamName="cam", DataRetentionInHours=2)
    sim.advance(5)
    media = generated_mkv(count=4, duration=1.0, frame_rate=10, frame_size=200)
    acks = sim.put_media("cam", media, timecode_type="RELATIVE")
    assert [a["EventType"] for a in acks].count("PERSISTED") == 4
    return sim


#: Each data-plane service and the API name of its endpoint.
DATA_APIS = (
    ("kinesis-video-archived-media", "LIST_FRAGMENTS"),
    ("kinesis-video-media", "GET_MEDIA"),
)


def in_process(sim: kvsim.Simulator) -> dict[str, Any]:
    kv = kvsim.boto.client(sim)

    def endpoint(api: str) -> str:
        return str(kv.get_data_endpoint(StreamName="cam", APIName=api)["DataEndpoint"])

    # Data-plane clients as applications make them: on the stream's endpoints.
    return {
        service: kvsim.boto.client(sim, service, endpoint_url=endpoint(api))
        for service, api in DATA_APIS
    }


@pytest.fixture(params=["in-process", "serve"])
def clients(request: pytest.FixtureRequest, sim: kvsim.Simulator) -> Iterator[dict[str, Any]]:
    if request.param == "in-process":
        yield in_process(sim)
        return
    with sim.serve() as url:
        session = boto3.session.Session(
            aws_access_key_id="AKIDMEDIA", aws_secret_access_key="x", region_name="us-east-1"
        )
        kv = session.client("kinesisvideo", endpoint_url=url)
        yield {
            name: session.client(
                name,
                endpoint_url=kv.get_data_endpoint(StreamName="cam", APIName=api)["DataEndpoint"],
            )
            for name, api in DATA_APIS
        }


def numbers(archive: Any) -> list[str]:
    pages = archive.get_paginator("list_fragments").paginate(
        StreamName="cam", PaginationConfig={"PageSize": 3}
    )
    return sorted((f["FragmentNumber"] for p in pages for f in p["Fragments"]), key=int)


def test_archiver_and_fragment_list_through_boto3(clients: dict[str, Any]) -> None:
    archive = clients["kinesis-video-archived-media"]
    found = numbers(archive)
    assert len(found) == 4
    answer = archive.get_media_for_fragment_list(StreamName="cam", Fragments=found[1:3])
    assert answer["ContentType"] == "video/webm"
    _header, clusters = read_mkv(answer["Payload"].read())
    assert [dict(c.tags)["AWS_KINESISVIDEO_FRAGMENT_NUMBER"] for c in clusters] == found[1:3]
    assert all(len(c.frames) == 10 for c in clusters)


def test_live_consumer_through_boto3(clients: dict[str, Any]) -> None:
    media = clients["kinesis-video-media"]
    body = media.get_media(StreamName="cam", StartSelector={"StartSelectorType": "EARLIEST"})
    _header, clusters = read_mkv(body["Payload"].read())
    assert len(clusters) == 4
    token = dict(clusters[1].tags)["AWS_KINESISVIDEO_CONTINUATION_TOKEN"]
    body = media.get_media(
        StreamName="cam",
        StartSelector={"StartSelectorType": "CONTINUATION_TOKEN", "ContinuationToken": token},
    )
    assert len(read_mkv(body["Payload"].read())[1]) == 2


def test_pyav_reads_the_frames_and_tags(sim: kvsim.Simulator) -> None:
    av = pytest.importorskip("av")
    archive = in_process(sim)["kinesis-video-archived-media"]
    found = numbers(archive)
    data = archive.get_media_for_fragment_list(StreamName="cam", Fragments=found)["Payload"].read()
    with av.open(io.BytesIO(data), format="matroska") as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264"
        packets = [p for p in container.demux(stream) if p.size]
        assert container.metadata["AWS_KINESISVIDEO_FRAGMENT_NUMBER"] == found[0]
    assert len(packets) == 40 and {p.size for p in packets} == {200}
    listed = sim.client("kinesis-video-archived-media").list_fragments(StreamName="cam")
    first_ms = round(min(f["ProducerTimestamp"] for f in listed["Fragments"]).timestamp() * 1000)
    pts = sorted(p.pts for p in packets)
    assert first_ms == pts[0]  # clusters carry producer time, in ms
    assert {b - a for a, b in itertools.pairwise(pts)} == {100}
