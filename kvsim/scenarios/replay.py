"""Saved traces: read them back as scenarios and replay them, checking every outcome.

``sim.save_trace(path)`` writes JSON lines: a header with the simulator's
settings, then one scenario step per line, each with ``at`` (the virtual time)
and, for calls, ``outcome``. ``kvsim run trace.jsonl`` runs such a file as a
scenario; ``kvsim run trace.jsonl --check`` replays it on a fresh simulator
built from the header and stops at the first call whose outcome differs.

A malformed trace raises :class:`~kvsim.scenarios.steps.ScenarioError` naming
the line (``line 3: nested deeper than 64 levels``: like a step's ``args``, a
line's values, ``outcome`` included, nest at most
:data:`~kvsim.scenarios.steps.MAX_NESTING` levels), the header (``the trace
header is not valid: ...``, for settings the simulator refuses) or the step
(as :func:`~kvsim.scenarios.runner.iter_events` does).

>>> import kvsim, tempfile, os
>>> sim = kvsim.Simulator(seed=4, trace_limit=None)
>>> kv = sim.client()
>>> _ = kv.create_stream(StreamName="cam")
>>> _ = sim.advance(3)
>>> path = os.path.join(tempfile.mkdtemp(), "trace.jsonl")
>>> sim.save_trace(path)
2
>>> trace = read_trace(path)
>>> len(trace.steps), trace.simulator().seed
(2, 4)
>>> replay(trace) is None
True
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from ..core.trace import HEADER_KEY, jsonable
from ..engine.simulator import Simulator
from ..services.config import Limits, Timings
from .runner import iter_events
from .steps import MAX_NESTING, ScenarioError, Step, load_scenario, nesting_overflow

__all__ = ["Mismatch", "SavedTrace", "parse_trace_lines", "read_trace", "replay"]


@dataclass(frozen=True, slots=True)
class SavedTrace:
    """A trace read back: simulator settings, the steps, and each call's recorded outcome."""

    settings: Mapping[str, Any]
    steps: list[Step]
    outcomes: list[Mapping[str, Any] | None]  # per step; None for clock steps

    def simulator(self) -> Simulator:
        """A fresh simulator with the traced one's seed, start, limits and timings."""
        settings = self.settings
        for name in ("limits", "timings"):
            if name in settings and not isinstance(settings[name], dict):
                raise ScenarioError(f"the trace header is not valid: {name} must be an object")
        if not isinstance(settings.get("limits", {}).get("rates", {}), dict):
            raise ScenarioError("the trace header is not valid: limits.rates must be an object")
        try:
            return Simulator(
                seed=settings.get("seed", 0),
                start=datetime.fromisoformat(settings["start"]) if "start" in settings else None,
                limits=Limits.from_json(settings["limits"]) if "limits" in settings else None,
                timings=Timings.from_json(settings["timings"]) if "timings" in settings else None,
                trace_limit=None,
            )
        except (TypeError, ValueError, KeyError, OverflowError) as error:
            raise ScenarioError(f"the trace header is not valid: {error}") from None


def read_trace(source: str | os.PathLike[str]) -> SavedTrace:
    """Read a JSON-lines trace; raise :class:`~kvsim.scenarios.steps.ScenarioError` naming the line."""
    path = Path(source)
    try:
        # Lines end at "\n" only: a trace's JSON strings may hold U+2028 and the
        # other breaks that str.splitlines() would also split at.
        lines = path.read_text(encoding="utf-8").split("\n")
    except (OSError, UnicodeDecodeError) as error:
        raise ScenarioError(f"cannot read {path}: {error}") from None
    return parse_trace_lines(lines)


def parse_trace_lines(lines: Sequence[str]) -> SavedTrace:
    """Parse the lines of a trace (blank lines are skipped)."""
    settings: Mapping[str, Any] = {}
    raw: list[dict[str, Any]] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        if nesting_overflow(line) is not None:  # before json.loads can recurse into it
            raise ScenarioError(f"line {number}: nested deeper than {MAX_NESTING} levels")
        try:
            item = json.loads(line)
        except (ValueError, RecursionError) as error:
            raise ScenarioError(f"line {number} is not JSON: {error}") from None
        if isinstance(item, dict) and HEADER_KEY in item:
            if raw or settings:
                raise ScenarioError(f"line {number}: a trace header must be the first line")
            if item[HEADER_KEY] != 1:
                raise ScenarioError(f"unsupported trace format {item[HEADER_KEY]!r}")
            settings = item
            continue
        raw.append(item)
    outcomes: list[Mapping[str, Any] | None] = []
    steps_json: list[object] = []
    for item in raw:
        if isinstance(item, dict):
            outcomes.append(item.get("outcome"))
            item = {k: v for k, v in item.items() if k not in ("at", "outcome")}
        else:
            outcomes.append(None)
        steps_json.append(item)
    return SavedTrace(settings, load_scenario(steps_json), outcomes)


@dataclass(frozen=True, slots=True)
class Mismatch:
    """The first replayed call whose outcome differs from the recorded one."""

    step: int
    call: str
    expected: Mapping[str, Any]
    actual: Mapping[str, Any]

    def __str__(self) -> str:
        return (
            f"step {self.step} ({self.call}): recorded {json.dumps(self.expected, sort_keys=True)}"
            f", replay gave {json.dumps(self.actual, sort_keys=True)}"
        )


def replay(trace: SavedTrace, sim: Simulator | None = None) -> Mismatch | None:
    """Run ``trace`` on a fresh simulator (or ``sim``); the first differing outcome, or None."""
    sim = trace.simulator() if sim is None else sim
    for event in iter_events(trace.steps, sim):
        if event.kind not in ("call", "put_fragments", "signaling"):
            continue
        expected = trace.outcomes[event.step - 1]
        if expected is None:
            continue  # a step without a recorded outcome (hand-written) is not checked
        if event.error is None:
            actual: dict[str, Any] = {"response": jsonable(event.response)}
        else:
            actual = {"error": event.error, "message": event.message}
        if jsonable(expected) != actual:
            doing = f"signaling {event.call}" if event.kind == "signaling" else str(event.call)
            return Mismatch(event.step, doing, expected, actual)
    return None
