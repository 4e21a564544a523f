"""Reader connection limits (issue 12): at most 3 GetMedia and 5
GetMediaForFragmentList bodies open at once per stream; a body holds its
connection until it is read to the end, closed, dropped, or its HTTP client
goes away (kvsim.services.media_reads)."""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError as BotoClientError

import kvsim
import kvsim.boto
from kvsim.media.mkv import read_mkv

EARLIEST = {"StartSelectorType": "EARLIEST"}
GET_MEDIA_REFUSED = (
    "Limit exceeded on number of concurrent connections for GetMedia API for resource "
    "'cam': at most 3 are allowed."
)


def world(**limits: Any) -> kvsim.Simulator:
    sim = kvsim.Simulator(
        seed=5, timings=kvsim.Timings(call_latency=0), limits=kvsim.Limits(**limits)
    )
    sim.client().create_stream(StreamName="cam", DataRetentionInHours=1)
    sim.advance(5)
    sim.put_fragments("cam", count=3)
    return sim


def get_media(sim: kvsim.Simulator, stream: str = "cam") -> Any:
    return sim.client("kinesis-video-media").get_media(StreamName=stream, StartSelector=EARLIEST)


def numbers(sim: kvsim.Simulator) -> list[str]:
    listed = sim.client("kinesis-video-archived-media").list_fragments(StreamName="cam")
    return sorted((f["FragmentNumber"] for f in listed["Fragments"]), key=int)


def fragment_list(sim: kvsim.Simulator) -> Any:
    return sim.client("kinesis-video-archived-media").get_media_for_fragment_list(
        StreamName="cam", Fragments=numbers(sim)[:2]
    )


def refused(call: Callable[[], Any]) -> kvsim.ClientError:
    with pytest.raises(kvsim.ClientError) as caught:
        call()
    return caught.value


# -- GetMedia in process ------------------------------------------------------------------


def test_the_fourth_open_get_media_is_refused_with_aws_shape() -> None:
    sim = world()
    bodies = [get_media(sim)["Payload"] for _ in range(3)]
    error = refused(lambda: get_media(sim))
    assert error.response["Error"] == {
        "Code": "ConnectionLimitExceededException",
        "Message": GET_MEDIA_REFUSED,
    }
    assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert sim.trace[-1]["outcome"]["error"] == "ConnectionLimitExceededException"
    # Another stream has its own three.
    sim.client().create_stream(StreamName="other")
    sim.advance(5)
    assert get_media(sim, "other")["Payload"].read() == b""
    for body in bodies:
        body.close()


def test_reading_a_body_to_the_end_frees_its_slot() -> None:
    sim = world()
    bodies = [get_media(sim)["Payload"] for _ in range(3)]
    data = bodies[0].read()
    assert len(read_mkv(data)[1]) == 3
    fourth = get_media(sim)["Payload"]
    refused(lambda: get_media(sim))
    # Reading in pieces ends when read() answers b"".
    while bodies[1].read(1000):
        pass
    assert fourth.read() == data
    assert get_media(sim)["Payload"].read() == data


def test_closing_a_body_frees_its_slot_and_a_closed_body_reads_nothing() -> None:
    sim = world()
    bodies = [get_media(sim)["Payload"] for _ in range(3)]
    bodies[2].read(10)  # partly read: still open
    refused(lambda: get_media(sim))
    bodies[2].close()
    bodies[2].close()  # idempotent
    with pytest.raises(ValueError, match="closed"):
        bodies[2].read()
    with get_media(sim)["Payload"] as body:
        assert body.read(4) == b"\x1a\x45\xdf\xa3"
    # The with block closed it.
    get_media(sim)["Payload"].close()


def test_a_dropped_body_frees_its_slot() -> None:
    sim = world()
    kept = [get_media(sim)["Payload"] for _ in range(2)]
    get_media(sim)  # the answer is dropped at once, unread
    gc.collect()  # (CPython frees it without this; other interpreters need it)
    assert get_media(sim)["Payload"] is not None
    del kept


def test_a_refused_call_takes_no_request_token() -> None:
    sim = world(rates={"GetMedia": (None, 4)})
    bodies = [get_media(sim)["Payload"] for _ in range(3)]
    for _ in range(5):
        refused(lambda: get_media(sim))
    bodies[0].close()
    get_media(sim)  # the 4th token
    bodies[1].close()
    error = refused(lambda: get_media(sim))
    assert error.code == "ClientLimitExceededException"


def test_the_limit_is_configurable_and_none_is_unlimited() -> None:
    sim = world(get_media_connections=1)
    body = get_media(sim)["Payload"]
    error = refused(lambda: get_media(sim))
    assert error.message.endswith("at most 1 are allowed.")
    body.close()

    sim = world(get_media_connections=None, rates={"GetMedia": (None, None)})
    bodies = [get_media(sim)["Payload"] for _ in range(20)]
    assert all(b.read(4) == b"\x1a\x45\xdf\xa3" for b in bodies)

    sim = world(get_media_connections=0)
    assert refused(lambda: get_media(sim)).code == "ConnectionLimitExceededException"
    # throttling=False lifts rates, not connections.
    sim = world(throttling=False)
    bodies = [get_media(sim)["Payload"] for _ in range(3)]
    assert refused(lambda: get_media(sim)).code == "ConnectionLimitExceededException"


def test_limits_are_validated_and_old_saved_limits_load_with_defaults() -> None:
    with pytest.raises(ValueError, match="get_media_connections must be >= 0"):
        kvsim.Limits(get_media_connections=-1)
    with pytest.raises(TypeError, match="get_media_for_fragment_list_connections must be"):
        kvsim.Limits(get_media_for_fragment_list_connections=2.5)  # type: ignore[arg-type]
    saved = kvsim.Limits().to_json()
    assert saved["get_media_connections"] == 3
    assert saved["get_media_for_fragment_list_connections"] == 5
    del saved["get_media_connections"], saved["get_media_for_fragment_list_connections"]
    assert kvsim.Limits.from_json(saved) == kvsim.Limits()
    limits = kvsim.Limits(get_media_connections=None)
    assert kvsim.Limits.from_json(limits.to_json()) == limits


def test_a_deleted_stream_s_bodies_do_not_count_for_its_next_incarnation() -> None:
    sim = world(get_media_connections=1)
    body = get_media(sim)["Payload"]
    kv = sim.client()
    kv.delete_stream(StreamARN=kv.describe_stream(StreamName="cam")["StreamInfo"]["StreamARN"])
    sim.advance(5)
    kv.create_stream(StreamName="cam")
    sim.advance(5)
    assert get_media(sim)["Payload"].read() == b""
    assert body.read()  # the old body still reads what it was given
    sim.snapshot()  # open bodies of a deleted stream lose nothing


def test_a_snapshot_is_refused_while_bodies_are_open() -> None:
    sim = world()
    body = get_media(sim)["Payload"]
    with pytest.raises(ValueError, match=r"not part of snapshots; 1 stream\(s\) have some: arn:"):
        sim.snapshot()
    body.read()
    copy = kvsim.Simulator.restore(sim.snapshot())
    assert all(get_media(copy)["Payload"].read() for _ in range(4))


# -- GetMediaForFragmentList ----------------------------------------------------------------


def test_get_media_for_fragment_list_allows_five_open_bodies() -> None:
    sim = world()
    bodies = [fragment_list(sim)["Payload"] for _ in range(5)]
    error = refused(lambda: fragment_list(sim))
    assert error.response["Error"] == {
        "Code": "ClientLimitExceededException",
        "Message": "Limit exceeded on number of concurrent connections for "
        "GetMediaForFragmentList API for resource 'cam': at most 5 are allowed.",
    }
    assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    # GetMedia counts apart.
    get_media(sim)["Payload"].close()
    assert len(read_mkv(bodies[0].read())[1]) == 2
    bodies[1].close()
    assert all(fragment_list(sim)["Payload"].read() for _ in range(2))
    sim = world(get_media_for_fragment_list_connections=None)
    kept = [fragment_list(sim)["Payload"] for _ in range(8)]
    assert len(kept) == 8


# -- boto3 in process and over sim.serve() --------------------------------------------------


def boto_media(sim: kvsim.Simulator, **kwargs: Any) -> Any:
    kv = kvsim.boto.client(sim, **kwargs)
    url = kv.get_data_endpoint(StreamName="cam", APIName="GET_MEDIA")["DataEndpoint"]
    return kvsim.boto.client(sim, "kinesis-video-media", endpoint_url=url, **kwargs)


def test_boto3_in_process_bodies_hold_connections_until_read_or_closed() -> None:
    sim = world()
    media = boto_media(sim)
    bodies = [
        media.get_media(StreamName="cam", StartSelector=EARLIEST)["Payload"] for _ in range(3)
    ]
    with pytest.raises(BotoClientError) as caught:
        media.get_media(StreamName="cam", StartSelector=EARLIEST)
    assert caught.value.response["Error"]["Code"] == "ConnectionLimitExceededException"
    assert caught.value.response["Error"]["Message"] == GET_MEDIA_REFUSED
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    bodies[0].close()  # botocore's StreamingBody.close()
    fourth = media.get_media(StreamName="cam", StartSelector=EARLIEST)["Payload"]
    with pytest.raises(BotoClientError):
        media.get_media(StreamName="cam", StartSelector=EARLIEST)
    assert len(read_mkv(bodies[1].read())[1]) == 3
    assert list(fourth.iter_chunks(4096))
    media.get_media(StreamName="cam", StartSelector=EARLIEST)["Payload"].close()


def _served_world() -> kvsim.Simulator:
    # Bodies of ~20 MB each: more than loopback's socket buffers hold, so the
    # server is still writing each while its client has not read it.
    sim = kvsim.Simulator(seed=5, timings=kvsim.Timings(call_latency=0))
    sim.client().create_stream(StreamName="cam", DataRetentionInHours=1)
    sim.advance(5)
    sim.put_fragments("cam", count=20, duration=1.0, frame_rate=5, frame_size=200_000)
    return sim


def test_over_serve_a_client_that_goes_away_frees_its_slot() -> None:
    sim = _served_world()
    with sim.serve() as base:
        session = boto3.session.Session(
            aws_access_key_id="AKIDCONN", aws_secret_access_key="x", region_name="us-east-1"
        )
        kv = session.client("kinesisvideo", endpoint_url=base)
        url = kv.get_data_endpoint(StreamName="cam", APIName="GET_MEDIA")["DataEndpoint"]
        media = session.client("kinesis-video-media", endpoint_url=url)

        def call() -> Any:
            return media.get_media(StreamName="cam", StartSelector=EARLIEST)["Payload"]

        bodies = [call() for _ in range(3)]
        with pytest.raises(BotoClientError) as caught:
            call()
        assert caught.value.response["Error"]["Code"] == "ConnectionLimitExceededException"
        assert caught.value.response["Error"]["Message"] == GET_MEDIA_REFUSED
        assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
        # The client hangs up mid-body: the server's write fails and the slot frees.
        bodies[0].close()
        fourth = _eventually(call)
        # A body read to its end frees its slot too.
        assert len(read_mkv(bodies[1].read())[1]) == 20
        fifth = _eventually(call)
        for body in (bodies[2], fourth, fifth):
            body.close()
        _eventually(lambda: sim.snapshot())


def _eventually(attempt: Callable[[], Any], seconds: float = 20.0) -> Any:
    deadline = time.monotonic() + seconds
    while True:
        try:
            return attempt()
        except (BotoClientError, ValueError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.02)
