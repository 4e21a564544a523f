"""Core performance benchmark of kvsim, measured through the public client facade.

Run ``python benchmarks/bench_core.py`` (full: worlds of 10^3 … 10^6 streams,
under 15 minutes on 2 cores) or ``--quick`` (10^3 and 10^4, under a minute);
``--json PATH`` also writes every measurement as JSON.

Every scenario is a plain loop of ``sim.client(...)`` calls over a seeded,
deterministic workload. Each one runs a warm-up batch, then ``reps`` timed
batches (``time.perf_counter``, ``gc.collect()`` before each, the collector
left on as users would have it); the table shows the median rate and the
slowest and fastest batches. Worlds use ``Limits(max_streams_per_account=None,
throttling=False)`` and the default ``Timings()`` (``call_latency=0.05``, so
every call moves the clock and due changes run inside the timed loops), except
the ``run_until_idle`` scenario, which queues its changes with
``call_latency=0`` and a huge ``create_delay`` so none of them runs early.
"""

from __future__ import annotations

import argparse
import gc
import inspect
import json
import platform
import random
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import kvsim

SEED = 20260101
ACCOUNT = "123456789012"
REGION = "us-east-1"
#: How many name prefixes ("site00-" … "site07-") the streams are spread over.
GROUPS = 8
LIMITS = kvsim.Limits(max_streams_per_account=None, throttling=False)
#: Pending changes for run_until_idle: nothing moves the clock, nothing falls due early.
IDLE_TIMINGS = kvsim.Timings(create_delay=1_000_000.0, call_latency=0)

TARGETS = {
    "create_stream calls/s": 50_000,
    "describe_stream calls/s": 100_000,
    "per-call cost 10^6 / 10^3": 1.5,
    "memory per stream (KiB)": 1.5,
    "run_until_idle changes/s": 300_000,
}


@dataclass(frozen=True)
class Plan:
    """Sizes, repetitions and batch lengths of one run."""

    sizes: tuple[int, ...]
    reps: int
    batch: int  # calls per timed batch for lookups and tagging
    create_batch: int  # most streams created (then deleted) per timed batch
    update_batch: int  # most streams updated per timed batch
    list_pages: int  # ListStreams pages per timed batch


FULL = Plan(
    sizes=(1_000, 10_000, 100_000, 1_000_000),
    reps=7,
    batch=20_000,
    create_batch=10_000,
    update_batch=5_000,
    list_pages=1_000,
)
QUICK = Plan(
    sizes=(1_000, 10_000),
    reps=5,
    batch=10_000,
    create_batch=5_000,
    update_batch=2_000,
    list_pages=500,
)


@dataclass
class Result:
    """The timed batches of one scenario at one world size."""

    scenario: str
    size: int
    calls: int  # calls (or changes) per batch
    seconds: list[float]  # wall-clock time of each timed batch
    cpu_seconds: list[float]  # this process's CPU time of each timed batch
    note: str = ""
    ratio_small: float | None = None  # µs/call relative to the smallest size
    ratio_dict: float | None = None  # µs/call relative to the bare-dict reference
    rates: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        per_s = sorted(self.calls / s for s in self.seconds)
        self.rates = {
            "median": statistics.median(per_s),
            "min": per_s[0],
            "max": per_s[-1],
        }

    @property
    def us_per_call(self) -> float:
        """Median wall-clock microseconds per call."""
        return 1e6 / self.rates["median"]

    @property
    def cpu_us_per_call(self) -> float:
        """Median CPU microseconds per call: what the call costs when the
        process is not waiting for a core other processes hold."""
        return 1e6 * statistics.median(self.cpu_seconds) / self.calls


def log(message: str) -> None:
    """Progress on stderr, stamped with the seconds since the run started."""
    print(f"[{time.perf_counter() - _T0:7.1f}s] {message}", file=sys.stderr, flush=True)


_T0 = time.perf_counter()


def stream_name(i: int, offset: int) -> str:
    """The ``i``-th distinct stream name of a world: scattered over the name
    order (a bijection of 32-bit integers), spread over ``GROUPS`` prefixes."""
    u = ((i + offset) * 2_654_435_761) % 2**32
    return f"site{u % GROUPS:02d}-cam-{u:08x}"


def timed(
    run: Callable[[], int], reps: int, *, before: Callable[[], None] | None = None
) -> tuple[int, list[float], list[float]]:
    """One warm-up and ``reps`` timed runs of ``run`` (which returns how many
    calls it made); ``before`` prepares each run outside the timing. Returns
    the calls per run and each run's wall-clock and CPU seconds."""
    seconds: list[float] = []
    cpu: list[float] = []
    calls = 0
    for rep in range(reps + 1):
        if before is not None:
            before()
        gc.collect()
        start, start_cpu = time.perf_counter(), time.process_time()
        calls = run()
        elapsed, elapsed_cpu = time.perf_counter() - start, time.process_time() - start_cpu
        if rep:  # the first run is the warm-up
            seconds.append(elapsed)
            cpu.append(elapsed_cpu)
    return calls, seconds, cpu


def traced_bytes() -> int:
    """Bytes tracemalloc sees allocated now, after a full collection."""
    gc.collect()
    return tracemalloc.get_traced_memory()[0]


def trace_limit() -> int:
    """How many entries a default simulator's call trace keeps (0 if unbounded
    or unknown)."""
    parameter = inspect.signature(kvsim.Simulator).parameters.get("trace_limit")
    default = parameter.default if parameter is not None else None
    return default if isinstance(default, int) else 0


def drop_trace(sim: kvsim.Simulator) -> None:
    """Empty the simulator's call trace: bounded by ``trace_limit``, it is a
    fixed cost of the simulator, not a cost per stream."""
    trace = getattr(sim, "_trace", None)
    if trace is not None:
        trace.clear()


class BenchWorld:
    """A simulator holding ``size`` ACTIVE streams with seeded names, built fast.

    With ``trace_memory``, ``memory`` is the traced bytes per stream once built
    and settled, and ``trace_bytes`` what the call trace held at that point.
    """

    def __init__(self, size: int, *, trace_memory: bool) -> None:
        self.size = size
        self.sim = kvsim.Simulator(SEED, limits=LIMITS)
        self.kv = self.sim.client("kinesisvideo", region_name=REGION, account_id=ACCOUNT)
        self.rng = random.Random(f"{SEED}:{size}")
        self.offset = self.rng.getrandbits(32)
        self.next_id = 0
        self.memory = 0.0
        self.trace_bytes = 0
        if trace_memory:
            tracemalloc.start()
            base = traced_bytes()
        self.names: list[str] = []
        self.arns: list[str] = []
        create = self.kv.create_stream
        for name in self.fresh_names(size):
            self.names.append(name)
            self.arns.append(create(StreamName=name)["StreamARN"])
        self.sim.run_until_idle()
        if trace_memory:
            with_trace = traced_bytes()
            drop_trace(self.sim)
            used = traced_bytes() - base
            tracemalloc.stop()
            lists = sys.getsizeof(self.names) + sys.getsizeof(self.arns)
            self.memory = (used - lists) / size
            self.trace_bytes = with_trace - base - used
        self.fill_trace()

    def fill_trace(self) -> None:
        """Make as many calls as the call trace keeps, so every world is measured
        with a full trace: while it grows, the garbage collector walks it over
        and over, which would slow the first scenarios of small worlds only."""
        describe = self.kv.describe_stream
        names = self.names
        for i in range(trace_limit()):
            describe(StreamName=names[i % self.size])

    def fresh_names(self, count: int) -> Iterator[str]:
        """``count`` names never used before in this world."""
        start = self.next_id
        self.next_id += count
        return (stream_name(i, self.offset) for i in range(start, start + count))

    def sample(self, count: int) -> list[int]:
        """``count`` seeded stream indexes (distinct when ``count <= size``)."""
        if count <= self.size:
            return self.rng.sample(range(self.size), count)
        return [self.rng.randrange(self.size) for _ in range(count)]


# -- scenarios on a built world ---------------------------------------------------------


def bench_create(world: BenchWorld, plan: Plan) -> Result:
    """CreateStream of fresh names into the world; each batch is deleted afterwards
    (untimed) so every batch starts from ``size`` streams."""
    count = min(world.size, plan.create_batch)
    kv, sim = world.kv, world.sim
    made: list[str] = []
    batch: list[str] = []

    def before() -> None:
        for arn in made:
            kv.delete_stream(StreamARN=arn)
        made.clear()
        sim.run_until_idle()
        batch[:] = world.fresh_names(count)

    def run() -> int:
        create = kv.create_stream
        for name in batch:
            made.append(create(StreamName=name)["StreamARN"])
        return len(batch)

    calls, seconds, cpu = timed(run, plan.reps, before=before)
    before()
    batch.clear()
    return Result("create_stream", world.size, calls, seconds, cpu, f"{count}/batch")


#: Streams in the "hot" working set: few enough to stay in the CPU caches.
HOT = 1_000


def bench_describe(world: BenchWorld, plan: Plan, by: str, *, hot: bool = False) -> Result:
    """DescribeStream of seeded random streams, by ``StreamName`` or ``StreamARN``;
    with ``hot``, only among ``HOT`` streams of the world, which separates the
    cost of the world's size from the cost of reaching cold memory."""
    keys = world.names if by == "StreamName" else world.arns
    if hot:
        subset = [keys[i] for i in world.sample(min(HOT, world.size))]
        picks = [subset[world.rng.randrange(len(subset))] for _ in range(plan.batch)]
    else:
        picks = [keys[i] for i in world.sample(plan.batch)]
    describe = world.kv.describe_stream

    def run() -> int:
        for key in picks:
            describe(**{by: key})
        return len(picks)

    calls, seconds, cpu = timed(run, plan.reps)
    label = "name" if by == "StreamName" else "ARN"
    if hot:
        label += f", {HOT:,} hot"
    return Result(f"describe_stream by {label}", world.size, calls, seconds, cpu)


def bench_list(world: BenchWorld, plan: Plan, *, prefix: bool) -> Result:
    """ListStreams pages of 100, following NextToken and starting over at the end."""
    params: dict[str, Any] = {"MaxResults": 100}
    if prefix:
        group = world.rng.randrange(GROUPS)
        params["StreamNameCondition"] = {
            "ComparisonOperator": "BEGINS_WITH",
            "ComparisonValue": f"site{group:02d}-",
        }
    listing = world.kv.list_streams
    items = [0]

    def run() -> int:
        token = None
        items[0] = 0
        for _ in range(plan.list_pages):
            page = listing(**params, NextToken=token) if token else listing(**params)
            items[0] += len(page["StreamInfoList"])
            token = page.get("NextToken")
        return plan.list_pages

    calls, seconds, cpu = timed(run, plan.reps)
    name = "list_streams prefix" if prefix else "list_streams"
    return Result(name, world.size, calls, seconds, cpu, f"{items[0] / calls:.0f} items/page")


def _versions(world: BenchWorld, picks: list[int]) -> list[tuple[str, str]]:
    describe = world.kv.describe_stream
    return [
        (world.names[i], describe(StreamName=world.names[i])["StreamInfo"]["Version"])
        for i in picks
    ]


def bench_update(world: BenchWorld, plan: Plan, operation: str) -> Result:
    """UpdateStream (new MediaType) or UpdateDataRetention (+1 hour) of distinct
    ACTIVE streams, each with its current version; settled (untimed) between batches."""
    count = min(world.size, plan.update_batch)
    kv, sim = world.kv, world.sim
    targets: list[tuple[str, str]] = []

    def before() -> None:
        sim.run_until_idle()
        targets[:] = _versions(world, world.sample(count))

    if operation == "update_stream":

        def run() -> int:
            update = kv.update_stream
            for name, version in targets:
                update(StreamName=name, CurrentVersion=version, MediaType="video/h264")
            return len(targets)

    else:

        def run() -> int:
            update = kv.update_data_retention
            for name, version in targets:
                update(
                    StreamName=name,
                    CurrentVersion=version,
                    Operation="INCREASE_DATA_RETENTION",
                    DataRetentionChangeInHours=1,
                )
            return len(targets)

    calls, seconds, cpu = timed(run, plan.reps, before=before)
    sim.run_until_idle()
    return Result(operation, world.size, calls, seconds, cpu, f"{count}/batch")


def bench_tag(world: BenchWorld, plan: Plan) -> Result:
    """TagStream of seeded random streams by name, overwriting two tags."""
    picks = [(world.names[i], f"v{i % 97}") for i in world.sample(plan.batch)]
    tag = world.kv.tag_stream

    def run() -> int:
        for name, value in picks:
            tag(StreamName=name, Tags={"team": "video", "env": value})
        return len(picks)

    calls, seconds, cpu = timed(run, plan.reps)
    return Result("tag_stream", world.size, calls, seconds, cpu)


# -- the bare-dict reference ------------------------------------------------------------


class _Ref:
    """The smallest stand-in for a stream."""

    __slots__ = ("name", "status")

    def __init__(self, name: str) -> None:
        self.name = name
        self.status = "CREATING"


class _RefClient:
    """The least a create or describe could do, called the way the facade is."""

    def __init__(self) -> None:
        self.store: dict[str, _Ref] = {}

    def create_stream(self, **kwargs: Any) -> _Ref:
        name = kwargs["StreamName"]
        ref = self.store[name] = _Ref(name)
        return ref

    def describe_stream(self, **kwargs: Any) -> _Ref:
        return self.store[kwargs["StreamName"]]


def bench_reference(size: int, plan: Plan) -> list[Result]:
    """Dict insert and lookup of a small object in a dict of ``size``, same loops."""
    offset = random.Random(f"{SEED}:{size}").getrandbits(32)
    ref = _RefClient()
    for i in range(size):
        ref.create_stream(StreamName=stream_name(i, offset))
    names = list(ref.store)
    count = min(size, plan.create_batch)
    batch: list[str] = []
    next_id = [size]

    def before() -> None:
        for name in batch:
            del ref.store[name]
        batch[:] = [stream_name(i, offset) for i in range(next_id[0], next_id[0] + count)]
        next_id[0] += count

    def run_create() -> int:
        create = ref.create_stream
        for name in batch:
            create(StreamName=name)
        return len(batch)

    rng = random.Random(f"{SEED}:{size}:ref")
    picks = [names[rng.randrange(size)] for _ in range(plan.batch)]

    def run_describe() -> int:
        describe = ref.describe_stream
        for name in picks:
            describe(StreamName=name)
        return len(picks)

    created = timed(run_create, plan.reps, before=before)
    described = timed(run_describe, plan.reps)
    return [
        Result("bare dict insert", size, *created, f"{count}/batch"),
        Result("bare dict lookup", size, *described),
    ]


# -- run_until_idle ---------------------------------------------------------------------


def bench_idle(size: int, plan: Plan) -> tuple[Result, float]:
    """run_until_idle over ``size`` pending CREATING -> ACTIVE changes; also the
    traced bytes per stream of the warm-up's world while all its changes wait
    (its call trace emptied first)."""
    sims: list[kvsim.Simulator] = []
    memory: list[float] = []

    def before() -> None:
        sims.clear()
        trace = not memory
        if trace:
            tracemalloc.start()
            base = traced_bytes()
        sim = kvsim.Simulator(SEED, limits=LIMITS, timings=IDLE_TIMINGS)
        create = sim.client("kinesisvideo", region_name=REGION, account_id=ACCOUNT).create_stream
        offset = random.Random(f"{SEED}:{size}").getrandbits(32)
        for i in range(size):
            create(StreamName=stream_name(i, offset))
        if trace:
            drop_trace(sim)
            memory.append((traced_bytes() - base) / size)
            tracemalloc.stop()
        sims.append(sim)

    def run() -> int:
        return sims[0].run_until_idle()

    calls, seconds, cpu = timed(run, plan.reps, before=before)
    assert calls == size, f"ran {calls} of {size} changes"
    sims.clear()
    return Result("run_until_idle", size, calls, seconds, cpu, "changes, not calls"), memory[0]


# -- the run ------------------------------------------------------------------------------


def on_world(size: int, plan: Plan) -> tuple[list[Result], dict[str, float]]:
    """The facade scenarios on one world of ``size`` ACTIVE streams, its traced
    bytes per stream and its call trace's bytes; the world is dropped on return."""
    log(f"building a world of {size:,} streams (tracemalloc on)")
    world = BenchWorld(size, trace_memory=True)
    log(
        f"  built; {world.memory:.0f} B per stream, "
        f"call trace {world.trace_bytes / 2**20:.1f} MiB (tracemalloc)"
    )
    steps: list[Callable[[], Result]] = [
        lambda: bench_create(world, plan),
        lambda: bench_describe(world, plan, "StreamName"),
        lambda: bench_describe(world, plan, "StreamARN"),
        lambda: bench_describe(world, plan, "StreamName", hot=True),
        lambda: bench_list(world, plan, prefix=False),
        lambda: bench_list(world, plan, prefix=True),
        lambda: bench_update(world, plan, "update_stream"),
        lambda: bench_update(world, plan, "update_data_retention"),
        lambda: bench_tag(world, plan),
    ]
    results = []
    for step in steps:
        results.append(step())
        report(results[-1])
    world.sim._check()
    return results, {"settled": world.memory, "trace": world.trace_bytes}


def run_size(size: int, plan: Plan) -> tuple[list[Result], dict[str, float]]:
    """Every scenario at one size; memory per stream settled and with changes pending."""
    results, memory = on_world(size, plan)
    gc.collect()
    for result in bench_reference(size, plan):
        results.append(result)
        report(result)
    idle, memory["pending"] = bench_idle(size, plan)
    results.append(idle)
    report(idle)
    gc.collect()
    return results, memory


def report(result: Result) -> None:
    """One progress line for a finished measurement."""
    rates = result.rates
    log(
        f"  {result.scenario:<34} {result.size:>9,}  {rates['median']:>12,.0f}/s "
        f"({result.us_per_call:.2f} µs, cpu {result.cpu_us_per_call:.2f} µs)  "
        f"min {rates['min']:,.0f}  max {rates['max']:,.0f}"
    )


def add_ratios(results: list[Result]) -> None:
    """Fill each result's cost ratio to its smallest size and to the bare dict."""
    smallest: dict[str, Result] = {}
    for result in sorted(results, key=lambda r: r.size):
        smallest.setdefault(result.scenario, result)
        result.ratio_small = result.us_per_call / smallest[result.scenario].us_per_call
    reference = {(r.scenario, r.size): r for r in results if r.scenario.startswith("bare")}
    for result in results:
        base = None
        if result.scenario == "create_stream":
            base = reference.get(("bare dict insert", result.size))
        elif result.scenario.startswith("describe_stream") and "hot" not in result.scenario:
            base = reference.get(("bare dict lookup", result.size))
        if base is not None:
            result.ratio_dict = result.us_per_call / base.us_per_call


def check_targets(
    results: list[Result], memory: dict[int, dict[str, float]]
) -> list[dict[str, Any]]:
    """Each target with the measured value and whether it is met."""
    largest = max(r.size for r in results)
    smallest = min(r.size for r in results)
    at = {(r.scenario, r.size): r for r in results}
    checks: list[dict[str, Any]] = []

    def add(name: str, value: float, goal: float, *, at_most: bool, where: str) -> None:
        met = value <= goal if at_most else value >= goal
        checks.append(
            {
                "target": name,
                "where": where,
                "value": value,
                "goal": goal,
                "met": met,
                "sense": "<=" if at_most else ">=",
            }
        )

    for size in sorted({r.size for r in results}):
        add(
            "create_stream calls/s",
            at["create_stream", size].rates["median"],
            TARGETS["create_stream calls/s"],
            at_most=False,
            where=f"{size:,}",
        )
        for by in ("name", "ARN"):
            add(
                "describe_stream calls/s",
                at[f"describe_stream by {by}", size].rates["median"],
                TARGETS["describe_stream calls/s"],
                at_most=False,
                where=f"by {by}, {size:,}",
            )
    for scenario in ("create_stream", "describe_stream by name", "describe_stream by ARN"):
        big, small = at[scenario, largest], at[scenario, smallest]
        for clock, ratio in (
            ("wall", big.us_per_call / small.us_per_call),
            ("cpu", big.cpu_us_per_call / small.cpu_us_per_call),
        ):
            add(
                f"per-call cost {largest:,} / {smallest:,}",
                ratio,
                TARGETS["per-call cost 10^6 / 10^3"],
                at_most=True,
                where=f"{scenario} ({clock})",
            )
    for state in ("settled", "pending"):
        add(
            "memory per stream (KiB)",
            memory[largest][state] / 1024,
            TARGETS["memory per stream (KiB)"],
            at_most=True,
            where=f"{largest:,}, {state}",
        )
    add(
        "run_until_idle changes/s",
        at["run_until_idle", largest].rates["median"],
        TARGETS["run_until_idle changes/s"],
        at_most=False,
        where=f"{largest:,}",
    )
    return checks


def growth(results: list[Result]) -> str:
    """How much each call's cost grows from the smallest to the largest world,
    next to the bare dict's growth over the same sizes (memory-hierarchy cost)."""
    largest = max(r.size for r in results)
    smallest = min(r.size for r in results)
    at = {(r.scenario, r.size): r for r in results}
    pairs = (
        ("create_stream", "bare dict insert"),
        ("describe_stream by name", "bare dict lookup"),
        ("describe_stream by ARN", "bare dict lookup"),
        (f"describe_stream by name, {HOT:,} hot", None),
    )
    lines = [f"cost growth per call, {smallest:,} -> {largest:,} streams (wall µs; cpu µs):"]
    for scenario, reference in pairs:
        kv = [at[scenario, n] for n in (smallest, largest)]
        line = (
            f"  {scenario:<34} {kv[0].us_per_call:6.2f} -> {kv[1].us_per_call:6.2f} "
            f"(+{kv[1].us_per_call - kv[0].us_per_call:5.2f}; cpu +"
            f"{kv[1].cpu_us_per_call - kv[0].cpu_us_per_call:5.2f})"
        )
        if reference is not None:
            ref = [at[reference, n] for n in (smallest, largest)]
            line += (
                f"   {reference}: {ref[0].us_per_call:5.2f} -> {ref[1].us_per_call:5.2f} "
                f"(+{ref[1].us_per_call - ref[0].us_per_call:5.2f})"
            )
        lines.append(line)
    return "\n".join(lines)


def table(results: list[Result]) -> str:
    """The results as a fixed-width text table."""
    head = (
        f"{'scenario':<34} {'size':>9} {'median/s':>11} {'µs/call':>8} {'min/s':>11} "
        f"{'max/s':>11} {'cpu µs':>7} {'×small':>7} {'×dict':>6}  note"
    )
    lines = [head, "-" * len(head)]
    order = {name: i for i, name in enumerate(dict.fromkeys(r.scenario for r in results))}
    for r in sorted(results, key=lambda r: (order[r.scenario], r.size)):
        small = f"{r.ratio_small:.2f}" if r.ratio_small is not None else ""
        vs_dict = f"{r.ratio_dict:.1f}" if r.ratio_dict is not None else ""
        lines.append(
            f"{r.scenario:<34} {r.size:>9,} {r.rates['median']:>11,.0f} {r.us_per_call:>8.2f} "
            f"{r.rates['min']:>11,.0f} {r.rates['max']:>11,.0f} {r.cpu_us_per_call:>7.2f} "
            f"{small:>7} {vs_dict:>6}  {r.note}"
        )
    return "\n".join(lines)


def git_commit() -> str:
    """The checkout's commit, or '' outside git."""
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=False,
            cwd=Path(__file__).parent,
        )
    except OSError:
        return ""
    return out.stdout.strip()


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; print the table (stdout) and progress (stderr)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="sizes up to 10^4 only (< 1 min)")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write results as JSON")
    args = parser.parse_args(argv)
    plan = QUICK if args.quick else FULL
    log(
        f"kvsim core benchmark ({'quick' if args.quick else 'full'}): sizes {plan.sizes}, "
        f"1 warm-up + {plan.reps} reps"
    )
    results: list[Result] = []
    memory: dict[int, dict[str, float]] = {}
    for size in plan.sizes:
        found, memory[size] = run_size(size, plan)
        results.extend(found)
    add_ratios(results)
    checks = check_targets(results, memory)
    print(table(results))
    print()
    print(growth(results))
    print()
    print("memory per stream (tracemalloc, after gc.collect(), call trace emptied):")
    for size, mem in memory.items():
        print(
            f"  {size:>9,}: {mem['settled']:6.0f} B settled (ACTIVE, queue empty), "
            f"{mem['pending']:6.0f} B with its CreateStream change pending; "
            f"the call trace held {mem['trace'] / 2**20:.1f} MiB more"
        )
    print()
    print("targets:")
    for c in checks:
        mark = "ok  " if c["met"] else "MISS"
        print(
            f"  {mark} {c['target']:<28} {c['where']:<40} {c['value']:>12,.2f} "
            f"(goal {c['sense']} {c['goal']:,})"
        )
    if args.json:
        payload = {
            "meta": {
                "kvsim": getattr(kvsim, "__version__", ""),
                "commit": git_commit(),
                "python": sys.version.split()[0],
                "platform": platform.platform(),
                "quick": args.quick,
                "seed": SEED,
                "plan": asdict(plan),
            },
            "results": [
                {**asdict(r), "us_per_call": r.us_per_call, "cpu_us_per_call": r.cpu_us_per_call}
                for r in results
            ],
            "memory": {
                str(size): {
                    "settled_bytes_per_stream": mem["settled"],
                    "pending_bytes_per_stream": mem["pending"],
                    "trace_bytes": mem["trace"],
                }
                for size, mem in memory.items()
            },
            "targets": checks,
        }
        args.json.write_text(json.dumps(payload, indent=2) + "\n")
        log(f"wrote {args.json}")
    log("done")
    return 0 if all(c["met"] for c in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
