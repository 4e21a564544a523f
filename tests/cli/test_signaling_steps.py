"""``sim.signaling`` in traces and scenarios: connect, send, receive, close and the
announcements recorded with their outcomes, replayed, checked and run by ``kvsim run``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import kvsim
from kvsim.cli import main
from kvsim.engine.signaling import SignalingClosedError, decode
from kvsim.scenario import (
    ScenarioError,
    SignalingStep,
    format_event,
    load_scenario,
    run_scenario,
)
from kvsim.scenarios.replay import read_trace, replay

ARN = "arn:aws:kinesisvideo:us-east-1:123456789012:channel/door/1767225600000"


def _session(tmp_path: Path) -> Path:
    # A master and a viewer negotiate, then the service sends GO_AWAY.
    sim = kvsim.Simulator(seed=2, trace_limit=None)
    arn = sim.client().create_signaling_channel(ChannelName="door")["ChannelARN"]
    assert arn == ARN
    sim.advance(3)
    master = sim.signaling.connect(arn, role="MASTER")
    viewer = sim.signaling.connect(arn, role="VIEWER", client_id="phone")
    assert (master.connection_id, viewer.connection_id) == (1, 2)
    viewer.send("SDP_OFFER", {"type": "offer", "sdp": "v=0"}, correlation_id="c1")
    assert [decode(m) for m in master.receive()] == [{"type": "offer", "sdp": "v=0"}]
    master.send("SDP_ANSWER", {"type": "answer", "sdp": "v=0"}, recipient_client_id="phone")
    master.send("SDP_ANSWER", {"type": "answer"}, correlation_id="no-recipient")  # refused
    assert [m["messageType"] for m in viewer.receive()] == ["SDP_ANSWER"]
    assert viewer.receive() == []
    with pytest.raises(kvsim.ClientError):
        sim.signaling.connect(arn, role="VIEWER")  # no client id: refused, still id 3
    sim.advance(1)
    assert sim.signaling.go_away(arn) == 2
    viewer.close()
    with pytest.raises(SignalingClosedError):
        viewer.send("ICE_CANDIDATE", {"candidate": "c"})
    assert [m["messageType"] for m in master.receive()] == ["STATUS_RESPONSE", "GO_AWAY"]
    path = tmp_path / "trace.jsonl"
    sim.save_trace(path)
    return path


def _lines(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text().splitlines()[1:]]


def test_the_trace_records_each_relay_action_with_its_outcome(tmp_path: Path) -> None:
    lines = _lines(_session(tmp_path))
    signaling = [line for line in lines if "signaling" in line]
    assert [(s["signaling"], s.get("connection")) for s in signaling] == [
        ("connect", 1),
        ("connect", 2),
        ("send", 2),
        ("receive", 1),
        ("send", 1),
        ("send", 1),
        ("receive", 2),
        ("receive", 2),
        ("connect", 3),
        ("go_away", None),
        ("close", 2),
        ("send", 2),
        ("receive", 1),
    ]
    at = "2026-01-01T00:00:03.050000+00:00"  # after the create call's latency
    assert signaling[1] == {
        "signaling": "connect",
        "channel": ARN,
        "role": "VIEWER",
        "client_id": "phone",
        "connection": 2,
        "account_id": "123456789012",
        "region_name": "us-east-1",
        "at": at,
        "outcome": {"response": {}},
    }
    assert signaling[2]["frame"] == {
        "action": "SDP_OFFER",
        "messagePayload": "eyJ0eXBlIjogIm9mZmVyIiwgInNkcCI6ICJ2PTAifQ==",
        "correlationId": "c1",
    }
    assert signaling[2]["outcome"] == {"response": {"accepted": True}}
    assert signaling[5]["outcome"] == {"response": {"accepted": False}}
    assert signaling[7]["outcome"] == {"response": {"messages": []}}
    assert signaling[8]["outcome"] == {
        "error": "InvalidArgumentException",
        "message": "A viewer must connect with X-Amz-ClientId.",
    }
    assert signaling[9] == {
        "signaling": "go_away",
        "channel": ARN,
        "account_id": "123456789012",
        "region_name": "us-east-1",
        "at": "2026-01-01T00:00:04.050000+00:00",
        "outcome": {"response": {"connections": 2}},
    }
    assert signaling[11]["outcome"] == {
        "error": "SignalingClosedError",
        "message": "closed by the client",
    }
    messages = signaling[12]["outcome"]["response"]["messages"]  # type: ignore[index]
    assert [m["messageType"] for m in messages] == ["STATUS_RESPONSE", "GO_AWAY"]


def test_a_saved_session_replays_with_the_same_outcomes(tmp_path: Path) -> None:
    path = _session(tmp_path)
    assert replay(read_trace(path)) is None
    assert main(["run", str(path), "--check"]) == 0


def test_check_fails_at_a_tampered_outcome(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _session(tmp_path)
    text = path.read_text().splitlines()
    lines = [json.loads(line) for line in text]
    # The master's first receive: claim it got nothing.
    index = next(i for i, line in enumerate(lines) if line.get("signaling") == "receive")
    lines[index]["outcome"] = {"response": {"messages": []}}
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    mismatch = replay(read_trace(path))
    assert mismatch is not None
    assert (mismatch.step, mismatch.call) == (index, "signaling receive")  # the header is line 1
    capsys.readouterr()
    assert main(["run", str(path), "--check"]) == 1
    err = capsys.readouterr().err
    assert f"step {index} (signaling receive): recorded" in err


def test_a_replay_without_a_send_differs_at_the_receive(tmp_path: Path) -> None:
    path = _session(tmp_path)
    lines = path.read_text().splitlines()
    kept = [
        line for line in lines if '"signaling": "send"' not in line or '"SDP_OFFER"' not in line
    ]
    assert len(kept) == len(lines) - 1
    path.write_text("\n".join(kept) + "\n")
    mismatch = replay(read_trace(path))
    assert mismatch is not None and mismatch.call == "signaling receive"
    assert mismatch.actual == {"response": {"messages": []}}


def test_kvsim_run_runs_a_scenario_with_signaling_steps(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scenario = [
        {"call": "create_signaling_channel", "args": {"ChannelName": "door"}},
        {"advance": 3},
        {"signaling": "connect", "channel": ARN, "connection": "camera"},
        {"signaling": "connect", "channel": ARN, "role": "VIEWER", "client_id": "phone"},
        {
            "signaling": "send",
            "connection": 2,
            "action": "SDP_OFFER",
            "payload": {"type": "offer", "sdp": "v=0"},
        },
        {"signaling": "receive", "connection": "camera"},
        {
            "signaling": "send",
            "connection": "camera",
            "frame": {"action": "SDP_ANSWER", "messagePayload": "eyJ9"},
        },
        {"signaling": "reconnect_ice_server", "channel": ARN},
        {"signaling": "receive", "connection": 2},
        {"signaling": "close", "connection": 2},
        {"signaling": "send", "connection": 2, "action": "ICE_CANDIDATE", "payload": "Yw=="},
    ]
    path = tmp_path / "scenario.json"
    path.write_text(json.dumps(scenario))
    assert main(["run", str(path)]) == 0
    out = capsys.readouterr().out
    assert "signaling connect #camera MASTER to channel door -> ok" in out
    assert 'signaling connect #2 VIEWER "phone" to channel door -> ok' in out
    assert 'signaling send #2 SDP_OFFER {"type": "offer", "sdp": "v=0"} -> accepted' in out
    assert (
        'signaling receive #camera -> 1 message: SDP_OFFER from "phone" '
        '{"type": "offer", "sdp": "v=0"}' in out
    )
    assert 'signaling send #camera SDP_ANSWER "eyJ9" -> refused' in out
    assert "signaling reconnect_ice_server channel door -> 2 connections" in out
    assert "signaling receive #2 -> 1 message: RECONNECT_ICE_SERVER" in out
    assert "signaling close #2 -> ok" in out
    assert "-> SignalingClosedError: closed by the client" in out

    assert main(["run", str(path), "--json"]) == 0
    events = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    sent = next(e for e in events if e["kind"] == "signaling" and e["signaling"] == "send")
    assert sent["args"] == {
        "connection": 2,
        "frame": {
            "action": "SDP_OFFER",
            "messagePayload": "eyJ0eXBlIjogIm9mZmVyIiwgInNkcCI6ICJ2PTAifQ==",
        },
    }
    assert sent["resource"] == ARN and sent["response"] == {"accepted": True}


def test_a_scenario_recorded_again_replays(tmp_path: Path) -> None:
    # Running signaling steps records them, under the simulator's own connection ids.
    sim = kvsim.Simulator(seed=0, trace_limit=None)
    events = run_scenario(
        load_scenario(
            [
                {"call": "create_signaling_channel", "args": {"ChannelName": "door"}},
                {"advance": 3},
                {"signaling": "connect", "channel": ARN, "connection": "camera"},
                {"signaling": "connect", "channel": ARN, "role": "VIEWER", "client_id": "v"},
                {"signaling": "send", "connection": 2, "action": "SDP_OFFER", "payload": "eA=="},
                {"signaling": "receive", "connection": "camera"},
            ]
        ),
        sim,
    )
    assert events[-1].response == {
        "messages": [{"senderClientId": "v", "messageType": "SDP_OFFER", "messagePayload": "eA=="}]
    }
    path = tmp_path / "again.jsonl"
    sim.save_trace(path)
    assert [line.get("connection") for line in _lines(path)[3:]] == [1, 2, 2, 1]
    assert replay(read_trace(path)) is None


def test_steps_are_checked_before_anything_runs() -> None:
    connect = {"signaling": "connect", "channel": ARN}
    cases = [
        ([{"signaling": "dial", "channel": ARN}], 'step 1: "signaling" must be one of connect'),
        ([{"signaling": "receive", "connection": 1}], "step 1: connection 1 is not opened"),
        (
            [connect, {"signaling": "receive"}],
            'step 2: a signaling receive step needs "connection"',
        ),
        ([connect, {**connect, "connection": 1}], "step 2: connection 1 is already named"),
        ([{**connect, "connection": True}], 'step 1: "connection" must be a name'),
        ([{"signaling": "connect"}], 'step 1: "channel" must be a string, not null'),
        ([{**connect, "client_id": 5}], 'step 1: "client_id" must be a string'),
        ([{**connect, "frame": {}}], "step 1: unknown key 'frame' in this signaling connect step"),
        (
            [connect, {"signaling": "send", "connection": 1}],
            'step 2: a signaling send step needs "frame"',
        ),
        (
            [connect, {"signaling": "send", "connection": 1, "frame": {}, "action": "SDP_OFFER"}],
            'step 2: a signaling send step has "frame", or "action" and "payload", not both',
        ),
        (
            [
                connect,
                {"signaling": "send", "connection": 1, "action": "SDP_OFFER", "payload": [1]},
            ],
            'step 2: "payload" must be a string (base64) or an object',
        ),
        (
            [{"signaling": "go_away", "channel": ARN, "region_name": 3}],
            'step 1: "region_name" must be a string',
        ),
    ]
    for steps, message in cases:
        with pytest.raises(ScenarioError) as caught:
            load_scenario(steps)
        assert str(caught.value).startswith(message), (steps, str(caught.value))


def test_a_step_on_a_refused_connection_is_a_scenario_error() -> None:
    steps = load_scenario(
        [{"signaling": "connect", "channel": ARN}, {"signaling": "receive", "connection": 1}]
    )
    with pytest.raises(ScenarioError, match="step 2: connection 1 is not open: its connect step"):
        run_scenario(steps)


def test_steps_round_trip_and_format() -> None:
    steps = load_scenario(
        [
            {"signaling": "connect", "channel": ARN, "role": "VIEWER", "client_id": "v"},
            {"signaling": "send", "connection": 1, "action": "SDP_OFFER", "payload": "eA=="},
            {"signaling": "go_away", "channel": ARN},
        ]
    )
    assert steps[0] == SignalingStep("connect", 1, ARN, "VIEWER", "v")
    assert steps[1] == SignalingStep(
        "send", 1, frame={"action": "SDP_OFFER", "messagePayload": "eA=="}
    )
    assert load_scenario(steps) == steps
    assert load_scenario([step.to_json() for step in steps]) == steps
    # No channel: the connect is refused, and the send on it cannot run.
    with pytest.raises(ScenarioError, match="step 2: connection 1 is not open"):
        run_scenario(steps)
    refused = run_scenario(steps[:1])[0]
    assert format_event(refused).endswith(
        'signaling connect #1 VIEWER "v" to channel door -> ResourceNotFoundException: '
        "The requested channel is not found or not active."
    )
    assert refused.to_json()["args"] == {
        "role": "VIEWER",
        "client_id": "v",
        "connection": 1,
    }


def test_the_websocket_server_records_without_empty_polls(tmp_path: Path) -> None:
    # sim.signaling.open (kvsim serve's path) records like connect; poll() records
    # only what delivered messages.
    sim = kvsim.Simulator(seed=1, trace_limit=None)
    sim.client().create_signaling_channel(ChannelName="door")
    sim.advance(3)
    woken: list[int] = []
    master = sim.signaling.open(
        ARN, "MASTER", None, "123456789012", "us-east-1", lambda: woken.append(1)
    )
    viewer = sim.signaling.connect(ARN, role="VIEWER", client_id="v")
    assert master.poll() == []
    viewer.send("SDP_OFFER", "eA==")
    assert len(master.poll()) == 1 and woken
    master.close()
    kinds = [(e.get("signaling"), e.get("connection")) for e in sim.trace if "signaling" in e]
    assert kinds == [("connect", 1), ("connect", 2), ("send", 2), ("receive", 1), ("close", 1)]
    path = tmp_path / "served.jsonl"
    sim.save_trace(path)
    assert replay(read_trace(path)) is None
