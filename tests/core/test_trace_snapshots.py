"""The trace records what a call sent and answered at the time of the call.

It keeps copies, never the caller's objects: mutating an argument or a
response after the call changes neither ``sim.trace`` nor a saved trace, and
``kvsim run --check`` replays such a session without a false mismatch.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

import kvsim
from kvsim.cli import main
from kvsim.engine.runtime import STREAMED
from kvsim.model.catalog import service_spec
from kvsim.model.shapes import input_shape
from kvsim.scenarios.replay import read_trace, replay
from kvsim.services import registry
from kvsim.services.declarations import Operation


def world() -> tuple[kvsim.Simulator, Any]:
    sim = kvsim.Simulator(seed=5, trace_limit=None)
    return sim, sim.client()


def test_mutating_arguments_after_the_call_does_not_rewrite_the_trace() -> None:
    sim, kv = world()
    tags = {"team": "video", "env": "prod"}
    condition = {"ComparisonOperator": "BEGINS_WITH", "ComparisonValue": "ca"}
    kv.create_stream(StreamName="cam", Tags=tags)
    kv.list_streams(StreamNameCondition=condition)
    kv.tag_stream(StreamName="cam", Tags=tags)
    before = copy.deepcopy(sim.trace)
    assert before[0]["args"]["Tags"] == {"team": "video", "env": "prod"}

    tags["team"] = "hacked"
    tags["extra"] = "x"
    del tags["env"]
    condition["ComparisonValue"] = "zz"
    assert sim.trace == before


def test_mutating_a_caller_owned_params_mapping_does_not_rewrite_the_trace() -> None:
    # botocore's _make_api_call(name, params) hands kvsim the caller's own dict.
    sim, kv = world()
    params: dict[str, Any] = {"StreamName": "cam", "Tags": {"k": "v"}}
    kv._make_api_call("CreateStream", params)
    before = copy.deepcopy(sim.trace)
    params["StreamName"] = "other"
    params["Tags"]["k"] = "changed"
    params["DataRetentionInHours"] = 5
    assert sim.trace == before


def test_mutating_responses_after_the_call_does_not_rewrite_the_trace() -> None:
    sim, kv = world()
    for name in ("cam-1", "cam-2"):
        kv.create_stream(StreamName=name, Tags={"k": name})
    created = kv.create_stream(StreamName="cam-3")
    described = kv.describe_stream(StreamName="cam-1")
    listed = kv.list_streams()
    tags = kv.list_tags_for_stream(StreamName="cam-2")
    before = copy.deepcopy(sim.trace)
    assert "ResponseMetadata" not in before[-1]["outcome"]["response"]

    created["StreamARN"] = "changed"
    info = described["StreamInfo"]
    info["Status"] = "HACKED"
    info["CreationTime"] = "never"
    del info["StreamName"]
    described["Extra"] = 1
    listed["StreamInfoList"][0]["StreamName"] = "renamed"
    listed["StreamInfoList"].append({"StreamName": "ghost"})
    listed["StreamInfoList"].reverse()
    tags["Tags"]["k"] = "rewritten"
    tags.pop("ResponseMetadata")
    assert sim.trace == before


def test_objects_of_other_types_are_recorded_as_they_were() -> None:
    # Junk input is recorded as its repr at call time, not when the trace is read.
    class Box:
        def __init__(self) -> None:
            self.items = ["a"]

        def __repr__(self) -> str:
            return f"Box({self.items})"

    sim, kv = world()
    box, labels, raw = Box(), {"a"}, bytearray(b"ab")
    for value in (box, labels, raw):
        with pytest.raises(kvsim.errors.ParamValidationError):
            kv.create_stream(StreamName="cam", Tags={"k": value})
    before = copy.deepcopy(sim.trace)
    assert [e["args"]["Tags"]["k"] for e in before] == [
        "Box(['a'])",
        "{'a'}",
        "bytearray(b'ab')",
    ]
    box.items.append("b")
    labels.add("b")
    raw.extend(b"cd")
    assert sim.trace == before


def test_a_mutated_session_saves_and_replays_without_mismatch(tmp_path: Path) -> None:
    sim, kv = world()
    tags = {"team": "video"}
    kv.create_stream(StreamName="cam", Tags=tags)
    tags["team"] = "changed-after-the-call"
    sim.advance(5)
    described = kv.describe_stream(StreamName="cam")
    described["StreamInfo"]["Status"] = "HACKED"
    described["StreamInfo"]["Version"] = "0"
    listed = kv.list_streams()
    listed["StreamInfoList"].clear()
    answer = kv.list_tags_for_stream(StreamName="cam")
    answer["Tags"]["team"] = "rewritten"

    path = tmp_path / "trace.jsonl"
    sim.save_trace(path)
    saved = read_trace(path)
    assert saved.steps[0].args["Tags"] == {"team": "video"}  # type: ignore[union-attr]
    assert replay(saved) is None
    assert main(["run", str(path), "--check"]) == 0


def test_a_streamed_payload_is_recorded_as_a_marker(monkeypatch: pytest.MonkeyPatch) -> None:
    # No streamed operation is simulated yet: declare GetMedia for this test.
    service = "kinesis-video-media"

    def handler(world: Any, region: Any, params: Any) -> dict[str, Any]:
        return {"ContentType": "video/webm", "Payload": iter([b"abc", b"def"])}

    operation = Operation(
        service_spec(service).operations["GetMedia"],
        handler,
        (None, None),
        None,
        "NotAuthorizedException",
        input_shape(service, "GetMedia"),
        None,
    )
    monkeypatch.setitem(registry.SERVICES[service].simulated, "GetMedia", operation)
    sim = kvsim.Simulator(seed=0)
    selector = {"StartSelectorType": "NOW"}
    response = sim.client(service).get_media(StreamName="cam", StartSelector=selector)
    assert response["Payload"].read() == b"abcdef"
    selector["StartSelectorType"] = "EARLIEST"
    response["ContentType"] = "changed"
    (entry,) = sim.trace
    assert entry["args"] == {"StreamName": "cam", "StartSelector": {"StartSelectorType": "NOW"}}
    assert entry["outcome"] == {"response": {"ContentType": "video/webm", "Payload": STREAMED}}
