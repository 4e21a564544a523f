"""``kvsim run``: a scenario (or the built-in demo, or a saved trace) as a printed timeline.

Exit codes: 0 done (``--check``: every outcome matches), 1 an outcome differs
(``--check``), 2 a usage error or a malformed scenario or trace, reported as
one line on stderr naming the step, the line of the trace or its header, never
a traceback (see :mod:`kvsim.scenarios.runner` for which exceptions of a step's
execution count as the scenario's fault). When the reader of standard output
goes away (``kvsim run | head -1``), the command stops quietly with
:data:`EXIT_BROKEN_PIPE` (141, i.e. 128 + SIGPIPE: what a shell reports for a
Unix tool that SIGPIPE ended), whatever it had left to print going nowhere.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import textwrap
from collections.abc import Sequence
from typing import TextIO

from ..core.constants import seed_option
from ..core.trace import HEADER_KEY
from ..engine.simulator import Simulator
from ..scenarios.demo import demo_scenario
from ..scenarios.replay import SavedTrace, read_trace, replay
from ..scenarios.runner import Event, iter_events
from ..scenarios.steps import (
    CALLS,
    ScenarioError,
    Step,
    load_scenario,
    nesting_overflow,
    parse_scenario_text,
)
from ..scenarios.text import format_event
from .bench import EXIT_USAGE, Subparsers

__all__ = [
    "EXIT_BROKEN_PIPE",
    "RUN_DESCRIPTION",
    "RUN_EPILOG",
    "add_run_command",
    "check_command",
    "run_command",
]

#: The exit code when standard output's reader went away: 128 + SIGPIPE (13).
EXIT_BROKEN_PIPE = 141

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
  {"hub_device": "arn:aws:iot:us-east-1:123456789012:thing/hub-1", "online": false}
      make an IoT hub device unreachable (or reachable) for the edge
      configurations of an account_id and region_name (optional, as for calls)
  {"signaling": "connect", "channel": "arn:...:channel/door/1", "role": "VIEWER",
   "client_id": "phone", "connection": "phone"}
      sim.signaling: connect (role MASTER by default; connection names it,
      default the count of connect steps), then {"signaling": "send",
      "connection": "phone", "action": "SDP_OFFER", "payload": {...}} (or
      "frame": the wire object), "receive" or "close" on a connection, and
      "go_away" or "reconnect_ice_server" on a "channel"
In args, {"$last": "StreamInfo.Version"} stands for that field (dotted path,
list items by index) of the latest successful response that has it; args
nest at most 64 levels of objects and lists. Service errors and
parameter-validation errors are part of the timeline. Exit status: 0 done, 1 an
outcome differs (--check), 2 a malformed scenario or trace (one line on stderr
naming the step, or the trace's line or header), 141 the reader of the output
went away (e.g. kvsim run | head -1).
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
  hub_device:      account_id, region_name, resource (the hub device ARN), online
  signaling:       account_id, region_name, signaling (the action), resource (the
                   channel ARN), args, error, message, response

""" + textwrap.fill("calls: " + ", ".join(CALLS), width=79, subsequent_indent="  ")


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
        "--seed",
        type=seed_option,
        default=None,
        metavar="N",
        help="the simulator's seed, 0 <= N < 2**64 (default: 0); a saved trace "
        "carries its own seed, and --seed must then be omitted or equal to it",
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
    """Load the scenario, run it and print the timeline; 2 if it is malformed,
    :data:`EXIT_BROKEN_PIPE` if standard output's reader went away."""
    source: str | None = args.scenario
    label = "built-in demo" if source is None else "standard input" if source == "-" else source
    try:
        code = check_command(source, label, args.seed) if args.check else _run(args, source, label)
        if sys.stdout is not None:  # None when started with standard output closed
            sys.stdout.flush()  # a broken pipe shows here, not at exit
    except BrokenPipeError:
        return _broken_pipe()
    return code


def _run(args: argparse.Namespace, source: str | None, label: str) -> int:
    try:
        steps, sim = _load(source, args.seed)
    except ScenarioError as error:
        return _fail(label, error)
    out = sys.stdout
    if not args.json:
        print(f"kvsim run: {label}, seed {sim.seed}, {_count(len(steps), 'step')}", file=out)
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


def check_command(source: str | None, label: str, seed: int | None = None) -> int:
    """Replay a saved trace on a fresh simulator: 0 if every outcome matches, 1 if not."""
    if source is None or source == "-":
        print("kvsim run --check: name a trace file saved by sim.save_trace()", file=sys.stderr)
        return EXIT_USAGE
    try:
        trace = read_trace(source)
        _trace_seed_agrees(trace, seed)
        mismatch = replay(trace)
    except ScenarioError as error:
        return _fail(label, error)
    if mismatch is not None:
        print(f"kvsim run --check: {label}: {mismatch}", file=sys.stderr)
        return 1
    calls = sum(1 for outcome in trace.outcomes if outcome is not None)
    print(f"kvsim run --check: {label}: {_count(calls, 'outcome')} replayed, every outcome matches")
    return 0


def _trace_seed_agrees(trace: SavedTrace, seed: int | None) -> None:
    # A saved trace replays on the traced simulator's own seed: a different
    # --seed would silently not apply, so it is refused instead.
    own = trace.settings.get("seed", 0)
    if seed is not None and seed != own:
        raise ScenarioError(
            f"a saved trace carries its own seed ({own}); --seed {seed} does not apply to it"
        )


def _load(source: str | None, seed: int | None) -> tuple[list[Step], Simulator]:
    # A trace saved by sim.save_trace() (JSON lines) runs as a scenario on a
    # simulator with the traced one's settings; --seed applies to the others.
    if seed is None:
        if source is not None and source != "-" and _is_trace(source):
            trace = read_trace(source)
            return trace.steps, trace.simulator()
        seed = 0
    if source is None:
        return load_scenario(demo_scenario()), Simulator(seed=seed)
    if source == "-":
        try:
            text = sys.stdin.read()
        except (OSError, UnicodeDecodeError) as error:
            raise ScenarioError(f"cannot read standard input: {error}") from None
        return load_scenario(parse_scenario_text(text)), Simulator(seed=seed)
    if _is_trace(source):
        trace = read_trace(source)
        _trace_seed_agrees(trace, seed)
        return trace.steps, trace.simulator()
    return load_scenario(source), Simulator(seed=seed)


def _is_trace(source: str) -> bool:
    # A saved trace opens with its header line; anything else is a JSON scenario.
    try:
        with open(source, encoding="utf-8") as file:
            line = file.readline()
    except (OSError, UnicodeDecodeError):
        return False  # load_scenario reports it
    if nesting_overflow(line) is not None:
        # Too deep to parse: a header if it names itself one (read_trace refuses it).
        return line.lstrip().startswith("{") and json.dumps(HEADER_KEY) in line
    try:
        first = json.loads(line)
    except ValueError:
        return False  # load_scenario reports it
    return isinstance(first, dict) and HEADER_KEY in first


def _fail(label: str, error: ScenarioError) -> int:
    # One line, whatever line breaks the file name or the problem holds.
    message = "; ".join(f"kvsim run: {label}: {error}".splitlines())
    print(message, file=sys.stderr)
    return EXIT_USAGE


def _broken_pipe() -> int:
    # The Python docs' recipe (signal module, "Note on SIGPIPE"): whatever is
    # still buffered for standard output goes to devnull, not to a traceback
    # when the interpreter flushes it at exit.
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass  # no file descriptor (captured output): nothing to flush at exit
    return EXIT_BROKEN_PIPE


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
