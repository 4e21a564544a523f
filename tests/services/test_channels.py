"""Signaling channels and media storage: lifecycle, versions, quotas, listing, endpoints, links."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import kvsim

ACCOUNT = "123456789012"


def world(**options: Any) -> tuple[kvsim.Simulator, Any]:
    sim = kvsim.Simulator(seed=1, **options)
    return sim, sim.client("kinesisvideo", region_name="us-east-1", account_id=ACCOUNT)


def code(call: Any) -> str:
    try:
        call()
    except kvsim.ClientError as error:
        return str(error.response["Error"]["Code"])
    return "ok"


def test_lifecycle_versions_and_delays() -> None:
    sim, kv = world(timings=kvsim.Timings(call_latency=0, channel_create_delay=3))
    arn = kv.create_signaling_channel(ChannelName="door")["ChannelARN"]
    assert arn == f"arn:aws:kinesisvideo:us-east-1:{ACCOUNT}:channel/door/1767225600000"
    info = kv.describe_signaling_channel(ChannelARN=arn)["ChannelInfo"]
    assert (info["ChannelStatus"], info["ChannelType"]) == ("CREATING", "SINGLE_MASTER")
    assert [c.transition for c in sim.pending()] == ["CREATING -> ACTIVE"]
    sim.advance(2.999)
    assert kv.describe_signaling_channel(ChannelName="door")["ChannelInfo"]["ChannelStatus"] == (
        "CREATING"
    )
    sim.advance(0.001)
    first = kv.describe_signaling_channel(ChannelName="door")["ChannelInfo"]
    assert first["ChannelStatus"] == "ACTIVE"
    assert code(lambda: kv.update_signaling_channel(ChannelARN=arn, CurrentVersion="x1")) == (
        "VersionMismatchException"
    )
    kv.update_signaling_channel(
        ChannelARN=arn,
        CurrentVersion=first["Version"],
        SingleMasterConfiguration={"MessageTtlSeconds": 5},
    )
    second = kv.describe_signaling_channel(ChannelName="door")["ChannelInfo"]
    assert second["Version"] != first["Version"]
    assert second["ChannelStatus"] == "UPDATING"
    assert second["SingleMasterConfiguration"] == {"MessageTtlSeconds": 5}
    # Not ACTIVE: the status is checked before the version.
    assert code(
        lambda: kv.update_signaling_channel(ChannelARN=arn, CurrentVersion=second["Version"])
    ) == ("ResourceInUseException")
    kv.tag_resource(ResourceARN=arn, Tags=[{"Key": "k", "Value": "v"}])
    third = kv.describe_signaling_channel(ChannelName="door")["ChannelInfo"]
    assert third["Version"] == second["Version"]  # tagging keeps the version
    kv.delete_signaling_channel(ChannelARN=arn)
    assert code(lambda: kv.delete_signaling_channel(ChannelARN=arn)) == "ResourceInUseException"
    assert code(lambda: kv.create_signaling_channel(ChannelName="door")) == (
        "ResourceInUseException"
    )
    sim.advance(1)
    assert code(lambda: kv.describe_signaling_channel(ChannelARN=arn)) == (
        "ResourceNotFoundException"
    )
    again = kv.create_signaling_channel(ChannelName="door")["ChannelARN"]
    assert again != arn
    sim._check()


def test_channel_quota_is_per_region_by_default() -> None:
    assert kvsim.Limits().channel_quota("us-east-1") == 10_000
    assert kvsim.Limits().channel_quota("ap-south-1") == 5_000
    assert kvsim.Limits(max_channels_per_account=None).channel_quota("us-east-1") is None
    with pytest.raises(ValueError, match="max_channels_per_account"):
        kvsim.Limits(max_channels_per_account="lots")
    sim, kv = world(limits=kvsim.Limits(max_channels_per_account=1))
    kv.create_signaling_channel(ChannelName="a")
    assert code(lambda: kv.create_signaling_channel(ChannelName="b")) == (
        "AccountChannelLimitExceededException"
    )
    eu = sim.client("kinesisvideo", region_name="eu-west-1", account_id=ACCOUNT)
    assert code(lambda: eu.create_signaling_channel(ChannelName="b")) == "ok"


def test_full_mesh_and_ttl_bounds_are_refused() -> None:
    sim, kv = world()
    before = sim._dump()
    assert code(lambda: kv.create_signaling_channel(ChannelName="a", ChannelType="FULL_MESH")) == (
        "InvalidArgumentException"
    )
    assert code(
        lambda: kv.create_signaling_channel(
            ChannelName="a", SingleMasterConfiguration={"MessageTtlSeconds": 121}
        )
    ) == ("InvalidArgumentException")
    assert sim._dump() == before


def test_list_pages_prefixes_and_tokens() -> None:
    _sim, kv = world(limits=kvsim.Limits(throttling=False))
    for name in ("b", "a", "door-2", "door-1", "Door"):
        kv.create_signaling_channel(ChannelName=name)
    page = kv.list_signaling_channels(MaxResults=2)
    assert [c["ChannelName"] for c in page["ChannelInfoList"]] == ["Door", "a"]
    kv.create_signaling_channel(ChannelName="Aa")  # before the token: not listed after it
    rest = kv.list_signaling_channels(NextToken=page["NextToken"])
    assert [c["ChannelName"] for c in rest["ChannelInfoList"]] == ["b", "door-1", "door-2"]
    assert "NextToken" not in rest
    condition = {"ComparisonOperator": "BEGINS_WITH", "ComparisonValue": "door"}
    doors = kv.list_signaling_channels(ChannelNameCondition=condition)["ChannelInfoList"]
    assert [c["ChannelName"] for c in doors] == ["door-1", "door-2"]
    pages = kv.get_paginator("list_signaling_channels").paginate(PaginationConfig={"PageSize": 1})
    assert len([c for p in pages for c in p["ChannelInfoList"]]) == 6


def test_endpoints_are_stable_and_webrtc_needs_storage() -> None:
    sim, kv = world()
    arn = kv.create_signaling_channel(ChannelName="door")["ChannelARN"]
    assert code(lambda: kv.get_signaling_channel_endpoint(ChannelARN=arn)) == (
        "ResourceInUseException"
    )
    sim.advance(2)
    first = kv.get_signaling_channel_endpoint(ChannelARN=arn)["ResourceEndpointList"]
    assert [e["Protocol"] for e in first] == ["WSS", "HTTPS"]
    assert first[0]["ResourceEndpoint"].startswith("wss://m-")
    assert first[1]["ResourceEndpoint"].endswith(".kinesisvideo.us-east-1.amazonaws.com")
    viewer = kv.get_signaling_channel_endpoint(
        ChannelARN=arn,
        SingleMasterChannelEndpointConfiguration={
            "Protocols": ["HTTPS", "HTTPS"],
            "Role": "VIEWER",
        },
    )["ResourceEndpointList"]
    assert viewer == [first[1]]
    webrtc = {"Protocols": ["WEBRTC"]}
    assert code(
        lambda: kv.get_signaling_channel_endpoint(
            ChannelARN=arn, SingleMasterChannelEndpointConfiguration=webrtc
        )
    ) == ("InvalidArgumentException")


def test_media_storage_links_one_channel_to_one_stream() -> None:
    sim, kv = world(limits=kvsim.Limits(throttling=False))
    a = kv.create_signaling_channel(ChannelName="a")["ChannelARN"]
    b = kv.create_signaling_channel(ChannelName="b")["ChannelARN"]
    keep = kv.create_stream(StreamName="keep", DataRetentionInHours=1)["StreamARN"]
    dry = kv.create_stream(StreamName="dry")["StreamARN"]

    def enable(channel: str, stream: str) -> str:
        configuration = {"Status": "ENABLED", "StreamARN": stream}
        return code(
            lambda: kv.update_media_storage_configuration(
                ChannelARN=channel, MediaStorageConfiguration=configuration
            )
        )

    assert enable(a, keep) == "ResourceInUseException"  # CREATING
    sim.advance(2)
    assert enable(a, dry) == "NoDataRetentionException"
    assert enable(a, keep) == "ok"
    assert enable(a, keep) == "ok"  # idempotent
    assert enable(b, keep) == "ResourceInUseException"
    assert kv.describe_media_storage_configuration(ChannelARN=a)["MediaStorageConfiguration"] == {
        "StreamARN": keep,
        "Status": "ENABLED",
    }
    mapped = kv.describe_mapped_resource_configuration(StreamName="keep")
    assert mapped["MappedResourceConfigurationList"] == [{"Type": "SIGNALING_CHANNEL", "ARN": a}]
    kv.delete_signaling_channel(ChannelARN=a)
    assert kv.describe_mapped_resource_configuration(StreamName="keep")[
        "MappedResourceConfigurationList"
    ] == ([])
    assert enable(b, keep) == "ok"
    kv.delete_stream(StreamARN=keep)
    assert kv.describe_media_storage_configuration(ChannelARN=b)["MediaStorageConfiguration"] == {
        "Status": "DISABLED"
    }
    sim._check()


def test_snapshot_restores_channels_links_and_pending_changes() -> None:
    sim, kv = world()
    arn = kv.create_signaling_channel(ChannelName="door", Tags=[{"Key": "k", "Value": "v"}])
    stream = kv.create_stream(StreamName="s", DataRetentionInHours=2)["StreamARN"]
    sim.advance(2.5)
    kv.update_media_storage_configuration(
        ChannelARN=arn["ChannelARN"],
        MediaStorageConfiguration={"Status": "ENABLED", "StreamARN": stream},
    )
    kv.create_signaling_channel(ChannelName="later")  # pending CREATING -> ACTIVE
    copy = kvsim.Simulator.restore(json.dumps(sim.snapshot()))
    assert copy._dump() == sim._dump()
    assert copy.pending() == sim.pending()
    other = copy.client("kinesisvideo", region_name="us-east-1", account_id=ACCOUNT)
    assert other.list_signaling_channels() == kv.list_signaling_channels()


@settings(max_examples=20, database=None, deadline=None)
@given(
    names=st.lists(st.sampled_from(["a", "b", "c", "ab", "B"]), min_size=1, max_size=8),
    deletes=st.lists(st.integers(0, 7), max_size=4),
)
def test_listing_always_shows_exactly_the_live_channels(
    names: list[str], deletes: list[int]
) -> None:
    sim, kv = world(limits=kvsim.Limits(throttling=False))
    arns: dict[str, str] = {}
    for name in names:
        response = kv.create_signaling_channel(ChannelName=name) if name not in arns else None
        if response is not None:
            arns[name] = response["ChannelARN"]
    sim.run_until_idle()
    for index in deletes:
        name = sorted(arns)[index % len(arns)] if arns else None
        if name is not None:
            kv.delete_signaling_channel(ChannelARN=arns.pop(name))
    sim.run_until_idle()
    listed = [c["ChannelName"] for c in kv.list_signaling_channels()["ChannelInfoList"]]
    assert listed == sorted(arns)
    sim._check()
