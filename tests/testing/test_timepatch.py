"""Virtual time for the code under test: ``kvsim.testing.timepatch.patch_time(sim)``."""

from __future__ import annotations

import asyncio
import datetime
import math
import sys
import threading
import time
import types
from collections.abc import Iterator
from datetime import UTC, timedelta, timezone

import pytest

import kvsim
from kvsim.testing.timepatch import TimePatch, VirtualDate, VirtualDatetime, is_active, patch_time

START = datetime.datetime(2026, 1, 1, tzinfo=UTC)
START_S = 1_767_225_600
TIME_NAMES = (
    "sleep",
    "time",
    "time_ns",
    "monotonic",
    "monotonic_ns",
    "localtime",
    "gmtime",
    "ctime",
    "strftime",
)
REAL_TIME = {name: getattr(time, name) for name in TIME_NAMES}
REAL_PERF_COUNTER = time.perf_counter
# In a namespace: module globals holding the classes are rebound while patched.
REAL = types.SimpleNamespace(datetime=datetime.datetime, date=datetime.date)


@pytest.fixture
def sim() -> kvsim.Simulator:
    """A world without call latency unless a test says otherwise."""
    return kvsim.Simulator(seed=0, timings=kvsim.Timings(call_latency=0.0))


@pytest.fixture
def patched(sim: kvsim.Simulator) -> Iterator[kvsim.Simulator]:
    with patch_time(sim) as entered:
        yield entered


def assert_unpatched() -> None:
    assert {name: getattr(time, name) for name in TIME_NAMES} == REAL_TIME
    assert time.perf_counter is REAL_PERF_COUNTER
    assert datetime.datetime is REAL.datetime
    assert datetime.date is REAL.date
    assert not is_active()


# -- the time module ------------------------------------------------------------------------


def test_enter_returns_the_simulator_and_exit_restores(sim: kvsim.Simulator) -> None:
    patch = patch_time(sim)
    assert isinstance(patch, TimePatch)
    assert repr(patch).startswith("<kvsim.TimePatch inactive sim=<kvsim.Simulator seed=0")
    with patch as entered:
        assert entered is sim
        assert is_active()
        assert repr(patch).startswith("<kvsim.TimePatch active")
        assert time.sleep is not REAL_TIME["sleep"]
        assert datetime.datetime is VirtualDatetime
        assert datetime.date is VirtualDate
    assert_unpatched()


def test_clock_readings_follow_the_virtual_clock(patched: kvsim.Simulator) -> None:
    assert time.time() == START_S
    assert time.time_ns() == START_S * 10**9
    assert time.monotonic() == START_S
    assert time.monotonic_ns() == START_S * 10**9
    patched.advance(1.25)
    assert time.time() == START_S + 1.25
    assert time.time_ns() == (START_S * 1000 + 1250) * 10**6
    assert time.monotonic() == START_S + 1.25
    assert time.monotonic_ns() == (START_S * 1000 + 1250) * 10**6


def test_struct_time_functions_default_to_the_virtual_clock(patched: kvsim.Simulator) -> None:
    patched.advance(3723)  # 01:02:03
    assert tuple(time.gmtime())[:6] == (2026, 1, 1, 1, 2, 3)
    assert time.gmtime(0).tm_year == 1970  # an explicit time is left alone
    local = patched.now.astimezone()
    assert tuple(time.localtime())[:6] == local.timetuple()[:6]
    assert time.strftime("%Y-%m-%d %H:%M:%S") == local.strftime("%Y-%m-%d %H:%M:%S")
    assert time.strftime("%Y", time.gmtime(0)) == "1970"
    assert time.ctime() == time.asctime(time.localtime())


def test_perf_counter_stays_real(patched: kvsim.Simulator) -> None:
    assert time.perf_counter is REAL_PERF_COUNTER
    assert time.perf_counter() != time.time()


def test_sleep_advances_the_virtual_clock_and_runs_due_changes(sim: kvsim.Simulator) -> None:
    kv = sim.client("kinesisvideo")
    kv.create_stream(StreamName="cam")
    with patch_time(sim):
        time.sleep(1.999)
        assert kv.describe_stream(StreamName="cam")["StreamInfo"]["Status"] == "CREATING"
        time.sleep(0.001)
        assert kv.describe_stream(StreamName="cam")["StreamInfo"]["Status"] == "ACTIVE"
        time.sleep(3600)
    assert sim.now == START + timedelta(seconds=3602)
    assert sim.pending() == []
    assert [entry["advance"] for entry in sim.trace if "advance" in entry] == [1.999, 0.001, 3600]


@pytest.mark.parametrize(
    ("seconds", "advanced_ms"),
    [(0, 0), (0.0, 0), (0.0001, 1), (0.0004, 1), (0.0015, 2), (0.1, 100), (2, 2000), (True, 1000)],
)
def test_sleep_rounds_to_milliseconds_and_positive_sleeps_advance(
    patched: kvsim.Simulator, seconds: float, advanced_ms: int
) -> None:
    time.sleep(seconds)
    assert patched.now == START + timedelta(milliseconds=advanced_ms)


@pytest.mark.parametrize(
    ("seconds", "error", "message"),
    [
        (-1, ValueError, "sleep length must be non-negative"),
        (-0.001, ValueError, "sleep length must be non-negative"),
        (math.nan, ValueError, "Invalid value NaN (not a number)"),
        (math.inf, OverflowError, "sleep length is too large"),
        ("1", TypeError, "sleep length must be a number, not str"),
        (None, TypeError, "sleep length must be a number, not NoneType"),
    ],
)
def test_bad_sleeps_raise_like_time_sleep_and_leave_the_clock(
    patched: kvsim.Simulator, seconds: object, error: type[Exception], message: str
) -> None:
    with pytest.raises(error) as raised:
        time.sleep(seconds)  # type: ignore[arg-type]
    assert str(raised.value) == message
    assert patched.now == START
    with pytest.raises(error):  # the real function agrees on the kind of error
        REAL_TIME["sleep"](seconds)


def test_sleep_in_another_thread_advances_the_clock(patched: kvsim.Simulator) -> None:
    worker = threading.Thread(target=time.sleep, args=(7,))
    worker.start()
    worker.join()
    assert patched.now == START + timedelta(seconds=7)
    assert time.time() == START_S + 7


def test_asyncio_keeps_the_real_clock(patched: kvsim.Simulator) -> None:
    async def nap() -> tuple[str, float]:
        await asyncio.sleep(0.001)
        return "woke", asyncio.get_running_loop().time()

    result, loop_time = asyncio.run(nap())
    assert result == "woke"
    assert loop_time != time.monotonic()  # the loop reads the real monotonic clock
    assert patched.now == START


# -- datetime -------------------------------------------------------------------------------


def test_datetime_now_today_utcnow_follow_the_virtual_clock(patched: kvsim.Simulator) -> None:
    patched.advance(90.5)
    virtual = START + timedelta(seconds=90.5)
    assert datetime.datetime.now(UTC) == virtual
    assert datetime.datetime.now(UTC).isoformat() == "2026-01-01T00:01:30.500000+00:00"
    tokyo = timezone(timedelta(hours=9))
    assert datetime.datetime.now(tokyo).isoformat() == "2026-01-01T09:01:30.500000+09:00"
    assert datetime.datetime.now(tz=tokyo) == virtual
    assert datetime.datetime.utcnow() == datetime.datetime(2026, 1, 1, 0, 1, 30, 500000)
    local = virtual.astimezone().replace(tzinfo=None)
    assert datetime.datetime.now() == local
    assert datetime.datetime.today() == local
    assert datetime.date.today() == local.date()
    # Results are plain datetimes and dates.
    assert type(datetime.datetime.now(UTC)) is REAL.datetime
    assert type(datetime.date.today()) is REAL.date


def test_datetime_follows_sleep(patched: kvsim.Simulator) -> None:
    before = datetime.datetime.now(UTC)
    time.sleep(86_400)
    assert datetime.datetime.now(UTC) - before == timedelta(days=1)
    assert datetime.datetime.now(UTC).date() == datetime.date(2026, 1, 2)


def test_isinstance_works_both_ways(patched: kvsim.Simulator) -> None:
    made_inside = datetime.datetime(2020, 1, 2, 3, 4, 5)
    real = REAL.datetime(2020, 1, 2, 3, 4, 5)
    assert type(made_inside) is REAL.datetime
    assert made_inside == real
    assert isinstance(real, datetime.datetime)
    assert isinstance(made_inside, REAL.datetime)
    assert isinstance(datetime.datetime.now(), datetime.datetime)
    assert isinstance(real, datetime.date)  # a datetime is a date
    assert isinstance(REAL.date(2020, 1, 2), datetime.date)
    assert not isinstance(REAL.date(2020, 1, 2), datetime.datetime)
    assert not isinstance("2020-01-02", datetime.datetime)
    assert issubclass(REAL.datetime, datetime.datetime)
    assert issubclass(datetime.datetime, REAL.datetime)
    assert issubclass(datetime.datetime, datetime.date)
    assert not issubclass(REAL.date, datetime.datetime)
    assert type(datetime.date(2020, 1, 2)) is REAL.date


def test_other_constructors_still_work(patched: kvsim.Simulator) -> None:
    assert datetime.datetime.fromtimestamp(0, UTC) == REAL.datetime(1970, 1, 1, tzinfo=UTC)
    assert datetime.datetime.strptime("2021-03-04", "%Y-%m-%d") == REAL.datetime(2021, 3, 4)
    assert datetime.datetime.fromisoformat("2021-03-04T05:06:07") == REAL.datetime(
        2021, 3, 4, 5, 6, 7
    )
    assert datetime.date.fromisoformat("2021-03-04") == REAL.date(2021, 3, 4)
    assert datetime.datetime.max == REAL.datetime.max


def test_subclass_defined_while_patched_keeps_its_type(patched: kvsim.Simulator) -> None:
    class Stamp(datetime.datetime):
        pass

    now = Stamp.now(UTC)
    assert type(now) is Stamp
    assert now == START
    assert type(Stamp(2020, 1, 1)) is Stamp


def test_module_level_references_are_rebound_and_restored(sim: kvsim.Simulator) -> None:
    module = types.ModuleType("kvsim_test_imported_before")
    exec("from datetime import datetime as DT, date as D, UTC\nOTHER = 1\n", module.__dict__)
    sys.modules[module.__name__] = module
    try:
        with patch_time(sim):
            assert module.DT is VirtualDatetime
            assert module.D is VirtualDate
            assert module.DT.now(module.UTC) == START
            assert module.D.today() == START.astimezone().date()
        assert module.DT is REAL.datetime
        assert module.D is REAL.date
        assert module.OTHER == 1
    finally:
        del sys.modules[module.__name__]


def test_modules_imported_while_patched_get_real_classes_back(sim: kvsim.Simulator) -> None:
    module = types.ModuleType("kvsim_test_imported_during")
    try:
        with patch_time(sim):
            exec("from datetime import datetime, date\n", module.__dict__)
            sys.modules[module.__name__] = module
            assert module.datetime is VirtualDatetime
        assert module.datetime is REAL.datetime
        assert module.date is REAL.date
    finally:
        sys.modules.pop(module.__name__, None)


def test_stray_references_behave_really_after_exit(sim: kvsim.Simulator) -> None:
    with patch_time(sim):
        stray_sleep, stray_time = time.sleep, time.time
        stray_datetime = datetime.datetime
    stray_sleep(0)
    assert sim.now == START
    assert stray_time() != START_S
    before = REAL.datetime.now(UTC)
    now = stray_datetime.now(UTC)
    assert before <= now <= REAL.datetime.now(UTC)
    assert stray_datetime.now(UTC) != START


# -- scope of a patch -----------------------------------------------------------------------


def test_restored_exactly_when_the_block_raises(sim: kvsim.Simulator) -> None:
    with pytest.raises(KeyError, match="boom"), patch_time(sim):
        time.sleep(1)
        raise KeyError("boom")
    assert_unpatched()
    assert sim.now == START + timedelta(seconds=1)


def test_nesting_is_refused_and_leaves_the_outer_patch_intact(sim: kvsim.Simulator) -> None:
    other = kvsim.Simulator(seed=1)
    outer = patch_time(sim)
    with outer:
        with pytest.raises(RuntimeError) as nested, patch_time(other):
            pass  # pragma: no cover
        assert str(nested.value) == (
            f"kvsim: time is already patched (by {sim!r}); patch_time() cannot be nested"
        )
        with pytest.raises(RuntimeError, match=r"already patched \(by this patch\)"), outer:
            pass  # pragma: no cover
        time.sleep(2)
        assert datetime.datetime is VirtualDatetime
    assert sim.now == START + timedelta(seconds=2)
    assert other.now == START
    assert_unpatched()


def test_a_patch_can_be_used_again_after_exit(sim: kvsim.Simulator) -> None:
    patch = patch_time(sim)
    with patch:
        time.sleep(1)
    with patch:
        time.sleep(1)
    assert sim.now == START + timedelta(seconds=2)
    assert_unpatched()


def test_clock_readings_stay_real_outside_any_patch(sim: kvsim.Simulator) -> None:
    assert_unpatched()
    assert VirtualDatetime.now(UTC) != START
    assert REAL.date.today() <= VirtualDate.today()


@pytest.mark.skipif(not hasattr(kvsim.Simulator, "patch_time"), reason="not wired yet")
def test_simulator_method(sim: kvsim.Simulator) -> None:
    with sim.patch_time() as entered:  # type: ignore[attr-defined]
        assert entered is sim
        time.sleep(4)
    assert sim.now == START + timedelta(seconds=4)
    assert_unpatched()


# -- the goal: polling loops and retry back-off in no real time -----------------------------


def wait_until_active(client: object, name: str, *, timeout: float, interval: float) -> str:
    """Code under test: poll DescribeStream until ACTIVE, sleeping between polls."""
    deadline = time.monotonic() + timeout
    while True:
        status: str = client.describe_stream(StreamName=name)["StreamInfo"]["Status"]  # type: ignore[attr-defined]
        if status == "ACTIVE":
            return status
        if time.monotonic() + interval > deadline:
            raise TimeoutError(f"{name} is still {status}")
        time.sleep(interval)


def test_polling_loop_runs_deterministically_on_the_virtual_clock() -> None:
    timings = kvsim.Timings(create_delay=30.0, call_latency=0.05)
    sim = kvsim.Simulator(seed=3, timings=timings)
    kv = sim.client("kinesisvideo")
    with patch_time(sim):
        kv.create_stream(StreamName="cam")  # 0.00 → 0.05
        assert wait_until_active(kv, "cam", timeout=120, interval=5) == "ACTIVE"
    # Polls at 0.05, 5.10, 10.15, ..., 30.35 (each poll takes 0.05, then 5 s of sleep).
    polls = [entry["at"] for entry in sim.trace if entry.get("call") == "describe_stream"]
    assert len(polls) == 7
    assert polls[0] == "2026-01-01T00:00:00.050000+00:00"
    assert polls[-1] == "2026-01-01T00:00:30.350000+00:00"
    assert sim.now == START + timedelta(seconds=30.4)


def test_polling_loop_times_out_on_the_virtual_clock() -> None:
    sim = kvsim.Simulator(seed=3, timings=kvsim.Timings(create_delay=600.0, call_latency=0.0))
    kv = sim.client("kinesisvideo")
    with patch_time(sim):
        kv.create_stream(StreamName="cam")
        with pytest.raises(TimeoutError, match="cam is still CREATING"):
            wait_until_active(kv, "cam", timeout=60, interval=10)
    assert sim.now == START + timedelta(seconds=60)


def test_botocore_retry_sleeps_on_the_virtual_clock() -> None:
    pytest.importorskip("boto3")
    boto = pytest.importorskip("kvsim.boto")
    sim = kvsim.Simulator(seed=0)
    kv = boto.client(sim)
    delays: list[int] = []

    def retry_throttled(response: object, attempts: int, **kwargs: object) -> float | None:
        # A back-off for an error botocore itself would not retry.
        parsed = response[1] if isinstance(response, tuple) else {}
        if parsed.get("Error", {}).get("Code") == "ClientLimitExceededException":
            delays.append(attempts)
            return 1.5 * attempts
        return None

    kv.meta.events.register("needs-retry.kinesis-video.DescribeStream", retry_throttled)
    kv.create_stream(StreamName="cam")  # 0.00 → 0.05
    sim.faults.add("describe_stream", "ClientLimitExceededException", times=2)
    with patch_time(sim):
        response = kv.describe_stream(StreamName="cam")
    assert response["ResponseMetadata"]["RetryAttempts"] == 2
    assert delays == [1, 2]
    attempts = [
        (entry["at"], entry["outcome"].get("error"))
        for entry in sim.trace
        if entry.get("call") == "describe_stream"
    ]
    assert attempts == [
        ("2026-01-01T00:00:00.050000+00:00", "ClientLimitExceededException"),
        ("2026-01-01T00:00:01.600000+00:00", "ClientLimitExceededException"),
        ("2026-01-01T00:00:04.650000+00:00", None),
    ]
    # The stream became ACTIVE during the back-off (create_delay 2 s).
    assert response["StreamInfo"]["Status"] == "ACTIVE"
    assert sim.now == START + timedelta(seconds=4.7)
