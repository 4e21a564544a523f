"""Whole workloads: a device fleet over one virtual day, and the hypothesis state machine.

``fleet``: ``Plan.fleet_devices`` (10,000) devices provision themselves in one
account over one virtual day, with AWS's default quotas and throttling on. Each
device boots at a seeded instant of the first minute (a roll-out burst, well
above CreateStream's 50 TPS), then: ``create_stream`` (its own stream, on its
device, ``video/h264``); ``describe_stream`` every second until ``ACTIVE``;
``tag_stream`` (two tags); ``update_data_retention`` to 24 hours with the
version it last saw; then a ``describe_stream`` heartbeat every 6 hours until
the day ends. A throttled call (``ClientLimitExceededException``) is retried
after a seeded exponential back-off (0.2 s doubling, up to 20 s, with jitter).
The driver keeps one queue of device events and moves the simulator's clock
to each (``sim.advance``); calls take ``call_latency=0.002`` s of virtual time
(a fast network), so the burst really meets the rate limits. The
simulator keeps its default call trace (``trace_limit=10_000``). A batch is one
whole day; the table reports its calls per second, and the target is the
median day's wall-clock time. The run is checked: every stream ACTIVE at 24
hours of retention, ``sim._check()`` clean, the same call count every day.

``fleet_boto``: the same day through ``kvsim.boto`` with a real boto3 client,
for ``Plan.fleet_boto_devices`` devices (botocore's request path costs
~100 µs a call, so 10,000 devices would take minutes per day).

``stateful``: steps per second of :class:`kvsim.stateful.KinesisVideoStateMachine`
run by hypothesis (``derandomize=True``, generate phase only), a step being one
rule or initialize call; hypothesis' own generation is part of the cost.
"""

from __future__ import annotations

import heapq
import random
import statistics
import sys
import warnings
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: python benchmarks/bench_more.py
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import kvsim
from benchmarks.harness import (
    ACCOUNT,
    INSTALL_HINT,
    REGION,
    SEED,
    Context,
    Runner,
    Target,
    optional,
)

SCENARIOS = {
    "fleet": "10,000 devices provision over one virtual day, throttling on (facade)",
    "fleet_boto": "the fleet day through kvsim.boto and a real boto3 client (fewer devices)",
    "stateful": "steps/s of the hypothesis state machine kvsim.stateful.KinesisVideoStateMachine",
}
DAY = 86_400.0
#: The roll-out lasts this long per 10,000 devices (the same burst rate at any size).
ROLLOUT = 60.0
HEARTBEAT = 6 * 3_600.0
POLL = 1.0
RETENTION = 24
FLEET_TIMINGS = kvsim.Timings(call_latency=0.002)
FLEET_SECONDS_TARGET = 10.0

CREATE, POLLING, TAG, RETAIN, HEARTBEATING = range(5)


class Fleet:
    """One virtual day of ``devices`` devices provisioning through ``client``."""

    def __init__(self, sim: kvsim.Simulator, client: Any, devices: int, seed: int) -> None:
        self.sim = sim
        self.client = client
        self.devices = devices
        self.rng = random.Random(seed)
        self.calls = 0
        self.throttled = 0
        self.versions: dict[int, str] = {}
        self.attempts = [0] * devices

    def run(self) -> int:
        """Play the day; returns how many calls were made."""
        sim, rng, client = self.sim, self.rng, self.client
        throttle = client.exceptions.ClientLimitExceededException
        start = sim.now
        rollout = ROLLOUT * self.devices / 10_000
        queue = [(rng.random() * rollout, d, d, CREATE) for d in range(self.devices)]
        heapq.heapify(queue)
        seq = self.devices
        while queue:
            due, _, device, stage = heapq.heappop(queue)
            now = (sim.now - start).total_seconds()
            if due > now:
                sim.advance(due - now)
                now = due
            self.calls += 1
            try:
                after, stage = self.act(device, stage, now)
            except throttle:
                self.throttled += 1
                tries = self.attempts[device] = self.attempts[device] + 1
                after = min(20.0, 0.2 * 2**tries) * (0.5 + rng.random())
            else:
                self.attempts[device] = 0
            if after is not None:
                seq += 1
                heapq.heappush(queue, (now + after, seq, device, stage))
        sim.advance(max(0.0, DAY - (sim.now - start).total_seconds()))
        return self.calls

    def act(self, device: int, stage: int, now: float) -> tuple[float | None, int]:
        """Make ``device``'s next call; returns (seconds until its next one, its stage)."""
        client, name = self.client, f"cam-{device:05d}"
        if stage == CREATE:
            client.create_stream(
                StreamName=name, DeviceName=f"dev-{device:05d}", MediaType="video/h264"
            )
            return POLL, POLLING
        if stage == POLLING:
            info = client.describe_stream(StreamName=name)["StreamInfo"]
            if info["Status"] != "ACTIVE":
                return POLL, POLLING
            self.versions[device] = info["Version"]
            return 0.0, TAG
        if stage == TAG:
            client.tag_stream(StreamName=name, Tags={"fleet": "bench", "site": f"s{device % 50}"})
            return 0.0, RETAIN
        if stage == RETAIN:
            client.update_data_retention(
                StreamName=name,
                CurrentVersion=self.versions[device],
                Operation="INCREASE_DATA_RETENTION",
                DataRetentionChangeInHours=RETENTION,
            )
            return HEARTBEAT, HEARTBEATING
        client.describe_stream(StreamName=name)
        return (HEARTBEAT, HEARTBEATING) if now + HEARTBEAT < DAY else (None, HEARTBEATING)

    def check(self) -> None:
        """Assert the day ended as planned: every stream ACTIVE with 24 h retention."""
        self.sim._check()
        dump = self.sim._dump()
        streams = dump[f"{ACCOUNT}/{REGION}"]["streams"]
        assert len(streams) == self.devices, len(streams)
        assert all(s["status"] == "ACTIVE" and s["retention"] == RETENTION for s in streams)
        assert (self.sim.now - kvsim.DEFAULT_START).total_seconds() >= DAY


def fleet_runner(devices: int, *, boto: bool) -> tuple[Runner, list[tuple[int, int]]]:
    """A runner that plays one fleet day per batch on a fresh simulator, and the
    list it appends each day's (calls, throttled calls) to."""
    days: list[Fleet] = []
    stats: list[tuple[int, int]] = []
    make_client: Any
    if boto:
        from benchmarks.bench_boto import kvsim_client

        make_client = kvsim_client
    else:

        def make_client(sim: kvsim.Simulator) -> Any:
            return sim.client("kinesisvideo", region_name=REGION, account_id=ACCOUNT)

    def before() -> None:
        days.clear()
        sim = kvsim.Simulator(SEED, timings=FLEET_TIMINGS, trace_limit=10_000)
        days.append(Fleet(sim, make_client(sim), devices, SEED))

    def run() -> int:
        return days[0].run()

    def warmup() -> int:
        # A tenth of the fleet: warms the code paths without a whole extra day.
        sim = days[0].sim
        days[0] = Fleet(sim, days[0].client, max(1, devices // 10), SEED)
        return days[0].run()

    def after() -> None:
        day = days[0]
        day.check()
        if day.devices == devices:
            stats.append((day.calls, day.throttled))

    runner = Runner("kvsim.boto" if boto else "kvsim", run, before, after, warmup=warmup)
    return runner, stats


def run_fleet(ctx: Context, name: str, devices: int, *, boto: bool) -> None:
    """Measure one fleet scenario and check that every day made the same calls."""
    ctx.log(f"{name}: {devices:,} devices over one virtual day")
    runner, stats = fleet_runner(devices, boto=boto)
    [result] = ctx.measure(name, devices, [runner])
    assert len(set(stats)) == 1, f"fleet days differ: {stats}"
    calls, throttled = stats[0]
    day_seconds = statistics.median(result.seconds)
    result.note = (
        f"{devices:,} devices; {calls:,} calls a day, {throttled:,} throttled; "
        f"median day {day_seconds:.2f} s (min {min(result.seconds):.2f}, max {max(result.seconds):.2f})"
    )
    result.extra = {
        "devices": devices,
        "calls_per_day": calls,
        "throttled_per_day": throttled,
        "median_day_seconds": day_seconds,
    }


def run_stateful(ctx: Context) -> None:
    """Steps per second of the shipped state machine under hypothesis."""
    if optional("hypothesis") is None:
        ctx.note(
            "hypothesis is not installed: stateful is skipped (pip install hypothesis; the test extra has it)"
        )
        return
    from hypothesis import HealthCheck, Phase, settings
    from hypothesis.stateful import invariant, run_state_machine_as_test

    from kvsim.stateful import KinesisVideoStateMachine

    steps = [0]

    class Counted(KinesisVideoStateMachine):
        """The shipped machine, counting its steps."""

        @invariant()
        def count_step(self) -> None:
            steps[0] += 1

    plan = ctx.plan
    config = settings(
        max_examples=plan.stateful_examples,
        stateful_step_count=plan.stateful_steps,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )

    def run() -> int:
        steps[0] = 0
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            run_state_machine_as_test(Counted, settings=config)
        return steps[0]

    ctx.log(
        f"stateful: {plan.stateful_examples} runs of up to {plan.stateful_steps} steps per batch"
    )
    [result] = ctx.measure(
        "stateful",
        plan.stateful_examples,
        [Runner("kvsim", run, unit="steps", note="steps/s; size = hypothesis runs per batch")],
    )
    result.extra = {"examples": plan.stateful_examples, "steps_per_batch": result.calls}


def run(ctx: Context, names: list[str]) -> None:
    """The selected whole-workload scenarios."""
    if "fleet" in names:
        run_fleet(ctx, "fleet", ctx.plan.fleet_devices, boto=False)
    if "fleet_boto" in names:
        if optional("boto3") is None:
            ctx.note(f"boto3 is not installed: fleet_boto is skipped ({INSTALL_HINT})")
        else:
            run_fleet(ctx, "fleet_boto", ctx.plan.fleet_boto_devices, boto=True)
    if "stateful" in names:
        run_stateful(ctx)


def targets(ctx: Context) -> list[Target]:
    """The fleet's day in under 10 s of real time."""
    found = []
    for result in ctx.results:
        if result.scenario == "fleet":
            found.append(
                Target(
                    "fleet: one virtual day, wall-clock",
                    f"{result.size:,} devices",
                    result.extra["median_day_seconds"],
                    FLEET_SECONDS_TARGET,
                    at_most=True,
                    unit=" s",
                )
            )
    return found


def facts_text(ctx: Context) -> str:
    """Nothing beyond the table."""
    return ""


if __name__ == "__main__":
    from benchmarks import harness

    sys.exit(harness.main(only=list(SCENARIOS)))
