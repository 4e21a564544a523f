"""Edge configurations: SYNCING → IN_SYNC or SYNC_FAILED and DELETING → gone or
DELETE_FAILED on the virtual clock, hub devices online and offline, the edge rates,
ListEdgeAgentConfigurations by hub device, and the stream's deletion."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import kvsim
from kvsim import strategies as kvs
from kvsim.errors import ClientError

HUB = "arn:aws:iot:us-east-1:123456789012:thing/hub-1"
OTHER_HUB = "arn:aws:iot:us-east-1:123456789012:thing/hub-2"
SECRET = "arn:aws:secretsmanager:us-east-1:123456789012:secret:cam"


def edge_config(hub: str = HUB, **extra: Any) -> dict[str, Any]:
    return {
        "HubDeviceArn": hub,
        "RecorderConfig": {
            "MediaSourceConfig": {"MediaUriSecretArn": SECRET, "MediaUriType": "RTSP_URI"}
        },
        **extra,
    }


def world(*names: str, retention: int = 24, **options: Any) -> tuple[kvsim.Simulator, Any]:
    """ACTIVE streams ``names`` (``cam`` by default) retaining data; no call latency."""
    options.setdefault("timings", kvsim.Timings(call_latency=0))
    sim = kvsim.Simulator(seed=2, **options)
    kv = sim.client()
    for name in names or ("cam",):
        kv.create_stream(StreamName=name, DataRetentionInHours=retention)
    sim.run_until_idle()
    return sim, kv


def code_of(call: Any, **params: Any) -> str:
    with pytest.raises(ClientError) as raised:
        call(**params)
    return str(raised.value.response["Error"]["Code"])


def test_start_answers_the_configuration_syncing_and_it_turns_in_sync_after_the_delay() -> None:
    sim, kv = world()
    start = sim.now
    arn = kv.describe_stream(StreamName="cam")["StreamInfo"]["StreamARN"]
    answer = kv.start_edge_configuration_update(StreamName="cam", EdgeConfig=edge_config())
    del answer["ResponseMetadata"]
    assert answer == {
        "StreamName": "cam",
        "StreamARN": arn,
        "CreationTime": start,
        "LastUpdatedTime": start,
        "SyncStatus": "SYNCING",
        "EdgeConfig": edge_config(),
    }
    assert [c.transition for c in sim.pending()] == ["SYNCING -> IN_SYNC"]
    sim.advance(4.999)
    assert kv.describe_edge_configuration(StreamName="cam")["SyncStatus"] == "SYNCING"
    sim.advance(0.001)
    synced = kv.describe_edge_configuration(StreamARN=arn)
    at = start + timedelta(seconds=5)
    assert (synced["SyncStatus"], synced["CreationTime"], synced["LastUpdatedTime"]) == (
        "IN_SYNC",
        start,
        at,
    )
    assert synced["EdgeAgentStatus"] == {
        "LastRecorderStatus": {
            "LastCollectedTime": at,
            "LastUpdatedTime": at,
            "RecorderStatus": "SUCCESS",
        },
        "LastUploaderStatus": {
            "LastCollectedTime": at,
            "LastUpdatedTime": at,
            "UploaderStatus": "SUCCESS",
        },
    }
    assert "FailedStatusDetails" not in synced


def test_start_is_refused_while_syncing_or_deleting_and_replaces_a_settled_configuration() -> None:
    sim, kv = world()
    kv.start_edge_configuration_update(StreamName="cam", EdgeConfig=edge_config())
    sim.advance(1)  # the per-stream token (1 TPS) is back; still SYNCING
    before = sim._dump()
    assert code_of(
        kv.start_edge_configuration_update, StreamName="cam", EdgeConfig=edge_config()
    ) == ("ResourceInUseException")
    assert sim._dump() == before
    sim.run_until_idle()
    created = kv.describe_edge_configuration(StreamName="cam")["CreationTime"]
    scheduled = edge_config(
        UploaderConfig={
            "ScheduleConfig": {"ScheduleExpression": "0 0 * * * ?", "DurationInSeconds": 60}
        }
    )
    again = kv.start_edge_configuration_update(StreamName="cam", EdgeConfig=scheduled)
    assert (again["SyncStatus"], again["CreationTime"], again["EdgeConfig"]) == (
        "SYNCING",
        created,
        scheduled,
    )
    assert again["LastUpdatedTime"] == sim.now
    sim.run_until_idle()
    kv.delete_edge_configuration(StreamName="cam")
    sim.advance(1)
    assert code_of(
        kv.start_edge_configuration_update, StreamName="cam", EdgeConfig=edge_config()
    ) == ("ResourceInUseException")


def test_start_needs_an_active_stream_that_retains_data() -> None:
    sim, kv = world(retention=0)
    assert code_of(
        kv.start_edge_configuration_update, StreamName="cam", EdgeConfig=edge_config()
    ) == ("NoDataRetentionException")
    kv.create_stream(StreamName="new", DataRetentionInHours=1)
    assert code_of(
        kv.start_edge_configuration_update, StreamName="new", EdgeConfig=edge_config()
    ) == ("ResourceInUseException")
    sim.run_until_idle()
    kv.start_edge_configuration_update(StreamName="new", EdgeConfig=edge_config())


def test_moving_to_another_hub_device_needs_a_deletion_first() -> None:
    sim, kv = world()
    kv.start_edge_configuration_update(StreamName="cam", EdgeConfig=edge_config())
    sim.run_until_idle()
    assert code_of(
        kv.start_edge_configuration_update, StreamName="cam", EdgeConfig=edge_config(OTHER_HUB)
    ) == ("InvalidArgumentException")
    kv.delete_edge_configuration(StreamName="cam")
    sim.run_until_idle()
    moved = kv.start_edge_configuration_update(StreamName="cam", EdgeConfig=edge_config(OTHER_HUB))
    assert moved["EdgeConfig"]["HubDeviceArn"] == OTHER_HUB
    assert kv.list_edge_agent_configurations(HubDeviceArn=HUB)["EdgeConfigs"] == []


def test_an_offline_hub_fails_the_sync_after_the_15_minute_retry_window() -> None:
    sim, kv = world()
    assert kvsim.Timings().edge_retry_window == 900
    sim.set_hub_device_online(HUB, False)
    started = sim.now
    kv.start_edge_configuration_update(StreamName="cam", EdgeConfig=edge_config())
    assert [c.transition for c in sim.pending()] == ["SYNCING -> SYNC_FAILED"]
    sim.advance(899.999)
    assert kv.describe_edge_configuration(StreamName="cam")["SyncStatus"] == "SYNCING"
    sim.advance(0.001)
    failed = kv.describe_edge_configuration(StreamName="cam")
    assert failed["SyncStatus"] == "SYNC_FAILED"
    assert failed["LastUpdatedTime"] == started + timedelta(minutes=15)
    assert HUB in failed["FailedStatusDetails"] and "15 minutes" in failed["FailedStatusDetails"]
    assert "EdgeAgentStatus" not in failed
    # A failed configuration may be started again: SYNCING, then IN_SYNC once the hub is back.
    sim.set_hub_device_online(HUB, True)
    retried = kv.start_edge_configuration_update(StreamName="cam", EdgeConfig=edge_config())
    assert "FailedStatusDetails" not in retried
    sim.run_until_idle()
    assert kv.describe_edge_configuration(StreamName="cam")["SyncStatus"] == "IN_SYNC"


def test_a_hub_back_online_inside_the_window_completes_the_sync_after_the_delay() -> None:
    sim, kv = world()
    sim.set_hub_device_online(HUB, False)
    kv.start_edge_configuration_update(StreamName="cam", EdgeConfig=edge_config())
    sim.advance(600)
    assert sim.set_hub_device_online(HUB, True) == 1
    assert sim.set_hub_device_online(HUB, True) == 0  # no change
    [change] = sim.pending()
    assert (change.transition, change.due) == ("SYNCING -> IN_SYNC", sim.now + timedelta(seconds=5))
    sim.run_until_idle()
    assert kv.describe_edge_configuration(StreamName="cam")["SyncStatus"] == "IN_SYNC"


def test_a_hub_going_offline_mid_sync_fails_it_at_the_end_of_the_window() -> None:
    sim, kv = world()
    started = sim.now
    kv.start_edge_configuration_update(StreamName="cam", EdgeConfig=edge_config())
    sim.advance(2)
    sim.set_hub_device_online(HUB, False)
    [change] = sim.pending()
    assert (change.transition, change.due) == (
        "SYNCING -> SYNC_FAILED",
        started + timedelta(minutes=15),
    )


def test_deletion_goes_through_deleting_then_the_configuration_is_gone() -> None:
    sim, kv = world()
    kv.start_edge_configuration_update(StreamName="cam", EdgeConfig=edge_config())
    sim.run_until_idle()
    assert kv.delete_edge_configuration(StreamName="cam").keys() == {"ResponseMetadata"}
    assert kv.describe_edge_configuration(StreamName="cam")["SyncStatus"] == "DELETING"
    [change] = sim.pending()
    assert change.transition == "DELETING -> DELETED"
    sim.advance(1)
    before = sim._dump()
    kv.delete_edge_configuration(StreamName="cam")  # already DELETING: accepted, nothing changes
    assert sim._dump()["_pending"] == before["_pending"]
    sim.run_until_idle()
    for call in (kv.describe_edge_configuration, kv.delete_edge_configuration):
        with pytest.raises(kv.exceptions.StreamEdgeConfigurationNotFoundException) as raised:
            call(StreamName="cam")
        assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_deletion_with_the_hub_offline_fails_after_the_window_and_may_be_retried() -> None:
    sim, kv = world()
    kv.start_edge_configuration_update(StreamName="cam", EdgeConfig=edge_config())
    sim.run_until_idle()
    sim.set_hub_device_online(HUB, False)
    kv.delete_edge_configuration(StreamName="cam")
    sim.advance(900)
    failed = kv.describe_edge_configuration(StreamName="cam")
    assert failed["SyncStatus"] == "DELETE_FAILED"
    assert "delete" in failed["FailedStatusDetails"]
    sim.set_hub_device_online(HUB, True)
    kv.delete_edge_configuration(StreamName="cam")
    assert kv.describe_edge_configuration(StreamName="cam")["SyncStatus"] == "DELETING"
    sim.run_until_idle()
    assert code_of(kv.describe_edge_configuration, StreamName="cam") == (
        "StreamEdgeConfigurationNotFoundException"
    )


def test_deleting_the_stream_deletes_its_edge_configuration_at_once() -> None:
    sim, kv = world()
    arn = kv.describe_stream(StreamName="cam")["StreamInfo"]["StreamARN"]
    kv.start_edge_configuration_update(StreamName="cam", EdgeConfig=edge_config())
    kv.delete_stream(StreamARN=arn)
    assert [c.transition for c in sim.pending()] == ["DELETING -> DELETED"]  # the stream's
    assert kv.list_edge_agent_configurations(HubDeviceArn=HUB)["EdgeConfigs"] == []
    assert code_of(kv.describe_edge_configuration, StreamName="cam") == (
        "StreamEdgeConfigurationNotFoundException"
    )
    sim.run_until_idle()
    assert code_of(kv.describe_edge_configuration, StreamARN=arn) == "ResourceNotFoundException"
    sim._check()


def test_list_pages_by_hub_device_five_by_default_at_most_ten() -> None:
    names = [f"cam-{i:02d}" for i in range(12)]
    sim, kv = world(*names, limits=kvsim.Limits(throttling=False))
    for name in names:
        hub = HUB if name != "cam-03" else OTHER_HUB
        kv.start_edge_configuration_update(StreamName=name, EdgeConfig=edge_config(hub))
    page = kv.list_edge_agent_configurations(HubDeviceArn=HUB)
    assert [c["StreamName"] for c in page["EdgeConfigs"]] == [
        "cam-00",
        "cam-01",
        "cam-02",
        "cam-04",
        "cam-05",
    ]
    assert page["EdgeConfigs"][0]["SyncStatus"] == "SYNCING"
    assert "EdgeAgentStatus" not in page["EdgeConfigs"][0]
    rest = kv.list_edge_agent_configurations(
        HubDeviceArn=HUB, NextToken=page["NextToken"], MaxResults=10
    )
    assert [c["StreamName"] for c in rest["EdgeConfigs"]] == [n for n in names[6:]]
    assert "NextToken" not in rest
    paginated = kv.get_paginator("list_edge_agent_configurations").paginate(
        HubDeviceArn=HUB, PaginationConfig={"PageSize": 2}
    )
    listed = [c["StreamName"] for p in paginated for c in p["EdgeConfigs"]]
    assert listed == [n for n in names if n != "cam-03"]
    assert code_of(kv.list_edge_agent_configurations, HubDeviceArn=HUB, MaxResults=11) == (
        "InvalidArgumentException"
    )
    assert code_of(kv.list_edge_agent_configurations, HubDeviceArn=HUB, NextToken="Zm9v") == (
        "InvalidArgumentException"
    )
    assert (
        kv.list_edge_agent_configurations(HubDeviceArn=OTHER_HUB)["EdgeConfigs"][0]["StreamName"]
        == "cam-03"
    )
    nobody = "arn:aws:iot:us-east-1:123456789012:thing/nobody"
    assert kv.list_edge_agent_configurations(HubDeviceArn=nobody)["EdgeConfigs"] == []
    other_region = sim.client(region_name="eu-west-1")
    assert other_region.list_edge_agent_configurations(HubDeviceArn=HUB)["EdgeConfigs"] == []


def test_the_edge_operations_have_their_own_low_rates() -> None:
    rates = kvsim.DEFAULT_RATES
    assert rates["StartEdgeConfigurationUpdate"] == (10, 1)
    assert rates["DeleteEdgeConfiguration"] == (10, 1)
    assert rates["DescribeEdgeConfiguration"] == (50, 5)
    assert rates["ListEdgeAgentConfigurations"] == (50, None)
    timings = kvsim.Timings(call_latency=0, edge_sync_delay=0.1)
    sim, kv = world(*[f"c{i}" for i in range(11)], timings=timings)
    for i in range(10):
        kv.start_edge_configuration_update(StreamName=f"c{i}", EdgeConfig=edge_config())
    assert code_of(
        kv.start_edge_configuration_update, StreamName="c10", EdgeConfig=edge_config()
    ) == ("ClientLimitExceededException")  # 10 per account
    sim.advance(0.1)
    kv.start_edge_configuration_update(StreamName="c10", EdgeConfig=edge_config())
    sim.run_until_idle()
    sim.advance(1)
    kv.start_edge_configuration_update(StreamName="c0", EdgeConfig=edge_config())
    sim.advance(0.5)
    assert kv.describe_edge_configuration(StreamName="c0")["SyncStatus"] == "IN_SYNC"
    # One per stream: throttled before the state is looked at (IN_SYNC would be allowed).
    assert code_of(
        kv.start_edge_configuration_update, StreamName="c0", EdgeConfig=edge_config()
    ) == ("ClientLimitExceededException")


def test_edge_state_and_offline_hubs_survive_snapshots_and_forks() -> None:
    sim, kv = world("a", "b")
    sim.set_hub_device_online(OTHER_HUB, False)
    kv.start_edge_configuration_update(StreamName="a", EdgeConfig=edge_config())
    kv.start_edge_configuration_update(StreamName="b", EdgeConfig=edge_config(OTHER_HUB))
    fork = sim.fork()
    assert fork.snapshot() == sim.snapshot()
    for world_ in (sim, fork):
        world_.run_until_idle()
    assert fork._dump() == sim._dump()
    statuses = {
        c["StreamName"]: c["SyncStatus"]
        for hub in (HUB, OTHER_HUB)
        for c in fork.client().list_edge_agent_configurations(HubDeviceArn=hub)["EdgeConfigs"]
    }
    assert statuses == {"a": "IN_SYNC", "b": "SYNC_FAILED"}
    assert sim.snapshot()["regions"][0]["resources"]["hub_devices"] == [
        {"hub_device_arn": OTHER_HUB, "online": False}
    ]


def test_a_corrupt_edge_snapshot_is_refused_naming_the_place() -> None:
    sim, kv = world()
    kv.start_edge_configuration_update(StreamName="cam", EdgeConfig=edge_config())
    good = sim.snapshot()
    resources = good["regions"][0]["resources"]

    def refused(change: Any, match: str) -> None:
        snapshot = sim.snapshot()
        change(snapshot["regions"][0]["resources"])
        with pytest.raises(ValueError, match=match):
            kvsim.Simulator.restore(snapshot)

    refused(
        lambda r: r["edge_configurations"][0].update(stream="gone"),
        r"edge_configurations\[0\]: no streams item 'gone'",
    )
    refused(
        lambda r: r["edge_configurations"][0].update(status="IN_SYNC"),
        r"edge_configurations\[0\]\.pending: .*IN_SYNC configuration has no change pending",
    )
    refused(
        lambda r: r["edge_configurations"][0].update(hub_device_arn="hub"),
        r"hub_device_arn: 'hub' is not a hub device",
    )
    refused(
        lambda r: r["hub_devices"].append({"hub_device_arn": HUB, "online": True}),
        r"hub_devices\[0\]\.online: only offline hub devices are kept",
    )
    refused(
        lambda r: r["streams"][0].update(status="DELETING", pending=99),
        r"edge_configurations\[0\]: .* is DELETING, not ACTIVE or UPDATING",
    )
    assert kvsim.Simulator.restore(good)._dump() == sim._dump()
    assert resources["edge_configurations"][0]["status"] == "SYNCING"


def test_the_hub_device_control_checks_its_arguments() -> None:
    sim = kvsim.Simulator()
    with pytest.raises(ValueError, match="hub_device_arn must be an IoT thing ARN"):
        sim.set_hub_device_online("hub-1", False)
    with pytest.raises(TypeError, match="online must be a bool, not int"):
        sim.set_hub_device_online(HUB, 0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="Kinesis Video is not available in 'us-west-1'"):
        sim.set_hub_device_online(HUB, False, region_name="us-west-1")
    sim.set_hub_device_online(HUB, True)  # online already: nothing to keep
    assert sim._dump() == kvsim.Simulator()._dump()


def test_faults_and_least_privilege_reach_the_edge_operations() -> None:
    sim, kv = world()
    sim.faults.add("start_edge_configuration_update", "ClientLimitExceededException", times=1)
    assert code_of(
        kv.start_edge_configuration_update, StreamName="cam", EdgeConfig=edge_config()
    ) == ("ClientLimitExceededException")
    kv.start_edge_configuration_update(StreamName="cam", EdgeConfig=edge_config())
    reader = sim.client(allowed_actions=["kinesisvideo:Describe*"])
    assert reader.describe_edge_configuration(StreamName="cam")["SyncStatus"] == "SYNCING"
    # As for every operation, the real service's 403 (even where the model lists
    # NotAuthorizedException, as ListEdgeAgentConfigurations' does).
    assert code_of(reader.list_edge_agent_configurations, HubDeviceArn=HUB) == (
        "AccessDeniedException"
    )
    assert code_of(reader.delete_edge_configuration, StreamName="cam") == ("AccessDeniedException")


@settings(max_examples=20, database=None, deadline=None)
@given(
    kwargs=st.lists(
        kvs.start_edge_configuration_update_kwargs(
            names=st.sampled_from(["a", "b", "c"]),
            hub_device_arns=st.sampled_from([HUB, OTHER_HUB]),
        ),
        min_size=1,
        max_size=6,
    ),
    offline=st.booleans(),
)
def test_every_configuration_reaches_a_settled_status_and_the_index_follows(
    kwargs: list[dict[str, Any]], offline: bool
) -> None:
    sim, kv = world("a", "b", "c", limits=kvsim.Limits(throttling=False))
    sim.set_hub_device_online(OTHER_HUB, not offline)
    accepted: dict[str, str] = {}
    for params in kwargs:
        try:
            kv.start_edge_configuration_update(**params)
        except (kv.exceptions.ResourceInUseException, kv.exceptions.InvalidArgumentException):
            assert params["StreamName"] in accepted
            continue
        accepted[params["StreamName"]] = params["EdgeConfig"]["HubDeviceArn"]
    sim.run_until_idle()
    sim._check()
    for hub in (HUB, OTHER_HUB):
        listed = kv.list_edge_agent_configurations(HubDeviceArn=hub, MaxResults=10)["EdgeConfigs"]
        assert [c["StreamName"] for c in listed] == sorted(
            n for n, h in accepted.items() if h == hub
        )
        failed = offline and hub == OTHER_HUB
        assert {c["SyncStatus"] for c in listed} <= {"SYNC_FAILED" if failed else "IN_SYNC"}
