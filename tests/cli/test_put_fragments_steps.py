"""``sim.put_fragments`` in traces and scenarios: recorded with its outcome,
replayed (ingestion included), checked, run by ``kvsim run``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import kvsim
from kvsim.scenario import (
    PutFragmentsStep,
    ScenarioError,
    format_event,
    load_scenario,
    run_scenario,
)
from kvsim.scenarios.replay import read_trace, replay


def _ingesting_world(tmp_path: Path) -> tuple[Path, kvsim.Simulator]:
    sim = kvsim.Simulator(seed=5, trace_limit=None)
    kv = sim.client()
    kv.create_stream(StreamName="cam", DataRetentionInHours=1)
    sim.advance(5)
    sim.put_fragments("cam", count=3, duration=1.0, producer_start=1767225600.5)
    sim.put_fragments("cam", count=4, realtime=True)
    with pytest.raises(kvsim.ClientError):
        sim.put_fragments("cam", count=1)  # the realtime producer holds the connection
    sim.advance(30)
    kv.get_data_endpoint(StreamName="cam", APIName="LIST_FRAGMENTS")
    path = tmp_path / "trace.jsonl"
    sim.save_trace(path)
    return path, sim


def test_the_trace_records_ingestion_and_replays_to_the_same_world(tmp_path: Path) -> None:
    path, sim = _ingesting_world(tmp_path)
    lines = [json.loads(line) for line in path.read_text().splitlines()[1:]]
    put = lines[2]
    assert put["put_fragments"] == "cam" and put["count"] == 3 and put["duration"] == 1.0
    assert put["producer_start"] == 1767225600.5 and put["realtime"] is False
    assert put["outcome"]["response"]["count"] == 3
    assert len(put["outcome"]["response"]["first_fragment_number"]) == 47
    assert lines[3]["realtime"] is True
    assert lines[4]["outcome"]["error"] == "ConnectionLimitExceededException"
    # No separate clock step for the 3 s the first put took: the step itself moves the clock.
    kinds = ("call", "advance", "put_fragments")
    assert [next(k for k in kinds if k in line) for line in lines[:6]] == [
        "call",
        "advance",
        "put_fragments",
        "put_fragments",
        "put_fragments",
        "advance",
    ]
    trace = read_trace(path)
    again = trace.simulator()
    assert replay(trace, again) is None
    assert again.snapshot()["regions"] == sim.snapshot()["regions"] and again.now == sim.now
    archive = again.client("kinesis-video-archived-media")
    assert len(archive.list_fragments(StreamName="cam")["Fragments"]) == 7


def test_a_changed_outcome_is_a_mismatch(tmp_path: Path) -> None:
    path, _ = _ingesting_world(tmp_path)
    lines = path.read_text().splitlines()
    edited = json.loads(lines[3])
    edited["outcome"]["response"]["count"] = 99
    lines[3] = json.dumps(edited)
    path.write_text("\n".join(lines) + "\n")
    mismatch = replay(read_trace(path))
    assert mismatch is not None and mismatch.step == 3 and mismatch.call == "put_fragments"


def test_scenario_steps_run_and_print() -> None:
    steps = load_scenario(
        [
            {"call": "create_stream", "args": {"StreamName": "cam", "DataRetentionInHours": 1}},
            {"advance": 5},
            {"put_fragments": "cam", "count": 2},
            {"put_fragments": "nope"},
        ]
    )
    assert steps[2] == PutFragmentsStep("cam", {**steps[2].options})  # type: ignore[union-attr]
    assert steps[2].to_json()["count"] == 2  # type: ignore[union-attr]
    events = run_scenario(steps, kvsim.Simulator(seed=0))
    puts = [e for e in events if e.kind == "put_fragments"]
    assert puts[0].response is not None and puts[0].response["count"] == 2
    assert puts[1].error == "ResourceNotFoundException"
    text = format_event(puts[0])
    assert 'put_fragments("cam", count=2' in text and "-> ok 2 fragments" in text
    assert "ResourceNotFoundException" in format_event(puts[1])
    assert puts[0].to_json()["resource"] == "cam"


@pytest.mark.parametrize(
    ("step", "problem"),
    [
        ({"put_fragments": 3}, '"put_fragments" must be a stream name'),
        ({"put_fragments": "cam", "count": 0}, '"count" of a put_fragments step'),
        ({"put_fragments": "cam", "realtime": 1}, '"realtime" of a put_fragments step'),
        ({"put_fragments": "cam", "duration": -1}, '"duration" of a put_fragments step'),
        ({"put_fragments": "cam", "colour": "red"}, "unknown key 'colour'"),
        ({"put_fragments": "cam", "advance": 1}, "exactly one of"),
    ],
)
def test_malformed_steps_are_refused(step: dict[str, object], problem: str) -> None:
    with pytest.raises(ScenarioError, match=problem):
        load_scenario([step])


def test_a_bad_option_fails_the_step() -> None:
    steps = [
        {"call": "create_stream", "args": {"StreamName": "cam", "DataRetentionInHours": 1}},
        {"advance": 5},
        {"put_fragments": "cam", "duration": 30},
    ]
    with pytest.raises(ScenarioError, match="step 3: put_fragments failed: ValueError"):
        run_scenario(load_scenario(steps))
