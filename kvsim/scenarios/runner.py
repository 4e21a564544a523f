"""Scenarios: a JSON list of API calls and clock steps, run on a simulator as a timeline.

A scenario is a list of steps, each a JSON object of one of three kinds::

    {"call": "create_stream", "args": {"StreamName": "cam-1"},
     "account_id": "123456789012", "region_name": "us-east-1"}
    {"advance": 2.5}
    {"run_until_idle": true}

``call`` is a boto3 method name of the ``kinesisvideo`` client; ``args`` (an
object, default ``{}``), ``account_id`` (default ``123456789012``) and
``region_name`` (default ``us-east-1``) are optional. ``advance`` moves the
clock that many virtual seconds (a number >= 0); ``run_until_idle`` (always
``true``) runs every scheduled change.

Inside ``args``, the one-key object ``{"$last": "StreamInfo.Version"}`` stands
for that field (a dotted path; list items by index) of the most recent
successful response that has it, so a scenario can pass the seeded
``CurrentVersion`` or a ``StreamARN`` it cannot know in advance.

:func:`load_scenario` checks a whole scenario before anything runs and raises
:class:`ScenarioError` naming the step; :func:`run_scenario` (or the lazy
:func:`iter_events`) runs it and returns the timeline: every call with its
response or error code, and every status change that ran in between.

>>> steps = load_scenario([
...     {"call": "create_stream", "args": {"StreamName": "cam-1"}},
...     {"advance": 3},
...     {"call": "create_stream", "args": {"StreamName": "cam-1"}},
... ])
>>> for event in run_scenario(steps):
...     print(event.step, f"{event.t:.3f}", event.kind, event.call or event.transition, event.error)
1 0.000 call create_stream None
2 0.050 advance None None
2 2.000 change CREATING -> ACTIVE None
3 3.050 call create_stream ResourceInUseException
"""

from __future__ import annotations

import difflib
import json
import math
import os
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from ..core.constants import DEFAULT_ACCOUNT_ID, DEFAULT_REGION_NAME, check_account_region
from ..core.kernel import ScheduledChange
from ..core.trace import jsonable
from ..engine.simulator import Simulator
from ..model.errors import ClientError, ParamValidationError
from ..services.registry import SERVICES

__all__ = [
    "CALLS",
    "DEFAULT_ACCOUNT_ID",
    "DEFAULT_REGION_NAME",
    "AdvanceStep",
    "CallStep",
    "Event",
    "IdleStep",
    "ScenarioError",
    "Step",
    "format_event",
    "iter_events",
    "load_scenario",
    "parse_scenario_text",
    "run_scenario",
]

#: The call names a scenario may use: boto3's method names of the simulated
#: ``kinesisvideo`` operations, in declaration order.
CALLS: tuple[str, ...] = tuple(op.method for op in SERVICES["kinesisvideo"].simulated.values())

_MS = timedelta(milliseconds=1)
_CALL_KEYS = ("call", "args", "account_id", "region_name")
_KINDS = ("call", "advance", "run_until_idle")
_REF = "$last"


class ScenarioError(ValueError):
    """A malformed scenario, or a step that cannot run; ``step`` is 1-based (or None).

    >>> str(ScenarioError("unknown call 'x'", step=3))
    "step 3: unknown call 'x'"
    """

    def __init__(self, problem: str, *, step: int | None = None) -> None:
        self.problem = problem
        self.step = step
        super().__init__(problem if step is None else f"step {step}: {problem}")


# -- steps ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CallStep:
    """Call ``call`` (a boto3 method name) with ``args`` as one account and region."""

    call: str
    args: Mapping[str, Any] = field(default_factory=dict)
    account_id: str = DEFAULT_ACCOUNT_ID
    region_name: str = DEFAULT_REGION_NAME

    def to_json(self) -> dict[str, Any]:
        """The step as scenario JSON (defaults included)."""
        return {
            "call": self.call,
            "args": dict(self.args),
            "account_id": self.account_id,
            "region_name": self.region_name,
        }


@dataclass(frozen=True, slots=True)
class AdvanceStep:
    """Move the clock ``seconds`` forward, running what falls due on the way."""

    seconds: float

    def to_json(self) -> dict[str, Any]:
        """The step as scenario JSON."""
        return {"advance": self.seconds}


@dataclass(frozen=True, slots=True)
class IdleStep:
    """Run every scheduled change (``sim.run_until_idle()``)."""

    def to_json(self) -> dict[str, Any]:
        """The step as scenario JSON."""
        return {"run_until_idle": True}


#: One scenario step.
Step = CallStep | AdvanceStep | IdleStep


# -- events -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Event:
    """One line of a timeline.

    ``kind`` is ``"call"``, ``"change"`` (a scheduled status change ran),
    ``"advance"`` or ``"run_until_idle"`` (a clock step began). ``step`` is the
    1-based step that produced it, ``time`` the virtual time it happened and
    ``t`` the virtual seconds since the scenario started. Fields that do not
    belong to the kind are None:

    - call: ``account_id``, ``region_name``, ``call``, ``args`` (as sent, with
      ``$last`` resolved), then ``response`` (without ``ResponseMetadata``) on
      success, or ``error`` (the error code, or ``"ParamValidationError"``)
      and ``message`` on failure;
    - change: ``account_id``, ``region_name``, ``resource`` (the ARN),
      ``transition`` (e.g. ``"CREATING -> ACTIVE"``);
    - advance: ``seconds``; advance and run_until_idle: ``until`` (the virtual
      time the step ends at).
    """

    step: int
    kind: str
    time: datetime
    t: float
    account_id: str | None = None
    region_name: str | None = None
    call: str | None = None
    args: Mapping[str, Any] | None = None
    response: Mapping[str, Any] | None = None
    error: str | None = None
    message: str | None = None
    resource: str | None = None
    transition: str | None = None
    seconds: float | None = None
    until: datetime | None = None

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict with the documented keys of this event's kind, in a
        fixed order; datetimes become ISO 8601 strings."""
        out: dict[str, Any] = {
            "step": self.step,
            "t": self.t,
            "time": self.time.isoformat(),
            "kind": self.kind,
        }
        if self.kind == "call":
            out |= {
                "account_id": self.account_id,
                "region_name": self.region_name,
                "call": self.call,
                "args": jsonable(self.args),
                "error": self.error,
                "message": self.message,
                "response": jsonable(self.response),
            }
        elif self.kind == "change":
            out |= {
                "account_id": self.account_id,
                "region_name": self.region_name,
                "resource": self.resource,
                "transition": self.transition,
            }
        else:
            if self.kind == "advance":
                out["seconds"] = self.seconds
            out["until"] = None if self.until is None else self.until.isoformat()
        return out


# -- loading ----------------------------------------------------------------------------


def load_scenario(source: str | os.PathLike[str] | Sequence[object]) -> list[Step]:
    """Check a scenario and return its steps; raise :class:`ScenarioError` otherwise.

    ``source`` is a path to a JSON file, or the already-parsed list (whose
    items may also be :data:`Step` objects). Invalid JSON inside the list is
    reported with the number of the step it is in.

    >>> load_scenario([{"advance": 1}, {"run_until_idle": True}])
    [AdvanceStep(seconds=1), IdleStep()]
    >>> load_scenario([{"advance": -1}])
    Traceback (most recent call last):
    ...
    kvsim.scenarios.runner.ScenarioError: step 1: "advance" must be a finite number of seconds >= 0, got -1
    """
    if isinstance(source, str | os.PathLike):
        path = Path(source)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise ScenarioError(f"cannot read {path}: {error}") from None
        items: Sequence[object] = parse_scenario_text(text)
    elif isinstance(source, list | tuple):
        items = source
    else:
        raise ScenarioError(f"a scenario must be a list of steps, not {_kind(source)}")
    return [_load_step(item, number) for number, item in enumerate(items, start=1)]


def parse_scenario_text(text: str) -> list[object]:
    """Parse scenario JSON text into its list of raw steps, element by element,
    so a syntax error is reported with the step it is in.

    >>> parse_scenario_text('[{"advance": 1},\\n {"advance": 2,}]')
    Traceback (most recent call last):
    ...
    kvsim.scenarios.runner.ScenarioError: step 2: invalid JSON at line 2 column 16: Expecting property name enclosed in double quotes
    """
    decoder = json.JSONDecoder(parse_constant=_no_constant)
    index = _skip_space(text, 0)
    if index == len(text):
        raise ScenarioError("the scenario is empty; it must be a JSON list of steps")
    if text[index] != "[":
        try:
            value = json.loads(text, parse_constant=_no_constant)
        except ValueError as error:
            raise ScenarioError(_json_problem(error)) from None
        raise ScenarioError(f"a scenario must be a JSON list of steps, not {_kind(value)}")
    items: list[object] = []
    index = _skip_space(text, index + 1)
    if text.startswith("]", index):
        return _after_list(text, index + 1, items)
    while True:
        number = len(items) + 1
        try:
            value, index = decoder.raw_decode(text, index)
        except ValueError as error:
            raise ScenarioError(_json_problem(error), step=number) from None
        items.append(value)
        index = _skip_space(text, index)
        if text.startswith(",", index):
            index = _skip_space(text, index + 1)
        elif text.startswith("]", index):
            return _after_list(text, index + 1, items)
        else:
            line, column = _position(text, index)
            raise ScenarioError(
                f"invalid JSON at line {line} column {column}: expected ',' or ']' after the step",
                step=number,
            )


def _after_list(text: str, index: int, items: list[object]) -> list[object]:
    index = _skip_space(text, index)
    if index != len(text):
        line, column = _position(text, index)
        raise ScenarioError(
            f"invalid JSON at line {line} column {column}: extra data after the list"
        )
    return items


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _json_problem(error: ValueError) -> str:
    if isinstance(error, json.JSONDecodeError):
        return f"invalid JSON at line {error.lineno} column {error.colno}: {error.msg}"
    return f"invalid JSON: {error}"


def _skip_space(text: str, index: int) -> int:
    while index < len(text) and text[index] in " \t\r\n":
        index += 1
    return index


def _position(text: str, index: int) -> tuple[int, int]:
    line = text.count("\n", 0, index) + 1
    return line, index - (text.rfind("\n", 0, index) + 1) + 1


def _kind(value: object) -> str:
    # The JSON name of a value's type, for messages.
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "a string"
    return f"a {type(value).__name__}"


def _load_step(item: object, number: int) -> Step:
    if isinstance(item, CallStep | AdvanceStep | IdleStep):
        item = item.to_json()  # checked like any other step
    if not isinstance(item, dict):
        raise ScenarioError(f"a step must be a JSON object, not {_kind(item)}", step=number)
    kinds = [kind for kind in _KINDS if kind in item]
    if not kinds:
        keys = ", ".join(repr(k) for k in item) or "none"
        raise ScenarioError(
            f'unknown step kind (keys: {keys}); a step has "call", "advance" or "run_until_idle"',
            step=number,
        )
    if len(kinds) > 1:
        raise ScenarioError(
            f"a step has exactly one of {', '.join(_KINDS)}; this one has {', '.join(kinds)}",
            step=number,
        )
    try:
        if kinds[0] == "call":
            return _load_call(item)
        _only_keys(item, (kinds[0],), kinds[0])
        if kinds[0] == "advance":
            return _load_advance(item["advance"])
        if item["run_until_idle"] is not True:
            raise ScenarioError(
                f'"run_until_idle" must be true, got {_show(item["run_until_idle"])}'
            )
        return IdleStep()
    except ScenarioError as error:
        raise ScenarioError(error.problem, step=number) from None


def _only_keys(item: Mapping[str, object], allowed: Sequence[str], kind: str) -> None:
    for key in item:
        if key not in allowed:
            raise ScenarioError(
                f"unknown key {key!r} in this {kind} step; allowed: {', '.join(allowed)}"
            )


def _show(value: object) -> str:
    return json.dumps(value) if _is_json(value) else repr(value)


def _is_json(value: object) -> bool:
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError):
        return False
    return True


def _load_advance(value: object) -> AdvanceStep:
    if (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and value >= 0
    ):
        return AdvanceStep(value)
    raise ScenarioError(f'"advance" must be a finite number of seconds >= 0, got {_show(value)}')


def _load_call(item: Mapping[str, object]) -> CallStep:
    _only_keys(item, _CALL_KEYS, "call")
    call = item["call"]
    if not isinstance(call, str):
        raise ScenarioError(f'"call" must be a string, not {_kind(call)}')
    if call not in CALLS:
        close = difflib.get_close_matches(call, CALLS, n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise ScenarioError(f"unknown call {call!r}; {hint}kvsim calls: {', '.join(CALLS)}")
    args = item.get("args", {})
    if not isinstance(args, dict):
        raise ScenarioError(f'"args" must be an object, not {_kind(args)}')
    for key in args:
        if not isinstance(key, str):
            raise ScenarioError(f'"args" keys must be strings, got {key!r}')
    _check_refs(args, "args")
    account_id = item.get("account_id", DEFAULT_ACCOUNT_ID)
    region_name = item.get("region_name", DEFAULT_REGION_NAME)
    for name, value in (("account_id", account_id), ("region_name", region_name)):
        if not isinstance(value, str):
            raise ScenarioError(f'"{name}" must be a string, not {_kind(value)}')
    try:
        check_account_region(account_id, region_name)
    except ValueError as error:
        raise ScenarioError(str(error)) from None
    assert isinstance(account_id, str) and isinstance(region_name, str)
    return CallStep(call, _copy(args), account_id, region_name)


def _check_refs(value: object, where: str) -> None:
    # Every {"$last": ...} must be a one-key object with a non-empty dotted path.
    if isinstance(value, dict):
        if _REF in value:
            path = value[_REF]
            if len(value) != 1 or not isinstance(path, str) or not path:
                raise ScenarioError(
                    f'{where}: a reference is {{"$last": "Dotted.Path"}} (one key, a '
                    f"non-empty string), got {_show(value)}"
                )
            return
        for key, item in value.items():
            _check_refs(item, f"{where}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_refs(item, f"{where}[{index}]")


def _copy(value: Any) -> Any:
    # A deep copy of JSON-shaped data, so a step does not share the caller's dicts.
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


# -- running ----------------------------------------------------------------------------


def run_scenario(steps: Sequence[Step], sim: Simulator | None = None) -> list[Event]:
    """Run ``steps`` on ``sim`` (default: a fresh ``Simulator(seed=0)``) and
    return the whole timeline. Service errors are events, not exceptions; a
    step that cannot run raises :class:`ScenarioError`."""
    return list(iter_events(steps, sim))


def iter_events(steps: Sequence[Step], sim: Simulator | None = None) -> Iterator[Event]:
    """As :func:`run_scenario`, yielding each event as soon as it happened.

    The steps are checked (as by :func:`load_scenario`) before any of them runs."""
    checked = load_scenario(list(steps))
    runner = _Runner(Simulator(seed=0) if sim is None else sim)
    for number, step in enumerate(checked, start=1):
        yield from runner.run(step, number)


class _Runner:
    """Runs steps on one simulator and turns what happens into events."""

    def __init__(self, sim: Simulator) -> None:
        self.sim = sim
        self.start = sim.now
        self.clients: dict[tuple[str, str], Any] = {}
        self.responses: list[Mapping[str, Any]] = []

    def _t(self, moment: datetime) -> float:
        return ((moment - self.start) // _MS) / 1000

    def _change(self, number: int, change: ScheduledChange) -> Event:
        return Event(
            number,
            "change",
            change.due,
            self._t(change.due),
            account_id=change.account_id,
            region_name=change.region_name,
            resource=change.resource,
            transition=change.transition,
        )

    def run(self, step: Step, number: int) -> Iterator[Event]:
        if isinstance(step, CallStep):
            yield from self._call(step, number)
        elif isinstance(step, AdvanceStep):
            yield from self._advance(step, number)
        else:
            yield from self._idle(number)

    def _advance(self, step: AdvanceStep, number: int) -> Iterator[Event]:
        sim = self.sim
        begin = sim.now
        try:
            target = begin + timedelta(milliseconds=round(step.seconds * 1000))
        except OverflowError:
            raise ScenarioError(
                f"advancing {step.seconds:g} seconds goes past the year 9999", step=number
            ) from None
        yield Event(number, "advance", begin, self._t(begin), seconds=step.seconds, until=target)
        while (pending := sim.pending()) and pending[0].due <= target:
            change = sim.step()
            assert change is not None
            yield self._change(number, change)
        sim.advance(((target - sim.now) // _MS) / 1000)

    def _idle(self, number: int) -> Iterator[Event]:
        sim = self.sim
        begin = sim.now
        pending = sim.pending()
        until = pending[-1].due if pending and pending[-1].due > begin else begin
        yield Event(number, "run_until_idle", begin, self._t(begin), until=until)
        while (change := sim.step()) is not None:
            yield self._change(number, change)

    def _client(self, step: CallStep) -> Any:
        key = (step.account_id, step.region_name)
        client = self.clients.get(key)
        if client is None:
            client = self.clients[key] = self.sim.client(
                "kinesisvideo", region_name=step.region_name, account_id=step.account_id
            )
        return client

    def _call(self, step: CallStep, number: int) -> Iterator[Event]:
        sim = self.sim
        args = self._resolve(step.args, number, "args")
        method = getattr(self._client(step), step.call)
        begin = sim.now
        before = sim.pending()
        fields: dict[str, Any] = {}
        try:
            response = method(**args)
        except ClientError as error:
            fields = {"error": error.response["Error"]["Code"], "message": error.message}
        except ParamValidationError as error:
            fields = {"error": "ParamValidationError", "message": error.report}
        else:
            response.pop("ResponseMetadata", None)
            self.responses.append(response)
            fields = {"response": response}
        yield Event(
            number,
            "call",
            begin,
            self._t(begin),
            account_id=step.account_id,
            region_name=step.region_name,
            call=step.call,
            args=args,
            **fields,
        )
        for change in _ran_during(before, sim.pending(), sim.now):
            yield self._change(number, change)

    def _resolve(self, value: Any, number: int, where: str) -> Any:
        if isinstance(value, Mapping):
            if set(value) == {_REF}:
                return self._lookup(value[_REF], number, where)
            return {k: self._resolve(v, number, f"{where}.{k}") for k, v in value.items()}
        if isinstance(value, list):
            return [self._resolve(v, number, f"{where}[{i}]") for i, v in enumerate(value)]
        return value

    def _lookup(self, path: str, number: int, where: str) -> Any:
        for response in reversed(self.responses):
            found, value = _dig(response, path.split("."))
            if found:
                return value
        raise ScenarioError(
            f'{where}: {{"$last": "{path}"}}: no earlier successful response has {path}',
            step=number,
        )


def _dig(value: Any, parts: Sequence[str]) -> tuple[bool, Any]:
    for part in parts:
        if isinstance(value, Mapping) and part in value:
            value = value[part]
        elif isinstance(value, list) and re.fullmatch(r"-?[0-9]+", part):
            index = int(part)
            if not -len(value) <= index < len(value):
                return False, None
            value = value[index]
        else:
            return False, None
    return True, value


def _ran_during(
    before: Sequence[ScheduledChange], after: Sequence[ScheduledChange], now: datetime
) -> list[ScheduledChange]:
    """The changes that ran while a call's latency passed: queued before the
    call, due by ``now`` and gone after it. A change the call itself replaced
    (its stream got a new change queued) did not run. A change both queued and
    run within one call's latency (a delay shorter than ``call_latency``)
    cannot be seen this way and is not reported."""
    still = set(after)
    known = set(before)
    requeued = {change.resource for change in after if change not in known}
    return [
        change
        for change in before
        if change not in still and change.due <= now and change.resource not in requeued
    ]


# -- text -------------------------------------------------------------------------------


def format_event(event: Event) -> str:
    """One readable timeline line: virtual seconds, account/region, what happened.

    >>> from kvsim import DEFAULT_START
    >>> print(format_event(Event(3, "call", DEFAULT_START, 0.1, "123456789012", "us-east-1",
    ...     "create_stream", {"StreamName": "cam-1"}, error="ResourceInUseException",
    ...     message="The stream cam-1 already exists.")))
        0.100  123456789012/us-east-1  create_stream(StreamName="cam-1") -> ResourceInUseException: The stream cam-1 already exists.
    """
    where = f"{event.account_id}/{event.region_name}" if event.account_id else "--"
    return f"{event.t:9.3f}  {where:<22}  {_describe(event)}"


def _describe(event: Event) -> str:
    if event.kind == "call":
        args = ", ".join(f"{k}={_short(v)}" for k, v in (event.args or {}).items())
        call = f"{event.call}({args})"
        if event.error is not None:
            message = (event.message or "").replace("\n", "; ")
            return f"{call} -> {event.error}: {message}"
        return f"{call} -> {_summary(event.response or {})}"
    if event.kind == "change":
        return f"{_stream_name(event.resource or '')}: {event.transition}"
    label = f"advance {event.seconds:g} s" if event.kind == "advance" else event.kind
    if event.until is None:
        return label
    return f"{label} (until t={event.t + ((event.until - event.time) // _MS) / 1000:.3f})"


def _short(value: Any) -> str:
    return json.dumps(jsonable(value), ensure_ascii=False)


def _stream_name(arn: str) -> str:
    # arn:aws:kinesisvideo:REGION:ACCOUNT:stream/NAME/MS
    parts = arn.split(":", 5)[-1].split("/")
    return f"{parts[0]} {parts[1]}" if len(parts) == 3 else arn


def _summary(response: Mapping[str, Any]) -> str:
    parts = ["ok"]
    for key, value in response.items():
        if key == "StreamInfo" and isinstance(value, Mapping):
            parts.append(
                f"{value.get('StreamName')} {value.get('Status')} version {value.get('Version')}"
            )
        elif key == "StreamInfoList" and isinstance(value, list):
            names = ", ".join(f"{s.get('StreamName')} ({s.get('Status')})" for s in value)
            parts.append(f"{len(value)} streams" + (f": {names}" if names else ""))
        elif isinstance(value, Mapping | list):
            parts.append(f"{key}={_short(value)}")
        else:
            parts.append(f"{key}={jsonable(value)}")
    return " ".join(parts)
