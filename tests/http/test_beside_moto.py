"""kvsim beside moto: moto mocks S3, kvsim answers Kinesis Video alone."""

from __future__ import annotations

import boto3
import pytest
from moto import mock_aws
from moto.backends import get_backend

import kvsim
import kvsim.boto


def moto_streams() -> dict[str, object]:
    """The streams moto's own kinesisvideo backend holds for the default account."""
    return dict(get_backend("kinesisvideo")["123456789012"]["us-east-1"].streams)


@pytest.mark.parametrize("kvsim_first", [True, False], ids=["kvsim-outer", "moto-outer"])
def test_moto_for_s3_and_kvsim_for_kinesis_video_in_one_block(kvsim_first: bool) -> None:
    sim = kvsim.Simulator(seed=0)
    outer, inner = (kvsim.boto.mock(sim), mock_aws())
    if not kvsim_first:
        outer, inner = inner, outer
    with outer, inner:
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="clips")
        s3.put_object(Bucket="clips", Key="cam-1/latest.jpg", Body=b"jpeg")
        kv = boto3.client("kinesisvideo", region_name="us-east-1")
        arn = kv.create_stream(StreamName="cam-1", DataRetentionInHours=24)["StreamARN"]
        # kvsim's answer, not moto's (moto's ARNs end in a fixed 1598784211076).
        assert arn == "arn:aws:kinesisvideo:us-east-1:123456789012:stream/cam-1/1767225600000"
        info = kv.describe_stream(StreamName="cam-1")["StreamInfo"]
        assert info["Status"] == "CREATING"  # moto's streams are ACTIVE at once
        sim.advance(2)
        assert kv.describe_stream(StreamName="cam-1")["StreamInfo"]["Status"] == "ACTIVE"
        # Operations moto lacks answer from kvsim too.
        kv.tag_stream(StreamName="cam-1", Tags={"site": "dock"})
        assert kv.list_tags_for_stream(StreamName="cam-1")["Tags"] == {"site": "dock"}
        # moto's backend never saw a Kinesis Video request; S3 is moto's.
        assert moto_streams() == {}
        body = s3.get_object(Bucket="clips", Key="cam-1/latest.jpg")["Body"].read()
        assert body == b"jpeg"
    assert [c["call"] for c in sim.last_calls(10)] == [
        "create_stream",
        "describe_stream",
        "describe_stream",
        "tag_stream",
        "list_tags_for_stream",
    ]


def test_a_bound_kvsim_client_is_answered_by_kvsim_alone_under_moto() -> None:
    sim = kvsim.Simulator(seed=0)
    with mock_aws():
        kv = kvsim.boto.client(sim)
        kv.create_stream(StreamName="cam-1")
        assert moto_streams() == {}
        assert sim.client().describe_stream(StreamName="cam-1")["StreamInfo"]["Version"]


def test_after_kvsim_leaves_moto_answers_kinesis_video_again() -> None:
    sim = kvsim.Simulator(seed=0)
    with mock_aws():
        kv = boto3.client("kinesisvideo", region_name="us-east-1")
        with kvsim.boto.mock(sim):
            kv.create_stream(StreamName="from-kvsim")
        kv.create_stream(StreamName="from-moto")
        assert [arn.split("/")[1] for arn in moto_streams()] == ["from-moto"]
    assert [s["StreamName"] for s in sim.client().list_streams()["StreamInfoList"]] == [
        "from-kvsim"
    ]
