"""Whole stream lifecycles on the virtual clock, re-creation, isolation and determinism."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from helpers import raises

import kvsim
from kvsim.engine.client import KinesisVideoClient

ACCOUNT = "123456789012"
OTHER_ACCOUNT = "210987654321"
NOT_FOUND = "The requested stream is not found or not active."


def status_and_version(kv: KinesisVideoClient, arn: str) -> tuple[str, str]:
    """The stream's (Status, Version)."""
    got = kv.describe_stream(StreamARN=arn)["StreamInfo"]
    return got["Status"], got["Version"]


def test_full_lifecycle(sim: kvsim.Simulator, kv: KinesisVideoClient) -> None:
    arn = kv.create_stream(StreamName="cam-1", DeviceName="dev", Tags={"env": "test"})["StreamARN"]
    assert sim.pending() == [
        kvsim.ScheduledChange(
            kvsim.DEFAULT_START + timedelta(seconds=2),
            ACCOUNT,
            "us-east-1",
            arn,
            "CREATING -> ACTIVE",
        )
    ]
    status, v1 = status_and_version(kv, arn)
    assert status == "CREATING"
    assert sim.run_until_idle() == 1
    assert sim.now == kvsim.DEFAULT_START + timedelta(seconds=2)
    assert status_and_version(kv, arn) == ("ACTIVE", v1)

    kv.update_stream(StreamARN=arn, CurrentVersion=v1, MediaType="video/h264")
    status, v2 = status_and_version(kv, arn)
    assert (status, v2 != v1) == ("UPDATING", True)
    assert [c.transition for c in sim.pending()] == ["UPDATING -> ACTIVE"]
    sim.advance(1)
    assert status_and_version(kv, arn) == ("ACTIVE", v2)

    kv.update_data_retention(
        StreamARN=arn,
        CurrentVersion=v2,
        Operation="INCREASE_DATA_RETENTION",
        DataRetentionChangeInHours=48,
    )
    sim.advance(1)
    status, v3 = status_and_version(kv, arn)
    assert (status, v3 not in (v1, v2)) == ("ACTIVE", True)

    kv.tag_stream(StreamARN=arn, Tags={"owner": "me"})
    assert status_and_version(kv, arn) == ("ACTIVE", v3)

    kv.update_stream_storage_configuration(
        StreamARN=arn, CurrentVersion=v3, StreamStorageConfiguration={"DefaultStorageTier": "WARM"}
    )
    sim.advance(1)
    status, v4 = status_and_version(kv, arn)
    assert status == "ACTIVE"
    assert len({v1, v2, v3, v4}) == 4

    final = kv.describe_stream(StreamARN=arn)["StreamInfo"]
    assert (final["DeviceName"], final["MediaType"], final["DataRetentionInHours"]) == (
        "dev",
        "video/h264",
        48,
    )
    assert kv.list_tags_for_stream(StreamARN=arn)["Tags"] == {"env": "test", "owner": "me"}

    kv.delete_stream(StreamARN=arn, CurrentVersion=v4)
    assert status_and_version(kv, arn) == ("DELETING", v4)
    change = sim.step()
    assert change is not None
    assert (change.resource, change.transition) == (arn, "DELETING -> DELETED")
    assert sim.now == change.due
    raises(kv.describe_stream, "ResourceNotFoundException", StreamARN=arn)
    assert sim.pending() == []
    assert sim.step() is None
    sim._check()


def test_polling_loop_sees_active_after_the_create_delay(
    sim: kvsim.Simulator, kv: KinesisVideoClient
) -> None:
    kv.create_stream(StreamName="cam-1")
    seen = []
    while (status := kv.describe_stream(StreamName="cam-1")["StreamInfo"]["Status"]) != "ACTIVE":
        seen.append(status)
        sim.advance(0.25)
    # Polls at 0.05, 0.35, ..., 1.85 s are CREATING; the one at 2.15 s is ACTIVE.
    assert seen == ["CREATING"] * 7
    assert sim.now == kvsim.DEFAULT_START + timedelta(seconds=2.2)
    sim._check()


def test_recreation_is_a_new_incarnation(sim: kvsim.Simulator, kv: KinesisVideoClient) -> None:
    old = kv.create_stream(StreamName="cam-1", Tags={"gen": "1"}, DataRetentionInHours=5)[
        "StreamARN"
    ]
    sim.run_until_idle()
    old_info = kv.describe_stream(StreamARN=old)["StreamInfo"]
    kv.delete_stream(StreamARN=old)
    sim.run_until_idle()
    new = kv.create_stream(StreamName="cam-1")["StreamARN"]
    new_info = kv.describe_stream(StreamName="cam-1")["StreamInfo"]
    assert new != old
    assert new_info["CreationTime"] > old_info["CreationTime"]
    assert new_info["Version"] != old_info["Version"]
    assert new_info["DataRetentionInHours"] == 0
    assert kv.list_tags_for_stream(StreamName="cam-1")["Tags"] == {}
    for method, kwargs in (
        (kv.describe_stream, {}),
        (kv.describe_stream_storage_configuration, {}),
        (kv.list_tags_for_stream, {}),
        (kv.delete_stream, {}),
        (kv.get_data_endpoint, {"APIName": "PUT_MEDIA"}),
        (kv.update_stream, {"CurrentVersion": new_info["Version"]}),
    ):
        err = raises(method, "ResourceNotFoundException", StreamARN=old, **kwargs)
        assert err.response["Error"]["Message"] == NOT_FOUND
    raises(kv.list_tags_for_resource, "ResourceNotFoundException", ResourceARN=old)
    assert kv.describe_stream(StreamName="cam-1")["StreamInfo"]["StreamARN"] == new
    sim._check()


def test_delete_while_creating_drops_the_creation(
    sim: kvsim.Simulator, kv: KinesisVideoClient
) -> None:
    arn = kv.create_stream(StreamName="cam-1")["StreamARN"]
    kv.delete_stream(StreamARN=arn)
    pending = sim.pending()
    assert [(c.resource, c.transition) for c in pending] == [(arn, "DELETING -> DELETED")]
    assert pending[0].due == kvsim.DEFAULT_START + timedelta(seconds=1.05)
    assert sim.advance(10) == 1  # the stale CREATING -> ACTIVE never runs
    raises(kv.describe_stream, "ResourceNotFoundException", StreamName="cam-1")
    sim._check()


def test_same_name_in_accounts_and_regions_is_isolated(sim: kvsim.Simulator) -> None:
    clients = {
        (account, region): sim.client("kinesisvideo", region_name=region, account_id=account)
        for account in (ACCOUNT, OTHER_ACCOUNT)
        for region in ("us-east-1", "eu-west-1")
    }
    arns = {key: kv.create_stream(StreamName="cam-1")["StreamARN"] for key, kv in clients.items()}
    assert len(set(arns.values())) == 4
    for (account, region), arn in arns.items():
        assert arn == f"arn:aws:kinesisvideo:{region}:{account}:stream/cam-1/1767225600{arn[-3:]}"
    sim.run_until_idle()
    target = (ACCOUNT, "us-east-1")
    kv = clients[target]
    kv.tag_stream(StreamName="cam-1", Tags={"here": "yes"})
    version = kv.describe_stream(StreamName="cam-1")["StreamInfo"]["Version"]
    kv.update_stream(StreamName="cam-1", CurrentVersion=version, DeviceName="d")
    kv.delete_stream(StreamARN=arns[target])
    assert [c.resource for c in sim.pending()] == [arns[target]]
    for key, client in clients.items():
        # Another partition's ARN reaches nothing here, even with the same name.
        for other_key, other_arn in arns.items():
            if other_key != key:
                raises(client.describe_stream, "ResourceNotFoundException", StreamARN=other_arn)
        if key == target:
            continue
        got = client.describe_stream(StreamName="cam-1")["StreamInfo"]
        assert (got["Status"], got["StreamARN"], "DeviceName" in got) == (
            "ACTIVE",
            arns[key],
            False,
        )
        assert client.list_tags_for_stream(StreamName="cam-1")["Tags"] == {}
        assert [s["StreamName"] for s in client.list_streams()["StreamInfoList"]] == ["cam-1"]
    sim.run_until_idle()
    raises(kv.describe_stream, "ResourceNotFoundException", StreamName="cam-1")
    assert all(c.describe_stream(StreamName="cam-1") for k, c in clients.items() if k != target)
    sim._check()


def test_pending_changes_across_accounts_carry_their_owner(sim: kvsim.Simulator) -> None:
    a = sim.client("kinesisvideo", region_name="us-west-2", account_id=ACCOUNT)
    b = sim.client("kinesisvideo", region_name="cn-north-1", account_id=OTHER_ACCOUNT)
    arn_a = a.create_stream(StreamName="x")["StreamARN"]
    arn_b = b.create_stream(StreamName="x")["StreamARN"]
    assert [(c.account_id, c.region_name, c.resource) for c in sim.pending()] == [
        (ACCOUNT, "us-west-2", arn_a),
        (OTHER_ACCOUNT, "cn-north-1", arn_b),
    ]
    assert arn_b.startswith("arn:aws-cn:kinesisvideo:cn-north-1:")


def _transcript(seed: int) -> list[Any]:
    """A scenario's every response and error, with the world at the end."""
    sim = kvsim.Simulator(seed=seed)
    kv = sim.client("kinesisvideo", region_name="eu-central-1")
    out: list[Any] = []

    def record(call: Callable[[], dict[str, Any]]) -> None:
        try:
            out.append(call())
        except kvsim.ClientError as err:
            out.append(err.response)

    for name in ("b", "a", "c"):
        record(lambda name=name: kv.create_stream(StreamName=name, DataRetentionInHours=1))
    record(lambda: kv.create_stream(StreamName="a"))
    sim.advance(3)
    version = kv.describe_stream(StreamName="a")["StreamInfo"]["Version"]
    record(lambda: kv.update_stream(StreamName="a", CurrentVersion=version, MediaType="video/h264"))
    record(lambda: kv.get_data_endpoint(StreamName="a", APIName="GET_MEDIA"))
    record(lambda: kv.list_streams(MaxResults=2))
    arn = kv.describe_stream(StreamName="b")["StreamInfo"]["StreamARN"]
    record(lambda: kv.delete_stream(StreamARN=arn))
    record(lambda: kv.delete_stream(StreamARN=arn))
    sim.run_until_idle()
    record(lambda: kv.list_streams())
    out.append(sim._dump())
    out.append(sim.now)
    return out


def test_same_seed_same_transcript() -> None:
    first = _transcript(11)
    for _ in range(3):
        assert _transcript(11) == first
    assert _transcript(12) != first
