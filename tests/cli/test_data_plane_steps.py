"""Data-plane calls in traces and scenarios: ``kvsim run`` replays calls of all
five services (their method names are unique across them), streamed payloads
recorded as the trace records them."""

from __future__ import annotations

import json
from pathlib import Path

import kvsim
from kvsim.cli import main
from kvsim.scenario import CALLS, load_scenario, run_scenario
from kvsim.scenarios.replay import read_trace, replay
from kvsim.scenarios.steps import SERVICE_OF_CALL


def test_every_simulated_operation_of_every_service_is_a_call() -> None:
    from kvsim.services.registry import SIMULATED

    assert sorted(CALLS) == sorted(op.method for op in SIMULATED.values())
    assert SERVICE_OF_CALL["list_fragments"] == "kinesis-video-archived-media"
    assert SERVICE_OF_CALL["get_media"] == "kinesis-video-media"
    assert SERVICE_OF_CALL["get_ice_server_config"] == "kinesis-video-signaling"
    assert SERVICE_OF_CALL["create_stream"] == "kinesisvideo"


def _recorded(tmp_path: Path) -> tuple[Path, kvsim.Simulator]:
    sim = kvsim.Simulator(seed=8, trace_limit=None)
    kv = sim.client()
    kv.create_stream(StreamName="cam", DataRetentionInHours=1)
    channel = kv.create_signaling_channel(ChannelName="door")["ChannelARN"]
    sim.advance(5)
    sim.put_fragments("cam", count=3, duration=1.0)
    archive = sim.client("kinesis-video-archived-media")
    numbers = sorted(
        (f["FragmentNumber"] for f in archive.list_fragments(StreamName="cam")["Fragments"]),
        key=int,
    )
    archive.get_media_for_fragment_list(StreamName="cam", Fragments=numbers[:2])["Payload"].close()
    media = sim.client("kinesis-video-media")
    media.get_media(StreamName="cam", StartSelector={"StartSelectorType": "EARLIEST"})
    sim.client("kinesis-video-signaling").get_ice_server_config(ChannelARN=channel)
    path = tmp_path / "trace.jsonl"
    sim.save_trace(path)
    return path, sim


def test_a_trace_of_data_plane_calls_replays_and_checks(tmp_path: Path) -> None:
    path, sim = _recorded(tmp_path)
    lines = [json.loads(line) for line in path.read_text().splitlines()[1:]]
    calls = [line["call"] for line in lines if "call" in line]
    assert calls[-4:] == [
        "list_fragments",
        "get_media_for_fragment_list",
        "get_media",
        "get_ice_server_config",
    ]
    streamed = next(line for line in lines if line.get("call") == "get_media")
    assert streamed["outcome"]["response"]["Payload"] == "<streamed payload>"
    trace = read_trace(path)
    again = trace.simulator()
    assert replay(trace, again) is None
    assert again._dump() == sim._dump()
    assert main(["run", str(path), "--check"]) == 0


def test_a_scenario_calls_the_archived_media_service() -> None:
    steps = load_scenario(
        [
            {"call": "create_stream", "args": {"StreamName": "cam", "DataRetentionInHours": 1}},
            {"advance": 5},
            {"put_fragments": "cam", "count": 2},
            {"call": "list_fragments", "args": {"StreamName": "cam"}},
            {
                "call": "get_media",
                "args": {"StreamName": "cam", "StartSelector": {"StartSelectorType": "NOW"}},
            },
        ]
    )
    events = run_scenario(steps, kvsim.Simulator(seed=1))
    listed, media = (
        e for e in events if e.kind == "call" and e.call in ("list_fragments", "get_media")
    )
    assert len(listed.response["Fragments"]) == 2
    assert media.response == {"ContentType": "video/webm", "Payload": "<streamed payload>"}
