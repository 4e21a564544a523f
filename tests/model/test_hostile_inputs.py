"""Input no one would send still gets a documented error, never a raw Python one."""

from __future__ import annotations

from typing import Any

import pytest

import kvsim


def _deep(levels: int) -> dict[str, Any]:
    top: dict[str, Any] = {}
    level = top
    for _ in range(levels):
        level["k"] = {}
        level = level["k"]
    return top


def test_arguments_nested_deeper_than_the_stack_are_a_param_validation_error() -> None:
    sim = kvsim.Simulator()
    kv = sim.client("kinesisvideo")
    with pytest.raises(kvsim.ParamValidationError) as info:
        kv.create_stream(StreamName="a", Tags=_deep(5_000))
    assert "nested too deeply" in info.value.report
    assert sim._dump() == kvsim.Simulator()._dump()
    assert sim.last_calls(1)[0]["outcome"]["error"] == "ParamValidationError"


@pytest.mark.parametrize(
    ("args", "kind", "shown"),
    [
        ({"StreamName": 10**5000}, kvsim.ParamValidationError, "an int of 16610 bits"),
        (
            {"StreamName": "a", "DataRetentionInHours": -(10**5000)},
            kvsim.ParamValidationError,
            "a negative int of 16610 bits",
        ),
        (
            {"StreamName": "a", "DataRetentionInHours": 10**5000},
            kvsim.errors.InvalidArgumentException,
            "Value 'an int of 16610 bits' at 'dataRetentionInHours'",
        ),
    ],
)
def test_ints_too_long_to_print_are_reported_by_their_size(
    args: dict[str, Any], kind: type[Exception], shown: str
) -> None:
    kv = kvsim.Simulator().client("kinesisvideo")
    with pytest.raises(kind) as info:
        kv.create_stream(**args)
    assert shown in str(info.value)
