"""``sim.set_hub_device_online`` in traces and scenarios: recorded, replayed, checked."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import kvsim
from kvsim.scenario import (
    HubDeviceStep,
    ScenarioError,
    format_event,
    load_scenario,
    run_scenario,
)
from kvsim.scenarios.replay import read_trace, replay

HUB = "arn:aws:iot:us-east-1:123456789012:thing/hub-1"
EDGE = {
    "HubDeviceArn": HUB,
    "RecorderConfig": {
        "MediaSourceConfig": {
            "MediaUriSecretArn": "arn:aws:secretsmanager:us-east-1:123456789012:secret:c",
            "MediaUriType": "RTSP_URI",
        }
    },
}


def _offline_world(tmp_path: Path) -> Path:
    sim = kvsim.Simulator(seed=3, trace_limit=None)
    kv = sim.client()
    kv.create_stream(StreamName="cam", DataRetentionInHours=1)
    sim.run_until_idle()
    sim.set_hub_device_online(HUB, False)
    kv.start_edge_configuration_update(StreamName="cam", EdgeConfig=EDGE)
    sim.advance(900)
    assert kv.describe_edge_configuration(StreamName="cam")["SyncStatus"] == "SYNC_FAILED"
    path = tmp_path / "trace.jsonl"
    sim.save_trace(path)
    return path


def test_the_trace_records_the_control_and_replays_to_the_same_outcomes(tmp_path: Path) -> None:
    path = _offline_world(tmp_path)
    lines = [json.loads(line) for line in path.read_text().splitlines()[1:]]
    assert lines[2] == {
        "hub_device": HUB,
        "online": False,
        "account_id": "123456789012",
        "region_name": "us-east-1",
        "at": "2026-01-01T00:00:02+00:00",
    }
    assert replay(read_trace(path)) is None


def test_a_replay_without_the_control_differs_at_the_describe(tmp_path: Path) -> None:
    path = _offline_world(tmp_path)
    header, *entries = path.read_text().splitlines()
    kept = [line for line in entries if '"hub_device"' not in line]
    path.write_text("\n".join([header, *kept]) + "\n")
    mismatch = replay(read_trace(path))
    assert mismatch is not None
    assert mismatch.call == "describe_edge_configuration"
    assert mismatch.expected["response"]["SyncStatus"] == "SYNC_FAILED"
    assert mismatch.actual["response"]["SyncStatus"] == "IN_SYNC"


def test_a_scenario_step_marks_a_hub_device_and_shows_in_the_timeline() -> None:
    steps = load_scenario(
        [
            {"call": "create_stream", "args": {"StreamName": "cam", "DataRetentionInHours": 1}},
            {"run_until_idle": True},
            {"hub_device": HUB, "online": False},
            {
                "call": "start_edge_configuration_update",
                "args": {"StreamName": "cam", "EdgeConfig": EDGE},
            },
            {"advance": 900},
        ]
    )
    assert steps[2] == HubDeviceStep(HUB, False)
    events = run_scenario(steps, kvsim.Simulator())
    marked = next(e for e in events if e.kind == "hub_device")
    assert marked.to_json() == {
        "step": 3,
        "t": 2.0,
        "time": "2026-01-01T00:00:02+00:00",
        "kind": "hub_device",
        "account_id": "123456789012",
        "region_name": "us-east-1",
        "resource": HUB,
        "online": False,
    }
    assert format_event(marked).endswith(f"hub device {HUB}: offline")
    assert [e.transition for e in events if e.kind == "change"][-1] == "SYNCING -> SYNC_FAILED"


@pytest.mark.parametrize(
    ("step", "problem"),
    [
        ({"hub_device": HUB}, '"online" must be true or false, got null'),
        ({"hub_device": HUB, "online": "no"}, '"online" must be true or false, got "no"'),
        ({"hub_device": 7, "online": True}, '"hub_device" must be a string'),
        ({"hub_device": HUB, "online": True, "extra": 1}, "unknown key 'extra'"),
        ({"hub_device": HUB, "online": True, "region_name": "us-west-1"}, "not available"),
    ],
)
def test_a_malformed_hub_device_step_is_refused_naming_it(
    step: dict[str, object], problem: str
) -> None:
    with pytest.raises(ScenarioError, match="step 1: ") as raised:
        load_scenario([step])
    assert problem in str(raised.value)


def test_a_bad_hub_device_arn_fails_its_step_when_it_runs() -> None:
    with pytest.raises(
        ScenarioError, match="step 1: hub_device failed: ValueError: hub_device_arn"
    ):
        run_scenario(load_scenario([{"hub_device": "hub", "online": False}]))
