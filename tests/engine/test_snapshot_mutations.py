"""Valid snapshots still round-trip exactly; a snapshot with any one value changed is
refused with a ``ValueError`` or restores a world whose invariants hold."""

from __future__ import annotations

import contextlib
import copy
import json
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from snapshot_worlds import (
    EU,
    STEADY,
    US,
    Path,
    busy_snapshot,
    busy_world,
    get,
)

import kvsim

# -- valid snapshots round-trip exactly ------------------------------------------------------


def _fresh() -> kvsim.Simulator:
    return kvsim.Simulator(seed=3)


def _idle() -> kvsim.Simulator:
    sim = busy_world(seed=4)
    sim.run_until_idle()  # an empty queue, "doomed" gone
    return sim


def _unbounded_trace() -> kvsim.Simulator:
    return busy_world(seed=5, trace_limit=None)


def _elsewhere_in_time() -> kvsim.Simulator:
    start = datetime(2031, 6, 1, 12, 30, tzinfo=timezone(timedelta(hours=5, minutes=30)))
    sim = kvsim.Simulator(seed=6, start=start, timings=kvsim.Timings(call_latency=0))
    kv = sim.client("kinesisvideo", region_name="cn-north-1", account_id=EU[0])
    kv.create_stream(StreamName="far-east", DeviceName="gate")
    with contextlib.suppress(kvsim.ClientError):  # refused while CREATING
        kv.get_data_endpoint(StreamName="far-east", APIName="PUT_MEDIA")
    sim.advance(3)
    kv.get_data_endpoint(StreamName="far-east", APIName="GET_HLS_STREAMING_SESSION_URL")
    return sim


WORLDS: dict[str, Callable[[], kvsim.Simulator]] = {
    "busy": busy_world,
    "fresh": _fresh,
    "idle": _idle,
    "unbounded-trace": _unbounded_trace,
    "elsewhere-in-time": _elsewhere_in_time,
}


def _future(sim: kvsim.Simulator) -> list[Any]:
    log: list[Any] = [[str(change) for change in sim.pending()]]
    kv = sim.client("kinesisvideo", region_name=US[1], account_id=US[0])
    for name in ("changing", "doomed", "fresh", "steady", "later"):
        try:
            log.append(kv.describe_stream(StreamName=name))
        except kvsim.ClientError as error:
            log.append(error.response)
    try:
        log.append(kv.create_stream(StreamName="later", DeviceName="cam"))
    except kvsim.ClientError as error:
        log.append(error.response)
    log.append(str(sim.step()))
    log.append(sim.run_until_idle())
    log.append([sim.now, sim._dump(), sim.snapshot()])
    return log


@pytest.mark.parametrize("build", WORLDS.values(), ids=WORLDS.keys())
def test_a_valid_snapshot_round_trips_exactly(build: Callable[[], kvsim.Simulator]) -> None:
    original = build()
    snapshot = original.snapshot()
    for restored in (
        kvsim.Simulator.restore(snapshot),
        kvsim.Simulator.restore(json.dumps(snapshot)),
        original.fork(),
    ):
        restored._check()
        assert restored.snapshot() == snapshot
        assert restored._dump() == original._dump()
        assert (restored.now, restored.pending()) == (original.now, original.pending())
    assert _future(kvsim.Simulator.restore(json.dumps(snapshot))) == _future(original)


def test_the_busy_world_has_everything_a_snapshot_can_hold() -> None:
    snapshot = busy_snapshot()
    streams = [s for region in snapshot["regions"] for s in region["resources"]["streams"]]
    assert {s["status"] for s in streams} == {"CREATING", "ACTIVE", "UPDATING", "DELETING"}
    steady = get(snapshot, STEADY)
    assert steady["tags"] and set(steady["endpoints"]) == {"s", "b"} and steady["buckets"]
    assert {rule["times"] for rule in snapshot["faults"]} == {0, None, 2}
    assert len(snapshot["credentials"]) == 2 and snapshot["limits"]["rates"]


def test_an_active_stream_may_leave_its_pending_out() -> None:
    snapshot = busy_snapshot()
    del get(snapshot, STEADY)["pending"]
    assert kvsim.Simulator.restore(snapshot).snapshot() == busy_snapshot()


# -- one value changed: refused, or a sound world ---------------------------------------------


def _paths(value: Any, path: Path = ()) -> Iterator[Path]:
    if path:
        yield path
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _paths(child, (*path, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _paths(child, (*path, index))


def _worth_mutating(path: Path) -> bool:
    # Of the random states' 625 words, the first, a middle one and the index do.
    if len(path) == 3 and path[0] in ("rng", "fault_rng") and path[1] == 1:
        return path[2] in (0, 300, 624)
    return True


PATHS = [path for path in _paths(busy_snapshot()) if _worth_mutating(path)]

WORDS = [
    "CREATING",
    "ACTIVE",
    "UPDATING",
    "DELETING",
    "stream.created",
    "stream.updated",
    "stream.deleted",
    "streams",
    "channels",
    US[0],
    US[1],
    EU[0],
    EU[1],
    "changing",
    "doomed",
    "fresh",
    "steady",
    "far",
    "HOT",
    "WARM",
    "s",
    "b",
    "CreateStream",
    "DescribeStream",
    "0123456789",
    "2026-01-01T00:00:00+00:00",
]

HOSTILE = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([2**64, 10**400, -(10**400), 253_402_300_800_000]),
    st.floats(),
    st.text(max_size=8),
    st.sampled_from(WORDS),
    st.lists(st.integers(min_value=-2, max_value=10), max_size=3),
    st.dictionaries(
        st.sampled_from(["s", "b", "x", "CreateStream"]), st.integers(0, 9), max_size=2
    ),
)


def _near(old: Any) -> st.SearchStrategy[Any]:
    """Values close to ``old``: the ones a checker is likeliest to let through."""
    if isinstance(old, bool):
        return st.just(not old)
    if isinstance(old, int):
        return st.integers(min_value=-3000, max_value=3000).map(lambda delta: old + delta)
    if isinstance(old, float):
        return st.sampled_from([old + 1, old - 1, -old, old * 1000, float(int(old))])
    if isinstance(old, str) and old:
        return st.sampled_from(
            [old[:-1], old + "x", old.upper(), old.lower(), old[::-1], " " + old]
        )
    if isinstance(old, list) and old:
        return st.sampled_from([old[:-1], [*old, old[-1]], old[::-1]])
    return HOSTILE


def _exercise(sim: kvsim.Simulator) -> None:
    """Use every stream and fault rule of ``sim``, then let every change run."""
    sim.pending()
    for region in sim.snapshot()["regions"]:
        kv = sim.client(
            "kinesisvideo", region_name=region["region_name"], account_id=region["account_id"]
        )
        for stream in region["resources"]["streams"]:
            for call in (kv.describe_stream, kv.list_tags_for_stream):
                with contextlib.suppress(kvsim.ClientError):
                    call(StreamName=stream["name"])
        with contextlib.suppress(kvsim.ClientError):
            kv.list_streams()
    with contextlib.suppress(kvsim.ClientError):
        sim.client("kinesisvideo", region_name=US[1], account_id=US[0]).create_stream(
            StreamName="probe", DeviceName="cam"
        )
    sim._check()
    sim.run_until_idle()
    sim._check()


@settings(max_examples=max(300, settings().max_examples))
@given(st.data())
def test_one_changed_value_is_refused_or_restores_a_sound_world(data: st.DataObject) -> None:
    snapshot = busy_snapshot()
    path = data.draw(st.sampled_from(PATHS), label="path")
    parent = get(snapshot, path[:-1])
    if data.draw(st.integers(0, 9), label="delete?") == 0:
        del parent[path[-1]]
    else:
        parent[path[-1]] = data.draw(st.one_of(_near(parent[path[-1]]), HOSTILE), label="value")
    kept = copy.deepcopy(snapshot)
    try:
        restored = kvsim.Simulator.restore(snapshot)
    except ValueError as error:
        assert str(error).startswith(
            ("corrupt kvsim snapshot: ", "not a kvsim snapshot", "unsupported kvsim snapshot")
        ), error
        restored = None
    assert snapshot == kept  # restoring reads, never writes
    if restored is None:
        return
    restored._check()
    # What it saves restores to the same world, which then works like any other.
    again = kvsim.Simulator.restore(restored.snapshot())
    assert again.snapshot() == restored.snapshot()
    _exercise(again)
