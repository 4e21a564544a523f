"""Quotas: streams per account and region, streams per device, and request-rate throttling."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from helpers import raises

import kvsim
from kvsim.engine.client import KinesisVideoClient

FROZEN = kvsim.Timings(call_latency=0)  # no time passes between calls


def world(**limits: Any) -> tuple[kvsim.Simulator, KinesisVideoClient]:
    """A frozen-clock world with these limits and its default client."""
    sim = kvsim.Simulator(limits=kvsim.Limits(**limits), timings=FROZEN)
    return sim, sim.client("kinesisvideo")


def names(kv: KinesisVideoClient) -> list[str]:
    """Every stream name in the client's account and region (one page of up to 1,000)."""
    return [s["StreamName"] for s in kv.list_streams(MaxResults=1000)["StreamInfoList"]]


# -- streams per account per region -----------------------------------------------------------


def test_account_stream_limit_per_account_per_region() -> None:
    sim = kvsim.Simulator(limits=kvsim.Limits(max_streams_per_account=2))
    kv = sim.client("kinesisvideo")
    kv.create_stream(StreamName="a")
    kv.create_stream(StreamName="b")
    before = sim._dump()
    err = raises(kv.create_stream, "AccountStreamLimitExceededException", StreamName="c")
    assert "2" in err.response["Error"]["Message"]
    assert sim._dump() == before
    # Other regions and other accounts have their own count.
    sim.client("kinesisvideo", region_name="eu-west-1").create_stream(StreamName="c")
    sim.client("kinesisvideo", account_id="210987654321").create_stream(StreamName="c")
    sim._check()


def test_deleting_streams_count_until_gone() -> None:
    sim = kvsim.Simulator(limits=kvsim.Limits(max_streams_per_account=1))
    kv = sim.client("kinesisvideo")
    arn = kv.create_stream(StreamName="a")["StreamARN"]
    sim.advance(5)
    kv.delete_stream(StreamARN=arn)
    raises(kv.create_stream, "AccountStreamLimitExceededException", StreamName="b")
    sim.advance(1)
    kv.create_stream(StreamName="b")
    assert names(kv) == ["b"]
    sim._check()


def test_account_limit_zero_and_none() -> None:
    _, kv = world(max_streams_per_account=0)
    raises(kv.create_stream, "AccountStreamLimitExceededException", StreamName="a")
    _, kv = world(max_streams_per_account=None, throttling=False)
    for i in range(20):
        kv.create_stream(StreamName=f"s{i}")
    assert len(names(kv)) == 20


def test_taken_name_is_reported_before_the_account_limit() -> None:
    _, kv = world(max_streams_per_account=1)
    kv.create_stream(StreamName="a")
    raises(kv.create_stream, "ResourceInUseException", StreamName="a")


# -- streams per device -----------------------------------------------------------------------


def test_device_limit_is_off_by_default(kv: KinesisVideoClient) -> None:
    for i in range(10):
        kv.create_stream(StreamName=f"s{i}", DeviceName="dev")
    assert len(names(kv)) == 10


def test_device_limit_on_create() -> None:
    sim, kv = world(max_streams_per_device=2)
    kv.create_stream(StreamName="a", DeviceName="dev")
    kv.create_stream(StreamName="b", DeviceName="dev")
    before = sim._dump()
    err = raises(
        kv.create_stream, "DeviceStreamLimitExceededException", StreamName="c", DeviceName="dev"
    )
    assert "dev" in err.response["Error"]["Message"]
    assert sim._dump() == before
    kv.create_stream(StreamName="c", DeviceName="other")
    kv.create_stream(StreamName="d")
    # The device count is per account and region.
    sim.client("kinesisvideo", region_name="eu-west-1").create_stream(
        StreamName="a", DeviceName="dev"
    )
    sim._check()


def test_delete_frees_a_device_slot_at_once() -> None:
    sim, kv = world(max_streams_per_device=1)
    arn = kv.create_stream(StreamName="a", DeviceName="dev")["StreamARN"]
    sim.advance(5)
    kv.delete_stream(StreamARN=arn)
    assert kv.describe_stream(StreamARN=arn)["StreamInfo"]["Status"] == "DELETING"
    kv.create_stream(StreamName="b", DeviceName="dev")
    sim._check()


def test_update_stream_onto_a_full_device_is_invalid_argument() -> None:
    sim, kv = world(max_streams_per_device=1)
    kv.create_stream(StreamName="a", DeviceName="d1")
    kv.create_stream(StreamName="b", DeviceName="d2")
    sim.advance(5)
    version = kv.describe_stream(StreamName="b")["StreamInfo"]["Version"]
    before = sim._dump()
    err = raises(
        kv.update_stream,
        "InvalidArgumentException",
        StreamName="b",
        CurrentVersion=version,
        DeviceName="d1",
    )
    assert "d1" in err.response["Error"]["Message"]
    assert sim._dump() == before
    # Staying on its own (full) device is fine; moving to a free one frees the old.
    kv.update_stream(StreamName="b", CurrentVersion=version, DeviceName="d2")
    sim.advance(1)
    version = kv.describe_stream(StreamName="b")["StreamInfo"]["Version"]
    kv.update_stream(StreamName="b", CurrentVersion=version, DeviceName="d3")
    kv.create_stream(StreamName="c", DeviceName="d2")
    sim._check()


# -- request rates ----------------------------------------------------------------------------


def test_account_bucket_throttles_create_stream() -> None:
    sim, kv = world()
    for i in range(50):
        kv.create_stream(StreamName=f"s{i:02}")
    before = sim._dump()
    err = raises(kv.create_stream, "ClientLimitExceededException", StreamName="s50")
    assert err.response["Error"]["Message"] == (
        "Limit exceeded on number of requests for CreateStream API"
    )
    assert sim._dump() == before  # nothing created, no token taken
    # 50 TPS refills one token every 20 ms.
    sim.advance(0.02)
    kv.create_stream(StreamName="s50")
    raises(kv.create_stream, "ClientLimitExceededException", StreamName="s51")
    sim.advance(1)
    for i in range(51, 101):
        kv.create_stream(StreamName=f"s{i:03}")
    assert len(names(kv)) == 101
    sim._check()


def test_account_bucket_is_per_account_region_and_operation() -> None:
    sim, kv = world()
    for i in range(50):
        kv.create_stream(StreamName=f"s{i:02}")
    raises(kv.create_stream, "ClientLimitExceededException", StreamName="x")
    sim.client("kinesisvideo", region_name="eu-west-1").create_stream(StreamName="x")
    sim.client("kinesisvideo", account_id="210987654321").create_stream(StreamName="x")
    kv.list_streams()  # another operation has its own bucket
    kv.describe_stream(StreamName="s00")


def test_list_streams_account_bucket() -> None:
    _, kv = world()
    for _ in range(50):
        kv.list_streams()
    raises(kv.list_streams, "ClientLimitExceededException")


def test_per_stream_bucket_throttles_describe_at_5_tps() -> None:
    sim, kv = world()
    kv.create_stream(StreamName="a")
    kv.create_stream(StreamName="b")
    for _ in range(5):
        kv.describe_stream(StreamName="a")
    err = raises(kv.describe_stream, "ClientLimitExceededException", StreamName="a")
    assert err.response["Error"]["Message"] == (
        "Limit exceeded on number of requests for DescribeStream API for resource 'a'"
    )
    kv.describe_stream(StreamName="b")  # another stream has its own bucket
    kv.list_tags_for_stream(StreamName="a")  # other operations have their own buckets
    sim.advance(0.2)  # one token at 5 TPS
    kv.describe_stream(StreamName="a")
    raises(kv.describe_stream, "ClientLimitExceededException", StreamName="a")
    sim.advance(1)
    for _ in range(5):
        kv.describe_stream(StreamName="a")
    sim._check()


def test_per_stream_bucket_applies_by_arn_and_name_alike() -> None:
    _, kv = world()
    arn = kv.create_stream(StreamName="a")["StreamARN"]
    for i in range(5):
        if i % 2:
            kv.describe_stream(StreamARN=arn)
        else:
            kv.describe_stream(StreamName="a")
    raises(kv.describe_stream, "ClientLimitExceededException", StreamARN=arn)


def test_polling_at_the_default_latency_is_throttled() -> None:
    # 20 polls a second against 5 TPS per stream: the bucket runs dry on the 7th.
    sim = kvsim.Simulator()
    kv = sim.client("kinesisvideo")
    kv.create_stream(StreamName="a")
    for _ in range(6):
        kv.describe_stream(StreamName="a")
    raises(kv.describe_stream, "ClientLimitExceededException", StreamName="a")


def test_throttled_and_failed_calls_take_no_tokens_but_take_time() -> None:
    sim = kvsim.Simulator(timings=kvsim.Timings(call_latency=0.001))
    kv = sim.client("kinesisvideo")
    kv.create_stream(StreamName="a")
    start = sim.now
    for _ in range(20):
        raises(kv.create_stream, "ResourceInUseException", StreamName="a")
    assert sim.now - start == timedelta(milliseconds=20)
    # Only the one successful CreateStream took a token.
    buckets = sim._dump()["123456789012/us-east-1"]["buckets"]
    assert buckets["CreateStream"] == [49, 1767225600000]
    for i in range(5):
        kv.tag_stream(StreamName="a", Tags={"k": str(i)})
    raises(kv.tag_stream, "ClientLimitExceededException", StreamName="a", Tags={"k": "x"})
    assert kv.list_tags_for_stream(StreamName="a")["Tags"] == {"k": "4"}


def test_validation_comes_before_throttling() -> None:
    sim, kv = world()
    for i in range(50):
        kv.create_stream(StreamName=f"s{i:02}")
    raises(kv.create_stream, "InvalidArgumentException", StreamName="bad name")
    with pytest.raises(kvsim.ParamValidationError):
        kv.create_stream()
    raises(kv.list_streams, "InvalidArgumentException", NextToken="!!")
    raises(kv.create_stream, "ClientLimitExceededException", StreamName="ok")
    sim._check()


def test_stream_reference_checks_come_before_throttling() -> None:
    sim, kv = world(rates={"TagStream": (1, None), "DescribeStream": (1, None)})
    arn = kv.create_stream(StreamName="cam")["StreamARN"]
    kv.tag_stream(StreamARN=arn, Tags={"a": "b"})
    kv.describe_stream(StreamName="cam")
    # Both account buckets are empty now; argument problems still win.
    raises(kv.tag_stream, "InvalidResourceFormatException", StreamARN="arn:x", Tags={"a": "b"})
    raises(kv.tag_stream, "InvalidArgumentException", Tags={"a": "b"})
    raises(kv.describe_stream, "InvalidArgumentException")
    raises(kv.describe_stream, "ClientLimitExceededException", StreamName="cam")
    raises(kv.tag_stream, "ClientLimitExceededException", StreamARN=arn, Tags={"a": "c"})
    sim._check()


def test_throttling_can_be_switched_off() -> None:
    sim, kv = world(throttling=False)
    for i in range(200):
        kv.create_stream(StreamName=f"s{i:03}")
    for _ in range(100):
        kv.describe_stream(StreamName="s000")
    assert len(names(kv)) == 200
    assert sim._dump()["123456789012/us-east-1"]["buckets"] == {}
    sim._check()


def test_rates_can_be_overridden_per_operation() -> None:
    _, kv = world(rates={"CreateStream": (100, None)})
    for i in range(100):
        kv.create_stream(StreamName=f"s{i:03}")
    err = raises(kv.create_stream, "ClientLimitExceededException", StreamName="s100")
    assert err.response["Error"]["Message"] == (
        "Limit exceeded on number of requests for CreateStream API"
    )


def test_per_stream_rate_can_be_removed_or_changed() -> None:
    _, kv = world(rates={"DescribeStream": (300, None), "ListTagsForStream": (50, 2.5)})
    kv.create_stream(StreamName="a")
    for _ in range(100):
        kv.describe_stream(StreamName="a")
    kv.list_tags_for_stream(StreamName="a")
    kv.list_tags_for_stream(StreamName="a")
    err = raises(kv.list_tags_for_stream, "ClientLimitExceededException", StreamName="a")
    assert err.response["Error"]["Message"] == (
        "Limit exceeded on number of requests for ListTagsForStream API for resource 'a'"
    )


def test_default_rates_table() -> None:
    limits = kvsim.Limits()
    assert limits.rate("CreateStream") == (50, None)
    assert limits.rate("ListStreams") == (50, None)
    assert limits.rate("DescribeStream") == (300, 5)
    assert limits.rate("GetDataEndpoint") == (300, 5)
    # The signaling channel and media storage quotas of the WebRTC quota page.
    channels = {
        "CreateSignalingChannel": (50, None),
        "ListSignalingChannels": (50, None),
        "DescribeSignalingChannel": (300, 5),
        "GetSignalingChannelEndpoint": (300, None),
        "UpdateMediaStorageConfiguration": (10, 5),
        # The edge operations' own quotas (the KVS quotas page).
        "StartEdgeConfigurationUpdate": (10, 1),
        "DeleteEdgeConfiguration": (10, 1),
        "ListEdgeAgentConfigurations": (50, None),
    }
    for op, rate in channels.items():
        assert limits.rate(op) == rate, op
    for op in kvsim.OPERATIONS:
        if op not in (
            "CreateStream",
            "ListStreams",
            "DescribeStream",
            "GetDataEndpoint",
            *channels,
        ):
            assert limits.rate(op) == (50, 5), op
    # The media readers: GetMedia 5 TPS per stream; the archived-media reads
    # are limited by fragment points instead of calls.
    media = {"GetMedia": (None, 5), "ListFragments": (None, None)}
    media["GetMediaForFragmentList"] = (None, None)
    for op, rate in media.items():
        assert limits.rate(op) == rate, op
    assert set(kvsim.DEFAULT_RATES) >= set(kvsim.OPERATIONS) | set(media)
