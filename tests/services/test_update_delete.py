"""UpdateStream, UpdateDataRetention, UpdateStreamStorageConfiguration and DeleteStream."""

from __future__ import annotations

import re
from typing import Any

import pytest
from helpers import raises

import kvsim
from kvsim.engine.client import KinesisVideoClient

NOT_FOUND = "The requested stream is not found or not active."
INCREASE, DECREASE = "INCREASE_DATA_RETENTION", "DECREASE_DATA_RETENTION"


def info(kv: KinesisVideoClient, name: str = "cam-1") -> dict[str, Any]:
    """The StreamInfo of the stream ``name``."""
    result: dict[str, Any] = kv.describe_stream(StreamName=name)["StreamInfo"]
    return result


def active(sim: kvsim.Simulator, kv: KinesisVideoClient, name: str = "cam-1", **kwargs: Any) -> str:
    """Create ``name`` and let it become ACTIVE; returns its ARN."""
    arn: str = kv.create_stream(StreamName=name, **kwargs)["StreamARN"]
    sim.advance(5)
    return arn


# The three update operations, each as (method name, kwargs besides the stream and version).
UPDATES: list[tuple[str, dict[str, Any]]] = [
    ("update_stream", {"MediaType": "video/h264"}),
    ("update_data_retention", {"Operation": INCREASE, "DataRetentionChangeInHours": 2}),
    (
        "update_stream_storage_configuration",
        {"StreamStorageConfiguration": {"DefaultStorageTier": "WARM"}},
    ),
]
UPDATE_IDS = [name for name, _ in UPDATES]


# -- the shared rules of the three update operations ----------------------------------------


@pytest.mark.parametrize(("method", "extra"), UPDATES, ids=UPDATE_IDS)
def test_update_bumps_version_and_passes_through_updating(
    sim: kvsim.Simulator, kv: KinesisVideoClient, method: str, extra: dict[str, Any]
) -> None:
    arn = active(sim, kv)
    old = info(kv)["Version"]
    response = getattr(kv, method)(StreamARN=arn, CurrentVersion=old, **extra)
    assert set(response) == {"ResponseMetadata"}
    now = info(kv)
    assert now["Status"] == "UPDATING"
    assert now["Version"] != old
    assert re.fullmatch(r"[a-zA-Z0-9]{20}", now["Version"])
    assert [c.transition for c in sim.pending()] == ["UPDATING -> ACTIVE"]
    assert sim.advance(1) == 1
    after = info(kv)
    assert after["Status"] == "ACTIVE"
    assert after["Version"] == now["Version"]
    sim._check()


@pytest.mark.parametrize(("method", "extra"), UPDATES, ids=UPDATE_IDS)
def test_update_by_name_works_too(
    sim: kvsim.Simulator, kv: KinesisVideoClient, method: str, extra: dict[str, Any]
) -> None:
    active(sim, kv)
    getattr(kv, method)(StreamName="cam-1", CurrentVersion=info(kv)["Version"], **extra)
    assert info(kv)["Status"] == "UPDATING"


@pytest.mark.parametrize(("method", "extra"), UPDATES, ids=UPDATE_IDS)
def test_stale_version_is_version_mismatch(
    sim: kvsim.Simulator, kv: KinesisVideoClient, method: str, extra: dict[str, Any]
) -> None:
    arn = active(sim, kv)
    old = info(kv)["Version"]
    kv.tag_stream(StreamARN=arn, Tags={"k": "v"})  # tagging keeps the version
    getattr(kv, method)(StreamARN=arn, CurrentVersion=old, **extra)
    sim.advance(5)
    before = sim._dump()
    err = raises(
        getattr(kv, method), "VersionMismatchException", StreamARN=arn, CurrentVersion=old, **extra
    )
    assert old in err.response["Error"]["Message"]
    assert sim._dump() == before
    sim._check()


@pytest.mark.parametrize("phase", ["CREATING", "UPDATING", "DELETING"])
@pytest.mark.parametrize(("method", "extra"), UPDATES, ids=UPDATE_IDS)
def test_update_of_a_stream_not_active_is_resource_in_use(
    sim: kvsim.Simulator, kv: KinesisVideoClient, method: str, extra: dict[str, Any], phase: str
) -> None:
    arn = kv.create_stream(StreamName="cam-1")["StreamARN"]
    if phase != "CREATING":
        sim.advance(5)
    if phase == "UPDATING":
        kv.update_stream(StreamARN=arn, CurrentVersion=info(kv)["Version"], DeviceName="d")
    if phase == "DELETING":
        kv.delete_stream(StreamARN=arn)
    assert info(kv)["Status"] == phase
    version = info(kv)["Version"]
    before = sim._dump()
    err = raises(
        getattr(kv, method),
        "ResourceInUseException",
        StreamARN=arn,
        CurrentVersion=version,
        **extra,
    )
    assert phase in err.response["Error"]["Message"]
    # The status is checked before the version: a wrong version still gets ResourceInUse.
    raises(
        getattr(kv, method),
        "ResourceInUseException",
        StreamARN=arn,
        CurrentVersion="stale0",
        **extra,
    )
    assert sim._dump() == before
    sim._check()


@pytest.mark.parametrize(("method", "extra"), UPDATES, ids=UPDATE_IDS)
def test_update_of_an_unknown_stream_is_not_found(
    kv: KinesisVideoClient, method: str, extra: dict[str, Any]
) -> None:
    for target in (
        {"StreamName": "nope"},
        {"StreamARN": "arn:aws:kinesisvideo:us-east-1:123456789012:stream/nope/1"},
    ):
        err = raises(
            getattr(kv, method),
            "ResourceNotFoundException",
            CurrentVersion="abc",
            **target,
            **extra,
        )
        assert err.response["Error"]["Message"] == NOT_FOUND


@pytest.mark.parametrize(("method", "extra"), UPDATES, ids=UPDATE_IDS)
def test_update_without_current_version_is_a_param_validation_error(
    sim: kvsim.Simulator, kv: KinesisVideoClient, method: str, extra: dict[str, Any]
) -> None:
    active(sim, kv)
    with pytest.raises(
        kvsim.ParamValidationError, match='Missing required parameter in input: "CurrentVersion"'
    ):
        getattr(kv, method)(StreamName="cam-1", **extra)


@pytest.mark.parametrize(("method", "extra"), UPDATES, ids=UPDATE_IDS)
def test_malformed_version_is_invalid_argument(
    sim: kvsim.Simulator, kv: KinesisVideoClient, method: str, extra: dict[str, Any]
) -> None:
    active(sim, kv)
    err = raises(
        getattr(kv, method),
        "InvalidArgumentException",
        StreamName="cam-1",
        CurrentVersion="not-hex!",
        **extra,
    )
    assert "at 'currentVersion'" in err.response["Error"]["Message"]


# -- UpdateStream ----------------------------------------------------------------------------


def test_update_stream_changes_device_and_media_type(
    sim: kvsim.Simulator, kv: KinesisVideoClient
) -> None:
    arn = active(sim, kv, DeviceName="d1", MediaType="video/h264")
    kv.update_stream(
        StreamARN=arn, CurrentVersion=info(kv)["Version"], DeviceName="d2", MediaType="video/h265"
    )
    got = info(kv)
    assert (got["DeviceName"], got["MediaType"]) == ("d2", "video/h265")


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"DeviceName": "d2"}, ("d2", "video/h264")),
        ({"MediaType": "audio/aac"}, ("d1", "audio/aac")),
        ({}, ("d1", "video/h264")),
    ],
)
def test_update_stream_keeps_omitted_fields(
    sim: kvsim.Simulator, kv: KinesisVideoClient, change: dict[str, str], expected: tuple[str, str]
) -> None:
    active(
        sim, kv, DeviceName="d1", MediaType="video/h264", KmsKeyId="my-key", DataRetentionInHours=3
    )
    old = info(kv)
    kv.update_stream(StreamName="cam-1", CurrentVersion=old["Version"], **change)
    new = info(kv)
    assert (new["DeviceName"], new["MediaType"]) == expected
    assert (new["KmsKeyId"], new["DataRetentionInHours"]) == ("my-key", 3)
    assert (new["StreamARN"], new["CreationTime"]) == (old["StreamARN"], old["CreationTime"])
    sim._check()


def test_update_stream_cannot_take_a_kms_key(sim: kvsim.Simulator, kv: KinesisVideoClient) -> None:
    active(sim, kv)
    version = info(kv)["Version"]
    before = sim._dump()
    with pytest.raises(kvsim.ParamValidationError) as err:
        kv.update_stream(StreamName="cam-1", CurrentVersion=version, KmsKeyId="k")
    assert str(err.value).startswith(
        'Parameter validation failed:\nUnknown parameter in input: "KmsKeyId", must be one of:'
    )
    assert sim._dump() == before


def test_update_stream_bad_media_type_is_invalid_argument(
    sim: kvsim.Simulator, kv: KinesisVideoClient
) -> None:
    active(sim, kv)
    raises(
        kv.update_stream,
        "InvalidArgumentException",
        StreamName="cam-1",
        CurrentVersion=info(kv)["Version"],
        MediaType="h264",
    )
    assert info(kv)["Status"] == "ACTIVE"


# -- UpdateDataRetention ----------------------------------------------------------------------


def test_retention_increases_and_decreases(sim: kvsim.Simulator, kv: KinesisVideoClient) -> None:
    arn = active(sim, kv, DataRetentionInHours=10)
    kv.update_data_retention(
        StreamARN=arn,
        CurrentVersion=info(kv)["Version"],
        Operation=INCREASE,
        DataRetentionChangeInHours=5,
    )
    assert info(kv)["DataRetentionInHours"] == 15  # applied at once, while UPDATING
    sim.advance(1)
    kv.update_data_retention(
        StreamARN=arn,
        CurrentVersion=info(kv)["Version"],
        Operation=DECREASE,
        DataRetentionChangeInHours=15,
    )
    assert info(kv)["DataRetentionInHours"] == 0
    sim._check()


def test_retention_may_reach_but_not_pass_the_maximum(
    sim: kvsim.Simulator, kv: KinesisVideoClient
) -> None:
    arn = active(sim, kv, DataRetentionInHours=87_000)
    version = info(kv)["Version"]
    before = sim._dump()
    raises(
        kv.update_data_retention,
        "InvalidArgumentException",
        StreamARN=arn,
        CurrentVersion=version,
        Operation=INCREASE,
        DataRetentionChangeInHours=601,
    )
    assert sim._dump() == before
    kv.update_data_retention(
        StreamARN=arn, CurrentVersion=version, Operation=INCREASE, DataRetentionChangeInHours=600
    )
    assert info(kv)["DataRetentionInHours"] == 87_600


def test_retention_cannot_go_negative(sim: kvsim.Simulator, kv: KinesisVideoClient) -> None:
    arn = active(sim, kv, DataRetentionInHours=3)
    version = info(kv)["Version"]
    before = sim._dump()
    err = raises(
        kv.update_data_retention,
        "InvalidArgumentException",
        StreamARN=arn,
        CurrentVersion=version,
        Operation=DECREASE,
        DataRetentionChangeInHours=4,
    )
    assert "-1" in err.response["Error"]["Message"]
    assert sim._dump() == before


def test_retention_maximum_follows_limits() -> None:
    sim = kvsim.Simulator(limits=kvsim.Limits(max_data_retention_hours=48))
    kv = sim.client("kinesisvideo")
    arn = active(sim, kv, DataRetentionInHours=40)
    version = info(kv)["Version"]
    raises(
        kv.update_data_retention,
        "InvalidArgumentException",
        StreamARN=arn,
        CurrentVersion=version,
        Operation=INCREASE,
        DataRetentionChangeInHours=9,
    )
    kv.update_data_retention(
        StreamARN=arn, CurrentVersion=version, Operation=INCREASE, DataRetentionChangeInHours=8
    )
    assert info(kv)["DataRetentionInHours"] == 48


def test_retention_change_below_one_and_bad_operation(
    sim: kvsim.Simulator, kv: KinesisVideoClient
) -> None:
    arn = active(sim, kv)
    version = info(kv)["Version"]
    with pytest.raises(kvsim.ParamValidationError, match="valid min value: 1"):
        kv.update_data_retention(
            StreamARN=arn, CurrentVersion=version, Operation=INCREASE, DataRetentionChangeInHours=0
        )
    err = raises(
        kv.update_data_retention,
        "InvalidArgumentException",
        StreamARN=arn,
        CurrentVersion=version,
        Operation="DOUBLE",
        DataRetentionChangeInHours=1,
    )
    assert "Member must satisfy enum value set" in err.response["Error"]["Message"]


# -- UpdateStreamStorageConfiguration --------------------------------------------------------


def test_storage_tier_changes_and_back(sim: kvsim.Simulator, kv: KinesisVideoClient) -> None:
    arn = active(sim, kv)
    for tier in ("WARM", "HOT"):
        kv.update_stream_storage_configuration(
            StreamARN=arn,
            CurrentVersion=info(kv)["Version"],
            StreamStorageConfiguration={"DefaultStorageTier": tier},
        )
        got = kv.describe_stream_storage_configuration(StreamARN=arn)
        assert got["StreamStorageConfiguration"] == {"DefaultStorageTier": tier}
        sim.advance(1)
    sim._check()


def test_storage_update_validation(sim: kvsim.Simulator, kv: KinesisVideoClient) -> None:
    arn = active(sim, kv)
    version = info(kv)["Version"]
    raises(
        kv.update_stream_storage_configuration,
        "InvalidArgumentException",
        StreamARN=arn,
        CurrentVersion=version,
        StreamStorageConfiguration={"DefaultStorageTier": "COLD"},
    )
    with pytest.raises(
        kvsim.ParamValidationError,
        match='Missing required parameter in input: "StreamStorageConfiguration"',
    ):
        kv.update_stream_storage_configuration(StreamARN=arn, CurrentVersion=version)
    with pytest.raises(
        kvsim.ParamValidationError,
        match='Missing required parameter in StreamStorageConfiguration: "DefaultStorageTier"',
    ):
        kv.update_stream_storage_configuration(
            StreamARN=arn, CurrentVersion=version, StreamStorageConfiguration={}
        )
    assert info(kv)["Version"] == version


# -- DeleteStream ----------------------------------------------------------------------------


def test_delete_goes_through_deleting_then_gone(
    sim: kvsim.Simulator, kv: KinesisVideoClient
) -> None:
    arn = active(sim, kv)
    response = kv.delete_stream(StreamARN=arn)
    assert set(response) == {"ResponseMetadata"}
    assert info(kv)["Status"] == "DELETING"
    assert [(c.resource, c.transition) for c in sim.pending()] == [(arn, "DELETING -> DELETED")]
    assert sim.advance(1) == 1
    err = raises(kv.describe_stream, "ResourceNotFoundException", StreamARN=arn)
    assert err.response["Error"]["Message"] == NOT_FOUND
    assert kv.list_streams()["StreamInfoList"] == []
    sim._check()


def test_delete_with_the_current_version(sim: kvsim.Simulator, kv: KinesisVideoClient) -> None:
    arn = active(sim, kv)
    version = info(kv)["Version"]
    before = sim._dump()
    err = raises(
        kv.delete_stream, "VersionMismatchException", StreamARN=arn, CurrentVersion="0000000000"
    )
    assert "0000000000" in err.response["Error"]["Message"]
    assert sim._dump() == before
    kv.delete_stream(StreamARN=arn, CurrentVersion=version)
    assert info(kv)["Status"] == "DELETING"
    assert info(kv)["Version"] == version  # deleting does not bump the version


def test_delete_twice_is_in_use_then_not_found(
    sim: kvsim.Simulator, kv: KinesisVideoClient
) -> None:
    arn = active(sim, kv)
    kv.delete_stream(StreamARN=arn)
    before = sim._dump()
    err = raises(kv.delete_stream, "ResourceInUseException", StreamARN=arn)
    assert "being deleted" in err.response["Error"]["Message"]
    assert sim._dump() == before
    sim.advance(1)
    err = raises(kv.delete_stream, "ResourceNotFoundException", StreamARN=arn)
    assert err.response["Error"]["Message"] == NOT_FOUND
    sim._check()


def test_delete_while_creating_and_while_updating(
    sim: kvsim.Simulator, kv: KinesisVideoClient
) -> None:
    updating = active(sim, kv, "b")
    creating = kv.create_stream(StreamName="a")["StreamARN"]
    kv.delete_stream(StreamARN=creating)
    assert info(kv, "a")["Status"] == "DELETING"
    kv.update_stream(
        StreamARN=updating, CurrentVersion=info(kv, "b")["Version"], MediaType="video/h264"
    )
    kv.delete_stream(StreamARN=updating)
    assert info(kv, "b")["Status"] == "DELETING"
    assert [c.transition for c in sim.pending()] == ["DELETING -> DELETED"] * 2
    assert sim.run_until_idle() == 2
    assert kv.list_streams()["StreamInfoList"] == []
    sim._check()


def test_name_is_taken_until_the_deletion_completes(
    sim: kvsim.Simulator, kv: KinesisVideoClient
) -> None:
    old = active(sim, kv)
    kv.delete_stream(StreamARN=old)
    raises(kv.create_stream, "ResourceInUseException", StreamName="cam-1")
    sim.advance(1)
    new = kv.create_stream(StreamName="cam-1")["StreamARN"]
    assert new != old
    assert info(kv)["Status"] == "CREATING"
    raises(kv.delete_stream, "ResourceNotFoundException", StreamARN=old)
    sim._check()


def test_delete_takes_only_an_arn(sim: kvsim.Simulator, kv: KinesisVideoClient) -> None:
    arn = active(sim, kv)
    with pytest.raises(
        kvsim.ParamValidationError, match='Missing required parameter in input: "StreamARN"'
    ):
        kv.delete_stream()
    with pytest.raises(
        kvsim.ParamValidationError, match='Unknown parameter in input: "StreamName"'
    ):
        kv.delete_stream(StreamARN=arn, StreamName="cam-1")
    err = raises(kv.delete_stream, "InvalidArgumentException", StreamARN="cam-1")
    assert "at 'streamARN'" in err.response["Error"]["Message"]
    assert info(kv)["Status"] == "ACTIVE"


def test_delete_of_another_accounts_arn_is_not_found(
    sim: kvsim.Simulator, kv: KinesisVideoClient
) -> None:
    arn = active(sim, kv)
    other = sim.client("kinesisvideo", region_name="us-east-1", account_id="210987654321")
    other.create_stream(StreamName="cam-1")
    raises(other.delete_stream, "ResourceNotFoundException", StreamARN=arn)
    assert info(kv)["Status"] == "ACTIVE"
    sim._check()
