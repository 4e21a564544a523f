"""GetDataEndpoint for every APIName, and the stream storage configuration operations."""

from __future__ import annotations

import re

import pytest
from helpers import raises

import kvsim
from kvsim.engine.client import KinesisVideoClient

NOT_FOUND = "The requested stream is not found or not active."
MEDIA_APIS = ["PUT_MEDIA", "GET_MEDIA"]
ARCHIVE_APIS = [
    "LIST_FRAGMENTS",
    "GET_MEDIA_FOR_FRAGMENT_LIST",
    "GET_HLS_STREAMING_SESSION_URL",
    "GET_DASH_STREAMING_SESSION_URL",
    "GET_CLIP",
    "GET_IMAGES",
]


def endpoint(kv: KinesisVideoClient, api: str, name: str = "cam-1") -> str:
    """GetDataEndpoint's URL for ``api`` on the stream ``name``."""
    response = kv.get_data_endpoint(StreamName=name, APIName=api)
    assert set(response) == {"DataEndpoint", "ResponseMetadata"}
    url: str = response["DataEndpoint"]
    return url


def ready(sim: kvsim.Simulator, kv: KinesisVideoClient, name: str = "cam-1") -> str:
    """Create ``name`` and let it become ACTIVE; returns its ARN."""
    arn: str = kv.create_stream(StreamName=name)["StreamARN"]
    sim.advance(5)
    return arn


# -- GetDataEndpoint -------------------------------------------------------------------------


@pytest.mark.parametrize("api", MEDIA_APIS + ARCHIVE_APIS)
def test_endpoint_host_by_api(sim: kvsim.Simulator, kv: KinesisVideoClient, api: str) -> None:
    ready(sim, kv)
    prefix = "s" if api in MEDIA_APIS else "b"
    url = endpoint(kv, api)
    assert re.fullmatch(
        rf"https://{prefix}-[0-9a-f]{{8}}\.kinesisvideo\.us-east-1\.amazonaws\.com", url
    )


def test_endpoints_are_stable_per_stream() -> None:
    # Ten calls in half a second would pass GetDataEndpoint's 5 TPS per stream.
    sim = kvsim.Simulator(limits=kvsim.Limits(throttling=False))
    kv = sim.client("kinesisvideo")
    arn = ready(sim, kv)
    ready(sim, kv, "cam-2")
    media = {endpoint(kv, api) for api in MEDIA_APIS}
    archive = {endpoint(kv, api) for api in ARCHIVE_APIS}
    sim.advance(60)
    archive |= {endpoint(kv, api) for api in ARCHIVE_APIS}
    assert len(media) == 1
    assert len(archive) == 1
    assert kv.get_data_endpoint(StreamARN=arn, APIName="PUT_MEDIA")["DataEndpoint"] in media
    other = {endpoint(kv, "PUT_MEDIA", "cam-2"), endpoint(kv, "GET_CLIP", "cam-2")}
    assert other.isdisjoint(media | archive)


def test_endpoints_are_seeded() -> None:
    def urls(seed: int) -> list[str]:
        sim = kvsim.Simulator(seed=seed)
        kv = sim.client("kinesisvideo", region_name="eu-west-1")
        ready(sim, kv)
        return [endpoint(kv, "GET_MEDIA"), endpoint(kv, "GET_IMAGES")]

    assert urls(3) == urls(3)
    assert urls(3) != urls(4)


@pytest.mark.parametrize(
    ("region", "suffix"),
    [
        ("cn-north-1", "amazonaws.com.cn"),
        ("us-gov-west-1", "amazonaws.com"),
        ("ap-south-1", "amazonaws.com"),
    ],
)
def test_endpoint_host_names_the_region(sim: kvsim.Simulator, region: str, suffix: str) -> None:
    kv = sim.client("kinesisvideo", region_name=region)
    ready(sim, kv)
    for api in ("PUT_MEDIA", "LIST_FRAGMENTS"):
        url = endpoint(kv, api)
        assert url.endswith(f".kinesisvideo.{region}.{suffix}")
        assert "/" not in url.removeprefix("https://")


def test_endpoint_works_while_updating(sim: kvsim.Simulator, kv: KinesisVideoClient) -> None:
    arn = ready(sim, kv)
    before = endpoint(kv, "GET_MEDIA")
    version = kv.describe_stream(StreamARN=arn)["StreamInfo"]["Version"]
    kv.update_stream(StreamARN=arn, CurrentVersion=version, MediaType="video/h264")
    assert kv.describe_stream(StreamARN=arn)["StreamInfo"]["Status"] == "UPDATING"
    assert endpoint(kv, "GET_MEDIA") == before


@pytest.mark.parametrize("phase", ["CREATING", "DELETING", "GONE"])
def test_endpoint_is_not_found_unless_active_or_updating(
    sim: kvsim.Simulator, kv: KinesisVideoClient, phase: str
) -> None:
    arn = kv.create_stream(StreamName="cam-1")["StreamARN"]
    if phase != "CREATING":
        sim.advance(5)
        kv.delete_stream(StreamARN=arn)
    if phase == "GONE":
        sim.advance(5)
    before = sim._dump()
    for api in ("PUT_MEDIA", "GET_CLIP"):
        err = raises(kv.get_data_endpoint, "ResourceNotFoundException", StreamARN=arn, APIName=api)
        assert err.response["Error"]["Message"] == NOT_FOUND
        raises(kv.get_data_endpoint, "ResourceNotFoundException", StreamName="cam-1", APIName=api)
    assert sim._dump() == before  # no endpoint was drawn


def test_endpoint_input_errors(sim: kvsim.Simulator, kv: KinesisVideoClient) -> None:
    arn = ready(sim, kv)
    err = raises(
        kv.get_data_endpoint, "InvalidArgumentException", StreamARN=arn, APIName="PUT_FRAGMENTS"
    )
    assert (
        "Member must satisfy enum value set: [PUT_MEDIA, GET_MEDIA,"
        in err.response["Error"]["Message"]
    )
    with pytest.raises(
        kvsim.ParamValidationError, match='Missing required parameter in input: "APIName"'
    ):
        kv.get_data_endpoint(StreamARN=arn)
    raises(kv.get_data_endpoint, "InvalidArgumentException", APIName="GET_MEDIA")
    other = ready(sim, kv, "cam-2")
    raises(
        kv.get_data_endpoint,
        "InvalidArgumentException",
        StreamName="cam-1",
        StreamARN=other,
        APIName="GET_MEDIA",
    )


def test_recreated_stream_gets_fresh_endpoints(
    sim: kvsim.Simulator, kv: KinesisVideoClient
) -> None:
    arn = ready(sim, kv)
    old = endpoint(kv, "PUT_MEDIA")
    kv.delete_stream(StreamARN=arn)
    sim.advance(5)
    ready(sim, kv)
    assert endpoint(kv, "PUT_MEDIA") != old
    sim._check()


# -- storage configuration -------------------------------------------------------------------


@pytest.mark.parametrize("tier", ["HOT", "WARM"])
def test_storage_configuration_from_creation(kv: KinesisVideoClient, tier: str) -> None:
    arn = kv.create_stream(
        StreamName="cam-1", StreamStorageConfiguration={"DefaultStorageTier": tier}
    )["StreamARN"]
    for target in (
        {"StreamName": "cam-1"},
        {"StreamARN": arn},
        {"StreamName": "cam-1", "StreamARN": arn},
    ):
        got = kv.describe_stream_storage_configuration(**target)
        assert got["StreamStorageConfiguration"] == {"DefaultStorageTier": tier}
        assert (got["StreamName"], got["StreamARN"]) == ("cam-1", arn)
    assert "StreamStorageConfiguration" not in kv.describe_stream(StreamARN=arn)["StreamInfo"]


def test_storage_update_is_versioned_and_async(
    sim: kvsim.Simulator, kv: KinesisVideoClient
) -> None:
    arn = ready(sim, kv)
    version = kv.describe_stream(StreamARN=arn)["StreamInfo"]["Version"]
    kv.update_stream_storage_configuration(
        StreamName="cam-1",
        CurrentVersion=version,
        StreamStorageConfiguration={"DefaultStorageTier": "WARM"},
    )
    info = kv.describe_stream(StreamARN=arn)["StreamInfo"]
    assert (info["Status"], info["Version"] != version) == ("UPDATING", True)
    got = kv.describe_stream_storage_configuration(StreamARN=arn)["StreamStorageConfiguration"]
    assert got == {"DefaultStorageTier": "WARM"}
    raises(
        kv.update_stream_storage_configuration,
        "ResourceInUseException",
        StreamARN=arn,
        CurrentVersion=info["Version"],
        StreamStorageConfiguration={"DefaultStorageTier": "HOT"},
    )
    sim.advance(1)
    raises(
        kv.update_stream_storage_configuration,
        "VersionMismatchException",
        StreamARN=arn,
        CurrentVersion=version,
        StreamStorageConfiguration={"DefaultStorageTier": "HOT"},
    )
    assert kv.describe_stream(StreamARN=arn)["StreamInfo"]["Status"] == "ACTIVE"
    sim._check()


def test_storage_operations_on_missing_streams(kv: KinesisVideoClient) -> None:
    arn = "arn:aws:kinesisvideo:us-east-1:123456789012:stream/nope/1767225600000"
    for target in ({"StreamName": "nope"}, {"StreamARN": arn}):
        err = raises(
            kv.describe_stream_storage_configuration, "ResourceNotFoundException", **target
        )
        assert err.response["Error"]["Message"] == NOT_FOUND
        raises(
            kv.update_stream_storage_configuration,
            "ResourceNotFoundException",
            CurrentVersion="abc",
            StreamStorageConfiguration={"DefaultStorageTier": "HOT"},
            **target,
        )
    raises(kv.describe_stream_storage_configuration, "InvalidArgumentException")
