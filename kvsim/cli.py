"""The ``kvsim`` command line (also ``python -m kvsim``).

Each subcommand is one ``add_<name>_command(subparsers)`` function that adds
its parser and sets ``handler`` (``Namespace -> exit code``); list it in
:data:`SUBCOMMANDS` and :func:`main` dispatches to it. Exit codes: 0 done,
2 a usage error or a malformed scenario (a one-line message on stderr).
"""

from __future__ import annotations

import argparse
import json
import sys
import textwrap
from collections.abc import Callable, Sequence
from typing import TextIO, TypeAlias

from . import __version__
from .demo import demo_scenario
from .replay import read_trace, replay
from .scenario import (
    CALLS,
    Event,
    ScenarioError,
    Step,
    format_event,
    iter_events,
    load_scenario,
    parse_scenario_text,
)
from .simulator import Simulator
from .trace import HEADER_KEY

__all__ = [
    "SUBCOMMANDS",
    "add_bench_command",
    "add_run_command",
    "add_serve_command",
    "build_parser",
    "main",
]

#: What argparse's ``add_subparsers`` returns.
Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"

#: Exit code of a usage error or a malformed scenario (argparse's own).
EXIT_USAGE = 2

RUN_DESCRIPTION = """\
Run a scenario on a fresh simulator and print its timeline: each call with its
response or error code, and each status change (e.g. CREATING -> ACTIVE) at the
virtual time it happened. Without SCENARIO, run the built-in demo.

A scenario is a JSON list of steps, each one of:
  {"call": "create_stream", "args": {"StreamName": "cam-1"},
   "account_id": "123456789012", "region_name": "us-east-1"}
      a boto3 kinesisvideo method; args (default {}), account_id and
      region_name (defaults shown) are optional
  {"advance": 2.5}          move the virtual clock 2.5 seconds
  {"run_until_idle": true}  run every scheduled change
In args, {"$last": "StreamInfo.Version"} stands for that field (dotted path,
list items by index) of the latest successful response that has it.
Service errors and parameter-validation errors are part of the timeline.
"""

RUN_EPILOG = """\
--json prints one JSON object per line. Every object has "step" (1-based),
"t" (virtual seconds since the start), "time" (ISO 8601) and "kind", then:
  call:            account_id, region_name, call, args, error, message, response
                   (error is the code or "ParamValidationError"; response, without
                   ResponseMetadata, is null on error; error and message are
                   null on success)
  change:          account_id, region_name, resource (the ARN), transition
  advance:         seconds, until
  run_until_idle:  until

""" + textwrap.fill("calls: " + ", ".join(CALLS), width=79, subsequent_indent="  ")


def build_parser() -> argparse.ArgumentParser:
    """The ``kvsim`` parser with every subcommand of :data:`SUBCOMMANDS`."""
    parser = argparse.ArgumentParser(
        prog="kvsim",
        description="kvsim: a deterministic simulator of Amazon Kinesis Video Streams.",
    )
    parser.add_argument("--version", action="version", version=f"kvsim {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for add_command in SUBCOMMANDS:
        add_command(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``kvsim`` command line with ``argv`` (default ``sys.argv[1:]``);
    return the exit code."""
    args = build_parser().parse_args(argv)
    handler: Callable[[argparse.Namespace], int] = args.handler
    return handler(args)


# -- kvsim run --------------------------------------------------------------------------


def add_run_command(subparsers: Subparsers) -> None:
    """``kvsim run [SCENARIO] [--seed N] [--json]``."""
    parser = subparsers.add_parser(
        "run",
        help="run a scenario (or the built-in demo) and print its timeline",
        description=RUN_DESCRIPTION,
        epilog=RUN_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "scenario",
        nargs="?",
        metavar="SCENARIO",
        help="scenario JSON file ('-' reads standard input); default: the built-in demo",
    )
    parser.add_argument(
        "--seed", type=int, default=0, metavar="N", help="the simulator's seed (default: 0)"
    )
    parser.add_argument(
        "--json", action="store_true", help="print the timeline as JSON lines, one event each"
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="replay a trace saved by sim.save_trace() and exit 1 at the first call whose "
        "outcome differs from the recorded one",
    )
    parser.set_defaults(handler=run_command)


def run_command(args: argparse.Namespace) -> int:
    """Load the scenario, run it and print the timeline; 2 if it is malformed."""
    source: str | None = args.scenario
    label = "built-in demo" if source is None else "standard input" if source == "-" else source
    if args.check:
        return check_command(source, label)
    try:
        steps, sim = _load(source, args.seed)
    except ScenarioError as error:
        return _fail(label, error)
    out = sys.stdout
    if not args.json:
        print(f"kvsim run: {label}, seed {args.seed}, {_count(len(steps), 'step')}", file=out)
        print(f"t = virtual seconds since {sim.now.isoformat()}", file=out)
        print(file=out)
    events: list[Event] = []
    try:
        for event in iter_events(steps, sim):
            events.append(event)
            _print_event(event, out, as_json=args.json)
    except ScenarioError as error:
        out.flush()
        return _fail(label, error)
    if not args.json:
        print(file=out)
        print(_totals(steps, events, sim), file=out)
    return 0


def check_command(source: str | None, label: str) -> int:
    """Replay a saved trace on a fresh simulator: 0 if every outcome matches, 1 if not."""
    if source is None or source == "-":
        print("kvsim run --check: name a trace file saved by sim.save_trace()", file=sys.stderr)
        return EXIT_USAGE
    try:
        trace = read_trace(source)
        mismatch = replay(trace)
    except ScenarioError as error:
        return _fail(label, error)
    if mismatch is not None:
        print(f"kvsim run --check: {label}: {mismatch}", file=sys.stderr)
        return 1
    calls = sum(1 for outcome in trace.outcomes if outcome is not None)
    print(f"kvsim run --check: {label}: {_count(calls, 'call')} replayed, every outcome matches")
    return 0


def _load(source: str | None, seed: int) -> tuple[list[Step], Simulator]:
    # A trace saved by sim.save_trace() (JSON lines) runs as a scenario on a
    # simulator with the traced one's settings; --seed applies to the others.
    if source is None:
        return load_scenario(demo_scenario()), Simulator(seed=seed)
    if source == "-":
        return load_scenario(parse_scenario_text(sys.stdin.read())), Simulator(seed=seed)
    if _is_trace(source):
        trace = read_trace(source)
        return trace.steps, trace.simulator()
    return load_scenario(source), Simulator(seed=seed)


def _is_trace(source: str) -> bool:
    # A saved trace opens with its header line; anything else is a JSON scenario.
    try:
        with open(source, encoding="utf-8") as file:
            first = json.loads(file.readline())
    except (OSError, UnicodeDecodeError, ValueError):
        return False  # load_scenario reports it
    return isinstance(first, dict) and HEADER_KEY in first


def _fail(label: str, error: ScenarioError) -> int:
    print(f"kvsim run: {label}: {error}", file=sys.stderr)
    return EXIT_USAGE


def _print_event(event: Event, out: TextIO, *, as_json: bool) -> None:
    if as_json:
        print(json.dumps(event.to_json(), ensure_ascii=False), file=out)
    else:
        print(format_event(event), file=out)


def _totals(steps: Sequence[Step], events: Sequence[Event], sim: Simulator) -> str:
    calls = [e for e in events if e.kind == "call"]
    errors = sum(1 for e in calls if e.error is not None)
    changes = sum(1 for e in events if e.kind == "change")
    return (
        f"{_count(len(steps), 'step')}: {_count(len(calls), 'call')} "
        f"({_count(errors, 'error')}), {_count(changes, 'status change')}; "
        f"virtual time now {sim.now.isoformat()}"
    )


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" + ("" if number == 1 else "s")


# -- kvsim serve ------------------------------------------------------------------------


def add_serve_command(subparsers: Subparsers) -> None:
    """``kvsim serve [--host H] [--port P] [--seed N] [--account AKID=ACCOUNT ...]``."""
    from . import server

    parser = subparsers.add_parser(
        "serve",
        help="serve the simulator over HTTP for the AWS CLI, other SDKs and curl",
        description=server.SERVE_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    server.add_arguments(parser)
    parser.set_defaults(handler=server.run)


# -- kvsim bench ------------------------------------------------------------------------

BENCH_DESCRIPTION = """\
Benchmark kvsim against its peers and its floor: the facade at world sizes
10^3 ... 10^6 (up to 10^5 with --quick) beside a bare-dict reference loop and
moto's Kinesis Video backend; run_until_idle; a fleet of 10,000 devices over
one virtual day; real boto3 clients through kvsim.boto beside botocore's
before-send floor and moto's mock_aws; steps/s of the hypothesis state
machine. Each scenario is seeded, with a warm-up and at least 5 repetitions
(median, min, max). Baselines that are not installed are skipped with a note.
Progress goes to stderr; the table and the targets to stdout.

kvsim bench runs from a source checkout: pip install -e '.[bench]' in a clone
of kvsim (the harness lives in its benchmarks/ directory)."""


def add_bench_command(subparsers: Subparsers) -> None:
    """``kvsim bench [--quick] [--only NAME] [--json PATH] [--plot PATH]``."""
    parser = subparsers.add_parser(
        "bench",
        help="benchmark kvsim against its baselines (from a source checkout)",
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
    parser.set_defaults(handler=bench_command)


def bench_command(args: argparse.Namespace) -> int:
    """Run the harness of the checkout's ``benchmarks/`` directory; 2 without one."""
    import importlib
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    if not (root / "benchmarks" / "harness.py").is_file():
        print(
            "kvsim bench: runs from a source checkout (pip install -e '.[bench]' in a clone "
            f"of kvsim); no benchmarks/ directory beside {Path(__file__).resolve().parent}",
            file=sys.stderr,
        )
        return EXIT_USAGE
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    harness = importlib.import_module("benchmarks.harness")
    code: int = harness.main_from_args(args)
    return code


#: Every subcommand's ``add_<name>_command``, in ``--help`` order.
SUBCOMMANDS: tuple[Callable[[Subparsers], None], ...] = (
    add_run_command,
    add_serve_command,
    add_bench_command,
)
