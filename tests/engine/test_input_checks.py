"""Simulator seeds and fault-rule arguments: a wrong type is a TypeError, a wrong
value a ValueError, each with a one-line message naming the argument, and a
refused rule is not added."""

from __future__ import annotations

from typing import Any

import pytest

import kvsim
from kvsim.core.constants import MAX_SEED

# -- seeds ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("seed", "shown"),
    [
        (-1, "-1"),
        (-(2**63), "-9223372036854775808"),
        (2**64, "18446744073709551616"),
        (10**100, "an int of 333 bits"),
        (10**5000, "an int of 16610 bits"),  # over Python's 4,300-digit str() limit
        (-(10**5000), "a negative int of 16610 bits"),
    ],
    ids=["-1", "-2**63", "2**64", "10**100", "10**5000", "-10**5000"],
)
def test_seeds_outside_0_to_2_64_are_refused(seed: int, shown: str) -> None:
    with pytest.raises(ValueError) as info:
        kvsim.Simulator(seed=seed)
    assert str(info.value) == f"seed must be in [0, 2**64), got {shown}"


def test_the_largest_seed_makes_a_world_that_snapshots() -> None:
    assert MAX_SEED == 2**64
    sim = kvsim.Simulator(seed=2**64 - 1)
    sim.client().create_stream(StreamName="cam")
    copy = kvsim.Simulator.restore(sim.snapshot())
    assert copy.seed == 2**64 - 1 and copy._dump() == sim._dump()


# -- fault rules ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "message"),
    [
        (
            ("create_stream", []),
            {},
            TypeError,
            "error must be a modeled error code (str) or a ClientError subclass, not list",
        ),
        (
            ("create_stream", None),
            {},
            TypeError,
            "error must be a modeled error code (str) or a ClientError subclass, not NoneType",
        ),
        (
            ("create_stream", ValueError),
            {},
            TypeError,
            "error must be a modeled error code (str) or a ClientError subclass, "
            "not the class ValueError",
        ),
        (
            (None, "ResourceInUseException"),
            {},
            TypeError,
            "operation must be a str (an API or boto3 method name), not NoneType",
        ),
        (
            ([], "ResourceInUseException"),
            {},
            TypeError,
            "operation must be a str (an API or boto3 method name), not list",
        ),
        (
            ("create_stream", "ResourceInUseException"),
            {"times": True},
            TypeError,
            "times must be an int or None, not bool",
        ),
        (
            ("create_stream", "ResourceInUseException"),
            {"times": 1.5},
            TypeError,
            "times must be an int or None, not float",
        ),
        (
            ("create_stream", "ResourceInUseException"),
            {"times": -(10**5000)},
            ValueError,
            "times must be a positive int or None, got a negative int of 16610 bits",
        ),
        (
            ("create_stream", "ResourceInUseException"),
            {"probability": "0.5"},
            TypeError,
            "probability must be a number or None, not str",
        ),
        (
            ("create_stream", "ResourceInUseException"),
            {"probability": True},
            TypeError,
            "probability must be a number or None, not bool",
        ),
        (
            ("create_stream", "ResourceInUseException"),
            {"probability": 10**400},
            ValueError,
            "probability must be in (0, 1] or None, got an int of 1329 bits",
        ),
        (
            ("create_stream", "ResourceInUseException"),
            {"probability": float("nan")},
            ValueError,
            "probability must be in (0, 1] or None, got nan",
        ),
    ],
    ids=lambda value: None,
)
def test_fault_arguments_raise_clear_errors(
    args: tuple[Any, ...], kwargs: dict[str, Any], error: type[Exception], message: str
) -> None:
    sim = kvsim.Simulator()
    with pytest.raises(error) as info:
        sim.faults.add(*args, **kwargs)
    assert str(info.value) == message
    assert not sim.faults


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "message"),
    [
        (
            (None, 1),
            {},
            TypeError,
            "operation must be a str (an API or boto3 method name), not NoneType",
        ),
        (("list_streams", "1"), {}, TypeError, "seconds must be a number, not str"),
        (
            ("list_streams", 10**400),
            {},
            ValueError,
            "seconds must be at most 31536000 seconds (365 days), got an int of 1329 bits",
        ),
        (
            ("list_streams", 1),
            {"times": True},
            TypeError,
            "times must be an int or None, not bool",
        ),
        (
            ("list_streams", 1),
            {"probability": "0.5"},
            TypeError,
            "probability must be a number or None, not str",
        ),
    ],
    ids=lambda value: None,
)
def test_latency_fault_arguments_raise_clear_errors(
    args: tuple[Any, ...], kwargs: dict[str, Any], error: type[Exception], message: str
) -> None:
    sim = kvsim.Simulator()
    with pytest.raises(error) as info:
        sim.faults.add_latency(*args, **kwargs)
    assert str(info.value) == message
    assert not sim.faults


# -- configuration numbers too large for a float --------------------------------------------


def test_huge_ints_in_timings_and_limits_are_value_errors() -> None:
    with pytest.raises(ValueError) as info:
        kvsim.Timings(create_delay=10**400)
    assert str(info.value) == (
        "create_delay must be at most 31536000 seconds (365 days), got an int of 1329 bits"
    )
    with pytest.raises(ValueError) as info:
        kvsim.Limits(rates={"CreateStream": (10**400, None)})
    assert str(info.value) == (
        "rate of CreateStream must be a finite number > 0 or None, got an int of 1329 bits"
    )
