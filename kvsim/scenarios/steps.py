"""Scenario steps: the JSON format of a scenario, loaded and checked before anything runs.

A scenario is a list of steps, each a JSON object such as::

    {"call": "create_stream", "args": {"StreamName": "cam-1"},
     "account_id": "123456789012", "region_name": "us-east-1"}
    {"advance": 2.5}
    {"run_until_idle": true}

``call`` is a boto3 method name of a simulated operation of any of the five
services (``create_stream``, ``list_fragments``, ``get_ice_server_config``:
the names are unique across them); ``args`` (an
object, default ``{}``), ``account_id`` (default ``123456789012``) and
``region_name`` (default ``us-east-1``) are optional. ``advance`` moves the
clock that many virtual seconds (a number >= 0); ``run_until_idle`` (always
``true``) runs every scheduled change. ``{"hub_device": ...}``,
``{"put_fragments": ...}`` and ``{"signaling": ...}`` steps (see
:class:`HubDeviceStep`, :class:`PutFragmentsStep` and :class:`SignalingStep`)
do what ``sim.set_hub_device_online``, ``sim.put_fragments`` and
``sim.signaling`` do; a trace records those calls as these steps.

Inside ``args``, the one-key object ``{"$last": "StreamInfo.Version"}`` stands
for that field (a dotted path; list items by index) of the most recent
successful response that has it, so a scenario can pass the seeded
``CurrentVersion`` or a ``StreamARN`` it cannot know in advance.

Nesting is bounded: a step's values (``args``; in a saved trace also
``outcome``) may nest at most :data:`MAX_NESTING` (64) levels of objects and
lists, the value itself being the first (``{}`` is one level, ``{"a": [1]}``
two). Scenario text nested deeper is refused before the JSON parser recurses
into it (``step 3: nested deeper than 64 levels at line 1 column 80``), and so
are already-parsed ``args`` (``step 3: args nested deeper than 64 levels``).

:func:`load_scenario` checks a whole scenario before anything runs and raises
:class:`ScenarioError` naming the step; :mod:`kvsim.scenarios.runner` runs the
checked steps and :mod:`kvsim.scenarios.text` prints the timeline.
"""

from __future__ import annotations

import difflib
import json
import math
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

from ..core.constants import DEFAULT_ACCOUNT_ID, DEFAULT_REGION_NAME, check_account_region
from ..engine.signaling import encode as encode_payload
from ..services.registry import SERVICES

__all__ = [
    "CALLS",
    "MAX_NESTING",
    "PUT_FRAGMENTS_OPTIONS",
    "REF_KEY",
    "SERVICE_OF_CALL",
    "SIGNALING_ACTIONS",
    "AdvanceStep",
    "CallStep",
    "HubDeviceStep",
    "IdleStep",
    "PutFragmentsStep",
    "ScenarioError",
    "SignalingStep",
    "Step",
    "load_scenario",
    "nesting_overflow",
    "parse_scenario_text",
]

#: The call names a scenario may use: boto3's method names of the simulated
#: operations of all five services (unique across them), in declaration order.
CALLS: tuple[str, ...] = tuple(
    op.method for service in SERVICES.values() for op in service.simulated.values()
)
#: The botocore service each call belongs to (``list_fragments`` →
#: ``kinesis-video-archived-media``).
SERVICE_OF_CALL: Mapping[str, str] = MappingProxyType(
    {op.method: service.name for service in SERVICES.values() for op in service.simulated.values()}
)

#: The key of a reference to an earlier response: ``{"$last": "Dotted.Path"}``.
REF_KEY = "$last"

#: How many levels of objects and lists a step's values (``args``; in a saved
#: trace also ``outcome``) may nest, the value itself being the first level.
MAX_NESTING = 64

_CALL_KEYS = ("call", "args", "account_id", "region_name")
_KINDS = ("call", "advance", "run_until_idle", "hub_device", "put_fragments", "signaling")
_HUB_KEYS = ("hub_device", "online", "account_id", "region_name")
#: ``sim.put_fragments``' options a put_fragments step may give, with their defaults.
PUT_FRAGMENTS_OPTIONS: Mapping[str, object] = {
    "count": 1,
    "duration": 2.0,
    "frame_rate": 30.0,
    "frame_size": 1024,
    "track_count": 1,
    "codec_id": "V_MPEG4/ISO/AVC",
    "producer_start": None,
    "realtime": False,
}


#: What a ``{"signaling": ...}`` step does: ``sim.signaling``'s actions.
SIGNALING_ACTIONS = ("connect", "send", "receive", "close", "go_away", "reconnect_ice_server")
# The keys of each signaling action's step, besides "signaling".
_SIGNALING_KEYS: Mapping[str, tuple[str, ...]] = {
    "connect": ("channel", "role", "client_id", "connection", "account_id", "region_name"),
    "send": ("connection", "frame", "action", "payload", "recipient_client_id", "correlation_id"),
    "receive": ("connection",),
    "close": ("connection",),
    "go_away": ("channel", "account_id", "region_name"),
    "reconnect_ice_server": ("channel", "account_id", "region_name"),
}


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


@dataclass(frozen=True, slots=True)
class HubDeviceStep:
    """Make an IoT hub device reachable or not (``sim.set_hub_device_online``)."""

    hub_device: str
    online: bool
    account_id: str = DEFAULT_ACCOUNT_ID
    region_name: str = DEFAULT_REGION_NAME

    def to_json(self) -> dict[str, Any]:
        """The step as scenario JSON (defaults included)."""
        return {
            "hub_device": self.hub_device,
            "online": self.online,
            "account_id": self.account_id,
            "region_name": self.region_name,
        }


@dataclass(frozen=True, slots=True)
class PutFragmentsStep:
    """Store generated fragments in a stream (``sim.put_fragments(stream, **options)``;
    ``producer_start`` in epoch seconds)."""

    put_fragments: str
    options: Mapping[str, Any] = field(default_factory=dict)
    account_id: str = DEFAULT_ACCOUNT_ID
    region_name: str = DEFAULT_REGION_NAME

    def to_json(self) -> dict[str, Any]:
        """The step as scenario JSON (defaults included)."""
        return {
            "put_fragments": self.put_fragments,
            **{name: self.options.get(name, v) for name, v in PUT_FRAGMENTS_OPTIONS.items()},
            "account_id": self.account_id,
            "region_name": self.region_name,
        }


@dataclass(frozen=True, slots=True)
class SignalingStep:
    """A signaling relay action of ``sim.signaling`` (``signaling``, one of
    :data:`SIGNALING_ACTIONS`):

    - ``connect``: ``channel`` (its ARN) as ``role`` (``MASTER``, the default,
      or ``VIEWER``) with ``client_id``; ``connection`` names it for later
      steps (default: the count of connect steps so far, from 1);
    - ``send``: ``frame`` (the JSON object a WebSocket client sends:
      ``action``, ``messagePayload``, ``recipientClientId``, ``correlationId``)
      on ``connection``;
    - ``receive``, ``close``: on ``connection``;
    - ``go_away``, ``reconnect_ice_server``: announced on ``channel``.

    ``account_id`` and ``region_name`` are those of ``connect``, ``go_away``
    and ``reconnect_ice_server``."""

    signaling: str
    connection: str | int | None = None
    channel: str | None = None
    role: str = "MASTER"
    client_id: str | None = None
    frame: Mapping[str, Any] | None = None
    account_id: str = DEFAULT_ACCOUNT_ID
    region_name: str = DEFAULT_REGION_NAME

    def to_json(self) -> dict[str, Any]:
        """The step as scenario JSON (defaults included)."""
        out: dict[str, Any] = {"signaling": self.signaling}
        if self.signaling == "connect":
            out |= {"channel": self.channel, "role": self.role, "client_id": self.client_id}
        if self.signaling in ("go_away", "reconnect_ice_server"):
            out["channel"] = self.channel
        else:
            out["connection"] = self.connection
        if self.signaling == "send":
            out["frame"] = _copy(dict(self.frame or {}))
        if "account_id" in _SIGNALING_KEYS[self.signaling]:
            out |= {"account_id": self.account_id, "region_name": self.region_name}
        return out


#: One scenario step.
Step = CallStep | AdvanceStep | IdleStep | HubDeviceStep | PutFragmentsStep | SignalingStep


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
    kvsim.scenarios.steps.ScenarioError: step 1: "advance" must be a finite number of seconds >= 0, got -1
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
    return _name_connections(
        [_load_step(item, number) for number, item in enumerate(items, start=1)]
    )


def parse_scenario_text(text: str) -> list[object]:
    """Parse scenario JSON text into its list of raw steps, element by element,
    so a syntax error is reported with the step it is in.

    >>> parse_scenario_text('[{"advance": 1},\\n {"advance": 2,}]')
    Traceback (most recent call last):
    ...
    kvsim.scenarios.steps.ScenarioError: step 2: invalid JSON at line 2 column 16: Expecting property name enclosed in double quotes
    """
    decoder = json.JSONDecoder(parse_constant=_no_constant)
    index = _skip_space(text, 0)
    if index == len(text):
        raise ScenarioError("the scenario is empty; it must be a JSON list of steps")
    if text[index] != "[":
        if nesting_overflow(text, index) is not None:  # too deep to parse: an object
            raise ScenarioError("a scenario must be a JSON list of steps, not an object")
        try:
            value = json.loads(text, parse_constant=_no_constant)
        except (ValueError, RecursionError) as error:
            raise ScenarioError(_json_problem(error)) from None
        raise ScenarioError(f"a scenario must be a JSON list of steps, not {_kind(value)}")
    items: list[object] = []
    index = _skip_space(text, index + 1)
    if text.startswith("]", index):
        return _after_list(text, index + 1, items)
    while True:
        number = len(items) + 1
        deep = nesting_overflow(text, index)
        if deep is not None:
            line, column = _position(text, deep)
            raise ScenarioError(
                f"nested deeper than {MAX_NESTING} levels at line {line} column {column}",
                step=number,
            )
        try:
            value, index = decoder.raw_decode(text, index)
        except (ValueError, RecursionError) as error:
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


def _json_problem(error: ValueError | RecursionError) -> str:
    if isinstance(error, json.JSONDecodeError):
        return f"invalid JSON at line {error.lineno} column {error.colno}: {error.msg}"
    if isinstance(error, RecursionError):
        return "invalid JSON: nested too deeply to parse"
    return f"invalid JSON: {error}"


# A JSON string (to its closing quote, or to the end of an unterminated one), or
# a bracket. Outside strings, brackets are the structure of a JSON text.
_STRING_OR_BRACKET = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"?|[\[\]{}]', re.DOTALL)


def nesting_overflow(text: str, start: int = 0, levels: int = MAX_NESTING) -> int | None:
    """Where the JSON value at ``start`` (after blanks) nests deeper than
    ``levels`` levels *inside* it: the index of the first bracket past that
    depth, else None. For a step or a trace line, whose values may nest
    :data:`MAX_NESTING` levels, the step's own brackets are level 0.

    A scan of brackets outside strings, run before ``json.loads`` so that no
    input can make the parser recurse deeply; it does not check the syntax.

    >>> nesting_overflow('{"args": {"a": [1]}}', levels=2) is None
    True
    >>> nesting_overflow('{"args": {"a": [[1]]}}', levels=2)
    16
    >>> nesting_overflow('{"args": "[[[[["}', levels=1) is None
    True
    """
    index = _skip_space(text, start)
    if not text.startswith(("[", "{"), index):
        return None  # a scalar: parsing it does not recurse
    depth = -1  # the value's own bracket opens level 0
    for match in _STRING_OR_BRACKET.finditer(text, index):
        token = match.group()
        if token in ("[", "{"):
            depth += 1
            if depth > levels:
                return match.start()
        elif token in ("]", "}"):
            depth -= 1
            if depth < 0:
                return None  # the value ended
    return None


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
    if isinstance(
        item, CallStep | AdvanceStep | IdleStep | HubDeviceStep | PutFragmentsStep | SignalingStep
    ):
        item = item.to_json()  # checked like any other step
    if not isinstance(item, dict):
        raise ScenarioError(f"a step must be a JSON object, not {_kind(item)}", step=number)
    kinds = [kind for kind in _KINDS if kind in item]
    if not kinds:
        keys = ", ".join(repr(k) for k in item) or "none"
        raise ScenarioError(
            f'unknown step kind (keys: {keys}); a step has "call", "advance", "run_until_idle", '
            '"hub_device", "put_fragments" or "signaling"',
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
        if kinds[0] == "hub_device":
            return _load_hub_device(item)
        if kinds[0] == "put_fragments":
            return _load_put_fragments(item)
        if kinds[0] == "signaling":
            return _load_signaling(item)
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
    if _deeper_than(value, MAX_NESTING):
        return f"{_kind(value)} nested deeper than {MAX_NESTING} levels"
    return json.dumps(value) if _is_json(value) else repr(value)


def _deeper_than(value: object, levels: int) -> bool:
    # Whether objects and lists (tuples too) nest more than `levels` levels in
    # `value` (itself the first); recurses at most levels + 1 deep.
    if not isinstance(value, dict | list | tuple):
        return False
    if levels <= 0:
        return True
    items = value.values() if isinstance(value, dict) else value
    return any(_deeper_than(item, levels - 1) for item in items)


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


def _load_place(item: Mapping[str, object]) -> tuple[str, str]:
    """A step's ``account_id`` and ``region_name`` (defaults filled in), checked."""
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
    return account_id, region_name


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
    if _deeper_than(args, MAX_NESTING):
        raise ScenarioError(f"args nested deeper than {MAX_NESTING} levels")
    for key in args:
        if not isinstance(key, str):
            raise ScenarioError(f'"args" keys must be strings, got {key!r}')
    _check_refs(args, "args")
    account_id, region_name = _load_place(item)
    return CallStep(call, _copy(args), account_id, region_name)


def _load_hub_device(item: Mapping[str, object]) -> HubDeviceStep:
    _only_keys(item, _HUB_KEYS, "hub_device")
    hub, online = item["hub_device"], item.get("online")
    if not isinstance(hub, str):
        raise ScenarioError(f'"hub_device" must be a string (a hub device ARN), not {_kind(hub)}')
    if not isinstance(online, bool):
        raise ScenarioError(f'"online" must be true or false, got {_show(online)}')
    account_id, region_name = _load_place(item)
    return HubDeviceStep(hub, online, account_id, region_name)


def _load_put_fragments(item: Mapping[str, object]) -> PutFragmentsStep:
    _only_keys(
        item,
        ("put_fragments", *PUT_FRAGMENTS_OPTIONS, "account_id", "region_name"),
        "put_fragments",
    )
    stream = item["put_fragments"]
    if not isinstance(stream, str) or not stream:
        raise ScenarioError(
            f'"put_fragments" must be a stream name or ARN (a string), not {_show(stream)}'
        )
    options: dict[str, Any] = {}
    for name, default in PUT_FRAGMENTS_OPTIONS.items():
        value = item.get(name, default)
        if name in ("count", "frame_size", "track_count"):
            good = type(value) is int and value >= 1
        elif name == "codec_id":
            good = isinstance(value, str)
        elif name == "realtime":
            good = isinstance(value, bool)
        else:
            good = (value is None and name == "producer_start") or (
                isinstance(value, int | float)
                and not isinstance(value, bool)
                and math.isfinite(value)
                and value >= 0
            )
        if not good:
            raise ScenarioError(f'"{name}" of a put_fragments step is not valid: {_show(value)}')
        options[name] = value
    account_id, region_name = _load_place(item)
    return PutFragmentsStep(stream, options, account_id, region_name)


def _load_signaling(item: Mapping[str, object]) -> SignalingStep:
    action = item["signaling"]
    if action not in SIGNALING_ACTIONS:
        raise ScenarioError(
            f'"signaling" must be one of {", ".join(SIGNALING_ACTIONS)}, got {_show(action)}'
        )
    assert isinstance(action, str)
    _only_keys(item, ("signaling", *_SIGNALING_KEYS[action]), f"signaling {action}")
    connection = item.get("connection")
    if action != "connect" and "connection" in _SIGNALING_KEYS[action] and connection is None:
        raise ScenarioError(f'a signaling {action} step needs "connection"')
    if connection is not None and not (
        (isinstance(connection, str) and connection)
        or (type(connection) is int and connection >= 1)
    ):
        raise ScenarioError(
            f'"connection" must be a name (a non-empty string) or a number >= 1, '
            f"got {_show(connection)}"
        )
    assert connection is None or isinstance(connection, str | int)
    strings: dict[str, Any] = {"channel": item.get("channel"), "role": item.get("role", "MASTER")}
    for name in ("client_id", "recipient_client_id", "correlation_id"):
        strings[name] = item.get(name)
    for name, value in strings.items():
        if name in _SIGNALING_KEYS[action] and not isinstance(value, str):
            if value is None and name not in ("channel", "role"):
                continue
            raise ScenarioError(f'"{name}" must be a string, not {_kind(value)}')
    account_id, region_name = _load_place(item)
    frame = _signaling_frame(item) if action == "send" else None
    return SignalingStep(
        action,
        connection,
        strings["channel"],
        strings["role"],
        strings["client_id"],
        frame,
        account_id,
        region_name,
    )


def _signaling_frame(item: Mapping[str, object]) -> dict[str, Any]:
    # A send step's frame: given whole, or made of action, payload, recipient_client_id
    # and correlation_id as SignalingConnection.send makes it.
    if "frame" in item:
        given = item["frame"]
        if any(key in item for key in _SIGNALING_KEYS["send"][2:]):
            raise ScenarioError(
                'a signaling send step has "frame", or "action" and "payload", not both'
            )
        if not isinstance(given, dict):
            raise ScenarioError(f'"frame" must be an object, not {_kind(given)}')
        if _deeper_than(given, MAX_NESTING):
            raise ScenarioError(f"frame nested deeper than {MAX_NESTING} levels")
        return _copy(given)  # type: ignore[no-any-return]
    action, payload = item.get("action"), item.get("payload")
    if not isinstance(action, str):
        raise ScenarioError(
            'a signaling send step needs "frame", or "action" (a string) and "payload"'
        )
    if not isinstance(payload, str | dict):
        raise ScenarioError(
            f'"payload" must be a string (base64) or an object (sent as base64 of its JSON), '
            f"not {_kind(payload)}"
        )
    if isinstance(payload, dict) and _deeper_than(payload, MAX_NESTING):
        raise ScenarioError(f"payload nested deeper than {MAX_NESTING} levels")
    text = payload if isinstance(payload, str) else encode_payload(payload)
    frame: dict[str, Any] = {"action": action, "messagePayload": text}
    if item.get("recipient_client_id") is not None:
        frame["recipientClientId"] = item["recipient_client_id"]
    if item.get("correlation_id") is not None:
        frame["correlationId"] = item["correlation_id"]
    return frame


def _name_connections(steps: list[Step]) -> list[Step]:
    # Name each connect step's connection (by default the count of connect steps
    # so far) and check that every other step names an earlier one.
    names: set[str | int] = set()
    count = 0
    named: list[Step] = []
    for number, step in enumerate(steps, start=1):
        if isinstance(step, SignalingStep) and step.signaling == "connect":
            count += 1
            name = count if step.connection is None else step.connection
            if name in names:
                raise ScenarioError(
                    f"connection {name!r} is already named by an earlier connect step",
                    step=number,
                )
            names.add(name)
            step = replace(step, connection=name)
        elif (
            isinstance(step, SignalingStep)
            and step.connection is not None
            and step.connection not in names
        ):
            raise ScenarioError(
                f"connection {step.connection!r} is not opened by an earlier "
                "signaling connect step",
                step=number,
            )
        named.append(step)
    return named


def _check_refs(value: object, where: str) -> None:
    # Every {"$last": ...} must be a one-key object with a non-empty dotted path.
    if isinstance(value, dict):
        if REF_KEY in value:
            path = value[REF_KEY]
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
