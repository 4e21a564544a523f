"""The virtual clock, the queue of scheduled changes, and Timings/Limits/Simulator validation."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

import kvsim
from kvsim.engine.client import KinesisVideoClient

ACCOUNT = "123456789012"


def frozen(**timings: Any) -> tuple[kvsim.Simulator, KinesisVideoClient]:
    """A world whose calls take no virtual time (plus any other timings)."""
    sim = kvsim.Simulator(timings=kvsim.Timings(call_latency=0, **timings))
    return sim, sim.client("kinesisvideo")


def at(seconds: float) -> datetime:
    """DEFAULT_START plus ``seconds``."""
    return kvsim.DEFAULT_START + timedelta(seconds=seconds)


# -- now and start ----------------------------------------------------------------------------


def test_clock_starts_at_the_default_start_in_utc(sim: kvsim.Simulator) -> None:
    assert datetime(2026, 1, 1, tzinfo=UTC) == kvsim.DEFAULT_START
    assert sim.now == kvsim.DEFAULT_START
    assert sim.now.tzinfo is not None
    assert sim.now.utcoffset() == timedelta(0)
    assert repr(sim) == "<kvsim.Simulator seed=0 now=2026-01-01T00:00:00+00:00>"


def test_start_in_another_zone_is_reported_in_utc() -> None:
    start = datetime(2025, 7, 1, 14, 30, tzinfo=timezone(timedelta(hours=2)))
    sim = kvsim.Simulator(start=start)
    assert sim.now == start
    assert sim.now.utcoffset() == timedelta(0)
    assert sim.now.isoformat() == "2025-07-01T12:30:00+00:00"


def test_naive_or_non_datetime_start_is_refused() -> None:
    with pytest.raises(ValueError, match="start must be a timezone-aware datetime, got naive"):
        kvsim.Simulator(start=datetime(2026, 1, 1))
    with pytest.raises(TypeError, match="start must be a datetime, not str"):
        kvsim.Simulator(start="2026-01-01")  # type: ignore[arg-type]


# -- advance ----------------------------------------------------------------------------------


def test_advance_moves_whole_milliseconds(sim: kvsim.Simulator) -> None:
    assert sim.advance(0) == 0
    assert sim.now == kvsim.DEFAULT_START
    sim.advance(0.001)
    sim.advance(2)
    sim.advance(3600)
    assert sim.now == at(3602.001)


@pytest.mark.parametrize(
    ("seconds", "error", "message"),
    [
        (-1, ValueError, "time can't go backwards: seconds must be >= 0, got -1"),
        (-0.5, ValueError, "time can't go backwards: seconds must be >= 0, got -0.5"),
        (math.nan, ValueError, "seconds must be finite, got nan"),
        (math.inf, ValueError, "seconds must be finite, got inf"),
        ("1", TypeError, "seconds must be a number, not str"),
        (True, TypeError, "seconds must be a number, not bool"),
    ],
)
def test_advance_refuses_bad_durations(
    sim: kvsim.Simulator, seconds: Any, error: type[Exception], message: str
) -> None:
    with pytest.raises(error) as info:
        sim.advance(seconds)
    assert str(info.value) == message
    assert sim.now == kvsim.DEFAULT_START


def test_advance_runs_due_changes_in_due_then_insertion_order() -> None:
    sim, kv = frozen()
    b = kv.create_stream(StreamName="b")["StreamARN"]  # due 2.0
    a = kv.create_stream(StreamName="a")["StreamARN"]  # due 2.0, queued after b
    sim.advance(0.5)
    c = kv.create_stream(StreamName="c")["StreamARN"]  # due 2.5
    sim.advance(0.2)
    # Equal due times keep the order the changes were queued in (b before a).
    assert [(p.due, p.resource) for p in sim.pending()] == [
        (at(2), b),
        (at(2), a),
        (at(2.5), c),
    ]
    assert sim.advance(1.29) == 0  # t = 1.99
    assert sim.advance(0.01) == 2  # t = 2.0: b and a
    assert [s["Status"] for s in kv.list_streams()["StreamInfoList"]] == [
        "ACTIVE",
        "ACTIVE",
        "CREATING",
    ]
    assert sim.advance(10) == 1
    assert sim.now == at(12)  # lands on the target, not the last change
    assert sim.pending() == []
    sim._check()


def test_step_runs_each_change_at_its_own_due_time() -> None:
    sim, kv = frozen(update_delay=3)
    kv.create_stream(StreamName="x")
    sim.advance(0.25)
    kv.create_stream(StreamName="y")
    first = sim.step()
    assert first is not None
    assert (first.due, first.transition) == (at(2), "CREATING -> ACTIVE")
    assert sim.now == at(2)
    # Something done at the first change's time schedules from that time.
    version = kv.describe_stream(StreamName="x")["StreamInfo"]["Version"]
    kv.update_stream(StreamName="x", CurrentVersion=version, DeviceName="d")
    second, third = sim.step(), sim.step()
    assert second is not None and third is not None
    assert (second.due, second.transition) == (at(2.25), "CREATING -> ACTIVE")
    assert (third.due, third.transition) == (at(5), "UPDATING -> ACTIVE")
    assert sim.now == at(5)
    assert sim.step() is None
    assert sim.now == at(5)  # an idle step does not move the clock
    sim._check()


def test_step_returns_a_full_scheduled_change(sim: kvsim.Simulator) -> None:
    kv = sim.client("kinesisvideo", region_name="us-gov-west-1", account_id="111122223333")
    arn = kv.create_stream(StreamName="cam")["StreamARN"]
    assert sim.step() == kvsim.ScheduledChange(
        due=at(2),
        account_id="111122223333",
        region_name="us-gov-west-1",
        resource=arn,
        transition="CREATING -> ACTIVE",
    )


# -- call latency -----------------------------------------------------------------------------


def test_every_call_takes_call_latency(sim: kvsim.Simulator, kv: KinesisVideoClient) -> None:
    kv.create_stream(StreamName="a")
    kv.describe_stream(StreamName="a")
    kv.list_streams()
    assert sim.now == at(0.15)
    with pytest.raises(kvsim.errors.ResourceNotFoundException):
        kv.describe_stream(StreamName="nope")
    assert sim.now == at(0.2)  # a service error took time too
    with pytest.raises(kvsim.ParamValidationError):
        kv.describe_stream(Bogus=1)
    assert sim.now == at(0.2)  # never sent: no time


def test_zero_latency_freezes_the_clock() -> None:
    sim, kv = frozen()
    for i in range(10):
        kv.create_stream(StreamName=f"s{i}")
        kv.describe_stream(StreamName=f"s{i}")
    assert sim.now == kvsim.DEFAULT_START
    assert len(sim.pending()) == 10


def test_call_latency_runs_changes_that_fall_due() -> None:
    sim = kvsim.Simulator(timings=kvsim.Timings(create_delay=0.1, call_latency=0.06))
    kv = sim.client("kinesisvideo")
    kv.create_stream(StreamName="a")  # t 0 -> 0.06
    assert kv.describe_stream(StreamName="a")["StreamInfo"]["Status"] == "CREATING"  # at 0.06
    assert kv.describe_stream(StreamName="a")["StreamInfo"]["Status"] == "ACTIVE"  # at 0.12
    sim._check()


def test_zero_delays_apply_within_the_call() -> None:
    sim = kvsim.Simulator(timings=kvsim.Timings(create_delay=0, delete_delay=0, call_latency=0))
    kv = sim.client("kinesisvideo")
    arn = kv.create_stream(StreamName="a")["StreamARN"]
    assert kv.describe_stream(StreamName="a")["StreamInfo"]["Status"] == "ACTIVE"
    kv.delete_stream(StreamARN=arn)
    # A deletion holds the name for at least 1 ms, so incarnations never share
    # an ARN (tests/services/test_incarnations.py); then it is gone.
    assert kv.describe_stream(StreamName="a")["StreamInfo"]["Status"] == "DELETING"
    sim.advance(0.001)
    with pytest.raises(kvsim.errors.ResourceNotFoundException):
        kv.describe_stream(StreamName="a")
    assert sim.pending() == []
    sim._check()


# -- pending, stale changes and run_until_idle ------------------------------------------------


def test_pending_lists_every_kind_in_run_order() -> None:
    sim, kv = frozen(create_delay=5, update_delay=1, delete_delay=3)
    kv.create_stream(StreamName="creating")
    kv.create_stream(StreamName="u")
    kv.create_stream(StreamName="d")
    sim.run_until_idle()
    version = kv.describe_stream(StreamName="u")["StreamInfo"]["Version"]
    d_arn = kv.describe_stream(StreamName="d")["StreamInfo"]["StreamARN"]
    kv.create_stream(StreamName="creating2")
    kv.delete_stream(StreamARN=d_arn)
    kv.update_stream(StreamName="u", CurrentVersion=version, DeviceName="x")
    pending = sim.pending()
    assert all(isinstance(p, kvsim.ScheduledChange) for p in pending)
    assert [(p.due, p.transition) for p in pending] == [
        (at(6), "UPDATING -> ACTIVE"),
        (at(8), "DELETING -> DELETED"),
        (at(10), "CREATING -> ACTIVE"),
    ]
    assert all((p.account_id, p.region_name) == (ACCOUNT, "us-east-1") for p in pending)
    assert sim.pending() == pending  # looking does not consume
    sim._check()


def test_stale_changes_are_neither_listed_nor_run() -> None:
    sim, kv = frozen()
    arn = kv.create_stream(StreamName="a")["StreamARN"]  # CREATING -> ACTIVE due 2.0
    kv.delete_stream(StreamARN=arn)  # DELETING -> DELETED due 1.0
    assert [p.transition for p in sim.pending()] == ["DELETING -> DELETED"]
    assert sim.advance(1) == 1
    sim.advance(0.5)
    # Same name again: the old creation (due 2.0) must not touch the new stream.
    kv.create_stream(StreamName="a")
    assert sim.advance(1) == 0  # t = 2.5
    assert kv.describe_stream(StreamName="a")["StreamInfo"]["Status"] == "CREATING"
    assert sim.run_until_idle() == 1
    assert sim.now == at(3.5)
    sim._check()


def test_run_until_idle_counts_and_lands_on_the_last_change(sim: kvsim.Simulator) -> None:
    assert sim.run_until_idle() == 0
    assert sim.now == kvsim.DEFAULT_START
    kv = sim.client("kinesisvideo")
    for name in ("a", "b", "c"):
        kv.create_stream(StreamName=name)  # due 2.00, 2.05, 2.10
    assert sim.run_until_idle() == 3
    assert sim.now == at(2.1)
    assert sim.run_until_idle() == 0
    sim._check()


# -- Timings, Limits and Simulator arguments --------------------------------------------------


def test_timings_defaults() -> None:
    assert kvsim.Timings() == kvsim.Timings(
        create_delay=2.0, update_delay=1.0, delete_delay=1.0, call_latency=0.05
    )


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        (
            {"create_delay": -1},
            ValueError,
            "create_delay must be a finite number of seconds >= 0, got -1",
        ),
        (
            {"update_delay": math.inf},
            ValueError,
            "update_delay must be a finite number of seconds >= 0, got inf",
        ),
        (
            {"delete_delay": math.nan},
            ValueError,
            "delete_delay must be a finite number of seconds >= 0, got nan",
        ),
        ({"call_latency": "0"}, TypeError, "call_latency must be a number of seconds, not str"),
        ({"call_latency": True}, TypeError, "call_latency must be a number of seconds, not bool"),
        (
            {"create_delay": None},
            TypeError,
            "create_delay must be a number of seconds, not NoneType",
        ),
    ],
)
def test_timings_validation(kwargs: dict[str, Any], error: type[Exception], message: str) -> None:
    with pytest.raises(error) as info:
        kvsim.Timings(**kwargs)
    assert str(info.value) == message


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        (
            {"max_streams_per_account": -1},
            ValueError,
            "max_streams_per_account must be >= 0, got -1",
        ),
        (
            {"max_streams_per_account": 1.5},
            TypeError,
            "max_streams_per_account must be an int or None, not float",
        ),
        (
            {"max_tags_per_resource": None},
            TypeError,
            "max_tags_per_resource must be an int, not NoneType",
        ),
        ({"max_streams_per_device": -2}, ValueError, "max_streams_per_device must be >= 0, got -2"),
        (
            {"max_data_retention_hours": "10"},
            TypeError,
            "max_data_retention_hours must be an int, not str",
        ),
        ({"throttling": 1}, TypeError, "throttling must be a bool, not int"),
        ({"rates": [("CreateStream", (1, None))]}, TypeError, "rates must be a mapping, not list"),
        (
            {"rates": {"CreateStream": 5}},
            TypeError,
            "rate of CreateStream must be a (account_tps, stream_tps) tuple, got 5",
        ),
        (
            {"rates": {"CreateStream": (0, None)}},
            ValueError,
            "rate of CreateStream must be a finite number > 0 or None, got 0",
        ),
        (
            {"rates": {"DescribeStream": (300, -5)}},
            ValueError,
            "rate of DescribeStream must be a finite number > 0 or None, got -5",
        ),
        (
            {"rates": {"DescribeStream": ("300", 5)}},
            TypeError,
            "rate of DescribeStream must be a number or None, not str",
        ),
    ],
)
def test_limits_validation(kwargs: dict[str, Any], error: type[Exception], message: str) -> None:
    with pytest.raises(error) as info:
        kvsim.Limits(**kwargs)
    assert str(info.value) == message


def test_limits_unknown_operation_names_the_known_ones() -> None:
    with pytest.raises(
        ValueError, match=r"^unknown operation in rates: 'PutMedia'; kvsim simulates CreateStream, "
    ):
        kvsim.Limits(rates={"PutMedia": (1, 1)})


def test_limits_repr_is_valid_python() -> None:
    limits = kvsim.Limits(max_streams_per_device=3, rates={"CreateStream": (100, None)})
    assert eval(repr(limits), {"Limits": kvsim.Limits}) == limits
    assert limits.rate("CreateStream") == (100, None)
    assert limits.rate("DescribeStream") == (300, 5)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"seed": "1"}, "seed must be an int, not str"),
        ({"seed": True}, "seed must be an int, not bool"),
        ({"limits": {"throttling": False}}, "limits must be a kvsim.Limits, not dict"),
        ({"timings": kvsim.Limits()}, "timings must be a kvsim.Timings, not Limits"),
    ],
)
def test_simulator_argument_types(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(TypeError) as info:
        kvsim.Simulator(**kwargs)
    assert str(info.value) == message


def test_client_arguments_are_checked(sim: kvsim.Simulator) -> None:
    with pytest.raises(ValueError, match="kvsim does not simulate service 's3'"):
        sim.client("s3")
    with pytest.raises(ValueError, match="account_id must be 12 digits, got '123'"):
        sim.client("kinesisvideo", account_id="123")
    with pytest.raises(ValueError, match="region_name must look like 'us-east-1', got 'mars'"):
        sim.client("kinesisvideo", region_name="mars")
