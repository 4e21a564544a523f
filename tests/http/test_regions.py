"""Regions: only those where Kinesis Video has endpoints exist, and a refused request makes none."""

from __future__ import annotations

import json

import pytest

import kvsim
from kvsim.core.ids import SERVED_REGIONS, partition
from kvsim.http import rest


def auth(region: str) -> dict[str, str]:
    return {
        "Authorization": f"AWS4-HMAC-SHA256 Credential=AKID/20260101/{region}/kinesisvideo/aws4_request"
    }


def test_served_regions_come_from_botocores_endpoint_data() -> None:
    assert {"us-east-1", "eu-west-1", "cn-north-1", "us-gov-west-1"} <= set(SERVED_REGIONS)
    assert "us-west-1" not in SERVED_REGIONS  # no Kinesis Video endpoint there
    assert not any(region.startswith("fips-") for region in SERVED_REGIONS)


@pytest.mark.parametrize(
    ("region", "expected"),
    [
        ("us-east-1", "aws"),
        ("cn-north-1", "aws-cn"),
        ("us-gov-west-1", "aws-us-gov"),
        ("us-iso-east-1", "aws-iso"),
        ("us-isob-east-1", "aws-iso-b"),
    ],
)
def test_partitions_follow_botocore(region: str, expected: str) -> None:
    assert partition(region) == expected


def test_a_facade_client_for_a_region_without_kinesis_video_is_refused() -> None:
    sim = kvsim.Simulator()
    with pytest.raises(
        ValueError, match=r"^Kinesis Video is not available in 'us-west-1'; it is in: af-south-1, "
    ):
        sim.client("kinesisvideo", region_name="us-west-1")
    assert sim.runtime.world.regions == {}


def test_an_iso_stream_has_an_iso_arn() -> None:
    kv = kvsim.Simulator().client("kinesisvideo", region_name="us-iso-east-1")
    arn = kv.create_stream(StreamName="cam")["StreamARN"]
    assert arn.startswith("arn:aws-iso:kinesisvideo:us-iso-east-1:123456789012:stream/cam/")


def test_a_request_scoped_to_a_region_without_kinesis_video_is_403_and_makes_nothing() -> None:
    sim = kvsim.Simulator()
    answer = rest.handle(sim, "POST", "/listStreams", auth("us-west-1"), b"{}")
    assert answer.status == 403
    assert answer.headers["x-amzn-ErrorType"] == "InvalidSignatureException"
    assert json.loads(answer.body)["Message"] == (  # type: ignore[arg-type]
        "Credential should be scoped to a valid region, not 'us-west-1'."
    )
    assert sim.runtime.world.regions == {}


def test_refused_requests_leave_no_region_behind() -> None:
    sim = kvsim.Simulator()
    for region in SERVED_REGIONS:
        bad_name = rest.handle(sim, "POST", "/createStream", auth(region), b'{"StreamName": "a b"}')
        missing = rest.handle(sim, "POST", "/describeStream", auth(region), b'{"StreamName": "no"}')
        assert (bad_name.status, missing.status) == (400, 404)
    assert sim.runtime.world.regions == {}
    created = rest.handle(sim, "POST", "/createStream", auth("eu-west-1"), b'{"StreamName": "a"}')
    assert created.status == 200
    assert list(sim.runtime.world.regions) == [("123456789012", "eu-west-1")]


@pytest.mark.parametrize("region", ["us-west-1", "eu-north-1", "moon-east-1"])
def test_a_boto3_client_for_a_region_without_kinesis_video_cannot_connect(region: str) -> None:
    """As a real client's: the host does not resolve, botocore retries, then
    ``EndpointConnectionError``; the simulator never sees the request."""
    import botocore.exceptions

    import kvsim.boto

    sim = kvsim.Simulator()
    kv = kvsim.boto.client(sim, region_name=region)
    with pytest.raises(botocore.exceptions.EndpointConnectionError) as info:
        kv.list_streams()
    assert info.value.kwargs["endpoint_url"] == (
        f"https://kinesisvideo.{region}.amazonaws.com/listStreams"
    )
    assert sim.trace == [] and sim.runtime.world.regions == {}
    # The same under kvsim.boto.mock.
    import boto3

    plain = boto3.client(
        "kinesisvideo", region_name=region, aws_access_key_id="a", aws_secret_access_key="b"
    )
    with kvsim.boto.mock(sim), pytest.raises(botocore.exceptions.EndpointConnectionError):
        plain.describe_stream(StreamName="cam")
