"""The benchmark harness behind ``kvsim bench``: plans, timing, results, table, targets.

Every scenario is seeded and deterministic. A measurement runs each system
(kvsim and its baselines) once as a warm-up, then ``reps`` rounds in which
each system runs one timed batch in turn, so kvsim and its baselines share
the machine's state of the moment and their ratios hold on a noisy machine.
Each batch is timed with ``time.perf_counter`` (wall) and
``time.process_time`` (this process's CPU time), after a ``gc.collect()``
(without it a batch would pay for the garbage of the one before), with the
collector left on as users would have it. Big worlds are frozen
(``gc.freeze()``) once built, which keeps those collections cheap; within a
batch it changes nothing, since a batch is far too short to trigger a full
collection of a big world. A result reports the
median, slowest and fastest batch.

The scenarios live in ``bench_core`` (the facade, the bare-dict floor and
moto's backend), ``bench_boto`` (real boto3 clients), ``bench_more`` (the
fleet and the hypothesis state machine) and ``bench_server`` (``kvsim serve``
over HTTP beside moto's server); this module runs them, prints the table and
the targets and writes ``--json`` / ``--plot``.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import importlib
import json
import os
import platform
import statistics
import subprocess
import sys
import time
import tracemalloc
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import kvsim

#: The seed every scenario derives its randomness from.
SEED = 20260101
ACCOUNT = "123456789012"
REGION = "us-east-1"
EXIT_USAGE = 2


@dataclass(frozen=True)
class Plan:
    """Sizes, repetitions and batch lengths of one run (``QUICK`` or ``FULL``)."""

    name: str
    sizes: tuple[int, ...]  # world sizes of the facade scenarios
    reps: int  # timed batches per system, after one warm-up
    batch: int  # calls per timed batch for lookups and tagging
    create_batch: int  # most streams created (then deleted) per batch
    update_batch: int  # most streams updated per batch
    list_pages: int  # ListStreams pages per batch
    moto_world: int  # the world size of the "create vs moto's backend" target
    slow_batch_seconds: float  # how long a batch of a slow baseline (moto) should take
    idle_changes: int  # pending changes run_until_idle runs
    fleet_devices: int
    fleet_boto_devices: int
    boto_sizes: tuple[int, ...]
    boto_calls: int  # calls per batch through boto3
    stateful_examples: int
    stateful_steps: int


QUICK = Plan(
    name="quick",
    sizes=(1_000, 10_000, 100_000),
    reps=5,
    batch=2_000,
    create_batch=1_000,
    update_batch=500,
    list_pages=100,
    moto_world=30_000,
    slow_batch_seconds=0.015,
    idle_changes=30_000,
    fleet_devices=10_000,
    fleet_boto_devices=100,
    boto_sizes=(1_000, 20_000),
    boto_calls=40,
    stateful_examples=3,
    stateful_steps=20,
)
FULL = Plan(
    name="full",
    sizes=(1_000, 10_000, 100_000, 1_000_000),
    reps=7,
    batch=20_000,
    create_batch=10_000,
    update_batch=5_000,
    list_pages=1_000,
    moto_world=30_000,
    slow_batch_seconds=0.25,
    idle_changes=1_000_000,
    fleet_devices=10_000,
    fleet_boto_devices=1_000,
    boto_sizes=(1_000, 20_000),
    boto_calls=300,
    stateful_examples=30,
    stateful_steps=50,
)


@dataclass
class Result:
    """The timed batches of one system in one scenario at one world size."""

    scenario: str
    size: int
    system: str  # "kvsim", "kvsim.boto" or a baseline's name
    calls: int  # calls (or changes, or steps) per timed batch
    seconds: list[float]  # wall-clock seconds of each timed batch
    cpu_seconds: list[float]  # this process's CPU seconds of each timed batch
    unit: str = "calls"
    bytes_per_stream: float | None = None  # peak traced bytes per stream (tracemalloc)
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def rates(self) -> dict[str, float]:
        """Median, slowest (min) and fastest (max) batch, in units per second."""
        per_s = sorted(self.calls / s for s in self.seconds)
        return {"median": statistics.median(per_s), "min": per_s[0], "max": per_s[-1]}

    @property
    def us_per_call(self) -> float:
        """Wall-clock microseconds per unit of the median batch."""
        return 1e6 * statistics.median(self.seconds) / self.calls

    @property
    def cpu_us_per_call(self) -> float:
        """CPU microseconds per unit of the median batch: the cost without the
        time the process waited for a core other processes held."""
        return 1e6 * statistics.median(self.cpu_seconds) / self.calls

    def to_json(self) -> dict[str, Any]:
        """This result as the JSON structure ``--json`` documents."""
        rates = self.rates
        return {
            "scenario": self.scenario,
            "size": self.size,
            "system": self.system,
            "unit": self.unit,
            "calls_per_batch": self.calls,
            "median_per_s": rates["median"],
            "min_per_s": rates["min"],
            "max_per_s": rates["max"],
            "us_per_call": self.us_per_call,
            "cpu_us_per_call": self.cpu_us_per_call,
            "seconds": self.seconds,
            "cpu_seconds": self.cpu_seconds,
            "bytes_per_stream": self.bytes_per_stream,
            "note": self.note,
            **({"extra": self.extra} if self.extra else {}),
        }


@dataclass
class Runner:
    """One system's side of a measurement.

    ``run`` makes one batch and returns how many calls it made; ``before`` and
    ``after`` prepare and tidy each batch outside the timing; ``warmup``, if
    given, replaces ``run`` for the warm-up (a smaller batch of a long
    scenario). With ``traced``, the warm-up runs under tracemalloc (inside
    ``quiet``, if given: e.g. with the simulator's call trace off, whose
    rotation would look like growth) and its peak is added to ``base_bytes``
    (what the world held before) to give the peak bytes per stream of
    ``streams + adds`` streams.
    """

    system: str
    run: Callable[[], int]
    before: Callable[[], None] | None = None
    after: Callable[[], None] | None = None
    traced: bool = False
    base_bytes: float = 0.0
    streams: int = 0
    adds: int = 0
    note: str = ""
    unit: str = "calls"
    warmup: Callable[[], int] | None = None
    quiet: Callable[[], contextlib.AbstractContextManager[object]] | None = None


class Context:
    """What one run shares: its plan, its results, its notes and its progress log."""

    def __init__(self, plan: Plan, *, out: Any = None) -> None:
        self.plan = plan
        self.results: list[Result] = []
        #: Skipped baselines and scenarios, each a one-line note.
        self.notes: list[str] = []
        #: Extra figures a scenario reports (memory per stream, cost growth, ...).
        self.facts: dict[str, Any] = {}
        self.started = time.perf_counter()
        self.out = sys.stderr if out is None else out

    def log(self, message: str) -> None:
        """Progress on stderr, stamped with the seconds since the run started."""
        stamp = time.perf_counter() - self.started
        print(f"[{stamp:7.1f}s] {message}", file=self.out, flush=True)

    def note(self, message: str) -> None:
        """Record (and show) why something was skipped."""
        if message not in self.notes:
            self.notes.append(message)
            self.log(f"note: {message}")

    def measure(self, scenario: str, size: int, runners: Sequence[Runner]) -> list[Result]:
        """Time ``runners`` on one scenario (interleaved, see the module docstring),
        record and report their results, and return them."""
        reps = self.plan.reps
        timings: dict[str, tuple[list[float], list[float]]] = {r.system: ([], []) for r in runners}
        calls: dict[str, int] = {}
        peaks: dict[str, float] = {}
        for runner in runners:
            _, _, _, peak = _batch(runner, traced=runner.traced, warmup=True)
            if runner.traced:
                peaks[runner.system] = peak
        for _ in range(reps):
            for runner in runners:
                count, wall, cpu, _ = _batch(runner, traced=False)
                calls[runner.system] = count
                timings[runner.system][0].append(wall)
                timings[runner.system][1].append(cpu)
        found = []
        for runner in runners:
            per_stream = None
            if runner.traced and runner.streams + runner.adds:
                total = runner.base_bytes + peaks[runner.system]
                per_stream = total / (runner.streams + runner.adds)
            wall, cpu = timings[runner.system]
            result = Result(
                scenario,
                size,
                runner.system,
                calls[runner.system],
                wall,
                cpu,
                unit=runner.unit,
                bytes_per_stream=per_stream,
                note=runner.note,
            )
            self.add(result)
            found.append(result)
        return found

    def add(self, result: Result) -> None:
        """Record a result and print its progress line."""
        self.results.append(result)
        rates = result.rates
        self.log(
            f"  {result.scenario:<22} {result.size:>9,} {result.system:<17} "
            f"{rates['median']:>12,.0f}/s ({_us(result.us_per_call)} µs, cpu "
            f"{_us(result.cpu_us_per_call)} µs)  min {rates['min']:,.0f}  max {rates['max']:,.0f}"
        )


def _batch(
    runner: Runner, *, traced: bool, warmup: bool = False
) -> tuple[int, float, float, float]:
    # One batch: (calls, wall s, cpu s, peak traced bytes above the start).
    if runner.before is not None:
        runner.before()
    run = runner.warmup if warmup and runner.warmup is not None else runner.run
    quiet = runner.quiet() if traced and runner.quiet is not None else contextlib.nullcontext()
    gc.collect()
    with quiet:
        if traced:
            tracemalloc.start()
        start, start_cpu = time.perf_counter(), time.process_time()
        count = run()
        wall, cpu = time.perf_counter() - start, time.process_time() - start_cpu
        peak = 0.0
        if traced:
            peak = float(tracemalloc.get_traced_memory()[1])
            tracemalloc.stop()
    if runner.after is not None:
        runner.after()
    return count, wall, cpu, peak


def _us(value: float) -> str:
    return f"{value:.2f}" if value < 100 else f"{value:,.0f}"


def traced_bytes() -> int:
    """Bytes tracemalloc sees allocated now, after a full collection."""
    gc.collect()
    return tracemalloc.get_traced_memory()[0]


@contextlib.contextmanager
def traced_growth() -> Iterator[list[float]]:
    """Measure what the block allocates and keeps: yields a list that holds
    the traced bytes it kept (after ``gc.collect()``) once the block is done."""
    kept: list[float] = []
    tracemalloc.start()
    try:
        base = traced_bytes()
        yield kept
        kept.append(float(traced_bytes() - base))
    finally:
        tracemalloc.stop()


def optional(module: str) -> ModuleType | None:
    """``module`` if it can be imported, else None (an optional baseline)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return importlib.import_module(module)
    except ImportError:
        return None


#: What to tell when an optional baseline is missing.
INSTALL_HINT = "pip install -e '.[bench]'"

BENCH_DESCRIPTION = """\
Benchmark kvsim against its peers and its floor: the facade at world sizes
10^3 ... 10^6 (up to 10^5 with --quick) beside a bare-dict reference loop and
moto's Kinesis Video backend; run_until_idle; a fleet of 10,000 devices over
one virtual day; real boto3 clients through kvsim.boto beside botocore's
before-send floor and moto's mock_aws; steps/s of the hypothesis state
machine; keep-alive boto3 calls to kvsim serve over HTTP beside moto's
server. Each scenario is seeded, with a warm-up and at least 5 repetitions
(median, min, max). Baselines that are not installed are skipped with a note.
Progress goes to stderr; the table and the targets to stdout.

kvsim bench runs from a source checkout: pip install -e '.[bench]' in a clone
of kvsim (the harness lives in its benchmarks/ directory)."""


# -- the scenario registry ------------------------------------------------------------


def _modules() -> list[ModuleType]:
    from . import (
        bench_boto,
        bench_channels,
        bench_core,
        bench_media,
        bench_more,
        bench_playback,
        bench_server,
        bench_signaling,
    )

    return [
        bench_core,
        bench_boto,
        bench_more,
        bench_server,
        bench_channels,
        bench_media,
        bench_signaling,
        bench_playback,
    ]


def scenarios() -> dict[str, str]:
    """Every scenario's name and one-line description, in run order."""
    found: dict[str, str] = {}
    for module in _modules():
        found.update(module.SCENARIOS)
    return found


def run(plan: Plan, only: Sequence[str] | None = None, *, out: Any = None) -> Context:
    """Run the scenarios named in ``only`` (all by default) under ``plan``."""
    names = list(scenarios()) if not only else list(only)
    ctx = Context(plan, out=out)
    ctx.log(
        f"kvsim bench ({plan.name}): {len(names)} scenario(s), world sizes "
        f"{', '.join(f'{s:,}' for s in plan.sizes)}; 1 warm-up + {plan.reps} reps each"
    )
    with warnings.catch_warnings():
        # Deprecations inside the baselines (moto, botocore) are not the run's business.
        warnings.simplefilter("ignore", DeprecationWarning)
        for module in _modules():
            mine = [n for n in names if n in module.SCENARIOS]
            if mine:
                module.run(ctx, mine)
    ctx.log("done")
    return ctx


# -- ratios, targets and the table ----------------------------------------------------

#: kvsim's system name in each scenario that is not the facade.
KVSIM_SYSTEMS = ("kvsim", "kvsim.boto")


def speed_ratios(results: Sequence[Result]) -> dict[tuple[str, int], dict[str, float]]:
    """For each (scenario, size): kvsim's speed relative to each baseline
    (baseline µs/call ÷ kvsim µs/call; above 1 means kvsim is faster)."""
    by_case: dict[tuple[str, int], list[Result]] = {}
    for result in results:
        by_case.setdefault((result.scenario, result.size), []).append(result)
    ratios: dict[tuple[str, int], dict[str, float]] = {}
    for case, found in by_case.items():
        ours = [r for r in found if r.system in KVSIM_SYSTEMS]
        if not ours:
            continue
        ratios[case] = {
            r.system: r.us_per_call / ours[0].us_per_call
            for r in found
            if r.system not in KVSIM_SYSTEMS
        }
    return ratios


@dataclass
class Target:
    """One goal of issue 5 and what this run measured for it."""

    name: str
    where: str
    value: float
    goal: float
    at_most: bool
    unit: str = ""

    @property
    def met(self) -> bool:
        return self.value <= self.goal if self.at_most else self.value >= self.goal

    def to_json(self) -> dict[str, Any]:
        return {
            "target": self.name,
            "where": self.where,
            "value": self.value,
            "goal": self.goal,
            "sense": "<=" if self.at_most else ">=",
            "unit": self.unit,
            "met": self.met,
        }


def targets(ctx: Context) -> list[Target]:
    """Every target whose scenarios ran, with the measured medians."""
    found: list[Target] = []
    for module in _modules():
        found.extend(module.targets(ctx))
    return found


def table(results: Sequence[Result]) -> str:
    """The results as a fixed-width text table (kvsim first in each case, then
    its baselines; ``vs baselines`` is kvsim's speed relative to each)."""
    ratios = speed_ratios(results)
    head = (
        f"{'scenario':<22} {'size':>9} {'system':<17} {'median/s':>12} {'µs/call':>8} "
        f"{'cpu µs':>7} {'min/s':>12} {'max/s':>12} {'B/stream':>8}  vs baselines / note"
    )
    lines = [head, "-" * len(head)]
    order = {name: i for i, name in enumerate(dict.fromkeys(r.scenario for r in results))}

    def key(r: Result) -> tuple[int, int, int]:
        return (order[r.scenario], r.size, 0 if r.system in KVSIM_SYSTEMS else 1)

    for r in sorted(results, key=key):
        rates = r.rates
        memory = f"{r.bytes_per_stream:,.0f}" if r.bytes_per_stream is not None else "–"
        tail = r.note
        if r.system in KVSIM_SYSTEMS:
            versus = ratios.get((r.scenario, r.size), {})
            parts = [f"{_ratio(v)} {name}" for name, v in versus.items()]
            tail = "; ".join([*parts, *([r.note] if r.note else [])])
        lines.append(
            f"{r.scenario:<22} {r.size:>9,} {r.system:<17} {rates['median']:>12,.0f} "
            f"{_us(r.us_per_call):>8} {_us(r.cpu_us_per_call):>7} {rates['min']:>12,.0f} "
            f"{rates['max']:>12,.0f} {memory:>8}  {tail}"
        )
    return "\n".join(lines)


def _ratio(value: float) -> str:
    return f"{value:.2f}×" if value < 10 else f"{value:,.0f}×"


def targets_text(found: Sequence[Target]) -> str:
    """The targets, one line each, marked ok or MISS."""
    lines = []
    for t in found:
        sense = "≤" if t.at_most else "≥"
        lines.append(
            f"  {'ok  ' if t.met else 'MISS'} {t.name:<44} {t.where:<34} "
            f"{t.value:>12,.2f}{t.unit} (goal {sense} {t.goal:,}{t.unit})"
        )
    return "\n".join(lines)


# -- machine, JSON and plot -----------------------------------------------------------


def cpu_model() -> str:
    """The CPU's model name (from /proc/cpuinfo on Linux), else the platform's."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


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


def meta(ctx: Context) -> dict[str, Any]:
    """Where and how the run happened."""
    return {
        "kvsim": kvsim.__version__,
        "commit": git_commit(),
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu": cpu_model(),
        "cpus": os.cpu_count(),
        "plan": ctx.plan.name,
        "reps": ctx.plan.reps,
        "seed": SEED,
        "seconds": round(time.perf_counter() - ctx.started, 1),
    }


def to_json(ctx: Context) -> dict[str, Any]:
    """The whole run: ``meta``, ``results``, ``targets``, ``notes`` and ``facts``."""
    return {
        "meta": meta(ctx),
        "results": [r.to_json() for r in ctx.results],
        "targets": [t.to_json() for t in targets(ctx)],
        "notes": list(ctx.notes),
        "facts": ctx.facts,
    }


#: The plot's panels: a title and the scenarios whose systems it draws.
PLOT_PANELS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("create_stream", ("create_stream",)),
    ("describe_stream (by name, by ARN)", ("describe_stream_name", "describe_stream_arn")),
    ("list_streams, update, tag", ("list_streams", "update_stream", "tag_stream")),
    ("create_stream through boto3", ("boto3_create_stream",)),
)


def plot(results: Sequence[Result], path: Path, title: str) -> bool:
    """Draw µs per call against world size (log-log), one panel per group of
    scenarios, to a PNG at ``path``; False when no scenario has two sizes."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = []
    for heading, names in PLOT_PANELS:
        series: dict[tuple[str, str], list[tuple[int, float]]] = {}
        for r in results:
            if r.scenario in names:
                series.setdefault((r.system, r.scenario), []).append((r.size, r.us_per_call))
        if any(len(points) > 1 for points in series.values()):
            panels.append((heading, names, series))
    if not panels:
        return False
    rows = (len(panels) + 1) // 2
    fig, axes = plt.subplots(rows, 2, figsize=(11, 4.3 * rows), squeeze=False)
    colours = {name: f"C{i}" for i, name in enumerate(dict.fromkeys(r.system for r in results))}
    styles = ("-", "--", ":")
    for ax, (heading, names, series) in zip(axes.flat, panels, strict=False):
        for (system, scenario), points in series.items():
            points.sort()
            label = system if len(names) == 1 else f"{system}: {scenario}"
            ax.plot(
                [p[0] for p in points],
                [p[1] for p in points],
                marker="o",
                lw=1.5,
                color=colours[system],
                linestyle=styles[names.index(scenario) % len(styles)],
                label=label,
            )
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_title(heading, fontsize=10)
        ax.set_xlabel("streams in the world")
        ax.set_ylabel("µs per call (median)")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7)
    for ax in list(axes.flat)[len(panels) :]:
        ax.set_visible(False)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


# -- the command line -----------------------------------------------------------------


def selected(only: Sequence[str] | None) -> list[str] | None:
    """The names ``--only`` gave (split on commas), or None for all."""
    if not only:
        return None
    return [name.strip() for item in only for name in item.split(",") if name.strip()]


def main_from_args(args: argparse.Namespace) -> int:
    """Run ``kvsim bench`` for parsed arguments; returns the exit code."""
    known = scenarios()
    if args.list:
        for name, summary in known.items():
            print(f"{name:<24} {summary}")
        return 0
    names = selected(args.only)
    unknown = [n for n in names or [] if n not in known]
    if unknown:
        print(
            f"kvsim bench: unknown scenario {', '.join(unknown)}; choose from: {', '.join(known)}",
            file=sys.stderr,
        )
        return EXIT_USAGE
    json_path = Path(args.json) if args.json else None
    plot_path = Path(args.plot) if args.plot else None
    if plot_path is not None and optional("matplotlib") is None:
        print(f"kvsim bench: --plot needs matplotlib ({INSTALL_HINT} installs it)", file=sys.stderr)
        return EXIT_USAGE
    plan = QUICK if args.quick else FULL
    ctx = run(plan, names)
    report(ctx)
    if json_path is not None:
        json_path.write_text(json.dumps(to_json(ctx), indent=2, ensure_ascii=False) + "\n")
        ctx.log(f"wrote {json_path}")
    if plot_path is not None:
        info = meta(ctx)
        title = f"kvsim bench ({plan.name}), {info['date']}, Python {info['python']}, {info['cpu']}"
        if plot(ctx.results, plot_path, title):
            ctx.log(f"wrote {plot_path}")
        else:
            ctx.note("--plot: no scenario ran at two or more sizes; nothing to draw")
    if args.markdown:
        Path(args.markdown).write_text(
            markdown(ctx, plot_path.name if plot_path is not None else None), encoding="utf-8"
        )
        ctx.log(f"wrote {args.markdown}")
    if args.check_targets and not all(t.met for t in targets(ctx)):
        return 1
    return 0


def markdown(ctx: Context, plot_name: str | None = None) -> str:
    """The run as a Markdown page (``--markdown``): machine, targets, table, facts, notes."""
    info = meta(ctx)
    lines = [
        "# kvsim benchmark results",
        "",
        f"`kvsim bench` ({info['plan']} run) on {info['date']}: kvsim {info['kvsim']} "
        f"(commit {info['commit'] or 'unknown'}), Python {info['python']}, "
        f"{info['cpu']} ({info['cpus']} CPUs), {info['platform']}. The whole run took "
        f"{info['seconds']:.0f} s. Every figure is the median of {info['reps']} timed batches "
        "after a warm-up; how each scenario is measured is in [README.md](README.md).",
        "",
    ]
    if plot_name:
        lines += [f"![µs per call against world size, log-log]({plot_name})", ""]
    found = targets(ctx)
    if found:
        lines += [
            "## Targets",
            "",
            "| target | where | measured | goal | met |",
            "|---|---|---:|---:|---|",
        ]
        for t in found:
            sense = "≤" if t.at_most else "≥"
            lines.append(
                f"| {t.name} | {t.where} | {_figure(t.value)}{t.unit} | {sense} "
                f"{_figure(t.goal)}{t.unit} | {'yes' if t.met else '**no**'} |"
            )
        lines.append("")
    lines += ["## Results", "", "```text", table(ctx.results), "```", ""]
    facts = [text for module in _modules() if (text := module.facts_text(ctx))]
    if facts:
        lines += ["## Memory and growth", "", "```text", *facts, "```", ""]
    if ctx.notes:
        lines += ["## Notes", "", *[f"- {note}" for note in ctx.notes], ""]
    return "\n".join(lines)


def _figure(value: float) -> str:
    return f"{value:,.0f}" if value >= 1000 else f"{value:,.2f}"


def report(ctx: Context) -> None:
    """Print the table, the extra facts, the notes and the targets to stdout."""
    info = meta(ctx)
    print(
        f"kvsim bench ({info['plan']}) {info['date']}: kvsim {info['kvsim']} "
        f"({info['commit'] or 'no git'}), Python {info['python']}, {info['cpu']}, "
        f"{info['cpus']} CPUs; {info['seconds']:.0f} s"
    )
    print()
    if ctx.results:
        print(table(ctx.results))
        print()
    for module in _modules():
        text = module.facts_text(ctx)
        if text:
            print(text)
            print()
    if ctx.notes:
        print("notes:")
        for note in ctx.notes:
            print(f"  - {note}")
        print()
    found = targets(ctx)
    if found:
        print("targets (medians):")
        print(targets_text(found))


def build_parser() -> argparse.ArgumentParser:
    """The parser of ``kvsim bench`` (and ``python -m benchmarks``)."""
    parser = argparse.ArgumentParser(
        prog="kvsim bench",
        description=BENCH_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--quick", action="store_true", help="smaller worlds and batches: under a minute"
    )
    parser.add_argument(
        "--only",
        action="append",
        metavar="NAME",
        help="run only this scenario (repeatable or comma-separated; --list shows the names)",
    )
    parser.add_argument("--list", action="store_true", help="list the scenarios and exit")
    parser.add_argument("--json", metavar="PATH", help="also write every result as JSON")
    parser.add_argument(
        "--plot", metavar="PATH", help="draw µs per call against world size (log-log) to a PNG"
    )
    parser.add_argument(
        "--markdown", metavar="PATH", help="also write the run as a Markdown page (RESULTS.md)"
    )
    parser.add_argument(
        "--check-targets", action="store_true", help="exit 1 when a target is missed"
    )
    return parser


def main(argv: Sequence[str] | None = None, *, only: Sequence[str] = ()) -> int:
    """``kvsim bench [options]`` runs ``python -m benchmarks [options]`` from the
    checkout's root, which runs this; a bench_*.py script passes its own ``only``."""
    args = list(sys.argv[1:] if argv is None else argv)
    if only and "--only" not in args:
        args += ["--only", ",".join(only)]
    return main_from_args(build_parser().parse_args(args))
