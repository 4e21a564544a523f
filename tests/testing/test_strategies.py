"""kvsim.strategies: every generated value is valid for botocore, the model and the simulator."""

from __future__ import annotations

import functools
import re
import subprocess
import sys
import unicodedata
from collections.abc import Callable
from typing import Any

import botocore.session
import pytest
from botocore.model import Shape
from botocore.validate import ParamValidator
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

import kvsim
from kvsim import strategies as kvs
from kvsim.services.registry import INPUTS

ACCOUNT = "123456789012"
REGION = "us-east-1"


# -- botocore's model, read from the installed package ----------------------------------------


@functools.cache
def _input_shape(operation: str) -> Shape:
    model = botocore.session.get_session().get_service_model("kinesisvideo")
    shape = model.operation_model(operation).input_shape
    assert shape is not None
    return shape


def _tag_text_ok(text: str) -> bool:
    return all(c in "_.:/=+-@" or unicodedata.category(c)[0] in "LZN" for c in text)


# An oracle with Java semantics for each pattern the members below use; a
# pattern missing here fails the test, so a model change is noticed.
_PATTERN_ORACLES: dict[str, Callable[[str], bool]] = {
    "[a-zA-Z0-9_.-]+": lambda v: re.fullmatch(r"[a-zA-Z0-9_.-]+", v) is not None,
    r"[\w\-\.\+]+/[\w\-\.\+]+(,[\w\-\.\+]+/[\w\-\.\+]+)*": lambda v: (
        re.fullmatch(r"[\w\-\.\+]+/[\w\-\.\+]+(,[\w\-\.\+]+/[\w\-\.\+]+)*", v, re.ASCII) is not None
    ),
    r"arn:[a-z\d-]+:kinesisvideo:[a-z0-9-]+:[0-9]+:[a-z]+/[a-zA-Z0-9_.-]+/[0-9]+": lambda v: (
        re.fullmatch(
            r"arn:[a-z\d-]+:kinesisvideo:[a-z0-9-]+:[0-9]+:[a-z]+/[a-zA-Z0-9_.-]+/[0-9]+",
            v,
            re.ASCII,
        )
        is not None
    ),
    ".+": lambda v: re.fullmatch("[^\n\r\x85\u2028\u2029]+", v) is not None,
    "[a-zA-Z0-9]+": lambda v: re.fullmatch("[a-zA-Z0-9]+", v) is not None,
    r"^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$": _tag_text_ok,
    r"[\p{L}\p{Z}\p{N}_.:/=+\-@]*": _tag_text_ok,
}


def _model_violations(value: Any, shape: Shape, path: str = "") -> list[str]:
    """Every constraint of ``shape`` that ``value`` breaks, ``max`` and ``pattern`` included."""
    found: list[str] = []
    meta = shape.metadata
    if shape.type_name == "string":
        units = kvs.utf16_length(value)
        if "min" in meta and units < meta["min"]:
            found.append(f"{path}: length {units} < {meta['min']}")
        if "max" in meta and units > meta["max"]:
            found.append(f"{path}: length {units} > {meta['max']}")
        if "pattern" in meta and not _PATTERN_ORACLES[meta["pattern"]](value):
            found.append(f"{path}: {value!r} does not match {meta['pattern']}")
        if shape.enum and value not in shape.enum:
            found.append(f"{path}: {value!r} not in {shape.enum}")
    elif shape.type_name == "integer":
        if "min" in meta and value < meta["min"]:
            found.append(f"{path}: {value} < {meta['min']}")
        if "max" in meta and value > meta["max"]:
            found.append(f"{path}: {value} > {meta['max']}")
    elif shape.type_name == "map":
        if "min" in meta and len(value) < meta["min"]:
            found.append(f"{path}: {len(value)} entries < {meta['min']}")
        if "max" in meta and len(value) > meta["max"]:
            found.append(f"{path}: {len(value)} entries > {meta['max']}")
        for key, item in value.items():
            found += _model_violations(key, shape.key, f"{path}.key")
            found += _model_violations(item, shape.value, f"{path}[{key!r}]")
    elif shape.type_name == "list":
        for i, item in enumerate(value):
            found += _model_violations(item, shape.member, f"{path}[{i}]")
    elif shape.type_name == "structure":
        for name, item in value.items():
            found += _model_violations(item, shape.members[name], f"{path}.{name}")
    return found


def assert_valid_request(operation: str, params: dict[str, Any]) -> None:
    """botocore's validator, the model's full constraints and kvsim's own validation agree."""
    shape = _input_shape(operation)
    report = ParamValidator().validate(params, shape)
    assert not report.has_errors(), report.generate_report()
    assert _model_violations(params, shape) == []
    INPUTS[operation].validate(params)  # raises on any client- or service-side problem


def _world() -> tuple[kvsim.Simulator, Any]:
    sim = kvsim.Simulator(seed=0, limits=kvsim.Limits(throttling=False))
    return sim, sim.client("kinesisvideo", region_name=REGION, account_id=ACCOUNT)


# -- each strategy's values are accepted ----------------------------------------------------


@given(name=kvs.stream_names())
def test_stream_names_are_valid_and_creatable(name: str) -> None:
    assert_valid_request("CreateStream", {"StreamName": name})
    _sim, kv = _world()
    arn = kv.create_stream(StreamName=name)["StreamARN"]
    assert kv.describe_stream(StreamARN=arn)["StreamInfo"]["StreamName"] == name


@given(name=kvs.stream_names(min_size=3, max_size=9, prefix="cam-"))
def test_stream_names_respect_size_and_prefix(name: str) -> None:
    assert name.startswith("cam-")
    assert 4 <= len(name) <= 9


@given(device=kvs.device_names())
def test_device_names_are_valid_and_stored(device: str) -> None:
    assert_valid_request("CreateStream", {"StreamName": "s", "DeviceName": device})
    _sim, kv = _world()
    kv.create_stream(StreamName="s", DeviceName=device)
    assert kv.describe_stream(StreamName="s")["StreamInfo"]["DeviceName"] == device


@given(media_type=kvs.media_types())
def test_media_types_are_valid_and_stored(media_type: str) -> None:
    assert_valid_request("CreateStream", {"StreamName": "s", "MediaType": media_type})
    _sim, kv = _world()
    kv.create_stream(StreamName="s", MediaType=media_type)
    assert kv.describe_stream(StreamName="s")["StreamInfo"]["MediaType"] == media_type


@given(media_type=kvs.media_types(min_types=32, max_types=32))
def test_media_types_fit_the_model_even_at_the_largest_count(media_type: str) -> None:
    assert media_type.count(",") == 31
    assert_valid_request("CreateStream", {"StreamName": "s", "MediaType": media_type})


@given(key=kvs.kms_key_ids())
def test_kms_key_ids_are_valid_and_stored(key: str) -> None:
    assert_valid_request("CreateStream", {"StreamName": "s", "KmsKeyId": key})
    _sim, kv = _world()
    kv.create_stream(StreamName="s", KmsKeyId=key)
    assert kv.describe_stream(StreamName="s")["StreamInfo"]["KmsKeyId"] == key


@given(key=kvs.tag_keys(), value=kvs.tag_values())
def test_tag_keys_and_values_are_valid_and_stored(key: str, value: str) -> None:
    assert_valid_request("TagStream", {"StreamName": "s", "Tags": {key: value}})
    assert_valid_request("UntagStream", {"StreamName": "s", "TagKeyList": [key]})
    assert_valid_request(
        "TagResource",
        {
            "ResourceARN": "arn:aws:kinesisvideo:us-east-1:123456789012:stream/s/1",
            "Tags": [{"Key": key, "Value": value}],
        },
    )
    _sim, kv = _world()
    kv.create_stream(StreamName="s")
    kv.tag_stream(StreamName="s", Tags={key: value})
    assert kv.list_tags_for_stream(StreamName="s")["Tags"] == {key: value}
    kv.untag_stream(StreamName="s", TagKeyList=[key])
    assert kv.list_tags_for_stream(StreamName="s")["Tags"] == {}


@given(tags=kvs.tag_maps())
def test_tag_maps_are_valid_and_stored(tags: dict[str, str]) -> None:
    assert_valid_request("CreateStream", {"StreamName": "s", "Tags": tags})
    assert_valid_request("TagStream", {"StreamName": "s", "Tags": tags})
    _sim, kv = _world()
    arn = kv.create_stream(StreamName="s", Tags=tags)["StreamARN"]
    assert kv.list_tags_for_resource(ResourceARN=arn)["Tags"] == tags
    kv.tag_stream(StreamARN=arn, Tags=tags)
    assert kv.list_tags_for_stream(StreamARN=arn)["Tags"] == tags


@given(hours=kvs.retention_hours())
def test_retention_hours_are_valid_and_stored(hours: int) -> None:
    assert_valid_request("CreateStream", {"StreamName": "s", "DataRetentionInHours": hours})
    _sim, kv = _world()
    kv.create_stream(StreamName="s", DataRetentionInHours=hours)
    assert kv.describe_stream(StreamName="s")["StreamInfo"]["DataRetentionInHours"] == hours


@given(kwargs=kvs.create_stream_kwargs())
def test_create_stream_kwargs_are_valid_and_applied(kwargs: dict[str, Any]) -> None:
    assert_valid_request("CreateStream", kwargs)
    sim, kv = _world()
    arn = kv.create_stream(**kwargs)["StreamARN"]
    sim.run_until_idle()
    info = kv.describe_stream(StreamARN=arn)["StreamInfo"]
    assert info["Status"] == "ACTIVE"
    assert info["StreamName"] == kwargs["StreamName"]
    assert info.get("DeviceName") == kwargs.get("DeviceName")
    assert info.get("MediaType") == kwargs.get("MediaType")
    assert info["KmsKeyId"] == kwargs.get(
        "KmsKeyId", f"arn:aws:kms:{REGION}:{ACCOUNT}:alias/aws/kinesisvideo"
    )
    assert info["DataRetentionInHours"] == kwargs.get("DataRetentionInHours", 0)
    assert kv.list_tags_for_stream(StreamARN=arn)["Tags"] == kwargs.get("Tags", {})
    storage = kv.describe_stream_storage_configuration(StreamARN=arn)
    tier = kwargs.get("StreamStorageConfiguration", {"DefaultStorageTier": "HOT"})
    assert storage["StreamStorageConfiguration"] == tier


# -- options ------------------------------------------------------------------------------


_ALL_OPTIONAL = (
    "DeviceName",
    "MediaType",
    "KmsKeyId",
    "DataRetentionInHours",
    "Tags",
    "StreamStorageConfiguration",
)


@given(
    kwargs=kvs.create_stream_kwargs(
        names=st.just("fixed"),
        with_device=True,
        with_media_type=True,
        with_kms_key=True,
        with_retention=True,
        with_tags=True,
        with_storage_configuration=True,
        max_tags=3,
        max_retention_hours=24,
    )
)
def test_create_stream_kwargs_with_every_member(kwargs: dict[str, Any]) -> None:
    assert sorted(kwargs) == sorted(("StreamName", *_ALL_OPTIONAL))
    assert kwargs["StreamName"] == "fixed"
    assert 1 <= len(kwargs["Tags"]) <= 3
    assert 0 <= kwargs["DataRetentionInHours"] <= 24


@given(
    kwargs=kvs.create_stream_kwargs(
        with_device=False,
        with_media_type=False,
        with_kms_key=False,
        with_retention=False,
        with_storage_configuration=False,
        max_tags=0,
    )
)
def test_create_stream_kwargs_with_no_optional_member(kwargs: dict[str, Any]) -> None:
    assert list(kwargs) == ["StreamName"]


def _is_astral(text: str) -> bool:
    return any(ord(c) > 0xFFFF for c in text)


@given(key=kvs.tag_keys(min_size=127), value=kvs.tag_values(min_size=255))
def test_tag_lengths_count_utf16_units(key: str, value: str) -> None:
    assert 127 <= kvs.utf16_length(key) <= 128
    assert 255 <= kvs.utf16_length(value) <= 256
    assert_valid_request("TagStream", {"StreamName": "s", "Tags": {key: value}})


def test_tag_keys_reach_non_ascii_scripts_separators_and_astral_letters() -> None:
    # Existence, not frequency: each kind of character the pattern allows is reachable.
    seen: dict[str, str] = {}

    @settings(max_examples=300, database=None)
    @given(key=kvs.tag_keys(), value=kvs.tag_values())
    def collect(key: str, value: str) -> None:
        for text in (key, value):
            if _is_astral(text):
                seen.setdefault("astral", text)
            if any(unicodedata.category(c).startswith("Z") and c != " " for c in text):
                seen.setdefault("separator", text)
            if any(unicodedata.category(c).startswith("N") and not c.isascii() for c in text):
                seen.setdefault("number", text)
            if any(unicodedata.category(c).startswith("L") and not c.isascii() for c in text):
                seen.setdefault("letter", text)
        if value == "":
            seen.setdefault("empty value", value)

    collect()
    assert sorted(seen) == ["astral", "empty value", "letter", "number", "separator"]


@settings(max_examples=10)
@given(tags=kvs.tag_maps(min_size=51, max_size=51, keys=kvs.tag_keys(ascii_only=True)))
def test_tag_maps_above_the_limit_are_refused_whole(tags: dict[str, str]) -> None:
    _sim, kv = _world()
    with pytest.raises(kv.exceptions.TagsPerResourceExceededLimitException) as info:
        kv.create_stream(StreamName="s", Tags=tags)
    assert info.value.response["Error"]["Code"] == "TagsPerResourceExceededLimitException"
    with pytest.raises(kv.exceptions.ResourceNotFoundException):
        kv.describe_stream(StreamName="s")


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: kvs.stream_names(max_size=257), "max_size must be between 1 and 256, got 257"),
        (lambda: kvs.stream_names(min_size=5, max_size=4), "min_size=5 is greater than max_size=4"),
        (
            lambda: kvs.stream_names(prefix="abc", max_size=2),
            "prefix 'abc' is longer than max_size=2",
        ),
        (lambda: kvs.stream_names(prefix=3), "prefix must be a str or None, got 3"),
        (lambda: kvs.device_names(min_size=True), "min_size must be an int, got True"),
        (lambda: kvs.device_names(prefix="a/b"), "characters outside [a-zA-Z0-9_.-]: '/'"),
        (lambda: kvs.media_types(max_types=33), "max_types must be between 1 and 32, got 33"),
        (lambda: kvs.kms_key_ids(arbitrary=None), "arbitrary must be True or False, got None"),
        (lambda: kvs.tag_keys(min_size=0), "min_size must be between 1 and 128, got 0"),
        (lambda: kvs.tag_keys(ascii_only="yes"), "ascii_only must be True or False"),
        (lambda: kvs.tag_values(max_size=257), "max_size must be between 0 and 256, got 257"),
        (lambda: kvs.tag_maps(min_size=-1), "min_size must be between 0 and 10000, got -1"),
        (lambda: kvs.tag_maps(keys=["a"]), "keys must be a hypothesis strategy, got ['a']"),
        (lambda: kvs.retention_hours(max_value=2**31), "max_value must be between 0 and"),
        (lambda: kvs.retention_hours(min_value=5, max_value=1), "min_value=5 is greater than"),
        (lambda: kvs.create_stream_kwargs(with_tags=1), "with_tags must be True, False or None"),
        (lambda: kvs.create_stream_kwargs(names="cam"), "names must be a hypothesis strategy"),
        (lambda: kvs.create_stream_kwargs(with_tags=True, max_tags=0), "needs max_tags >= 1"),
    ],
)
def test_invalid_options_raise_at_once(build: Callable[[], object], message: str) -> None:
    # Raised when the strategy is built, before anything is drawn from it.
    with pytest.raises(InvalidArgument) as info:
        build()
    assert message in str(info.value)


def test_importing_kvsim_does_not_import_the_hypothesis_modules() -> None:
    code = (
        "import sys, kvsim; "
        "print(sorted(m for m in ('kvsim.strategies', 'kvsim.stateful') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# -- signaling channels and media storage ---------------------------------------------------


@given(name=kvs.channel_names())
def test_channel_names_are_valid_and_creatable(name: str) -> None:
    assert_valid_request("CreateSignalingChannel", {"ChannelName": name})
    _sim, kv = _world()
    kv.create_signaling_channel(ChannelName=name)
    assert kv.describe_signaling_channel(ChannelName=name)["ChannelInfo"]["ChannelName"] == name


@given(kwargs=kvs.create_signaling_channel_kwargs())
def test_create_signaling_channel_kwargs_are_valid_and_applied(kwargs: dict[str, Any]) -> None:
    assert_valid_request("CreateSignalingChannel", kwargs)
    sim, kv = _world()
    arn = kv.create_signaling_channel(**kwargs)["ChannelARN"]
    sim.run_until_idle()
    info = kv.describe_signaling_channel(ChannelARN=arn)["ChannelInfo"]
    assert info["ChannelStatus"] == "ACTIVE"
    assert info["ChannelName"] == kwargs["ChannelName"]
    assert info["ChannelType"] == kwargs.get("ChannelType", "SINGLE_MASTER")
    ttl = kwargs.get("SingleMasterConfiguration", {}).get("MessageTtlSeconds", 60)
    assert info["SingleMasterConfiguration"] == {"MessageTtlSeconds": ttl}
    tags = {tag["Key"]: tag["Value"] for tag in kwargs.get("Tags", [])}
    assert kv.list_tags_for_resource(ResourceARN=arn)["Tags"] == tags


@given(
    kwargs=kvs.create_signaling_channel_kwargs(
        names=st.just("door"), with_channel_type=True, with_ttl=True, with_tags=True, max_tags=2
    ),
    bare=kvs.create_signaling_channel_kwargs(with_channel_type=False, with_ttl=False, max_tags=0),
)
def test_create_signaling_channel_kwargs_switches(
    kwargs: dict[str, Any], bare: dict[str, Any]
) -> None:
    assert sorted(kwargs) == ["ChannelName", "ChannelType", "SingleMasterConfiguration", "Tags"]
    assert kwargs["ChannelName"] == "door" and 1 <= len(kwargs["Tags"]) <= 2
    assert list(bare) == ["ChannelName"]


@given(
    kwargs=kvs.update_signaling_channel_kwargs(),
    arn=kvs.channel_arns(account_id="000000000001", region_name="cn-north-1"),
    stream=kvs.stream_arns(),
    version=kvs.versions(),
)
def test_update_signaling_channel_kwargs_and_arns_are_well_formed(
    kwargs: dict[str, Any], arn: str, stream: str, version: str
) -> None:
    assert_valid_request("UpdateSignalingChannel", kwargs)
    assert arn.startswith("arn:aws-cn:kinesisvideo:cn-north-1:000000000001:channel/")
    assert stream.startswith("arn:aws:kinesisvideo:us-east-1:123456789012:stream/")
    assert_valid_request("UpdateSignalingChannel", {"ChannelARN": arn, "CurrentVersion": version})
    assert_valid_request("DescribeMappedResourceConfiguration", {"StreamARN": stream})


@given(data=st.data(), with_ttl=st.none() | st.booleans())
def test_update_signaling_channel_kwargs_are_accepted(
    data: st.DataObject, with_ttl: bool | None
) -> None:
    sim, kv = _world()
    arn = kv.create_signaling_channel(ChannelName="door")["ChannelARN"]
    sim.run_until_idle()
    before = kv.describe_signaling_channel(ChannelARN=arn)["ChannelInfo"]
    kwargs = data.draw(
        kvs.update_signaling_channel_kwargs(
            channel_arns=st.just(arn),
            current_versions=st.just(before["Version"]),
            with_ttl=with_ttl,
        )
    )
    kv.update_signaling_channel(**kwargs)
    sim.run_until_idle()
    after = kv.describe_signaling_channel(ChannelARN=arn)["ChannelInfo"]
    assert after["Version"] != before["Version"] and after["ChannelStatus"] == "ACTIVE"
    ttl = kwargs.get("SingleMasterConfiguration", {}).get("MessageTtlSeconds", 60)
    assert after["SingleMasterConfiguration"] == {"MessageTtlSeconds": ttl}


@given(data=st.data(), enabled=st.none() | st.booleans())
def test_update_media_storage_configuration_kwargs_are_accepted(
    data: st.DataObject, enabled: bool | None
) -> None:
    assert_valid_request(
        "UpdateMediaStorageConfiguration",
        data.draw(kvs.update_media_storage_configuration_kwargs(enabled=enabled)),
    )
    sim, kv = _world()
    channel = kv.create_signaling_channel(ChannelName="door")["ChannelARN"]
    stream = kv.create_stream(StreamName="media", DataRetentionInHours=1)["StreamARN"]
    sim.run_until_idle()
    kwargs = data.draw(
        kvs.update_media_storage_configuration_kwargs(
            channel_arns=st.just(channel), stream_arns=st.just(stream), enabled=enabled
        )
    )
    kv.update_media_storage_configuration(**kwargs)
    described = kv.describe_media_storage_configuration(ChannelARN=channel)
    assert described["MediaStorageConfiguration"] == kwargs["MediaStorageConfiguration"]


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: kvs.channel_names(min_size=0), "min_size must be between 1 and 256, got 0"),
        (lambda: kvs.channel_names(prefix="a b"), "characters outside [a-zA-Z0-9_.-]: ' '"),
        (lambda: kvs.channel_arns(account_id="1"), "account_id must be 12 digits, got '1'"),
        (lambda: kvs.stream_arns(names="cam"), "names must be a hypothesis strategy"),
        (lambda: kvs.message_ttls(max_value=121), "max_value must be between 5 and 120, got 121"),
        (lambda: kvs.message_ttls(min_value=9, max_value=8), "min_value=9 is greater than"),
        (lambda: kvs.tag_lists(max_size=-1), "max_size must be between 0 and 10000, got -1"),
        (
            lambda: kvs.media_storage_configurations(stream_arns=["arn"]),
            "stream_arns must be a hypothesis strategy",
        ),
        (
            lambda: kvs.create_signaling_channel_kwargs(with_ttl=0),
            "with_ttl must be True, False or None, got 0",
        ),
        (
            lambda: kvs.create_signaling_channel_kwargs(with_tags=True, max_tags=0),
            "with_tags=True needs max_tags >= 1",
        ),
        (
            lambda: kvs.update_signaling_channel_kwargs(channel_arns="arn"),
            "channel_arns must be a hypothesis strategy",
        ),
        (
            lambda: kvs.update_media_storage_configuration_kwargs(enabled=1),
            "enabled must be True, False or None, got 1",
        ),
    ],
)
def test_invalid_channel_options_raise_at_once(build: Callable[[], object], message: str) -> None:
    with pytest.raises(InvalidArgument) as info:
        build()
    assert message in str(info.value)
