"""`kvsim run` on hostile input: deep nesting, refused settings, overflowing steps,
a closed pipe. Each ends in exit 2 and one line on stderr naming the step, the
line of the trace or its header (or, for the pipe, a quiet exit), never a traceback."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import kvsim
from kvsim.cli import main
from kvsim.cli.run import EXIT_BROKEN_PIPE
from kvsim.scenario import CallStep, ScenarioError, load_scenario, parse_scenario_text, run_scenario
from kvsim.scenarios.replay import read_trace, replay
from kvsim.scenarios.steps import MAX_NESTING, nesting_overflow

# A header where replay needs no settings but the format version; real ones add more.
HEADER = {"kvsim_trace": 1, "seed": 0}
CREATE = {"call": "create_stream", "args": {"StreamName": "cam"}}


def refused(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    """Run ``kvsim`` in-process; assert exit 2 and one stderr line; return that line."""
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert code == 2, (out, err)
    assert "Traceback" not in err
    assert err.endswith("\n") and err.count("\n") == 1, err
    assert err.startswith("kvsim run: "), err
    return err.rstrip("\n")


def nested(levels: int, leaf: object = 1) -> Any:
    """``levels`` levels of objects around ``leaf``: ``nested(2) == {"x": {"x": 1}}``."""
    value = leaf
    for _ in range(levels):
        value = {"x": value}
    return value


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def trace_file(tmp_path: Path, header: dict[str, Any], *steps: dict[str, Any]) -> str:
    lines = [json.dumps(header), *(json.dumps(step) for step in steps)]
    return write(tmp_path, "trace.jsonl", "\n".join(lines) + "\n")


# -- nesting in scenarios -----------------------------------------------------------------


def test_a_scenario_of_100000_brackets_is_refused_naming_the_step(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = write(tmp_path, "nest.json", "[" * 100_000)
    line = refused(capsys, "run", path)
    assert line == (f"kvsim run: {path}: step 1: nested deeper than 64 levels at line 1 column 67")


def test_100000_brackets_on_standard_input_are_refused(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO('[{"advance": 1},\n' + "[" * 100_000))
    line = refused(capsys, "run", "-")
    assert line == (
        "kvsim run: standard input: step 2: nested deeper than 64 levels at line 2 column 66"
    )


def test_a_deeply_nested_object_instead_of_a_list_is_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = write(tmp_path, "object.json", '{"a": ' * 100_000)
    line = refused(capsys, "run", path)
    assert line == f"kvsim run: {path}: a scenario must be a JSON list of steps, not an object"


def test_args_nested_600_deep_in_a_file_are_refused_naming_the_step(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    scenario = [{"advance": 1}, {"call": "create_stream", "args": nested(600)}]
    path = write(tmp_path, "args.json", json.dumps(scenario))
    line = refused(capsys, "run", path)
    assert re.fullmatch(
        rf"kvsim run: {re.escape(path)}: step 2: nested deeper than 64 levels at line 1 column \d+",
        line,
    )


def test_args_nested_600_deep_are_refused_by_load_scenario() -> None:
    with pytest.raises(ScenarioError) as caught:
        load_scenario([{"advance": 1}, {"call": "create_stream", "args": nested(600)}])
    assert str(caught.value) == "step 2: args nested deeper than 64 levels"


def test_args_may_nest_64_levels_and_not_65(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    deepest = {"call": "create_stream", "args": nested(MAX_NESTING - 1, leaf=[])}
    [step] = load_scenario([deepest])
    assert isinstance(step, CallStep) and step.args == deepest["args"]
    path = write(tmp_path, "deepest.json", json.dumps([deepest]))
    assert main(["run", path]) == 0  # a ParamValidationError event, not a refusal
    assert "ParamValidationError" in capsys.readouterr().out

    too_deep = {"call": "create_stream", "args": nested(MAX_NESTING, leaf=[])}
    with pytest.raises(ScenarioError, match=r"^step 1: args nested deeper than 64 levels$"):
        load_scenario([too_deep])
    with pytest.raises(ScenarioError, match=r"^step 1: nested deeper than 64 levels at line 1 "):
        parse_scenario_text(json.dumps([too_deep]))


def test_a_deep_value_in_a_message_is_not_printed_whole() -> None:
    with pytest.raises(ScenarioError) as caught:
        load_scenario([{"run_until_idle": nested(5000)}])
    assert str(caught.value) == (
        'step 1: "run_until_idle" must be true, got an object nested deeper than 64 levels'
    )


def test_the_nesting_scan_ignores_brackets_inside_strings() -> None:
    text = json.dumps({"args": {"Tags": {"k": "[" * 500 + '\\"{' * 100}}})
    assert nesting_overflow(text) is None
    assert parse_scenario_text(f"[{text}]") == [json.loads(text)]


# -- traces -------------------------------------------------------------------------------


def test_a_trace_outcome_nested_950_deep_is_refused_under_check(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # Written as text: json.dumps of 950 levels can itself exceed the recursion
    # limit when the test runs deep in a stack (as under pytest-xdist).
    deep = "[" * 950 + "]" * 950
    step = json.dumps({**CREATE, "outcome": {"response": {"deep": None}}})
    path = write(
        tmp_path, "trace.jsonl", json.dumps(HEADER) + "\n" + step.replace("null", deep) + "\n"
    )
    line = refused(capsys, "run", path, "--check")
    assert line == f"kvsim run: {path}: line 2: nested deeper than 64 levels"
    assert refused(capsys, "run", path) == line


def test_a_trace_header_nested_deep_is_refused_naming_its_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    header = json.dumps(HEADER)[:-1] + ', "junk": ' + "[" * 5000 + "]" * 5000 + "}"
    path = write(tmp_path, "trace.jsonl", f"{header}\n{json.dumps(CREATE)}\n")
    for argv in (("run", path), ("run", path, "--check")):
        assert refused(capsys, *argv) == f"kvsim run: {path}: line 1: nested deeper than 64 levels"


# The simulator refuses these settings (ValueError), its first call does, or it
# overflows on the first scheduled change (OverflowError): whichever, exit 2
# naming the header or the step.
HOSTILE_HEADERS = {
    "create_delay 1e300": {
        "timings": {
            "create_delay": 1e300,
            "update_delay": 1.0,
            "delete_delay": 1.0,
            "call_latency": 0.05,
        }
    },
    "start in year 9999": {"start": "9999-12-31T23:59:59+00:00"},
}


@pytest.mark.parametrize("check", [False, True], ids=["run", "check"])
@pytest.mark.parametrize("settings", HOSTILE_HEADERS.values(), ids=HOSTILE_HEADERS.keys())
def test_a_trace_header_the_simulator_cannot_run_with_is_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, settings: dict[str, Any], check: bool
) -> None:
    path = trace_file(tmp_path, {**HEADER, **settings}, CREATE, {"advance": 1})
    line = refused(capsys, "run", path, *(["--check"] if check else []))
    assert re.match(
        rf"kvsim run: {re.escape(path)}: "
        r"(the trace header is not valid: "
        r"|step 1: create_stream failed: (OverflowError|ValueError): )",
        line,
    ), line


@pytest.mark.parametrize(
    ("limits", "problem"),
    [([1], "limits must be an object"), ({"rates": [1]}, "limits.rates must be an object")],
)
def test_a_trace_header_of_the_wrong_shape_is_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, limits: object, problem: str
) -> None:
    path = trace_file(tmp_path, {**HEADER, "limits": limits}, CREATE)
    line = refused(capsys, "run", path)
    assert line == f"kvsim run: {path}: the trace header is not valid: {problem}"


def test_a_saved_trace_with_a_line_separator_in_a_string_replays(tmp_path: Path) -> None:
    sim = kvsim.Simulator(trace_limit=None)
    with pytest.raises(sim.client().exceptions.InvalidArgumentException):
        sim.client().create_stream(StreamName="a\u2028b")
    path = tmp_path / "trace.jsonl"
    sim.save_trace(path)
    assert "\u2028" in path.read_text(encoding="utf-8")
    assert replay(read_trace(path)) is None


# -- what a step's execution raises --------------------------------------------------------


@pytest.mark.parametrize("fault", [OverflowError, ValueError, TypeError, RecursionError])
def test_a_scenario_fault_while_a_step_runs_becomes_a_scenario_error(
    monkeypatch: pytest.MonkeyPatch, fault: type[Exception]
) -> None:
    sim = kvsim.Simulator()

    def pending() -> list[Any]:
        raise fault("date value out of range")

    monkeypatch.setattr(sim, "pending", pending)
    with pytest.raises(ScenarioError) as caught:
        run_scenario(load_scenario([{"advance": 0}, CREATE]), sim)
    assert str(caught.value) == (
        f"step 1: advance failed: {fault.__name__}: date value out of range"
    )
    assert isinstance(caught.value.__cause__, fault)


def test_a_kvsim_bug_while_a_step_runs_stays_visible(monkeypatch: pytest.MonkeyPatch) -> None:
    sim = kvsim.Simulator()

    def pending() -> list[Any]:
        raise KeyError("a bug")

    monkeypatch.setattr(sim, "pending", pending)
    with pytest.raises(KeyError, match="a bug"):
        run_scenario(load_scenario([CREATE]), sim)


# -- the command line itself ---------------------------------------------------------------


def test_undecodable_standard_input_is_refused(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"[\xff]"), encoding="utf-8"))
    line = refused(capsys, "run", "-")
    assert line.startswith("kvsim run: standard input: cannot read standard input: ")


def test_the_message_stays_one_line_whatever_the_file_name(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = write(tmp_path, "two\nlines.json", '[{"advance": -1}]')
    line = refused(capsys, "run", path)
    assert line.endswith(': step 1: "advance" must be a finite number of seconds >= 0, got -1')


def test_a_reader_that_goes_away_ends_the_run_quietly(tmp_path: Path) -> None:
    # Far more output than a pipe holds, so writing blocks until the reader closes.
    path = write(tmp_path, "long.json", json.dumps([{"advance": 0}] * 20_000))
    process = subprocess.Popen(
        [sys.executable, "-m", "kvsim", "run", path],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None and process.stderr is not None
    with process.stdout, process.stderr:
        first = process.stdout.readline()
        process.stdout.close()
        err = process.stderr.read()
        code = process.wait(timeout=60)
    assert first.startswith(b"kvsim run: ")
    assert err == b""
    assert code == EXIT_BROKEN_PIPE == 141
