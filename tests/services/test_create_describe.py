"""CreateStream, DescribeStream and DescribeStreamStorageConfiguration: success and every error.

Also the name-or-ARN resolution rules every stream operation shares, the ARN
format per partition, and what a re-created stream looks like.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from helpers import raises

import kvsim
from kvsim.engine.client import KinesisVideoClient

ACCOUNT = "123456789012"
OTHER_ACCOUNT = "210987654321"
NOT_FOUND = "The requested stream is not found or not active."
START_MS = 1767225600000  # kvsim.DEFAULT_START in epoch milliseconds


def info(kv: KinesisVideoClient, **kwargs: Any) -> dict[str, Any]:
    """The StreamInfo of DescribeStream."""
    result: dict[str, Any] = kv.describe_stream(**kwargs)["StreamInfo"]
    return result


# -- CreateStream: success ---------------------------------------------------------------


def test_create_returns_the_arn_with_the_creation_time_in_ms(kv: KinesisVideoClient) -> None:
    response = kv.create_stream(StreamName="cam-1")
    assert (
        response["StreamARN"] == f"arn:aws:kinesisvideo:us-east-1:{ACCOUNT}:stream/cam-1/{START_MS}"
    )
    assert set(response) == {"StreamARN", "ResponseMetadata"}
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_new_stream_has_documented_defaults(sim: kvsim.Simulator, kv: KinesisVideoClient) -> None:
    arn = kv.create_stream(StreamName="cam-1")["StreamARN"]
    got = info(kv, StreamName="cam-1")
    version = got.pop("Version")
    assert re.fullmatch(r"[a-zA-Z0-9]{20}", version)
    assert got == {
        "StreamName": "cam-1",
        "StreamARN": arn,
        "KmsKeyId": f"arn:aws:kms:us-east-1:{ACCOUNT}:alias/aws/kinesisvideo",
        "Status": "CREATING",
        "CreationTime": kvsim.DEFAULT_START,
        "DataRetentionInHours": 0,
    }
    assert got["CreationTime"].tzinfo is not None
    storage = kv.describe_stream_storage_configuration(StreamName="cam-1")
    assert storage["StreamStorageConfiguration"] == {"DefaultStorageTier": "HOT"}
    sim._check()


def test_create_stores_every_given_field(kv: KinesisVideoClient) -> None:
    arn = kv.create_stream(
        StreamName="cam-1",
        DeviceName="dev-1",
        MediaType="video/h264,audio/aac",
        KmsKeyId="any key text, not checked at creation",
        DataRetentionInHours=24,
        Tags={"team": "video"},
        StreamStorageConfiguration={"DefaultStorageTier": "WARM"},
    )["StreamARN"]
    got = info(kv, StreamARN=arn)
    assert got["DeviceName"] == "dev-1"
    assert got["MediaType"] == "video/h264,audio/aac"
    assert got["KmsKeyId"] == "any key text, not checked at creation"
    assert got["DataRetentionInHours"] == 24
    assert kv.list_tags_for_stream(StreamARN=arn)["Tags"] == {"team": "video"}
    tier = kv.describe_stream_storage_configuration(StreamARN=arn)["StreamStorageConfiguration"]
    assert tier == {"DefaultStorageTier": "WARM"}


def test_stream_turns_active_after_the_create_delay(
    sim: kvsim.Simulator, kv: KinesisVideoClient
) -> None:
    kv.create_stream(StreamName="cam-1")  # at t=0; the call itself takes 0.05 s
    assert sim.advance(1.9) == 0  # t=1.95
    assert sim._dump()["123456789012/us-east-1"]["streams"][0]["status"] == "CREATING"
    assert sim.advance(0.05) == 1  # t=2.0: due
    assert info(kv, StreamName="cam-1")["Status"] == "ACTIVE"
    sim._check()


def test_creation_time_is_the_virtual_time_of_the_call(
    sim: kvsim.Simulator, kv: KinesisVideoClient
) -> None:
    sim.advance(12.345)
    called_at = sim.now
    arn = kv.create_stream(StreamName="cam-1")["StreamARN"]
    assert arn.endswith(f":stream/cam-1/{START_MS + 12345}")
    assert info(kv, StreamARN=arn)["CreationTime"] == called_at
    assert called_at == kvsim.DEFAULT_START + timedelta(seconds=12.345)


def test_creation_time_follows_a_custom_start() -> None:
    start = datetime(2024, 2, 29, 23, 59, 59, 250000, tzinfo=UTC)
    kv = kvsim.Simulator(start=start).client("kinesisvideo", region_name="eu-west-1")
    arn = kv.create_stream(StreamName="s")["StreamARN"]
    assert (
        arn == f"arn:aws:kinesisvideo:eu-west-1:{ACCOUNT}:stream/s/{int(start.timestamp() * 1000)}"
    )
    assert info(kv, StreamName="s")["CreationTime"] == start


@pytest.mark.parametrize(
    ("region", "partition"),
    [("us-west-2", "aws"), ("cn-north-1", "aws-cn"), ("us-gov-west-1", "aws-us-gov")],
)
def test_arn_and_default_key_use_the_region_partition(
    sim: kvsim.Simulator, region: str, partition: str
) -> None:
    kv = sim.client("kinesisvideo", region_name=region, account_id=ACCOUNT)
    arn = kv.create_stream(StreamName="cam-1")["StreamARN"]
    assert arn == f"arn:{partition}:kinesisvideo:{region}:{ACCOUNT}:stream/cam-1/{START_MS}"
    key = info(kv, StreamARN=arn)["KmsKeyId"]
    assert key == f"arn:{partition}:kms:{region}:{ACCOUNT}:alias/aws/kinesisvideo"


def test_versions_come_from_the_seed() -> None:
    def versions(seed: int) -> list[str]:
        kv = kvsim.Simulator(seed=seed).client("kinesisvideo")
        for name in ("a", "b", "c"):
            kv.create_stream(StreamName=name)
        return [s["Version"] for s in kv.list_streams()["StreamInfoList"]]

    assert versions(7) == versions(7)
    assert versions(7) != versions(8)
    assert len(set(versions(7))) == 3


# -- CreateStream: errors ----------------------------------------------------------------


@pytest.mark.parametrize("phase", ["CREATING", "ACTIVE", "UPDATING", "DELETING"])
def test_create_with_a_taken_name_is_resource_in_use_in_every_status(
    sim: kvsim.Simulator, kv: KinesisVideoClient, phase: str
) -> None:
    arn = kv.create_stream(StreamName="cam-1")["StreamARN"]
    if phase != "CREATING":
        sim.advance(5)
    version = info(kv, StreamARN=arn)["Version"]
    if phase == "UPDATING":
        kv.update_stream(StreamARN=arn, CurrentVersion=version, MediaType="video/h264")
    if phase == "DELETING":
        kv.delete_stream(StreamARN=arn)
    assert info(kv, StreamARN=arn)["Status"] == phase
    before = sim._dump()
    err = raises(kv.create_stream, "ResourceInUseException", StreamName="cam-1")
    assert err.response["Error"]["Message"] == "The stream cam-1 already exists."
    assert sim._dump() == before
    sim._check()


def test_retention_up_to_ten_years_is_accepted(kv: KinesisVideoClient) -> None:
    kv.create_stream(StreamName="cam-1", DataRetentionInHours=87_600)
    assert info(kv, StreamName="cam-1")["DataRetentionInHours"] == 87_600


def test_retention_above_ten_years_is_invalid(sim: kvsim.Simulator, kv: KinesisVideoClient) -> None:
    err = raises(
        kv.create_stream,
        "InvalidArgumentException",
        StreamName="cam-1",
        DataRetentionInHours=87_601,
    )
    assert err.response["Error"]["Message"] == (
        "1 validation error detected: Value '87601' at 'dataRetentionInHours' failed to "
        "satisfy constraint: Member must have value less than or equal to 87600"
    )
    assert kv.list_streams()["StreamInfoList"] == []


def test_retention_limit_is_configurable() -> None:
    sim = kvsim.Simulator(limits=kvsim.Limits(max_data_retention_hours=24))
    kv = sim.client("kinesisvideo")
    kv.create_stream(StreamName="ok", DataRetentionInHours=24)
    raises(kv.create_stream, "InvalidArgumentException", StreamName="no", DataRetentionInHours=25)
    assert [s["StreamName"] for s in kv.list_streams()["StreamInfoList"]] == ["ok"]


def test_bad_stream_name_is_invalid_argument_in_aws_style(kv: KinesisVideoClient) -> None:
    err = raises(kv.create_stream, "InvalidArgumentException", StreamName="bad name!")
    assert err.response["Error"]["Message"] == (
        "1 validation error detected: Value 'bad name!' at 'streamName' failed to satisfy "
        "constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+"
    )


def test_name_of_257_chars_is_invalid_and_256_is_fine(kv: KinesisVideoClient) -> None:
    kv.create_stream(StreamName="n" * 256)
    err = raises(kv.create_stream, "InvalidArgumentException", StreamName="n" * 257)
    assert "Member must have length less than or equal to 256" in err.response["Error"]["Message"]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"StreamName": "s", "MediaType": "h264"},
        {"StreamName": "s", "DeviceName": "dev ice"},
        {"StreamName": "s", "KmsKeyId": "k" * 2049},
        {"StreamName": "s", "StreamStorageConfiguration": {"DefaultStorageTier": "COLD"}},
        {"StreamName": "s", "Tags": {"bad*key": "v"}},
        {"StreamName": "s", "Tags": {}},
    ],
)
def test_service_side_constraints_are_invalid_argument(
    sim: kvsim.Simulator, kv: KinesisVideoClient, kwargs: dict[str, Any]
) -> None:
    before = sim._dump()
    raises(kv.create_stream, "InvalidArgumentException", **kwargs)
    assert sim._dump() == before


@pytest.mark.parametrize(
    ("kwargs", "report"),
    [
        ({}, 'Missing required parameter in input: "StreamName"'),
        (
            {"StreamName": ""},
            "Invalid length for parameter StreamName, value: 0, valid min length: 1",
        ),
        (
            {"StreamName": "s", "DataRetentionInHours": -1},
            "Invalid value for parameter DataRetentionInHours, value: -1, valid min value: 0",
        ),
    ],
)
def test_client_side_problems_are_param_validation_errors(
    sim: kvsim.Simulator, kv: KinesisVideoClient, kwargs: dict[str, Any], report: str
) -> None:
    before = sim.now
    with pytest.raises(kvsim.ParamValidationError) as err:
        kv.create_stream(**kwargs)
    assert str(err.value) == f"Parameter validation failed:\n{report}"
    assert sim.now == before  # never sent: no time passes


def test_more_than_50_tags_at_creation_is_tags_exceeded(
    sim: kvsim.Simulator, kv: KinesisVideoClient
) -> None:
    tags = {f"k{i}": "v" for i in range(51)}
    before = sim._dump()
    raises(kv.create_stream, "TagsPerResourceExceededLimitException", StreamName="s", Tags=tags)
    assert sim._dump() == before
    del tags["k50"]
    kv.create_stream(StreamName="s", Tags=tags)
    assert len(kv.list_tags_for_stream(StreamName="s")["Tags"]) == 50


# -- DescribeStream and name-or-ARN resolution --------------------------------------------


def test_describe_by_name_by_arn_and_by_both(kv: KinesisVideoClient) -> None:
    arn = kv.create_stream(StreamName="cam-1")["StreamARN"]
    by_name = info(kv, StreamName="cam-1")
    assert info(kv, StreamARN=arn) == by_name
    assert info(kv, StreamName="cam-1", StreamARN=arn) == by_name


@pytest.mark.parametrize(
    "method",
    [
        "describe_stream",
        "describe_stream_storage_configuration",
        "get_data_endpoint",
        "update_stream",
        "update_data_retention",
        "update_stream_storage_configuration",
        "tag_stream",
        "untag_stream",
        "list_tags_for_stream",
    ],
)
def test_neither_name_nor_arn_is_invalid_argument(kv: KinesisVideoClient, method: str) -> None:
    extra: dict[str, dict[str, Any]] = {
        "get_data_endpoint": {"APIName": "PUT_MEDIA"},
        "update_stream": {"CurrentVersion": "v1"},
        "update_data_retention": {
            "CurrentVersion": "v1",
            "Operation": "INCREASE_DATA_RETENTION",
            "DataRetentionChangeInHours": 1,
        },
        "update_stream_storage_configuration": {
            "CurrentVersion": "v1",
            "StreamStorageConfiguration": {"DefaultStorageTier": "HOT"},
        },
        "tag_stream": {"Tags": {"k": "v"}},
        "untag_stream": {"TagKeyList": ["k"]},
    }
    kv.create_stream(StreamName="cam-1")
    err = raises(getattr(kv, method), "InvalidArgumentException", **extra.get(method, {}))
    assert err.response["Error"]["Message"] == "Either StreamName or StreamARN must be specified."


def test_name_and_arn_of_different_streams_is_invalid_argument(kv: KinesisVideoClient) -> None:
    kv.create_stream(StreamName="a")
    arn_b = kv.create_stream(StreamName="b")["StreamARN"]
    for method in (kv.describe_stream, kv.describe_stream_storage_configuration):
        raises(method, "InvalidArgumentException", StreamName="a", StreamARN=arn_b)
    raises(kv.describe_stream, "InvalidArgumentException", StreamName="nope", StreamARN=arn_b)


def test_unknown_name_is_not_found_with_aws_message(kv: KinesisVideoClient) -> None:
    err = raises(kv.describe_stream, "ResourceNotFoundException", StreamName="nope")
    assert err.response["Error"]["Message"] == NOT_FOUND
    assert err.response["ResponseMetadata"]["HTTPHeaders"]["x-amzn-errortype"] == (
        "ResourceNotFoundException"
    )
    err = raises(
        kv.describe_stream_storage_configuration, "ResourceNotFoundException", StreamName="nope"
    )
    assert err.response["Error"]["Message"] == NOT_FOUND


def test_arn_of_another_account_or_region_is_not_found(sim: kvsim.Simulator) -> None:
    mine = sim.client("kinesisvideo", region_name="us-east-1", account_id=ACCOUNT)
    theirs = sim.client("kinesisvideo", region_name="us-east-1", account_id=OTHER_ACCOUNT)
    elsewhere = sim.client("kinesisvideo", region_name="eu-west-1", account_id=ACCOUNT)
    arn = mine.create_stream(StreamName="cam-1")["StreamARN"]
    theirs.create_stream(StreamName="cam-1")
    elsewhere.create_stream(StreamName="cam-1")
    for client in (theirs, elsewhere):
        err = raises(client.describe_stream, "ResourceNotFoundException", StreamARN=arn)
        assert err.response["Error"]["Message"] == NOT_FOUND
        raises(
            client.describe_stream, "ResourceNotFoundException", StreamName="cam-1", StreamARN=arn
        )
    sim._check()


def test_recreated_stream_has_a_new_arn_and_the_old_arn_is_not_found(
    sim: kvsim.Simulator, kv: KinesisVideoClient
) -> None:
    old = kv.create_stream(StreamName="cam-1")["StreamARN"]
    sim.advance(5)
    kv.delete_stream(StreamARN=old)
    sim.advance(5)
    new = kv.create_stream(StreamName="cam-1")["StreamARN"]
    assert new != old
    assert new.rsplit("/", 1)[1] == str(START_MS + 10_100)  # 2 calls of latency + 10 s
    err = raises(kv.describe_stream, "ResourceNotFoundException", StreamARN=old)
    assert err.response["Error"]["Message"] == NOT_FOUND
    raises(kv.describe_stream, "ResourceNotFoundException", StreamName="cam-1", StreamARN=old)
    raises(kv.describe_stream_storage_configuration, "ResourceNotFoundException", StreamARN=old)
    assert info(kv, StreamName="cam-1")["StreamARN"] == new
    sim._check()


@pytest.mark.parametrize("phase", ["CREATING", "ACTIVE", "UPDATING", "DELETING"])
def test_describe_works_in_every_status(
    sim: kvsim.Simulator, kv: KinesisVideoClient, phase: str
) -> None:
    arn = kv.create_stream(StreamName="cam-1")["StreamARN"]
    if phase != "CREATING":
        sim.advance(5)
    if phase == "UPDATING":
        version = info(kv, StreamARN=arn)["Version"]
        kv.update_data_retention(
            StreamARN=arn,
            CurrentVersion=version,
            Operation="INCREASE_DATA_RETENTION",
            DataRetentionChangeInHours=1,
        )
    if phase == "DELETING":
        kv.delete_stream(StreamARN=arn)
    assert info(kv, StreamName="cam-1")["Status"] == phase
    storage = kv.describe_stream_storage_configuration(StreamName="cam-1")
    assert storage["StreamName"] == "cam-1"
    assert storage["StreamARN"] == arn


def test_describe_rejects_malformed_arn_and_unknown_members(kv: KinesisVideoClient) -> None:
    err = raises(kv.describe_stream, "InvalidArgumentException", StreamARN="not-an-arn")
    assert "at 'streamARN' failed to satisfy constraint" in err.response["Error"]["Message"]
    with pytest.raises(kvsim.ParamValidationError, match='Unknown parameter in input: "Name"'):
        kv.describe_stream(Name="cam-1")


def test_storage_configuration_response_shape(kv: KinesisVideoClient) -> None:
    arn = kv.create_stream(StreamName="cam-1")["StreamARN"]
    got = kv.describe_stream_storage_configuration(StreamARN=arn)
    del got["ResponseMetadata"]
    assert got == {
        "StreamName": "cam-1",
        "StreamARN": arn,
        "StreamStorageConfiguration": {"DefaultStorageTier": "HOT"},
    }
