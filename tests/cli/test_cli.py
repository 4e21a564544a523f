"""`kvsim run`: the demo, user scenarios, the JSON timeline and malformed scenarios."""

from __future__ import annotations

import dataclasses
import json
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

import kvsim
from kvsim.cli import main
from kvsim.scenario import (
    AdvanceStep,
    CallStep,
    Event,
    IdleStep,
    ScenarioError,
    load_scenario,
    run_scenario,
)
from kvsim.scenarios.demo import DEMO_SCENARIO

ARN = "arn:aws:kinesisvideo:us-east-1:123456789012:stream/cam-1/1767225600000"
VERSION = re.compile(r"cam-1 (?:CREATING|ACTIVE|UPDATING|DELETING) version ([a-zA-Z0-9]{20})")


def run_main(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def run_module(*argv: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kvsim", *argv],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )


def write(tmp_path: Path, content: object) -> str:
    path = tmp_path / "scenario.json"
    text = content if isinstance(content, str) else json.dumps(content)
    path.write_text(text, encoding="utf-8")
    return str(path)


def lines_with(out: str, needle: str) -> list[str]:
    return [line for line in out.splitlines() if needle in line]


# -- the demo ---------------------------------------------------------------------------


def test_demo_shows_a_stream_lifecycle(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(capsys, "run")
    assert (code, err) == (0, "")
    # Creation, then CREATING -> ACTIVE when the create delay (2 s) has passed.
    [created] = lines_with(out, 'create_stream(StreamName="cam-1", DataRetentionInHours=24)')
    assert created.split() == [
        "0.000",
        "123456789012/us-east-1",
        'create_stream(StreamName="cam-1",',
        "DataRetentionInHours=24)",
        "->",
        "ok",
        f"StreamARN={ARN}",
    ]
    [active] = lines_with(out, "CREATING -> ACTIVE")
    assert active.split() == [
        "2.000",
        "123456789012/us-east-1",
        "stream",
        "cam-1:",
        "CREATING",
        "->",
        "ACTIVE",
    ]
    # The duplicate name.
    [duplicate] = lines_with(out, "ResourceInUseException")
    assert 'create_stream(StreamName="cam-1") -> ResourceInUseException: ' in duplicate
    # The version bump: UpdateStream with the version DescribeStream reported.
    versions = VERSION.findall(out)
    assert len(set(versions)) == 2
    old, new = dict.fromkeys(versions)
    [update] = lines_with(out, "update_stream(")
    assert f'CurrentVersion="{old}"' in update and update.endswith("-> ok")
    assert lines_with(out, f"cam-1 UPDATING version {new}")
    assert len(lines_with(out, "UPDATING -> ACTIVE")) == 1
    # The burst: 5 TPS per stream, so a back-to-back burst is throttled.
    throttled = lines_with(out, "ClientLimitExceededException")
    assert len(throttled) == 2
    assert all('describe_stream(StreamName="cam-1")' in line for line in throttled)
    assert (
        "Limit exceeded on number of requests for DescribeStream API for resource 'cam-1'"
        in throttled[0]
    )
    # Media: 6 s of generated video sent in real time, read back as a clip and an HLS session.
    [put] = lines_with(out, 'put_fragments("cam-1", count=3, duration=2.0')
    assert put.split()[0] == "3.200" and "-> ok 3 fragments" in put
    [clip] = lines_with(out, 'get_clip(StreamName="cam-1"')
    assert clip.split()[0] == "9.200" and clip.endswith(
        "-> ok ContentType=video/mp4 Payload=<streamed payload>"
    )
    [session] = lines_with(out, "get_hls_streaming_session_url(")
    assert "-> ok HLSStreamingSessionURL=https://b-" in session
    assert "/hls/v1/getHLSMasterPlaylist.m3u8?SessionToken=Ci" in session
    # The deletion: DELETING, then gone.
    [delete] = lines_with(out, "delete_stream(")
    assert delete.endswith(f'delete_stream(StreamARN="{ARN}") -> ok')
    assert lines_with(out, f"cam-1 DELETING version {new}")
    assert len(lines_with(out, "DELETING -> DELETED")) == 1
    assert lines_with(out, "ResourceNotFoundException")
    assert out.rstrip().endswith(
        "20 calls (4 errors), 3 status changes; virtual time now 2026-01-01T00:00:10.800000+00:00"
    )


def test_demo_event_order_and_times() -> None:
    events = run_scenario(load_scenario(DEMO_SCENARIO), kvsim.Simulator(seed=0))
    changes = [(e.step, e.t, e.transition) for e in events if e.kind == "change"]
    assert changes == [
        (4, 2.0, "CREATING -> ACTIVE"),
        (8, 3.2, "UPDATING -> ACTIVE"),
        (22, 10.7, "DELETING -> DELETED"),
    ]
    codes = [e.error for e in events if e.kind == "call"]
    assert codes.count(None) == 16
    assert [c for c in codes if c] == [
        "ResourceInUseException",
        "ClientLimitExceededException",
        "ClientLimitExceededException",
        "ResourceNotFoundException",
    ]


def test_demo_runs_as_a_module_and_matches_main(capsys: pytest.CaptureFixture[str]) -> None:
    result = run_module("run")
    assert (result.returncode, result.stderr) == (0, "")
    _, out, _ = run_main(capsys, "run")
    assert result.stdout == out


def test_console_script_runs_the_demo(capsys: pytest.CaptureFixture[str]) -> None:
    script = Path(sys.executable).with_name("kvsim")
    if not script.exists():
        pytest.skip("the kvsim console script is not installed beside this interpreter")
    result = subprocess.run([str(script), "run"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0
    assert result.stdout == run_main(capsys, "run")[1]


def test_demo_output_is_identical_across_runs(capsys: pytest.CaptureFixture[str]) -> None:
    texts = {run_main(capsys, "run")[1] for _ in range(3)}
    jsons = {run_main(capsys, "run", "--json")[1] for _ in range(3)}
    assert len(texts) == 1 and len(jsons) == 1


def test_demo_works_with_any_seed(capsys: pytest.CaptureFixture[str]) -> None:
    _, out0, _ = run_main(capsys, "run")
    code, out7, _ = run_main(capsys, "run", "--seed", "7")
    assert code == 0
    assert "seed 7" in out7 and "VersionMismatchException" not in out7
    assert VERSION.findall(out0)[0] != VERSION.findall(out7)[0]
    for needle in ("CREATING -> ACTIVE", "ResourceInUseException", "DELETING -> DELETED"):
        assert len(lines_with(out7, needle)) == 1


# -- JSON lines -------------------------------------------------------------------------

KEYS = {
    "call": [
        "step",
        "t",
        "time",
        "kind",
        "account_id",
        "region_name",
        "call",
        "args",
        "error",
        "message",
        "response",
    ],
    "change": ["step", "t", "time", "kind", "account_id", "region_name", "resource", "transition"],
    "advance": ["step", "t", "time", "kind", "seconds", "until"],
    "run_until_idle": ["step", "t", "time", "kind", "until"],
    "put_fragments": [
        "step",
        "t",
        "time",
        "kind",
        "account_id",
        "region_name",
        "resource",
        "args",
        "error",
        "message",
        "response",
    ],
}


def test_json_lines_have_the_documented_keys(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_main(capsys, "run", "--json")
    assert code == 0
    events = [json.loads(line) for line in out.splitlines()]
    assert {e["kind"] for e in events} == set(KEYS)
    for event in events:
        assert list(event) == KEYS[event["kind"]]
    first = events[0]
    assert first == {
        "step": 1,
        "t": 0.0,
        "time": "2026-01-01T00:00:00+00:00",
        "kind": "call",
        "account_id": "123456789012",
        "region_name": "us-east-1",
        "call": "create_stream",
        "args": {"StreamName": "cam-1", "DataRetentionInHours": 24},
        "error": None,
        "message": None,
        "response": {"StreamARN": ARN},
    }
    [change] = [e for e in events if e.get("transition") == "CREATING -> ACTIVE"]
    assert change == {
        "step": 4,
        "t": 2.0,
        "time": "2026-01-01T00:00:02+00:00",
        "kind": "change",
        "account_id": "123456789012",
        "region_name": "us-east-1",
        "resource": ARN,
        "transition": "CREATING -> ACTIVE",
    }
    described = next(e for e in events if e.get("call") == "describe_stream")
    assert described["response"]["StreamInfo"]["CreationTime"] == "2026-01-01T00:00:00+00:00"


def test_help_documents_the_json_keys(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["run", "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    for word in ("--json", "--seed", '"advance"', '"run_until_idle"', "$last", "transition"):
        assert word in out


def test_no_subcommand_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main([])
    assert exit_info.value.code == 2
    assert "COMMAND" in capsys.readouterr().err


# -- user scenarios ---------------------------------------------------------------------

USER_SCENARIO = [
    {"call": "create_stream", "args": {"StreamName": "a"}, "region_name": "eu-west-1"},
    {"call": "create_stream", "args": {"StreamName": "a"}, "account_id": "210987654321"},
    {"call": "list_streams", "args": {"MaxResults": "ten"}},
    {"call": "get_data_endpoint", "args": {"StreamName": "a", "APIName": "PUT_MEDIA"}},
    {"run_until_idle": True},
    {
        "call": "tag_stream",
        "args": {"StreamName": "a", "Tags": {"team": "video"}},
        "account_id": "210987654321",
    },
    {"call": "list_tags_for_stream", "args": {"StreamName": "a"}, "account_id": "210987654321"},
    {"advance": 0.5},
]


def test_user_scenario_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(capsys, "run", write(tmp_path, USER_SCENARIO))
    assert (code, err) == (0, "")
    body = out.splitlines()
    assert body[0] == f"kvsim run: {tmp_path / 'scenario.json'}, seed 0, 8 steps"
    assert lines_with(out, '0.000  123456789012/eu-west-1  create_stream(StreamName="a") -> ok')
    assert lines_with(out, '0.050  210987654321/us-east-1  create_stream(StreamName="a") -> ok')
    # A ParamValidationError is part of the timeline and takes no virtual time.
    [invalid] = lines_with(out, "list_streams(")
    assert invalid.split()[:2] == ["0.100", "123456789012/us-east-1"]
    assert "ParamValidationError: Invalid type for parameter MaxResults, value: ten" in invalid
    [endpoint] = lines_with(out, "get_data_endpoint(")
    assert endpoint.split()[0] == "0.100"
    assert endpoint.endswith(
        "-> ResourceNotFoundException: The requested stream is not found or not active."
    )
    assert [line.split()[:2] for line in lines_with(out, "CREATING -> ACTIVE")] == [
        ["2.000", "123456789012/eu-west-1"],
        ["2.050", "210987654321/us-east-1"],
    ]
    assert lines_with(out, 'list_tags_for_stream(StreamName="a") -> ok Tags={"team": "video"}')
    assert out.rstrip().endswith(
        "6 calls (2 errors), 2 status changes; virtual time now 2026-01-01T00:00:02.650000+00:00"
    )


def test_scenario_from_standard_input() -> None:
    result = run_module("run", "-", "--json", stdin=json.dumps(USER_SCENARIO[:1]))
    assert (result.returncode, result.stderr) == (0, "")
    [event] = [json.loads(line) for line in result.stdout.splitlines()]
    assert (event["region_name"], event["response"]["StreamARN"]) == (
        "eu-west-1",
        "arn:aws:kinesisvideo:eu-west-1:123456789012:stream/a/1767225600000",
    )


def test_a_change_that_falls_due_during_a_call_follows_it() -> None:
    steps = load_scenario(
        [
            {"call": "create_stream", "args": {"StreamName": "a"}},
            {"advance": 1.93},
            {"call": "list_streams"},
            {"call": "describe_stream", "args": {"StreamName": "a"}},
        ]
    )
    events = run_scenario(steps)
    assert [(e.step, e.kind, e.t) for e in events] == [
        (1, "call", 0.0),
        (2, "advance", 0.05),
        (3, "call", 1.98),
        (3, "change", 2.0),
        (4, "call", 2.03),
    ]
    assert events[3].transition == "CREATING -> ACTIVE"
    assert events[4].response is not None
    assert events[4].response["StreamInfo"]["Status"] == "ACTIVE"


def test_a_change_a_call_replaced_is_not_reported() -> None:
    # Deleting an UPDATING stream cancels its UPDATING -> ACTIVE, even when
    # that change would have fallen due during the delete call's latency.
    steps = load_scenario(
        [
            {"call": "create_stream", "args": {"StreamName": "a"}},
            {"run_until_idle": True},
            {"call": "describe_stream", "args": {"StreamName": "a"}},
            {
                "call": "update_data_retention",
                "args": {
                    "StreamName": "a",
                    "CurrentVersion": {"$last": "StreamInfo.Version"},
                    "Operation": "INCREASE_DATA_RETENTION",
                    "DataRetentionChangeInHours": 1,
                },
            },
            {"advance": 0.92},
            {"call": "delete_stream", "args": {"StreamARN": {"$last": "StreamInfo.StreamARN"}}},
            {"run_until_idle": True},
        ]
    )
    sim = kvsim.Simulator(seed=3)
    events = run_scenario(steps, sim)
    assert [(e.step, e.kind, e.transition, e.error) for e in events] == [
        (1, "call", None, None),
        (2, "run_until_idle", None, None),
        (2, "change", "CREATING -> ACTIVE", None),
        (3, "call", None, None),
        (4, "call", None, None),
        (5, "advance", None, None),
        (6, "call", None, None),
        (7, "run_until_idle", None, None),
        (7, "change", "DELETING -> DELETED", None),
    ]
    # The update ran at 2.05 s (due 3.05); the delete ran at 3.02 and its
    # latency ended at 3.07, past the cancelled change's due time.
    assert (events[4].t, events[6].t, events[8].t) == (2.05, 3.02, 4.02)
    sim._check()


def test_dollar_last_resolves_to_the_newest_response_and_is_shown_resolved() -> None:
    steps = load_scenario(
        [
            {"call": "create_stream", "args": {"StreamName": "a"}},
            {"call": "create_stream", "args": {"StreamName": "b"}},
            {"call": "list_streams"},
            {"call": "describe_stream", "args": {"StreamARN": {"$last": "StreamARN"}}},
            {
                "call": "describe_stream",
                "args": {"StreamARN": {"$last": "StreamInfoList.0.StreamARN"}},
            },
        ]
    )
    events = run_scenario(steps)
    assert events[3].args == {
        "StreamARN": "arn:aws:kinesisvideo:us-east-1:123456789012:stream/b/1767225600050"
    }
    assert events[4].args == {
        "StreamARN": "arn:aws:kinesisvideo:us-east-1:123456789012:stream/a/1767225600000"
    }
    assert [e.error for e in events] == [None] * 5


# -- the scenario API -------------------------------------------------------------------


def test_load_scenario_returns_frozen_steps_with_defaults() -> None:
    steps = load_scenario(
        [{"call": "list_streams"}, {"advance": 2}, {"run_until_idle": True}, IdleStep()]
    )
    assert steps == [
        CallStep("list_streams", {}, "123456789012", "us-east-1"),
        AdvanceStep(2),
        IdleStep(),
        IdleStep(),
    ]
    with pytest.raises(dataclasses.FrozenInstanceError):
        steps[1].seconds = 3  # type: ignore[misc]
    assert [s.to_json() for s in steps[:3]] == [
        {
            "call": "list_streams",
            "args": {},
            "account_id": "123456789012",
            "region_name": "us-east-1",
        },
        {"advance": 2},
        {"run_until_idle": True},
    ]
    assert load_scenario([s.to_json() for s in steps]) == steps


def test_load_scenario_copies_the_callers_args() -> None:
    args = {"StreamName": "a"}
    [step] = load_scenario([{"call": "create_stream", "args": args}])
    args["StreamName"] = "b"
    assert isinstance(step, CallStep) and step.args == {"StreamName": "a"}


def test_events_are_frozen_and_serialise() -> None:
    [event] = run_scenario(load_scenario([{"advance": 1.5}]))
    until = kvsim.DEFAULT_START + timedelta(seconds=1.5)
    assert event == Event(1, "advance", kvsim.DEFAULT_START, 0.0, seconds=1.5, until=until)
    assert event.to_json() == {
        "step": 1,
        "t": 0.0,
        "time": "2026-01-01T00:00:00+00:00",
        "kind": "advance",
        "seconds": 1.5,
        "until": "2026-01-01T00:00:01.500000+00:00",
    }
    with pytest.raises(dataclasses.FrozenInstanceError):
        event.step = 2  # type: ignore[misc]


# -- malformed scenarios ----------------------------------------------------------------

MALFORMED = [
    # (scenario text, step number, what the message says)
    ('[{"advance": 1},\n {"advance": 2,}]', 2, "invalid JSON at line 2 column 16"),
    ('[{"advance": 1} {"advance": 2}]', 1, "expected ',' or ']' after the step"),
    ("[", 1, "invalid JSON at line 1 column 2"),
    ('[{"advance": NaN}]', 1, "NaN is not a JSON number"),
    ("[1]", 1, "a step must be a JSON object, not a number"),
    ('[{"advance": 1}, []]', 2, "a step must be a JSON object, not a list"),
    ('[{"advance": 1}, {"frob": 1}]', 2, "unknown step kind (keys: 'frob')"),
    ('[{"advance": 1, "call": "list_streams"}]', 1, "exactly one of call, advance, run_until_idle"),
    ('[{"call": "list_stream"}]', 1, "unknown call 'list_stream'; did you mean 'list_streams'?"),
    ('[{"call": "CreateStream"}]', 1, "unknown call 'CreateStream'"),
    ('[{"call": 5}]', 1, '"call" must be a string, not a number'),
    ('[{"call": "list_streams", "args": []}]', 1, '"args" must be an object, not a list'),
    ('[{"call": "list_streams", "args": "x"}]', 1, '"args" must be an object, not a string'),
    ('[{"call": "list_streams", "account_id": 123}]', 1, '"account_id" must be a string'),
    ('[{"call": "list_streams", "account_id": "123"}]', 1, "account_id must be 12 digits"),
    ('[{"call": "list_streams", "region_name": null}]', 1, '"region_name" must be a string'),
    ('[{"call": "list_streams", "region_name": "mars"}]', 1, "region_name must look like"),
    ('[{"call": "list_streams", "arg": {}}]', 1, "unknown key 'arg' in this call step"),
    ('[{"advance": "5"}]', 1, '"advance" must be a finite number of seconds >= 0, got "5"'),
    ('[{"advance": -1}]', 1, "got -1"),
    ('[{"advance": true}]', 1, "got true"),
    ('[{"advance": 1e999}]', 1, "got inf"),
    ('[{"advance": 1, "seconds": 2}]', 1, "unknown key 'seconds' in this advance step"),
    ('[{"run_until_idle": false}]', 1, '"run_until_idle" must be true, got false'),
    ('[{"run_until_idle": 1}]', 1, '"run_until_idle" must be true, got 1'),
    (
        '[{"call": "list_streams", "args": {"NextToken": {"$last": 3}}}]',
        1,
        'args.NextToken: a reference is {"$last": "Dotted.Path"}',
    ),
    # Steps that cannot run: found while running, after the earlier steps printed.
    (
        '[{"call": "list_streams"}, {"call": "update_stream", "args": '
        '{"StreamName": "a", "CurrentVersion": {"$last": "StreamInfo.Version"}}}]',
        2,
        "no earlier successful response has StreamInfo.Version",
    ),
    ('[{"advance": 1}, {"advance": 1e12}]', 2, "advancing 1e+12 seconds goes past the year 9999"),
]


@pytest.mark.parametrize(("text", "step", "problem"), MALFORMED)
def test_malformed_scenario_exits_2_naming_the_step(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, step: int, problem: str
) -> None:
    path = write(tmp_path, text)
    code, out, err = run_main(capsys, "run", path)
    assert code == 2
    assert err.startswith(f"kvsim run: {path}: step {step}: ")
    assert problem in err
    assert err.count("\n") == 1 and "Traceback" not in err + out
    if step == 1 and "earlier" not in problem and "1e12" not in text:
        assert out == ""  # load-time problems stop the run before anything runs


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "the scenario is empty"),
        ("  \n", "the scenario is empty"),
        ('{"call": "list_streams"}', "a scenario must be a JSON list of steps, not an object"),
        ("5", "a scenario must be a JSON list of steps, not a number"),
        ("{", "invalid JSON at line 1 column 2"),
        ('[{"advance": 1}] []', "invalid JSON at line 1 column 18: extra data after the list"),
    ],
)
def test_malformed_document_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, problem: str
) -> None:
    code, out, err = run_main(capsys, "run", write(tmp_path, text))
    assert (code, out) == (2, "")
    assert problem in err and "Traceback" not in err


def test_missing_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_main(capsys, "run", str(tmp_path / "nope.json"))
    assert code == 2
    assert "cannot read" in err and "No such file" in err and "Traceback" not in err


def test_malformed_scenario_as_a_process_has_no_traceback(tmp_path: Path) -> None:
    path = write(tmp_path, '[{"advance": 1}, {"call": "create_stream", "args": [1]}]')
    result = run_module("run", path)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == f'kvsim run: {path}: step 2: "args" must be an object, not a list\n'


def test_load_scenario_rejects_a_non_list() -> None:
    with pytest.raises(ScenarioError, match="must be a list of steps, not an object") as info:
        load_scenario({"advance": 1})  # type: ignore[arg-type]
    assert info.value.step is None
    with pytest.raises(ScenarioError) as info:
        load_scenario([{"advance": 1}, {"advance": -2}])
    assert (info.value.step, info.value.problem) == (
        2,
        '"advance" must be a finite number of seconds >= 0, got -2',
    )


def test_run_scenario_checks_steps_built_by_hand() -> None:
    with pytest.raises(ScenarioError) as info:
        run_scenario([AdvanceStep(1), CallStep("drop_table")])
    assert str(info.value).startswith("step 2: unknown call 'drop_table'")
    with pytest.raises(ScenarioError, match=r"^step 1: .*got -1$"):
        run_scenario([AdvanceStep(-1)])
