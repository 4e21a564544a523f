"""Image generation and notification configurations: every rule of the model and of the
API reference, deletion by omission, the state checks and their order, atomicity."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import kvsim
from kvsim import strategies as kvs
from kvsim.errors import ClientError, ParamValidationError

REGION = "us-east-1"
IMAGE: dict[str, Any] = {
    "Status": "ENABLED",
    "ImageSelectorType": "SERVER_TIMESTAMP",
    "DestinationConfig": {"Uri": "s3://bucket/prefix", "DestinationRegion": REGION},
    "SamplingInterval": 200,
    "Format": "JPEG",
    "FormatConfig": {"JPEGQuality": "80"},
    "WidthPixels": 640,
}
NOTIFICATION: dict[str, Any] = {
    "Status": "ENABLED",
    "DestinationConfig": {"Uri": "arn:aws:sns:us-east-1:123456789012:events"},
}


def world(retention: int = 24, **options: Any) -> tuple[kvsim.Simulator, Any]:
    """A simulator with the ACTIVE stream ``cam`` (no call latency)."""
    options.setdefault("timings", kvsim.Timings(call_latency=0))
    sim = kvsim.Simulator(seed=1, **options)
    kv = sim.client()
    kv.create_stream(StreamName="cam", DataRetentionInHours=retention)
    sim.run_until_idle()
    return sim, kv


def code_of(call: Any, **params: Any) -> str:
    with pytest.raises(ClientError) as raised:
        call(**params)
    return str(raised.value.response["Error"]["Code"])


def test_a_stream_without_configurations_describes_them_as_absent() -> None:
    _sim, kv = world()
    image = kv.describe_image_generation_configuration(StreamName="cam")
    notes = kv.describe_notification_configuration(StreamName="cam")
    assert "ImageGenerationConfiguration" not in image
    assert "NotificationConfiguration" not in notes
    assert image["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_a_configuration_is_answered_as_set_by_name_and_by_arn_and_removed_by_omission() -> None:
    _sim, kv = world()
    arn = kv.describe_stream(StreamName="cam")["StreamInfo"]["StreamARN"]
    assert kv.update_image_generation_configuration(
        StreamARN=arn, ImageGenerationConfiguration=IMAGE
    ).keys() == {"ResponseMetadata"}
    kv.update_notification_configuration(StreamName="cam", NotificationConfiguration=NOTIFICATION)
    got = kv.describe_image_generation_configuration(StreamName="cam")
    assert got["ImageGenerationConfiguration"] == IMAGE
    got = kv.describe_notification_configuration(StreamARN=arn)
    assert got["NotificationConfiguration"] == NOTIFICATION
    kv.update_image_generation_configuration(StreamName="cam")
    kv.update_notification_configuration(StreamARN=arn)
    assert "ImageGenerationConfiguration" not in kv.describe_image_generation_configuration(
        StreamName="cam"
    )
    assert "NotificationConfiguration" not in kv.describe_notification_configuration(
        StreamName="cam"
    )


def test_the_stored_configuration_is_a_copy_of_the_request() -> None:
    _sim, kv = world()
    mine = copy.deepcopy(IMAGE)
    kv.update_image_generation_configuration(StreamName="cam", ImageGenerationConfiguration=mine)
    mine["DestinationConfig"]["Uri"] = "s3://changed"
    answer = kv.describe_image_generation_configuration(StreamName="cam")
    assert answer["ImageGenerationConfiguration"]["DestinationConfig"]["Uri"] == (
        "s3://bucket/prefix"
    )
    answer["ImageGenerationConfiguration"]["Format"] = "PNG"
    again = kv.describe_image_generation_configuration(StreamName="cam")
    assert again["ImageGenerationConfiguration"]["Format"] == "JPEG"


@pytest.mark.parametrize(
    ("change", "member", "constraint"),
    [
        (
            {"SamplingInterval": 199},
            "imageGenerationConfiguration.samplingInterval",
            "Member must have value greater than or equal to 200",
        ),
        (
            {"DestinationConfig": {"Uri": "s3://b", "DestinationRegion": "eu-west-1"}},
            "imageGenerationConfiguration.destinationConfig.destinationRegion",
            "Member must be the stream's region, us-east-1",
        ),
        (
            {"FormatConfig": {"JPEGQuality": "0"}},
            "imageGenerationConfiguration.formatConfig",
            "Member must be an integer from 1 to 100",
        ),
        (
            {"FormatConfig": {"JPEGQuality": "101"}},
            "imageGenerationConfiguration.formatConfig",
            "Member must be an integer from 1 to 100",
        ),
        (
            {"FormatConfig": {"JPEGQuality": "high"}},
            "imageGenerationConfiguration.formatConfig",
            "Member must be an integer from 1 to 100",
        ),
        (
            {"Format": "PNG"},
            "imageGenerationConfiguration.formatConfig",
            "JPEGQuality applies to the JPEG format only, not PNG",
        ),
    ],
)
def test_the_api_references_rules_answer_invalid_argument_and_change_nothing(
    change: dict[str, Any], member: str, constraint: str
) -> None:
    sim, kv = world()
    before = sim._dump()
    with pytest.raises(kv.exceptions.InvalidArgumentException) as raised:
        kv.update_image_generation_configuration(
            StreamName="cam", ImageGenerationConfiguration={**IMAGE, **change}
        )
    message = raised.value.response["Error"]["Message"]
    assert message.startswith("1 validation error detected: Value '")
    assert f"at '{member}' failed to satisfy constraint: " in message
    assert constraint in message
    assert sim._dump() == before


@pytest.mark.parametrize("quality", ["1", "100", "080"])
def test_jpeg_quality_bounds_and_the_minimum_interval_are_accepted(quality: str) -> None:
    _sim, kv = world()
    config = {**IMAGE, "FormatConfig": {"JPEGQuality": quality}, "SamplingInterval": 200}
    kv.update_image_generation_configuration(StreamName="cam", ImageGenerationConfiguration=config)
    got = kv.describe_image_generation_configuration(StreamName="cam")
    assert got["ImageGenerationConfiguration"]["FormatConfig"] == {"JPEGQuality": quality}


def test_the_models_own_constraints_split_like_botocore() -> None:
    _sim, kv = world()
    with pytest.raises(ParamValidationError):  # botocore: WidthPixels below its min 1
        kv.update_image_generation_configuration(
            StreamName="cam", ImageGenerationConfiguration={**IMAGE, "WidthPixels": 0}
        )
    with pytest.raises(kv.exceptions.InvalidArgumentException) as raised:  # the service: max
        kv.update_image_generation_configuration(
            StreamName="cam", ImageGenerationConfiguration={**IMAGE, "HeightPixels": 2161}
        )
    assert "at 'imageGenerationConfiguration.heightPixels'" in str(raised.value)
    with pytest.raises(kv.exceptions.InvalidArgumentException):  # pattern of the URI
        kv.update_notification_configuration(
            StreamName="cam",
            NotificationConfiguration={"Status": "ENABLED", "DestinationConfig": {"Uri": "nope"}},
        )


@pytest.mark.parametrize(
    ("op", "member", "config"),
    [
        ("update_image_generation_configuration", "ImageGenerationConfiguration", IMAGE),
        ("update_notification_configuration", "NotificationConfiguration", NOTIFICATION),
    ],
)
def test_an_enabled_configuration_needs_data_retention_a_disabled_one_or_a_removal_not(
    op: str, member: str, config: dict[str, Any]
) -> None:
    sim, kv = world(retention=0)
    before = sim._dump()
    assert code_of(getattr(kv, op), StreamName="cam", **{member: config}) == (
        "NoDataRetentionException"
    )
    assert sim._dump() == before
    getattr(kv, op)(StreamName="cam", **{member: {**config, "Status": "DISABLED"}})
    getattr(kv, op)(StreamName="cam")


@pytest.mark.parametrize(
    ("op", "member", "config"),
    [
        ("update_image_generation_configuration", "ImageGenerationConfiguration", IMAGE),
        ("update_notification_configuration", "NotificationConfiguration", NOTIFICATION),
    ],
)
def test_updates_need_an_active_stream_while_describes_read_any_status(
    op: str, member: str, config: dict[str, Any]
) -> None:
    sim = kvsim.Simulator(timings=kvsim.Timings(call_latency=0))
    kv = sim.client()
    arn = kv.create_stream(StreamName="cam", DataRetentionInHours=1)["StreamARN"]
    assert code_of(getattr(kv, op), StreamName="cam", **{member: config}) == (
        "ResourceInUseException"
    )  # CREATING
    sim.run_until_idle()
    getattr(kv, op)(StreamName="cam", **{member: config})
    version = kv.describe_stream(StreamName="cam")["StreamInfo"]["Version"]
    kv.update_stream(StreamName="cam", CurrentVersion=version, MediaType="video/h264")
    assert code_of(getattr(kv, op), StreamName="cam") == "ResourceInUseException"  # UPDATING
    sim.run_until_idle()
    kv.delete_stream(StreamARN=arn)
    assert code_of(getattr(kv, op), StreamName="cam") == "ResourceInUseException"  # DELETING
    describe = getattr(kv, op.replace("update_", "describe_"))
    assert describe(StreamName="cam")[member] == config  # still readable while DELETING
    sim.run_until_idle()
    assert code_of(describe, StreamName="cam") == "ResourceNotFoundException"


def test_configuration_updates_change_neither_the_version_nor_the_status() -> None:
    _sim, kv = world()
    before = kv.describe_stream(StreamName="cam")["StreamInfo"]
    kv.update_image_generation_configuration(StreamName="cam", ImageGenerationConfiguration=IMAGE)
    kv.update_notification_configuration(StreamName="cam", NotificationConfiguration=NOTIFICATION)
    after = kv.describe_stream(StreamName="cam")["StreamInfo"]
    assert (after["Version"], after["Status"]) == (before["Version"], "ACTIVE")


def test_validation_comes_before_throttling_and_state_after_it() -> None:
    limits = kvsim.Limits(rates={"UpdateImageGenerationConfiguration": (50, 1)})
    _sim, kv = world(limits=limits)
    kv.update_image_generation_configuration(StreamName="cam", ImageGenerationConfiguration=IMAGE)
    # The stream's bucket is empty: a bad request is still refused for what it is...
    bad = {**IMAGE, "SamplingInterval": 10}
    assert code_of(
        kv.update_image_generation_configuration,
        StreamName="cam",
        ImageGenerationConfiguration=bad,
    ) == ("InvalidArgumentException")
    # ...and a good one is throttled.
    assert code_of(
        kv.update_image_generation_configuration,
        StreamName="cam",
        ImageGenerationConfiguration=IMAGE,
    ) == ("ClientLimitExceededException")


def test_the_documented_rates_are_5_per_stream_and_50_per_account() -> None:
    assert kvsim.DEFAULT_RATES["UpdateImageGenerationConfiguration"] == (50, 5)
    assert kvsim.DEFAULT_RATES["DescribeNotificationConfiguration"] == (50, 5)
    _sim, kv = world()
    codes = []
    for _ in range(6):
        try:
            kv.describe_notification_configuration(StreamName="cam")
            codes.append("ok")
        except kv.exceptions.ClientLimitExceededException:
            codes.append("throttled")
    assert codes == ["ok"] * 5 + ["throttled"]


def test_a_new_incarnation_starts_without_configurations() -> None:
    sim, kv = world()
    kv.update_image_generation_configuration(StreamName="cam", ImageGenerationConfiguration=IMAGE)
    arn = kv.describe_stream(StreamName="cam")["StreamInfo"]["StreamARN"]
    kv.delete_stream(StreamARN=arn)
    sim.run_until_idle()
    kv.create_stream(StreamName="cam", DataRetentionInHours=1)
    got = kv.describe_image_generation_configuration(StreamName="cam")
    assert "ImageGenerationConfiguration" not in got
    assert code_of(kv.describe_image_generation_configuration, StreamARN=arn) == (
        "ResourceNotFoundException"
    )


def test_configurations_survive_a_snapshot_and_are_checked_on_restore() -> None:
    sim, kv = world()
    kv.update_image_generation_configuration(StreamName="cam", ImageGenerationConfiguration=IMAGE)
    kv.update_notification_configuration(StreamName="cam", NotificationConfiguration=NOTIFICATION)
    snapshot = sim.snapshot()
    copy_kv = kvsim.Simulator.restore(snapshot).client()
    got = copy_kv.describe_image_generation_configuration(StreamName="cam")
    assert got["ImageGenerationConfiguration"] == IMAGE
    stream = snapshot["regions"][0]["resources"]["streams"][0]
    stream["images"]["SamplingInterval"] = 100
    with pytest.raises(ValueError, match=r"streams\[0\]\.images: .*greater than or equal to 200"):
        kvsim.Simulator.restore(snapshot)
    stream["images"] = {"Status": "ENABLED"}
    with pytest.raises(ValueError, match=r"streams\[0\]\.images: not a valid"):
        kvsim.Simulator.restore(snapshot)


def test_a_snapshot_without_configuration_fields_still_loads() -> None:
    sim, _kv = world()
    snapshot = sim.snapshot()
    stream = snapshot["regions"][0]["resources"]["streams"][0]
    assert "images" not in stream and "notifications" not in stream  # idle streams stay small
    for family in ("edge_configurations", "hub_devices"):
        del snapshot["regions"][0]["resources"][family]
    restored = kvsim.Simulator.restore(snapshot)
    assert restored._dump() == sim._dump()


@settings(max_examples=25, database=None, deadline=None)
@given(
    image=kvs.update_image_generation_configuration_kwargs(names=st.just("cam")),
    notes=kvs.update_notification_configuration_kwargs(
        names=st.just("cam"), with_configuration=None
    ),
)
def test_any_valid_configuration_is_accepted_and_answered_as_given(
    image: dict[str, Any], notes: dict[str, Any]
) -> None:
    _sim, kv = world()
    kv.update_image_generation_configuration(**image)
    kv.update_notification_configuration(**notes)
    got = kv.describe_image_generation_configuration(StreamName="cam")
    assert got["ImageGenerationConfiguration"] == image["ImageGenerationConfiguration"]
    got = kv.describe_notification_configuration(StreamName="cam")
    assert got.get("NotificationConfiguration") == notes.get("NotificationConfiguration")
