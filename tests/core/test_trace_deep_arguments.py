"""Deeply nested arguments: validation refuses them, and the trace stays readable.

The trace keeps 32 levels of containers (the recorded ``args`` or response
is level 1); a container deeper than that is recorded as the string
``"<nested deeper than 32 levels>"``, so reading, saving and reporting a
trace never recurse without bound, whatever a caller sent.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import kvsim
from kvsim.cli import main
from kvsim.core.trace import jsonable, snapshot
from kvsim.scenarios.replay import read_trace

TOO_DEEP = "<nested deeper than 32 levels>"

pytest_plugins = ["pytester"]


def nested(levels: int, container: str = "dict") -> Any:
    """``levels`` containers, one inside the other, around the string ``"x"``."""
    value: Any = "x"
    for _ in range(levels):
        value = {"a": value} if container == "dict" else [value]
    return value


def depth(value: Any) -> int:
    """How many containers deep ``value`` goes (iteratively: the value may be deep)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            deepest = max(deepest, level)
            stack.extend((v, level + 1) for v in item.values())
        elif isinstance(item, list):
            deepest = max(deepest, level)
            stack.extend((v, level + 1) for v in item)
    return deepest


def leaf(value: Any) -> Any:
    """The innermost non-container of a one-path nesting."""
    while isinstance(value, dict | list):
        value = next(iter(value.values())) if isinstance(value, dict) else value[0]
    return value


@pytest.mark.parametrize("levels", [500, 800])
@pytest.mark.parametrize("container", ["dict", "list"])
@pytest.mark.parametrize("member", ["Tags", "DataRetentionInHours"])
def test_a_refused_deep_call_leaves_the_trace_readable(
    tmp_path: Path, levels: int, container: str, member: str
) -> None:
    sim = kvsim.Simulator(seed=1, trace_limit=None)
    kv = sim.client()
    kv.create_stream(StreamName="before")
    with pytest.raises(kvsim.errors.ParamValidationError):
        kv.create_stream(StreamName="deep", **{member: nested(levels, container)})
    kv.describe_stream(StreamName="before")

    trace = sim.trace
    assert [entry["call"] for entry in trace] == ["create_stream"] * 2 + ["describe_stream"]
    refused = trace[1]
    assert refused["outcome"]["error"] == "ParamValidationError"
    args = refused["args"]
    assert args["StreamName"] == "deep"
    # args is level 1, the member's outermost container level 2: 31 of its
    # containers are kept, the 32nd is the placeholder.
    assert depth(args) == 32
    assert leaf(args[member]) == TOO_DEEP
    assert sim.last_calls(2)[0] == refused
    json.dumps(trace)  # JSON-ready all the way down

    path = tmp_path / "trace.jsonl"
    assert sim.save_trace(path) == 3
    saved = [json.loads(line) for line in path.read_text().splitlines()]
    assert saved[2]["args"] == args
    assert read_trace(path).steps  # a saved deep call reads back as a scenario


def test_a_value_at_the_limit_is_kept_whole() -> None:
    sim = kvsim.Simulator(trace_limit=None)
    kv = sim.client()
    kept = nested(31)  # Tags is level 2, so its innermost dict is level 32: kept
    with pytest.raises(kvsim.errors.ParamValidationError):
        kv.create_stream(StreamName="a", Tags=kept)
    assert sim.trace[0]["args"]["Tags"] == kept
    cut = nested(32)
    with pytest.raises(kvsim.errors.ParamValidationError):
        kv.create_stream(StreamName="a", Tags=cut)
    recorded = sim.trace[1]["args"]["Tags"]
    assert depth(recorded) == 31 and leaf(recorded) == TOO_DEEP


def test_a_deep_call_replays_without_crashing(tmp_path: Path) -> None:
    # The placeholder replaces the deep part, so the replayed refusal's message
    # (which quotes the value) differs: --check reports it, and does not crash.
    sim = kvsim.Simulator(seed=2, trace_limit=None)
    kv = sim.client()
    with pytest.raises(kvsim.errors.ParamValidationError):
        kv.create_stream(StreamName="deep", Tags=nested(800))
    path = tmp_path / "trace.jsonl"
    sim.save_trace(path)
    assert main(["run", str(path), "--check"]) == 1


def test_jsonable_is_bounded_too() -> None:
    rendered = jsonable({"v": nested(5000)})
    assert depth(rendered) == 32 and leaf(rendered) == TOO_DEEP
    rendered = jsonable(tuple(nested(5000, "list")))
    assert depth(rendered) == 32 and leaf(rendered) == TOO_DEEP


# -- under the pytest plugin ---------------------------------------------------------------

PLUGIN = ("-p", "no:kvsim", "-p", "kvsim.pytest_plugin")

DEEP_FAILING = """
import pytest

def nested(levels):
    value = "x"
    for _ in range(levels):
        value = {"a": value}
    return value

def test_deep_call_then_failure(kvsim_client):
    try:
        kvsim_client.create_stream(StreamName="cam", Tags=nested(800))
    except Exception as error:
        assert type(error).__name__ == "ParamValidationError"
    assert False, "the code under test went wrong"

def test_later_runs(kvsim_client):
    kvsim_client.list_streams()
"""


def test_a_failing_test_with_a_deep_call_gets_its_kvsim_section(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(test_deep=DEEP_FAILING)
    result = pytester.runpytest(*PLUGIN)
    result.assert_outcomes(passed=1, failed=1)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.no_fnmatch_line("*INTERNALERROR*")
    result.stdout.fnmatch_lines(
        [
            "*_ test_deep_call_then_failure _*",
            "*AssertionError: the code under test went wrong*",
            "*- kvsim -*",
            "last 1 call(s), oldest first:",
            '*create_stream(StreamName="cam", Tags={"a":{"a":*...)'
            " !! ParamValidationError: Invalid type for parameter Tags.a, value: {'a': {*...",
            "*= 1 failed, 1 passed in *",
        ]
    )
    # Each call is one line, its error message cut to 200 characters.
    line = next(line for line in result.stdout.lines if " !! ParamValidationError: " in line)
    assert len(line.split(" !! ParamValidationError: ")[1]) == 200


BROKEN_TRACE = """
def test_fails_with_an_unreadable_trace(kvsim, kvsim_client, monkeypatch):
    kvsim_client.list_streams()

    def broken(self, n=10):
        raise RecursionError("maximum recursion depth exceeded\\nsecond line")

    monkeypatch.setattr(type(kvsim), "last_calls", broken)
    assert False, "went wrong"

def test_later_runs():
    pass
"""


def test_the_kvsim_section_never_raises(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_broken=BROKEN_TRACE)
    result = pytester.runpytest(*PLUGIN)
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.no_fnmatch_line("*INTERNALERROR*")
    result.stdout.fnmatch_lines(
        [
            "*- kvsim -*",
            "seed *",
            "to rerun this world: @pytest.mark.kvsim(seed=*)",
            "(kvsim could not list the last calls: RecursionError: "
            "maximum recursion depth exceeded second line)",
        ]
    )


def test_snapshot_and_jsonable_never_raise() -> None:
    class BadRepr:
        def __repr__(self) -> str:
            raise RuntimeError("no repr")

    deep_tuple: Any = ()
    for _ in range(100_000):
        deep_tuple = (deep_tuple,)
    looped: list[Any] = []
    looped.append(looped)
    for value, expected in [
        (BadRepr(), "<unrepresentable BadRepr: RuntimeError>"),
        ({deep_tuple}, "<unrepresentable set: RecursionError>"),
    ]:
        assert snapshot({"k": value}) == {"k": expected}
        assert jsonable({"k": value}) == {"k": expected}
    kept = snapshot({"k": looped})
    assert depth(kept) == 32 and leaf(kept) == TOO_DEEP
    assert jsonable({BadRepr(): 1}) == {"<unrepresentable BadRepr: RuntimeError>": 1}
    assert jsonable(10**5000) == "<int of 16610 bits>"
