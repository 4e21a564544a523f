"""kvsim's core through the public facade, beside the engine's floor and moto's backend.

Scenarios (``--only`` names) on a world of *size* ACTIVE streams with seeded,
scattered names (``site00-cam-…`` … ``site07-cam-…``):

==========================  =========================================================
``create_stream``           a fresh name into the world (the batch is deleted, untimed,
                            before the next); also at ``Plan.moto_world`` (30,000) streams
``describe_stream_name``    a seeded random stream by ``StreamName``
``describe_stream_arn``     … by ``StreamARN``
``describe_stream_hot``     by name among 1,000 fixed streams of the same world (a working
                            set that stays in the CPU caches: the diagnostic for growth)
``describe_stream_notrace`` by name with the call trace off (``trace_limit=0``): what the
                            trace's bookkeeping adds, and how it grows with the world
``list_streams``            a page of 100, following ``NextToken``
``list_streams_prefix``     … with ``BEGINS_WITH`` one of the 8 name prefixes
``update_stream``           a distinct ACTIVE stream with its current version (a version
                            bump; settled, untimed, between batches)
``update_data_retention``   … +1 hour of retention
``tag_stream``              two tags on a seeded random stream by name
``run_until_idle``          one of ``Plan.idle_changes`` pending CREATING → ACTIVE changes
==========================  =========================================================

Worlds use ``Limits(max_streams_per_account=None, throttling=False)``, the
default ``Timings()`` (every call moves the clock 0.05 s, so due changes run
inside the timed loops) and the default ``trace_limit=10_000``. Before each
scenario, as many DescribeStream calls are made as the trace keeps, so every
scenario at every size starts with the same full trace, as a long test would
have it (a trace of 10,000 ListStreams pages left by the scenario before
would make the next one's evictions costly).

Baselines, in the same process and interleaved batch by batch:

- **bare dict**: :class:`ReferenceStore`, the least a create (or describe)
  could do, called the way the facade is (see its docstring);
- **moto backend**: moto's ``KinesisVideoBackend`` called directly (no
  boto3, no HTTP), filled with ``moto.kinesisvideo.models.Stream`` objects as
  its ``create_stream`` makes them. Its create and describe-by-name scan every
  stream, so its batches are sized to take about ``Plan.slow_batch_seconds``.
  It has no paging, updates or tagging: those scenarios have no moto column.
"""

from __future__ import annotations

import contextlib
import gc
import random
import sys
import tracemalloc
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: python benchmarks/bench_core.py
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import kvsim
from benchmarks.harness import (
    ACCOUNT,
    INSTALL_HINT,
    REGION,
    SEED,
    Context,
    Plan,
    Result,
    Runner,
    Target,
    optional,
    speed_ratios,
    traced_growth,
)

SCENARIOS = {
    "create_stream": "CreateStream of a fresh name into a world of N streams (+ bare dict, moto backend)",
    "describe_stream_name": "DescribeStream by name, random streams (+ bare dict, moto backend)",
    "describe_stream_arn": "DescribeStream by ARN, random streams (+ bare dict, moto backend)",
    "describe_stream_hot": "DescribeStream by name among 1,000 hot streams of the same world",
    "describe_stream_notrace": "DescribeStream by name with the call trace off (trace_limit=0)",
    "list_streams": "ListStreams pages of 100, following NextToken",
    "list_streams_prefix": "ListStreams pages of 100 with a BEGINS_WITH prefix",
    "update_stream": "UpdateStream with the current version (a version bump)",
    "update_data_retention": "UpdateDataRetention +1 hour (a version bump)",
    "tag_stream": "TagStream, two tags on a random stream",
    "run_until_idle": "run_until_idle over pending CREATING -> ACTIVE changes (10^6; 3*10^4 with --quick)",
}
#: The scenarios that run on a built world, in run order.
WORLD_SCENARIOS = tuple(name for name in SCENARIOS if name != "run_until_idle")

#: How many name prefixes ("site00-" … "site07-") the streams are spread over.
GROUPS = 8
#: Streams in the "hot" working set: few enough to stay in the CPU caches.
HOT = 1_000
LIMITS = kvsim.Limits(max_streams_per_account=None, throttling=False)
#: The call trace every benchmark world keeps: the simulator's default, stated.
TRACE_LIMIT = 10_000
#: Pending changes for run_until_idle: nothing moves the clock, nothing falls due early.
IDLE_TIMINGS = kvsim.Timings(create_delay=1_000_000.0, call_latency=0)


def stream_name(i: int, offset: int) -> str:
    """The ``i``-th distinct stream name of a world: scattered over the name
    order (a bijection of 32-bit integers), spread over ``GROUPS`` prefixes."""
    u = ((i + offset) * 2_654_435_761) % 2**32
    return f"site{u % GROUPS:02d}-cam-{u:08x}"


class NameSource:
    """Seeded fresh names for one world size (the same for kvsim and its baselines)."""

    def __init__(self, size: int) -> None:
        self.offset = random.Random(f"{SEED}:{size}").getrandbits(32)
        self.next_id = 0

    def take(self, count: int) -> list[str]:
        """``count`` names never taken before."""
        start = self.next_id
        self.next_id += count
        return [stream_name(i, self.offset) for i in range(start, start + count)]


# -- the worlds ---------------------------------------------------------------------------


class BenchWorld:
    """A simulator holding ``size`` ACTIVE streams, its names and ARNs in creation order.

    ``bytes`` is what the settled world holds (tracemalloc, after
    ``gc.collect()``), without the benchmark's own lists and without the call
    trace (a fixed cost, bounded by ``trace_limit``; ``trace_bytes`` is its size).
    """

    def __init__(self, size: int, *, traced: bool = True) -> None:
        self.size = size
        self.names_source = NameSource(size)
        self.rng = random.Random(f"{SEED}:{size}:picks")
        self.names = self.names_source.take(size)
        self.bytes = 0.0
        self.trace_bytes = 0
        self.sim, self.arns = self._build()
        self.kv = self.sim.client("kinesisvideo", region_name=REGION, account_id=ACCOUNT)
        if traced:
            # Measured on a throwaway copy built afterwards: a world built under
            # tracemalloc, or after one was freed, is slower to use (describe at
            # 10^6 streams: 5.6 or 6.1 instead of 5.1 µs).
            with traced_growth() as kept:
                sim, arns = self._build()
                with_trace = _traced_now()
                sim.runtime.trace.clear()  # a fixed cost, not a cost per stream
                self.trace_bytes = with_trace - _traced_now()
            self.bytes = kept[0] - sys.getsizeof(arns)
            del sim, arns
            gc.collect()

    def _build(self) -> tuple[kvsim.Simulator, list[str]]:
        sim = kvsim.Simulator(SEED, limits=LIMITS, trace_limit=TRACE_LIMIT)
        create = sim.client("kinesisvideo", region_name=REGION, account_id=ACCOUNT).create_stream
        arns = [create(StreamName=name)["StreamARN"] for name in self.names]
        sim.run_until_idle()
        return sim, arns

    @contextlib.contextmanager
    def quiet(self) -> Iterator[None]:
        """The call trace off (``trace_limit=0``) for a while: under tracemalloc its
        rotation (old entries freed, new ones allocated) would look like growth."""
        from kvsim.core.trace import Trace

        saved, self.sim.runtime.trace = self.sim.runtime.trace, Trace(0)
        try:
            yield
        finally:
            self.sim.runtime.trace = saved

    def fill_trace(self) -> None:
        """Make as many calls as the trace keeps: while it grows, the collector
        walks it over and over, which would slow the first scenarios only."""
        describe, names = self.kv.describe_stream, self.names
        for i in range(TRACE_LIMIT):
            describe(StreamName=names[i % self.size])

    def sample(self, count: int) -> list[int]:
        """``count`` seeded stream indexes (distinct when ``count <= size``)."""
        if count <= self.size:
            return self.rng.sample(range(self.size), count)
        return [self.rng.randrange(self.size) for _ in range(count)]


def _traced_now() -> int:
    gc.collect()
    return tracemalloc.get_traced_memory()[0]


class _untraced:
    """A stand-in for :func:`traced_growth` that measures nothing."""

    def __enter__(self) -> list[float]:
        return []

    def __exit__(self, *exc: object) -> None:
        return None


class _Record:
    """The reference store's record of one stream."""

    __slots__ = ("arn", "name", "status")

    def __init__(self, name: str, arn: str) -> None:
        self.name = name
        self.arn = arn
        self.status = "CREATING"


class ReferenceStore:
    """The floor for the engine: the least a create or a describe could do.

    ``create_stream(**kwargs)`` reads ``StreamName``, checks that it is new
    (a ``KeyError`` if not), builds the ARN by concatenation, inserts a
    three-field ``__slots__`` record in one dict and returns
    ``{"StreamARN": arn}``. ``describe_stream(**kwargs)`` finds the record by
    ``StreamName``, or by ``StreamARN`` (the name cut out of the ARN, then the
    record's ARN compared), and returns ``{"StreamInfo": {name, ARN, status}}``.
    No validation, no clock, no versions, no sorted index, no trace.
    """

    def __init__(self) -> None:
        self.streams: dict[str, _Record] = {}
        self.prefix = f"arn:aws:kinesisvideo:{REGION}:{ACCOUNT}:stream/"

    def create_stream(self, **kwargs: Any) -> dict[str, str]:
        name = kwargs["StreamName"]
        if name in self.streams:
            raise KeyError(name)
        arn = self.prefix + name + "/0"
        self.streams[name] = _Record(name, arn)
        return {"StreamARN": arn}

    def describe_stream(self, **kwargs: Any) -> dict[str, dict[str, str]]:
        arn = kwargs.get("StreamARN")
        if arn is not None:
            record = self.streams[arn.rsplit("/", 2)[1]]
            if record.arn != arn:
                raise KeyError(arn)
        else:
            record = self.streams[kwargs["StreamName"]]
        return {
            "StreamInfo": {"StreamName": record.name, "StreamARN": record.arn, "Status": "ACTIVE"}
        }

    def delete(self, name: str) -> None:
        del self.streams[name]


class RefWorld:
    """A :class:`ReferenceStore` of ``size`` streams with the benchmark world's names."""

    def __init__(self, size: int, names: list[str], *, traced: bool) -> None:
        self.bytes = 0.0
        self.store, self.arns = self._build(names)
        if traced:  # measured on a throwaway copy, as BenchWorld's
            with traced_growth() as kept:
                store, arns = self._build(names)
            self.bytes = kept[0] - sys.getsizeof(arns)
            del store, arns

    @staticmethod
    def _build(names: list[str]) -> tuple[ReferenceStore, list[str]]:
        store = ReferenceStore()
        create = store.create_stream
        return store, [create(StreamName=name)["StreamARN"] for name in names]


class MotoWorld:
    """moto's Kinesis Video backend holding ``size`` streams, called directly."""

    def __init__(self, size: int, names: list[str], moto_models: Any, *, traced: bool) -> None:
        self.models = moto_models
        internal = optional("moto.moto_api._internal")
        if internal is not None:
            internal.mock_random.seed(SEED)  # moto's own seeded source: same versions each run
        self.bytes: float | None = None
        self.backend, self.arns = self._build(names)
        if traced:  # measured on a throwaway copy, as BenchWorld's
            with traced_growth() as kept:
                backend, arns = self._build(names)
            self.bytes = kept[0] - sys.getsizeof(arns)
            del backend, arns

    def _build(self, names: list[str]) -> tuple[Any, list[str]]:
        backend = self.models.KinesisVideoBackend(REGION, ACCOUNT)
        streams, stream = backend.streams, self.models.Stream
        arns = []
        for name in names:
            # What moto's create_stream does, without its scan for the name.
            made = stream(ACCOUNT, REGION, "", name, "", "", 0, {})
            streams[made.arn] = made
            arns.append(made.arn)
        return backend, arns

    def create(self, name: str) -> str:
        arn: str = self.backend.create_stream(
            device_name="",
            stream_name=name,
            media_type="",
            kms_key_id="",
            data_retention_in_hours=0,
            tags={},
        )
        return arn


def moto_models(ctx: Context) -> Any:
    """moto's Kinesis Video models, or None with a note when moto is missing."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        models = optional("moto.kinesisvideo.models")
    if models is None:
        ctx.note(f"moto is not installed: the moto baselines are skipped ({INSTALL_HINT})")
    return models


def calibrate(ctx: Context, one_call: Callable[[], object], most: int) -> int:
    """How many calls of a slow baseline fill a batch of ``Plan.slow_batch_seconds``
    (at least 3, at most ``most``), from timing 3 calls."""
    import time

    start = time.perf_counter()
    for _ in range(3):
        one_call()
    per_call = (time.perf_counter() - start) / 3
    return max(3, min(most, int(ctx.plan.slow_batch_seconds / max(per_call, 1e-9))))


# -- scenarios on a built world ---------------------------------------------------------


#: moto's world is filled under tracemalloc (3× slower) up to this size only.
MOTO_TRACED_MAX = 30_000


class Worlds:
    """The kvsim world of one size and, built on demand, its baselines' worlds.
    Worlds of the plan's sizes are built under tracemalloc (memory per stream);
    the extra ``moto_world`` size is not."""

    def __init__(self, ctx: Context, size: int) -> None:
        self.ctx = ctx
        self.size = size
        self.traced = size in ctx.plan.sizes
        ctx.log(
            f"building a world of {size:,} streams (tracemalloc {'on' if self.traced else 'off'})"
        )
        self.kvsim = BenchWorld(size, traced=self.traced)
        if self.traced:
            ctx.facts.setdefault("memory", {})[str(size)] = {
                "settled_bytes_per_stream": self.kvsim.bytes / size,
                "trace_bytes": self.kvsim.trace_bytes,
            }
            ctx.log(
                f"  built: {self.kvsim.bytes / size:,.0f} B per stream; the call trace "
                f"({TRACE_LIMIT:,} entries) holds {self.kvsim.trace_bytes / 2**20:.1f} MiB more"
            )
        self._ref: RefWorld | None = None
        self._moto: MotoWorld | None = None
        self._moto_tried = False

    def kvsim_runner(self, *args: Any, **kwargs: Any) -> Runner:
        """The "kvsim" runner of a scenario in this world: ``Runner`` with the
        world's tracing, quieting and memory baseline filled in."""
        world = self.kvsim
        return Runner(
            "kvsim",
            *args,
            traced=self.traced,
            quiet=world.quiet,
            base_bytes=world.bytes,
            streams=self.size,
            **kwargs,
        )

    @property
    def ref(self) -> RefWorld:
        if self._ref is None:
            self._ref = RefWorld(self.size, self.kvsim.names, traced=self.traced)
        return self._ref

    @property
    def moto(self) -> MotoWorld | None:
        if not self._moto_tried:
            self._moto_tried = True
            models = moto_models(self.ctx)
            if models is not None:
                traced = self.traced and self.size <= MOTO_TRACED_MAX
                self.ctx.log(f"  filling moto's backend with {self.size:,} streams")
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    self._moto = MotoWorld(self.size, self.kvsim.names, models, traced=traced)
        return self._moto


def bench_create(w: Worlds) -> list[Runner]:
    """CreateStream of fresh names; each batch is deleted (untimed) before the next."""
    plan, world = w.ctx.plan, w.kvsim
    count = min(world.size, plan.create_batch)
    kv, sim = world.kv, world.sim
    made: list[str] = []
    batch: list[str] = []

    def before() -> None:
        for arn in made:
            kv.delete_stream(StreamARN=arn)
        made.clear()
        sim.run_until_idle()
        batch[:] = world.names_source.take(count)

    def run() -> int:
        create = kv.create_stream
        for name in batch:
            made.append(create(StreamName=name)["StreamARN"])
        return len(batch)

    runners = [w.kvsim_runner(run, before, adds=count, note=f"{count:,}/batch")]
    ref = w.ref
    ref_batch: list[str] = []

    def ref_before() -> None:
        for name in ref_batch:
            ref.store.delete(name)
        ref_batch[:] = world.names_source.take(count)

    def ref_run() -> int:
        create = ref.store.create_stream
        for name in ref_batch:
            create(StreamName=name)
        return len(ref_batch)

    runners.append(
        Runner(
            "bare dict",
            ref_run,
            ref_before,
            traced=w.traced,
            base_bytes=ref.bytes,
            streams=world.size,
            adds=count,
        )
    )
    moto = w.moto
    if moto is not None:
        moto_made: list[str] = []
        probes = iter(world.names_source.take(3))
        moto_count = calibrate(w.ctx, lambda: moto_made.append(moto.create(next(probes))), count)
        moto_batch: list[str] = []

        def moto_before() -> None:
            for arn in moto_made:
                moto.backend.delete_stream(arn)
            moto_made.clear()
            moto_batch[:] = world.names_source.take(moto_count)

        def moto_run() -> int:
            create = moto.create
            for name in moto_batch:
                moto_made.append(create(name))
            return len(moto_batch)

        runners.append(
            Runner(
                "moto backend",
                moto_run,
                moto_before,
                traced=moto.bytes is not None,
                base_bytes=moto.bytes or 0.0,
                streams=world.size,
                adds=moto_count,
                note=f"{moto_count:,}/batch",
            )
        )
    return runners


def bench_describe(w: Worlds, by: str) -> list[Runner]:
    """DescribeStream of seeded random streams by ``StreamName`` or ``StreamARN``."""
    world, plan = w.kvsim, w.ctx.plan
    indexes = world.sample(plan.batch)
    keys = world.names if by == "StreamName" else world.arns
    picks = [keys[i] for i in indexes]
    describe = world.kv.describe_stream

    def run() -> int:
        for key in picks:
            describe(**{by: key})
        return len(picks)

    runners = [
        w.kvsim_runner(run),
    ]
    ref = w.ref
    ref_keys = world.names if by == "StreamName" else ref.arns
    ref_picks = [ref_keys[i] for i in indexes]

    def ref_run() -> int:
        ref_describe = ref.store.describe_stream
        for key in ref_picks:
            ref_describe(**{by: key})
        return len(ref_picks)

    runners.append(
        Runner("bare dict", ref_run, traced=w.traced, base_bytes=ref.bytes, streams=world.size)
    )
    moto = w.moto
    if moto is not None:
        moto_keys = world.names if by == "StreamName" else moto.arns
        moto_all = [moto_keys[i] for i in indexes]
        name_arg, arn_arg = ("stream_name", "stream_arn")
        given, other = (name_arg, arn_arg) if by == "StreamName" else (arn_arg, name_arg)
        backend = moto.backend

        def one(key: str) -> object:
            return backend.describe_stream(**{given: key, other: ""})

        moto_count = calibrate(w.ctx, lambda: one(moto_all[0]), len(moto_all))
        moto_picks = moto_all[:moto_count]

        def moto_run() -> int:
            for key in moto_picks:
                one(key)
            return len(moto_picks)

        runners.append(
            Runner(
                "moto backend",
                moto_run,
                traced=moto.bytes is not None,
                base_bytes=moto.bytes or 0.0,
                streams=world.size,
                note=f"{moto_count:,}/batch",
            )
        )
    return runners


def bench_describe_hot(w: Worlds) -> list[Runner]:
    """DescribeStream by name among ``HOT`` fixed streams of the world."""
    world, plan = w.kvsim, w.ctx.plan
    subset = [world.names[i] for i in world.sample(min(HOT, world.size))]
    picks = [subset[world.rng.randrange(len(subset))] for _ in range(plan.batch)]
    describe = world.kv.describe_stream

    def run() -> int:
        for key in picks:
            describe(StreamName=key)
        return len(picks)

    return [Runner("kvsim", run, note=f"{len(subset):,} distinct streams")]


def bench_describe_notrace(w: Worlds) -> list[Runner]:
    """DescribeStream by name of random streams with the call trace switched off
    (``trace_limit=0`` for the batch; the world's trace is put back after)."""
    world, plan = w.kvsim, w.ctx.plan
    picks = [world.names[i] for i in world.sample(plan.batch)]
    describe = world.kv.describe_stream
    saved: list[Any] = []

    def before() -> None:
        from kvsim.core.trace import Trace

        saved.append(world.sim.runtime.trace)
        world.sim.runtime.trace = Trace(0)

    def after() -> None:
        world.sim.runtime.trace = saved.pop()

    def run() -> int:
        for key in picks:
            describe(StreamName=key)
        return len(picks)

    return [Runner("kvsim", run, before, after, note="trace_limit=0")]


def bench_list(w: Worlds, *, prefix: bool) -> list[Runner]:
    """ListStreams pages of 100, following NextToken and starting over at the end."""
    world, plan = w.kvsim, w.ctx.plan
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

    runners = [w.kvsim_runner(run)]
    found = w.ctx.measure("list_streams_prefix" if prefix else "list_streams", world.size, runners)
    found[0].note = f"{items[0] / plan.list_pages:.0f} streams/page"
    return []


def bench_update(w: Worlds, operation: str) -> list[Runner]:
    """UpdateStream (new MediaType) or UpdateDataRetention (+1 hour) of distinct
    ACTIVE streams with their current versions; settled (untimed) between batches."""
    world, plan = w.kvsim, w.ctx.plan
    count = min(world.size, plan.update_batch)
    kv, sim = world.kv, world.sim
    targets: list[tuple[str, str]] = []

    def before() -> None:
        sim.run_until_idle()
        describe = kv.describe_stream
        targets[:] = [
            (name, describe(StreamName=name)["StreamInfo"]["Version"])
            for name in (world.names[i] for i in world.sample(count))
        ]

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

    def after() -> None:
        sim.run_until_idle()

    return [w.kvsim_runner(run, before, after, note=f"{count:,}/batch")]


def bench_tag(w: Worlds) -> list[Runner]:
    """TagStream of seeded random streams by name, overwriting two tags."""
    world, plan = w.kvsim, w.ctx.plan
    picks = [(world.names[i], f"v{i % 97}") for i in world.sample(plan.batch)]
    tag = world.kv.tag_stream

    def run() -> int:
        for name, value in picks:
            tag(StreamName=name, Tags={"team": "video", "env": value})
        return len(picks)

    return [w.kvsim_runner(run)]


#: Each world scenario's runners.
BUILDERS: dict[str, Callable[[Worlds], list[Runner]]] = {
    "create_stream": bench_create,
    "describe_stream_name": lambda w: bench_describe(w, "StreamName"),
    "describe_stream_arn": lambda w: bench_describe(w, "StreamARN"),
    "describe_stream_hot": bench_describe_hot,
    "describe_stream_notrace": bench_describe_notrace,
    "list_streams": lambda w: bench_list(w, prefix=False),
    "list_streams_prefix": lambda w: bench_list(w, prefix=True),
    "update_stream": lambda w: bench_update(w, "update_stream"),
    "update_data_retention": lambda w: bench_update(w, "update_data_retention"),
    "tag_stream": bench_tag,
}


def world_sizes(plan: Plan, names: list[str]) -> Iterator[tuple[int, list[str]]]:
    """Each world size to build and the scenarios to run on it (create_stream
    also runs at ``plan.moto_world``, the size of the moto target)."""
    sizes = set(plan.sizes)
    if "create_stream" in names:
        sizes.add(plan.moto_world)
    for size in sorted(sizes):
        here = [n for n in WORLD_SCENARIOS if n in names]
        if size not in plan.sizes:
            here = [n for n in here if n == "create_stream"]
        if here:
            yield size, here


def run(ctx: Context, names: list[str]) -> None:
    """The selected core scenarios: each world size in turn, then run_until_idle."""
    moto_skips = {"list_streams", "list_streams_prefix", "update_stream"}
    if moto_skips & set(names) or {"update_data_retention", "tag_stream"} & set(names):
        ctx.note(
            "moto's Kinesis Video backend has no ListStreams paging, UpdateStream, "
            "UpdateDataRetention or TagStream: those scenarios have no moto column"
        )
    for size, here in world_sizes(ctx.plan, names):
        worlds = Worlds(ctx, size)
        for name in here:
            # Each scenario starts with a trace of DescribeStream calls: what the one
            # before left there (10,000 ListStreams pages, say) would slow its evictions.
            worlds.kvsim.fill_trace()
            runners = BUILDERS[name](worlds)
            gc.freeze()  # the worlds built so far: a collection between batches skips them
            if runners:
                ctx.measure(name, size, runners)
        gc.unfreeze()
        worlds.kvsim.sim._check()
        del worlds
        gc.collect()
    if "run_until_idle" in names:
        bench_idle(ctx)


def bench_idle(ctx: Context) -> None:
    """run_until_idle over ``Plan.idle_changes`` pending CREATING -> ACTIVE changes,
    queued with ``call_latency=0`` and a huge ``create_delay`` (rebuilt, untimed,
    before each batch, with ``trace_limit=0``: the trace would hold the creates,
    and run_until_idle records one entry whatever it runs); also the traced
    bytes per stream of the first such world while all its changes wait."""
    size = ctx.plan.idle_changes
    sims: list[kvsim.Simulator] = []
    memory: list[float] = []
    ctx.log(f"run_until_idle over {size:,} pending changes (each batch's world built untimed)")

    names = NameSource(size).take(size)

    def before() -> None:
        sims.clear()
        gc.collect()
        with traced_growth() if not memory else _untraced() as kept:
            sim = kvsim.Simulator(SEED, limits=LIMITS, timings=IDLE_TIMINGS, trace_limit=0)
            create = sim.client(
                "kinesisvideo", region_name=REGION, account_id=ACCOUNT
            ).create_stream
            for name in names:
                create(StreamName=name)
        if kept:
            memory.append(kept[0] / size)
        sims.append(sim)

    def run() -> int:
        return sims[0].run_until_idle()

    [result] = ctx.measure(
        "run_until_idle", size, [Runner("kvsim", run, before, unit="changes", note="changes/s")]
    )
    assert result.calls == size, f"ran {result.calls} of {size} changes"
    result.bytes_per_stream = memory[0]
    ctx.facts.setdefault("memory", {}).setdefault(str(size), {})["pending_bytes_per_stream"] = (
        memory[0]
    )
    sims.clear()


# -- targets and facts ------------------------------------------------------------------

FACADE_TARGETS = {"create_stream": 80_000.0, "describe_stream": 150_000.0}
SCALING_TARGET = 1.3
DICT_TARGET = 0.5
MOTO_TARGET = 50.0
MEMORY_TARGET_KIB = 1.0
IDLE_TARGET = 500_000.0


def _kvsim(ctx: Context) -> dict[tuple[str, int], Result]:
    return {(r.scenario, r.size): r for r in ctx.results if r.system == "kvsim"}


def targets(ctx: Context) -> list[Target]:
    """The facade's, memory's and run_until_idle's targets, from this run's medians."""
    at = _kvsim(ctx)
    ratios = speed_ratios(ctx.results)
    found: list[Target] = []
    sizes = sorted(ctx.plan.sizes)
    for scenario, goal in (
        ("create_stream", FACADE_TARGETS["create_stream"]),
        ("describe_stream_name", FACADE_TARGETS["describe_stream"]),
        ("describe_stream_arn", FACADE_TARGETS["describe_stream"]),
    ):
        for size in sizes:
            if (scenario, size) in at:
                found.append(
                    Target(
                        f"{scenario} calls/s",
                        f"{size:,} streams",
                        at[scenario, size].rates["median"],
                        goal,
                        at_most=False,
                    )
                )
        measured = [s for s in sizes if (scenario, s) in at]
        if len(measured) > 1:
            big, small = at[scenario, measured[-1]], at[scenario, measured[0]]
            for clock, ratio in (
                ("wall", big.us_per_call / small.us_per_call),
                ("cpu", big.cpu_us_per_call / small.cpu_us_per_call),
            ):
                found.append(
                    Target(
                        f"{scenario} cost {measured[-1]:,} / {measured[0]:,}",
                        f"µs/call ratio ({clock})",
                        ratio,
                        SCALING_TARGET,
                        at_most=True,
                        unit="×",
                    )
                )
        for size in sizes:
            dict_ratio = ratios.get((scenario, size), {}).get("bare dict")
            if dict_ratio is not None:
                found.append(
                    Target(
                        f"{scenario} speed vs bare dict",
                        f"{size:,} streams",
                        dict_ratio,
                        DICT_TARGET,
                        at_most=False,
                        unit="×",
                    )
                )
    moto_ratio = ratios.get(("create_stream", ctx.plan.moto_world), {}).get("moto backend")
    if moto_ratio is not None:
        found.append(
            Target(
                "create_stream speed vs moto backend",
                f"{ctx.plan.moto_world:,} streams",
                moto_ratio,
                MOTO_TARGET,
                at_most=False,
                unit="×",
            )
        )
    memory = ctx.facts.get("memory", {})
    for state in ("settled", "pending"):
        key = f"{state}_bytes_per_stream"
        sizes_with = [int(size) for size, mem in memory.items() if key in mem]
        if sizes_with:
            largest = max(sizes_with)
            found.append(
                Target(
                    f"memory per stream ({state})",
                    f"{largest:,} streams",
                    memory[str(largest)][key] / 1024,
                    MEMORY_TARGET_KIB,
                    at_most=True,
                    unit=" KiB",
                )
            )
    idle = [r for r in ctx.results if r.scenario == "run_until_idle"]
    if idle:
        found.append(
            Target(
                "run_until_idle changes/s",
                f"{idle[0].size:,} pending",
                idle[0].rates["median"],
                IDLE_TARGET,
                at_most=False,
            )
        )
    return found


def facts_text(ctx: Context) -> str:
    """Memory per stream and the growth of each call's cost with the world's size,
    beside the bare dict's growth over the same sizes (the memory hierarchy's share)."""
    lines: list[str] = []
    memory = ctx.facts.get("memory", {})
    if memory:
        lines.append("memory per stream (tracemalloc, after gc.collect(), call trace excluded):")
        for size, mem in sorted(memory.items(), key=lambda kv: int(kv[0])):
            parts = []
            if "settled_bytes_per_stream" in mem:
                parts.append(f"{mem['settled_bytes_per_stream']:,.0f} B settled (all ACTIVE)")
            if "pending_bytes_per_stream" in mem:
                parts.append(f"{mem['pending_bytes_per_stream']:,.0f} B with a change pending")
            if "trace_bytes" in mem:
                parts.append(f"call trace {mem['trace_bytes'] / 2**20:.1f} MiB")
            lines.append(f"  {int(size):>9,}: " + "; ".join(parts))
    at = {(r.scenario, r.size, r.system): r for r in ctx.results}
    sizes = sorted(ctx.plan.sizes)
    rows = []
    for scenario in (
        "create_stream",
        "describe_stream_name",
        "describe_stream_arn",
        "describe_stream_hot",
        "describe_stream_notrace",
    ):
        measured = [s for s in sizes if (scenario, s, "kvsim") in at]
        if len(measured) < 2:
            continue
        small, big = at[scenario, measured[0], "kvsim"], at[scenario, measured[-1], "kvsim"]
        row = (
            f"  {scenario:<24} {small.us_per_call:6.2f} -> {big.us_per_call:6.2f} µs "
            f"(+{big.us_per_call - small.us_per_call:5.2f}; cpu "
            f"+{big.cpu_us_per_call - small.cpu_us_per_call:5.2f})"
        )
        ref = [at.get((scenario, s, "bare dict")) for s in (measured[0], measured[-1])]
        if ref[0] is not None and ref[1] is not None:
            row += (
                f"   bare dict {ref[0].us_per_call:5.2f} -> {ref[1].us_per_call:5.2f} "
                f"(+{ref[1].us_per_call - ref[0].us_per_call:5.2f})"
            )
        rows.append(row)
    if rows:
        lines.append(f"cost growth per call, {sizes[0]:,} -> {sizes[-1]:,} streams (wall µs):")
        lines.extend(rows)
    return "\n".join(lines)


if __name__ == "__main__":
    from benchmarks import harness

    sys.exit(harness.main(only=list(SCENARIOS)))
