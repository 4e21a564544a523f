"""GetMedia's live tail on the virtual clock (issue 12): a consumer that calls
GetMedia from NOW and reads the payload until it ends receives the fragments a
producer on the clock (``put_fragments(realtime=True)``) sends after the call,
in process under ``patch_time`` and over ``sim.serve()``."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

import kvsim
import kvsim.boto
from kvsim.media.mkv import MkvStreamReader, read_mkv

NOW = {"StartSelectorType": "NOW"}


@pytest.fixture
def sim() -> kvsim.Simulator:
    sim = kvsim.Simulator(seed=7, timings=kvsim.Timings(call_latency=0))
    sim.client().create_stream(StreamName="cam", DataRetentionInHours=1)
    sim.advance(5)
    sim.put_fragments("cam", count=3)
    return sim


@pytest.fixture(params=["in-process", "serve"])
def media(request: pytest.FixtureRequest, sim: kvsim.Simulator) -> Iterator[Any]:
    if request.param == "in-process":
        kv = kvsim.boto.client(sim)
        url = kv.get_data_endpoint(StreamName="cam", APIName="GET_MEDIA")["DataEndpoint"]
        yield kvsim.boto.client(sim, "kinesis-video-media", endpoint_url=url)
        return
    with sim.serve() as base:
        session = boto3.session.Session(
            aws_access_key_id="AKIDLIVE", aws_secret_access_key="x", region_name="us-east-1"
        )
        kv = session.client("kinesisvideo", endpoint_url=base)
        url = kv.get_data_endpoint(StreamName="cam", APIName="GET_MEDIA")["DataEndpoint"]
        yield session.client("kinesis-video-media", endpoint_url=url)


def consume(payload: Any) -> list[dict[str, str]]:
    """A consumer written for AWS: read the payload in a loop until it ends."""
    reader = MkvStreamReader()
    tags = []
    while chunk := payload.read(4096):
        for item in reader.feed(chunk):
            if hasattr(item, "tags"):
                tags.append(dict(item.tags))
    reader.close()
    return tags


def test_a_consumer_from_now_receives_what_arrives_after_its_call(
    sim: kvsim.Simulator, media: Any
) -> None:
    batch = sim.put_fragments("cam", count=6, duration=2.0, realtime=True)
    assert sim.now.isoformat() == "2026-01-01T00:00:11+00:00"  # the clock did not move
    answer = media.get_media(StreamName="cam", StartSelector=NOW)
    tags = consume(answer["Payload"])
    numbers = [t["AWS_KINESISVIDEO_FRAGMENT_NUMBER"] for t in tags]
    assert numbers[0] == batch.first_fragment_number and numbers[-1] == batch.last_fragment_number
    assert len(numbers) == 6 and numbers == sorted(numbers, key=int)
    assert [t["AWS_KINESISVIDEO_CONTINUATION_TOKEN"] for t in tags] == numbers
    assert {t["AWS_KINESISVIDEO_MILLIS_BEHIND_NOW"] for t in tags} == {"0"}
    # The tail waited on the virtual clock: the producer's 12 s went by.
    assert sim.now.isoformat() == "2026-01-01T00:00:23+00:00"
    assert all(p.transition != "STORED -> FED" for p in sim.pending())


def test_without_a_producer_the_body_ends_at_once(sim: kvsim.Simulator, media: Any) -> None:
    before = sim.now
    tags = consume(media.get_media(StreamName="cam", StartSelector=NOW)["Payload"])
    assert len(tags) == 1 and sim.now == before


def test_under_patch_time_the_consumer_sees_the_virtual_clock(sim: kvsim.Simulator) -> None:
    kv = kvsim.boto.client(sim)
    url = kv.get_data_endpoint(StreamName="cam", APIName="GET_MEDIA")["DataEndpoint"]
    media = kvsim.boto.client(sim, "kinesis-video-media", endpoint_url=url)
    sim.put_fragments("cam", count=4, duration=1.0, realtime=True)
    with sim.patch_time():
        started = time.time()
        payload = media.get_media(StreamName="cam", StartSelector=NOW)["Payload"]
        seen = []
        reader = MkvStreamReader()
        while chunk := payload.read(1024):
            for item in reader.feed(chunk):
                if hasattr(item, "tags"):
                    seen.append(round(time.time() - started))
    # read(1024) waits for 1,024 bytes, as a socket read does: each cluster's
    # last bytes come with the next fragment's first, one virtual second later.
    assert seen == [1, 2, 3, 4]
    assert sim.now.isoformat() == "2026-01-01T00:00:15+00:00"


def test_the_tail_is_deterministic_and_stops_with_the_stream() -> None:
    def run() -> bytes:
        sim = kvsim.Simulator(seed=3, timings=kvsim.Timings(call_latency=0))
        sim.client().create_stream(StreamName="cam", DataRetentionInHours=1)
        sim.advance(5)
        sim.put_fragments("cam", count=5, realtime=True)
        body = sim.client("kinesis-video-media").get_media(
            StreamName="cam", StartSelector={"StartSelectorType": "EARLIEST"}
        )
        return bytes(body["Payload"].read())

    first = run()
    assert first == run() and len(read_mkv(first)[1]) == 5

    sim = kvsim.Simulator(seed=3, timings=kvsim.Timings(call_latency=0))
    kv = sim.client()
    kv.create_stream(StreamName="cam", DataRetentionInHours=1)
    sim.advance(5)
    sim.put_fragments("cam", count=5, realtime=True)
    sim.advance(4)  # two more arrived
    kv.delete_stream(StreamARN=kv.describe_stream(StreamName="cam")["StreamInfo"]["StreamARN"])
    assert all(p.transition != "STORED -> FED" for p in sim.pending())


def test_a_feed_holds_the_connection_and_survives_a_snapshot() -> None:
    sim = kvsim.Simulator(seed=3, timings=kvsim.Timings(call_latency=0))
    sim.client().create_stream(StreamName="cam", DataRetentionInHours=1)
    sim.advance(5)
    sim.put_fragments("cam", count=5, realtime=True)
    sim.advance(3)
    with pytest.raises(kvsim.ClientError) as refused:
        sim.put_fragments("cam", count=1)
    assert refused.value.code == "ConnectionLimitExceededException"
    copy = kvsim.Simulator.restore(sim.snapshot())
    for world in (sim, copy):
        world.advance(60)
        listed = world.client("kinesis-video-archived-media").list_fragments(StreamName="cam")
        assert len(listed["Fragments"]) == 5
    assert copy.snapshot() == sim.snapshot()
    sim.put_fragments("cam", count=1)  # the connection was released
