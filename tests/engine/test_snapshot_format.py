"""The snapshot format: version 2 round-trips, version 1 migrates, anything else is refused.

A version 2 snapshot stores each queued change as ``[due, seq, transition,
account, region, family, key]`` and a region's resources family by family.
Version 1 (kvsim before the kernel) stored ``[due, seq, account, region,
stream_name, kind]`` with kind 0/1/2 = created/updated/deleted, and regions
with ``streams``, ``devices`` and ``buckets``. :func:`to_version_1` writes a
version 2 snapshot back in that shape; for the world :func:`busy_world`
builds, its output is what the version 1 code itself wrote for the same calls.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest

import kvsim

US, EU = ("123456789012", "us-east-1"), ("111122223333", "eu-west-1")
V1_KINDS = ("stream.created", "stream.updated", "stream.deleted")


def busy_world(seed: int = 7) -> kvsim.Simulator:
    """Two accounts' streams with a pending change of each kind (created,
    updated, deleted), tags, devices, endpoints, rate buckets, a fault rule
    and credentials."""
    sim = kvsim.Simulator(seed=seed)
    kv = sim.client("kinesisvideo", region_name=US[1], account_id=US[0])
    eu = sim.client("kinesisvideo", region_name=EU[1], account_id=EU[0])
    sim.register_credentials("AKIDSNAP", EU[0])
    kv.create_stream(StreamName="steady", DeviceName="cam", Tags={"team": "a"})
    kv.create_stream(StreamName="doomed", DeviceName="cam", DataRetentionInHours=24)
    kv.create_stream(StreamName="changing", MediaType="video/h264")
    eu.create_stream(StreamName="far", DeviceName="door")
    sim.advance(5)
    info = {n: kv.describe_stream(StreamName=n)["StreamInfo"] for n in ("doomed", "changing")}
    kv.update_stream(
        StreamName="changing", CurrentVersion=info["changing"]["Version"], DeviceName="cam2"
    )
    kv.delete_stream(StreamARN=info["doomed"]["StreamARN"])
    kv.get_data_endpoint(StreamName="steady", APIName="GET_MEDIA")
    kv.create_stream(StreamName="fresh", DeviceName="cam")
    for _ in range(3):
        kv.list_streams()
    sim.faults.add("describe_stream", "ClientLimitExceededException", probability=0.5)
    return sim


def outcome(call: Callable[[], dict[str, Any]]) -> Any:
    try:
        return call()
    except kvsim.ClientError as error:
        return error.response


def future(sim: kvsim.Simulator) -> list[Any]:
    """The same calls and clock steps on ``sim``, and everything they answered."""
    kv = sim.client("kinesisvideo", region_name=US[1], account_id=US[0])
    eu = sim.client("kinesisvideo", region_name=EU[1], account_id=EU[0])
    log: list[Any] = [[str(c) for c in sim.pending()]]
    for name in ("changing", "doomed", "fresh", "steady"):
        log.append(outcome(lambda name=name: kv.describe_stream(StreamName=name)))
    log.append(outcome(lambda: kv.create_stream(StreamName="later", DeviceName="cam")))
    log.append(sim.step())
    log.append(sim.advance(1.2))
    log.append(outcome(lambda: kv.list_streams()))
    log.append(outcome(lambda: eu.get_data_endpoint(StreamName="far", APIName="PUT_MEDIA")))
    log.append(sim.run_until_idle())
    for _ in range(6):
        log.append(outcome(lambda: kv.describe_stream(StreamName="steady")))
    log.append(outcome(lambda: kv.list_tags_for_stream(StreamName="steady")))
    log.append([sim.now, sim._dump(), sim.account_for("AKIDSNAP")])
    return log


def to_version_1(snapshot: dict[str, Any]) -> dict[str, Any]:
    """A version 2 snapshot of a streams-only world in the version 1 format."""
    old = copy.deepcopy(snapshot)
    old["version"] = 1
    old["queue"] = []
    for due, seq, transition, account, region, family, key in snapshot["queue"]:
        assert family == "streams", family
        old["queue"].append([due, seq, account, region, key, V1_KINDS.index(transition)])
    old["regions"] = []
    for region in snapshot["regions"]:
        others = {name: items for name, items in region["resources"].items() if name != "streams"}
        assert not any(others.values()), others  # a streams-only world
        streams = copy.deepcopy(region["resources"]["streams"])
        devices: dict[str, int] = {}
        for stream in streams:
            if stream["device"] is not None and stream["status"] != "DELETING":
                devices[stream["device"]] = devices.get(stream["device"], 0) + 1
        old["regions"].append(
            {
                "account_id": region["account_id"],
                "region_name": region["region_name"],
                "streams": streams,
                "devices": dict(sorted(devices.items())),
                "buckets": copy.deepcopy(region["buckets"]),
            }
        )
    return old


def test_the_world_has_a_pending_change_of_each_kind() -> None:
    snapshot = busy_world().snapshot()
    assert snapshot["version"] == 2
    assert sorted(entry[2] for entry in snapshot["queue"]) == sorted(V1_KINDS)
    assert json.loads(json.dumps(snapshot)) == snapshot


def test_version_2_round_trips_exactly() -> None:
    original = busy_world()
    snapshot = original.snapshot()
    for copy_ in (kvsim.Simulator.restore(snapshot), kvsim.Simulator.restore(json.dumps(snapshot))):
        assert copy_.snapshot() == snapshot
        assert copy_._dump() == original._dump()
        assert (copy_.now, copy_.pending(), copy_.seed) == (
            original.now,
            original.pending(),
            original.seed,
        )
    restored = kvsim.Simulator.restore(json.dumps(snapshot))
    assert future(restored) == future(original)


def test_restoring_does_not_touch_the_snapshot() -> None:
    snapshot = busy_world().snapshot()
    kept = copy.deepcopy(snapshot)
    future(kvsim.Simulator.restore(snapshot))
    assert snapshot == kept


def test_version_1_restores_to_the_same_world() -> None:
    original = busy_world()
    old = to_version_1(original.snapshot())
    restored = kvsim.Simulator.restore(json.dumps(old))
    assert restored._dump() == original._dump()
    assert (restored.now, restored.pending()) == (original.now, original.pending())
    # Saved again, it is today's format.
    assert restored.snapshot() == original.snapshot()
    assert future(restored) == future(original)


def test_version_1_device_counts_are_derived_not_trusted() -> None:
    # Version 1 stored device counts; they follow from the streams.
    original = busy_world()
    old = to_version_1(original.snapshot())
    for region in old["regions"]:
        region["devices"] = {"ghost": 9}
    assert kvsim.Simulator.restore(old)._dump() == original._dump()


@pytest.mark.parametrize("version", [3, "x", 0, None, "2"])
def test_other_versions_are_refused_by_name(version: Any) -> None:
    snapshot = busy_world().snapshot()
    snapshot["version"] = version
    with pytest.raises(ValueError, match="version") as info:
        kvsim.Simulator.restore(snapshot)
    assert repr(version) in str(info.value)


def test_version_3_text_is_refused_too() -> None:
    snapshot = busy_world().snapshot()
    snapshot["version"] = 3
    with pytest.raises(ValueError, match=r"unsupported kvsim snapshot version 3\b"):
        kvsim.Simulator.restore(json.dumps(snapshot))


def test_an_unknown_transition_is_a_corrupt_snapshot() -> None:
    snapshot = busy_world().snapshot()
    snapshot["queue"][0][2] = "stream.exploded"
    with pytest.raises(ValueError) as info:
        kvsim.Simulator.restore(snapshot)
    assert str(info.value).startswith("corrupt kvsim snapshot")
    assert "stream.exploded" in str(info.value)


def test_a_transition_that_does_not_fit_its_stream_is_a_corrupt_snapshot() -> None:
    # "doomed" is DELETING: a CREATING -> ACTIVE change cannot be its pending one
    # (loaded, it would bring a deleted stream back and miscount its device).
    snapshot = busy_world().snapshot()
    entry = snapshot["queue"][1]
    assert (entry[2], entry[6]) == ("stream.deleted", "doomed")
    entry[2] = "stream.created"
    with pytest.raises(ValueError) as info:
        kvsim.Simulator.restore(snapshot)
    assert str(info.value).startswith("corrupt kvsim snapshot")


# Version 1 kinds were 0, 1 and 2; -1 is no kind (not "the last one").
@pytest.mark.parametrize("kind", [3, -1, -4, 1.5, "created"])
def test_an_unknown_version_1_kind_is_a_corrupt_snapshot(kind: Any) -> None:
    old = to_version_1(busy_world().snapshot())
    old["queue"][0][5] = kind
    with pytest.raises(ValueError) as info:
        kvsim.Simulator.restore(old)
    assert str(info.value).startswith("corrupt kvsim snapshot")
