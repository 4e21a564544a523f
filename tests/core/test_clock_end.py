"""The virtual clock's range: it starts no earlier than the epoch, ends at
9999-12-31T23:59:59.999Z, and every input that would carry it (or a due time)
past the end is refused with ValueError before anything changes."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

import kvsim
from kvsim.core.clock import from_ms, seconds_to_ms
from kvsim.core.constants import LAST_CALL_MS, LAST_START_MS, MAX_DELAY_MS, MAX_MS
from kvsim.core.kernel import Kernel, Transition
from kvsim.engine.faults import Fault

END = "9999-12-31T23:59:59.999Z"
YEAR = 365 * 86_400  # seconds: the longest configured duration
LAST_CALL = datetime(9997, 12, 31, 23, 59, 59, 999000, tzinfo=UTC)
LAST_START = datetime(9996, 12, 31, 23, 59, 59, 999000, tzinfo=UTC)


def test_the_range_constants() -> None:
    assert from_ms(MAX_MS) == datetime(9999, 12, 31, 23, 59, 59, 999000, tzinfo=UTC)
    assert from_ms(LAST_CALL_MS) == LAST_CALL
    assert from_ms(LAST_START_MS) == LAST_START
    assert MAX_DELAY_MS == YEAR * 1000
    with pytest.raises(OverflowError):  # one millisecond more is not a datetime
        from_ms(MAX_MS + 1)


# -- durations ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [
        (3e11, "300000000000.0"),
        (1e300, "1e+300"),
        (1.7e308, "1.7e+308"),  # times 1000 is infinite
        (253_402_300_800, "253402300800"),
        (10**400, "an int of 1329 bits"),  # too large for a float
        (10**5000, "an int of 16610 bits"),  # too long for str()
    ],
    ids=["3e11", "1e300", "1.7e308", "MAX_MS+1", "10**400", "10**5000"],
)
def test_seconds_to_ms_refuses_durations_longer_than_the_clock(seconds: float, shown: str) -> None:
    with pytest.raises(ValueError) as info:
        seconds_to_ms(seconds)
    assert str(info.value) == (
        f"seconds must be at most 253402300799.999 seconds (the virtual clock ends at {END}), "
        f"got {shown}"
    )


def test_seconds_to_ms_takes_the_whole_range_and_a_smaller_limit() -> None:
    assert seconds_to_ms(253_402_300_799.999) == MAX_MS
    assert seconds_to_ms(YEAR, limit_ms=MAX_DELAY_MS) == MAX_DELAY_MS
    with pytest.raises(ValueError, match=r"^x must be at most 31536000 seconds \(365 days\)"):
        seconds_to_ms(YEAR + 0.001, what="x", limit_ms=MAX_DELAY_MS)


@pytest.mark.parametrize("name", ["create_delay", "update_delay", "delete_delay", "call_latency"])
def test_timings_refuse_more_than_365_days(name: str) -> None:
    assert getattr(kvsim.Timings(**{name: YEAR}), name) == YEAR
    for value in (YEAR + 0.001, 1e300, 1.7e308):
        with pytest.raises(ValueError) as info:
            kvsim.Timings(**{name: value})
        assert str(info.value) == (
            f"{name} must be at most 31536000 seconds (365 days), got {value!r}"
        )


def test_latency_faults_refuse_more_than_365_days_per_call() -> None:
    sim = kvsim.Simulator()
    with pytest.raises(ValueError) as info:
        sim.faults.add_latency("describe_stream", 1e300)
    assert str(info.value) == "seconds must be at most 31536000 seconds (365 days), got 1e+300"
    # The rules of one operation add up in one call: their sum is bounded too.
    sim.faults.add_latency("describe_stream", 200 * 86_400)
    with pytest.raises(ValueError) as info:
        sim.faults.add_latency("DescribeStream", 200 * 86_400)
    assert str(info.value) == (
        "the latency faults of DescribeStream would add 34560000 seconds to one call; "
        "the most is 31536000 seconds (365 days)"
    )
    assert len(sim.faults.rules) == 1
    sim.faults.add_latency("list_streams", 200 * 86_400)  # another operation's budget
    sim.faults.add_latency("describe_stream", 165 * 86_400)  # exactly 365 days in all
    # A rule that can no longer fire counts no more.
    sim.faults.clear()
    sim.faults.add_latency("list_streams", YEAR, times=1)
    sim.client().list_streams()
    sim.faults.add_latency("list_streams", YEAR)


def test_a_saved_latency_fault_over_365_days_is_refused() -> None:
    sim = kvsim.Simulator()
    data = sim.faults.add_latency("list_streams", YEAR).to_json()
    assert Fault.from_json(data).latency_ms == MAX_DELAY_MS
    for latency_ms in (MAX_DELAY_MS + 1, -1, 10**5000):
        with pytest.raises(ValueError, match=r"^latency_ms must be in \[0, 31536000000\], got "):
            Fault.from_json({**data, "latency_ms": latency_ms})


# -- start ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "start",
    [
        datetime(1969, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
        datetime(1, 1, 1, tzinfo=UTC),
        datetime.min.replace(tzinfo=timezone(timedelta(hours=5))),  # before year 1 in UTC
    ],
)
def test_start_before_the_epoch_is_refused(start: datetime) -> None:
    with pytest.raises(ValueError) as info:
        kvsim.Simulator(start=start)
    assert str(info.value) == (
        "start must be at or after 1970-01-01T00:00:00Z (stream ARNs carry their creation "
        f"time in epoch milliseconds), got {start.isoformat()}"
    )


@pytest.mark.parametrize(
    "start",
    [
        datetime(9997, 1, 1, tzinfo=UTC),
        datetime(9998, 1, 1, tzinfo=UTC),
        datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC),
        datetime.max.replace(tzinfo=UTC),
        datetime.max.replace(tzinfo=timezone(timedelta(hours=-5))),  # after 9999 in UTC
    ],
)
def test_start_later_than_a_year_before_calls_stop_is_refused(start: datetime) -> None:
    with pytest.raises(ValueError) as info:
        kvsim.Simulator(start=start)
    assert str(info.value) == (
        "start must be at or before 9996-12-31T23:59:59.999Z (a year before API calls stop at "
        f"9997-12-31T23:59:59.999Z; the clock ends at {END}), got {start.isoformat()}"
    )


def test_the_first_and_last_starts_make_describable_streams() -> None:
    for start, created in ((kvsim.core.constants.EPOCH, 0), (LAST_START, LAST_START_MS)):
        sim = kvsim.Simulator(start=start)
        kv = sim.client()
        arn = kv.create_stream(StreamName="cam")["StreamARN"]
        assert arn.endswith(f"/cam/{created}")
        assert kv.describe_stream(StreamARN=arn)["StreamInfo"]["StreamARN"] == arn


# -- advancing to the end -------------------------------------------------------------------


def _state(sim: kvsim.Simulator) -> Any:
    return sim.now, sim._dump(), json.dumps(sim.trace), sim.pending()


@pytest.mark.parametrize("seconds", [3e11, 2.53e11, 10**12])
def test_advancing_past_the_end_is_refused_and_changes_nothing(seconds: float) -> None:
    sim = kvsim.Simulator(trace_limit=None)
    sim.client().create_stream(StreamName="cam")
    before = _state(sim)
    with pytest.raises(ValueError, match=f"the virtual clock ends at {END}"):
        sim.advance(seconds)
    assert _state(sim) == before
    sim._check()


def test_a_clock_near_the_end_refuses_the_advance_that_would_cross_it() -> None:
    sim = kvsim.Simulator(start=LAST_START, trace_limit=None)
    sim.advance(3 * YEAR)  # to the very last millisecond: allowed
    assert sim.now == from_ms(MAX_MS)
    before = _state(sim)
    with pytest.raises(ValueError) as info:
        sim.advance(0.001)
    assert str(info.value) == (
        f"can't advance the clock 0.001 seconds from {END}: the virtual clock ends at {END}"
    )
    assert _state(sim) == before
    # The world is whole: time reads, snapshots and replays still work.
    assert kvsim.Simulator.restore(sim.snapshot()).now == from_ms(MAX_MS)
    assert sim.advance(0) == 0 and sim.step() is None and sim.run_until_idle() == 0


# -- calls near the end ---------------------------------------------------------------------


def test_the_longest_call_at_the_last_call_instant_ends_on_the_last_millisecond() -> None:
    sim = kvsim.Simulator(
        start=LAST_START,
        timings=kvsim.Timings(create_delay=YEAR, call_latency=YEAR),
        trace_limit=None,
    )
    sim.advance(YEAR)
    assert sim.now == LAST_CALL
    sim.faults.add_latency("create_stream", YEAR)
    kv = sim.client()
    arn = kv.create_stream(StreamName="cam")["StreamARN"]
    assert sim.now == from_ms(MAX_MS)
    assert sim.run_until_idle() == 0  # its change fell due on the way
    before = _state(sim)
    # Past LAST_CALL_MS a call is refused before anything happens: no request
    # id, no trace entry, no time, no change.
    with pytest.raises(ValueError) as info:
        kv.describe_stream(StreamARN=arn)
    assert str(info.value) == (
        f"no API call can start at {END}: calls must start by 9997-12-31T23:59:59.999Z, so "
        f"that their latency and delays (up to 365 days each) end by {END}"
    )
    with pytest.raises(ValueError, match="no API call can start"):
        kv.create_stream(StreamName="other")
    assert _state(sim) == before
    assert sim.runtime.calls == 1
    sim._check()


def test_calls_stop_one_millisecond_after_the_last_call_instant() -> None:
    sim = kvsim.Simulator(start=LAST_START, timings=kvsim.Timings(call_latency=0))
    sim.advance(YEAR)
    kv = sim.client()
    kv.create_stream(StreamName="a")  # at LAST_CALL_MS: allowed
    sim.advance(0.001)
    before = _state(sim)
    with pytest.raises(ValueError, match=r"^no API call can start at 9998-01-01T00:00:00Z: "):
        kv.create_stream(StreamName="b")
    assert _state(sim) == before
    # Changes already queued still run, up to the end.
    assert sim.run_until_idle() == 1


# -- the kernel -----------------------------------------------------------------------------


class _Thing:
    pending = 0
    resource_id = "thing"
    location = ("123456789012", "us-east-1")


_DONE = Transition("thing.done", "A", "B", lambda kernel, thing: None, family="things")


def test_kernel_schedule_refuses_a_negative_delay_and_a_due_time_past_the_end() -> None:
    kernel = Kernel(seed=0, start_ms=MAX_MS - 10)
    thing = _Thing()
    with pytest.raises(ValueError) as info:
        kernel.schedule(thing, _DONE, -1)
    assert str(info.value) == "delay_ms must be >= 0 (the clock never goes back), got -1"
    with pytest.raises(ValueError) as info:
        kernel.schedule(thing, _DONE, 11)
    assert str(info.value) == (
        f"can't schedule a change 0.011 seconds after 9999-12-31T23:59:59.989Z: "
        f"the virtual clock ends at {END}"
    )
    assert len(kernel.queue) == 0 and kernel.queue.last_seq == 0
    thing.pending = kernel.schedule(thing, _DONE, 10)  # due on the last millisecond
    assert kernel.advance_ms(10) == 1 and kernel.now_ms == MAX_MS


def test_kernel_advance_refuses_going_back_or_past_the_end() -> None:
    kernel = Kernel(seed=0, start_ms=MAX_MS - 10)
    with pytest.raises(ValueError, match=r"^time can't go backwards: ms must be >= 0, got -1$"):
        kernel.advance_ms(-1)
    with pytest.raises(ValueError, match=f"the virtual clock ends at {END}$"):
        kernel.advance_ms(11)
    with pytest.raises(ValueError, match="the virtual clock ends at"):
        kernel.advance_ms(10**400)
    assert kernel.now_ms == MAX_MS - 10
    kernel.advance_ms(10)
    assert kernel.now_ms == MAX_MS
