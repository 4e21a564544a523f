"""The call trace: what the code under test did to the simulated service.

Entries are kept as cheap tuples while the simulation runs and turned into
JSON-ready dicts only when read. Their format is the ``kvsim run`` scenario
step format plus ``at`` (the virtual time) and, for calls, ``outcome``, so a
saved trace is itself a scenario that ``kvsim run --check`` can replay.

What a call's entry holds is fixed when the call is made:

- The trace keeps copies of a call's arguments and response, never the
  caller's objects, so changing them after the call changes neither
  :attr:`Simulator.trace` nor a saved trace. Containers (dicts, lists, tuples,
  other mappings) are copied; strings, numbers, booleans, ``None``, bytes and
  datetimes, which cannot change, are shared. Anything else in a refused
  call's arguments (a set, a ``bytearray``, an object) is recorded as its
  ``repr`` at the time of the call, and a key that is not a string as its
  ``repr``. (A call that passed validation holds only what the model allows;
  its one mutable scalar, a ``bytearray`` given for a blob member, is shared:
  no simulated operation takes a blob.)
- A container more than :data:`MAX_DEPTH` (32) levels deep (the arguments and
  the response are level 1) is recorded as the string :data:`TOO_DEEP`,
  ``"<nested deeper than 32 levels>"``, so that recording, reading, saving and
  reporting a trace never recurse deeper than that, whatever a caller sent.
  No valid call nests that deep: validation refuses such a call, and a replay
  of it, which sends the placeholder, may be refused with another message.
- Strings and collections are recorded whole, however long: the trace shares
  the strings and copies the containers, in time linear in their size, and a
  replay needs them whole to give the same outcome.
- A streamed payload is recorded as a marker; the caller reads the stream.

Copying is most of what the trace costs a call (it adds about 13% to a
DescribeStream, 3 dict copies; about 12% to a ListStreams page of 100); the
collector's tracking of dicts tells which dicts hold containers without
looking at their values (see ``Trace.call``). ``trace_limit=0`` records and
copies nothing.
"""

from __future__ import annotations

import base64
import gc
import json
from collections import deque
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from .clock import from_ms

__all__ = [
    "HEADER_KEY",
    "MAX_DEPTH",
    "TOO_DEEP",
    "Called",
    "Place",
    "Trace",
    "jsonable",
    "snapshot",
]


class Called(Protocol):
    """What the trace needs of an operation: the client method name that calls it."""

    @property
    def method(self) -> str:
        """botocore's method name, e.g. ``"create_stream"``."""


class Place(Protocol):
    """What the trace needs of where a call ran."""

    account_id: str
    name: str


#: The key that marks a saved trace's first line (its value is the format version).
HEADER_KEY = "kvsim_trace"

# Entry kinds, the first field of each stored tuple.
_CALL, _ADVANCE, _IDLE, _HUB, _PUT, _SIGNAL = 0, 1, 2, 3, 4, 5


#: How many levels of containers the trace keeps (the recorded value is level 1).
MAX_DEPTH = 32
#: What the trace records in place of a container nested deeper than :data:`MAX_DEPTH`.
TOO_DEEP = f"<nested deeper than {MAX_DEPTH} levels>"

# The exact types a snapshot shares with the caller: their values cannot change.
_SHARED = frozenset({str, int, float, bool, type(None), bytes, datetime})
# Whether a dict may hold a container: CPython keeps a dict of strings, numbers,
# datetimes, bytes... untracked by the garbage collector, and tracks it as soon
# as it holds a dict, a list, a set or an object. One C call, whatever its size:
# the hot path's test. (Where dicts are always tracked, it is always true and
# the copies look at every value: as right, only slower.)
_is_tracked: Callable[[object], bool] = getattr(gc, "is_tracked", lambda value: True)
# Ints at least this large are written only if Python agrees to write them
# (``sys.set_int_max_str_digits``); smaller ones always are.
_BIG_INT = 10**1000
_INF = float("inf")


def snapshot(value: Any, level: int = 1) -> Any:
    """``value`` as the trace keeps it (see the module's rules): containers copied
    down to :data:`MAX_DEPTH` levels (``value`` is at ``level``), immutable scalars
    shared, anything else as its ``repr``. Never raises; its recursion is bounded
    by :data:`MAX_DEPTH` (two frames a level).

    >>> tags = {"team": ["a"]}
    >>> kept = snapshot({"Tags": tags})
    >>> tags["team"].append("b")
    >>> kept
    {'Tags': {'team': ['a']}}
    """
    kind = type(value)
    if kind in _SHARED:
        return value
    try:
        if kind is dict or isinstance(value, Mapping):
            return _snapshot_dict(value, level)
        if isinstance(value, list | tuple):
            if level > MAX_DEPTH:
                return TOO_DEEP
            items = list(value)
            for index, item in enumerate(items):
                if type(item) not in _SHARED:
                    items[index] = snapshot(item, level + 1)
            return items
        return _plain(value)
    except Exception as error:  # a hostile object: say what it was
        return _unrepresentable(value, error)


def _snapshot_dict(mapping: Mapping[Any, Any], level: int) -> Any:
    """:func:`snapshot` of a mapping: keys as JSON object keys (see :func:`_key`)."""
    if level > MAX_DEPTH:
        return TOO_DEEP
    copied = dict(mapping)
    other_keys = False
    for key, item in copied.items():
        if type(item) not in _SHARED:
            copied[key] = snapshot(item, level + 1)  # same keys: safe while iterating
        if type(key) is not str:
            other_keys = True
    if other_keys:
        return {_key(key): item for key, item in copied.items()}
    return copied


def _copy_members(copied: dict[Any, Any], level: int) -> dict[Any, Any]:
    """Replace, in ``copied`` (a fresh copy at ``level``), each member that is not
    of a shared type by its copy (:func:`_copy_value`)."""
    for key, item in copied.items():
        if type(item) not in _SHARED:
            copied[key] = _copy_value(item, level + 1)  # same keys: safe while iterating
    return copied


def _copy_value(value: Any, level: int) -> Any:
    """A copy of ``value`` (at ``level``): the quick way for what a validated call
    or kvsim's answer holds (dicts, lists and values of the shared types), by
    :func:`snapshot` for anything else."""
    kind = type(value)
    if kind is dict:
        if level > MAX_DEPTH:
            return TOO_DEEP
        copied = value.copy()
        return _copy_members(copied, level) if _is_tracked(copied) else copied
    if kind is list:
        return _copy_list(value, level)
    return snapshot(value, level)


def _copy_list(items: list[Any], level: int) -> Any:
    """:func:`_copy_value` of a list, such as a page of StreamInfo dicts."""
    if level >= MAX_DEPTH:
        return snapshot(items, level)  # it, or its items, are too deep
    if items and type(items[0]) is dict:
        try:
            copies = list(map(dict.copy, items))  # TypeError unless all are dicts
        except TypeError:
            return snapshot(items, level)
        if any(map(_is_tracked, copies)):
            for index, inner in enumerate(copies):
                if _is_tracked(inner):
                    copies[index] = _copy_members(inner, level + 1)
        return copies
    copied = list(items)
    for index, item in enumerate(copied):
        if type(item) not in _SHARED:
            copied[index] = snapshot(item, level + 1)
    return copied


def _key(key: Any) -> str:
    """A mapping key as a JSON object key: a string's text, anything else's ``repr``."""
    if isinstance(key, str):
        return str.__str__(key)  # the text of a str subclass (as json writes it)
    try:
        return repr(key)
    except Exception as error:
        return _unrepresentable(key, error)


def _plain(value: Any) -> Any:
    """A value of no container or shared type as the trace keeps it: a subclass
    of a scalar type as that scalar, anything else as its ``repr``."""
    if isinstance(value, str):
        return str.__str__(value)
    if isinstance(value, int):
        return int.__int__(value)
    if isinstance(value, float):
        return float.__float__(value)
    if isinstance(value, bytes):
        return b"".join((value,))
    if isinstance(value, datetime):
        return value.isoformat()
    return repr(value)


def _unrepresentable(value: Any, error: Exception) -> str:
    return f"<unrepresentable {type(value).__name__}: {type(error).__name__}>"


def jsonable(value: Any) -> Any:
    """``value`` as JSON-ready data: datetimes as ISO 8601, tuples as lists, bytes
    as base64, anything JSON cannot hold as its ``repr`` (traces also record junk
    input), and containers deeper than :data:`MAX_DEPTH` as :data:`TOO_DEEP`.
    Never raises; its recursion is bounded by :data:`MAX_DEPTH`.

    >>> jsonable({"at": datetime(2026, 1, 1), "ids": (1, 2), "raw": b"kv"})
    {'at': '2026-01-01T00:00:00', 'ids': [1, 2], 'raw': 'a3Y='}
    """
    return _jsonable(value, 1)


def _jsonable(value: Any, level: int) -> Any:
    kind = type(value)
    if kind is str or kind is bool or value is None:
        return value
    if kind is int:
        return value if -_BIG_INT < value < _BIG_INT else _big_int(value)
    try:
        if kind is float:
            return value if value == value and value not in (_INF, -_INF) else repr(value)
        if kind is datetime:
            return value.isoformat()
        if isinstance(value, Mapping):
            if level > MAX_DEPTH:
                return TOO_DEEP
            return {_key(k): _jsonable(v, level + 1) for k, v in value.items()}
        if isinstance(value, list | tuple):
            if level > MAX_DEPTH:
                return TOO_DEEP
            return [_jsonable(v, level + 1) for v in value]
        if isinstance(value, bytes):
            return base64.b64encode(value).decode()
        plain = _plain(value)  # a subclass of a scalar type, or a repr
        return plain if type(plain) is str else _jsonable(plain, level)
    except Exception as error:
        return _unrepresentable(value, error)


def _big_int(value: int) -> int | str:
    """A huge int, or a note of its size if Python refuses to write it in decimal."""
    try:
        str(value)
    except ValueError:
        return f"<int of {value.bit_length()} bits>"
    return value


class Trace:
    """A bounded record of calls and clock steps (``limit=None``: unbounded)."""

    __slots__ = ("_connections", "_entries", "_recorded", "limit")

    def __init__(self, limit: int | None) -> None:
        if limit is not None and (
            isinstance(limit, bool) or not isinstance(limit, int) or limit < 0
        ):
            raise ValueError(f"trace_limit must be an int >= 0 or None, got {limit!r}")
        self.limit = limit
        # The deque drops the oldest entries itself; counting what went in tells
        # how many it dropped without a check per call.
        self._entries: deque[tuple[Any, ...]] = deque(maxlen=limit)
        self._recorded = 0
        # Signaling connections opened so far (connect attempts, refused ones too).
        self._connections = 0

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def dropped(self) -> int:
        """How many of the oldest entries the limit has pushed out."""
        return self._recorded - len(self._entries)

    def _append(self, entry: tuple[Any, ...]) -> None:
        self._recorded += 1
        self._entries.append(entry)

    def call(
        self,
        now_ms: int,
        region: Place,
        operation: Called,
        params: Mapping[str, Any],
        response: Mapping[str, Any] | None,
        error: str | None,
        message: str | None,
    ) -> None:
        """Record one API call and its outcome, with copies of ``params`` and
        ``response`` as they are now: the caller may change its own objects
        afterwards (see the module's rules). Time linear in their size."""
        self._recorded += 1  # inlined _append: this runs on every call
        if self.limit == 0:
            return  # nothing is kept: copy nothing
        if error is None and response is not None:
            # The hot path. The call passed validation, so its arguments, like
            # kvsim's answer, hold only dicts, lists and values of the shared
            # types: a dict the collector does not track holds no container.
            args = {**params}
            if _is_tracked(args):
                args = _copy_members(args, 1)
            body = {**response}
            if _is_tracked(body):
                for key, item in body.items():  # _copy_members(body, 1), inlined
                    if type(item) is dict and not _is_tracked(item):
                        body[key] = item.copy()  # same keys: safe while iterating
                    elif type(item) not in _SHARED:
                        body[key] = _copy_value(item, 2)
            self._entries.append((_CALL, now_ms, region, operation, args, body, None, None))
            return
        # Refused: the arguments may be anything.
        args = snapshot(params)
        answer = None if response is None else snapshot(response)
        self._entries.append((_CALL, now_ms, region, operation, args, answer, error, message))

    def hub_device(
        self, now_ms: int, account_id: str, region_name: str, hub_device_arn: str, online: bool
    ) -> None:
        """Record a hub device made reachable or not (``sim.set_hub_device_online``). O(1)."""
        self._append((_HUB, now_ms, account_id, region_name, hub_device_arn, online))

    def put_fragments(
        self,
        now_ms: int,
        account_id: str,
        region_name: str,
        stream: str,
        options: Mapping[str, Any],
        outcome: Mapping[str, Any],
    ) -> None:
        """Record generated fragments put in a stream (``sim.put_fragments``), with
        its ``outcome`` (``{"response": ...}`` or ``{"error": ..., "message": ...}``). O(1)."""
        self._append((_PUT, now_ms, account_id, region_name, stream, dict(options), outcome))

    def next_connection(self) -> int:
        """The id of the next signaling connection: the 1-based count of connect
        attempts (refused ones too), never reused, not reset by :meth:`clear`. O(1)."""
        self._connections += 1
        return self._connections

    def signaling(self, now_ms: int, action: str, fields: Mapping[str, Any]) -> dict[str, Any]:
        """Record a signaling relay action (``sim.signaling``): ``action`` is
        ``connect``, ``send``, ``receive``, ``close``, ``go_away`` or
        ``reconnect_ice_server`` and ``fields`` its step's other keys (copied).
        Returns the entry's outcome, an empty dict the caller fills in once the
        action ran (``{"response": ...}`` or ``{"error": ..., "message": ...}``):
        the entry goes in first, so what a message hook does while the action
        runs is recorded after it, in the order a replay must repeat it. O(1)."""
        outcome: dict[str, Any] = {}
        self._append((_SIGNAL, now_ms, action, snapshot(fields), outcome))
        return outcome

    def clock(self, now_ms: int, seconds: float | None) -> None:
        """Record a clock step: an advance by ``seconds``, or run-until-idle (None). O(1)."""
        if seconds is None:
            self._append((_IDLE, now_ms))
        else:
            self._append((_ADVANCE, now_ms, seconds))

    def entries(self, *, calls_only: bool = False, last: int | None = None) -> list[dict[str, Any]]:
        """The recorded entries as JSON-ready dicts, oldest first."""
        selected = (
            [e for e in self._entries if e[0] == _CALL] if calls_only else list(self._entries)
        )
        if last is not None:
            selected = selected[-last:] if last > 0 else []
        return [_render(entry) for entry in selected]

    def save(self, path: str | Path, header: Mapping[str, Any]) -> int:
        """Write ``header`` (the simulator's settings) and then every entry, one JSON
        line each; returns how many entries were written."""
        if self.dropped:
            raise ValueError(
                f"the trace lost its {self.dropped} oldest entries to trace_limit={self.limit}; "
                "create the simulator with trace_limit=None to save a replayable trace"
            )
        lines = [json.dumps(entry, sort_keys=True, ensure_ascii=False) for entry in self.entries()]
        head = json.dumps({HEADER_KEY: 1, **header}, sort_keys=True)
        Path(path).write_text("".join(f"{line}\n" for line in [head, *lines]), encoding="utf-8")
        return len(lines)

    def clear(self) -> None:
        """Forget every entry."""
        self._entries.clear()
        self._recorded = 0


def _render(entry: tuple[Any, ...]) -> dict[str, Any]:
    kind, now_ms = entry[0], entry[1]
    at = from_ms(now_ms).isoformat()
    if kind == _ADVANCE:
        return {"advance": entry[2], "at": at}
    if kind == _IDLE:
        return {"run_until_idle": True, "at": at}
    if kind == _HUB:
        _, _, account_id, region_name, hub, online = entry
        return {
            "hub_device": hub,
            "online": online,
            "account_id": account_id,
            "region_name": region_name,
            "at": at,
        }
    if kind == _PUT:
        _, _, account_id, region_name, stream, options, result = entry
        return {
            "put_fragments": stream,
            **options,
            "account_id": account_id,
            "region_name": region_name,
            "at": at,
            "outcome": jsonable(result),
        }
    if kind == _SIGNAL:
        _, _, action, fields, result = entry
        return {"signaling": action, **jsonable(fields), "at": at, "outcome": jsonable(result)}
    _, _, region, operation, params, response, error, message = entry
    if error is None:
        body = {k: v for k, v in (response or {}).items() if k != "ResponseMetadata"}
        outcome: dict[str, Any] = {"response": jsonable(body)}
    else:
        outcome = {"error": error, "message": message}
    return {
        "call": operation.method,
        "args": jsonable(params),
        "account_id": region.account_id,
        "region_name": region.name,
        "at": at,
        "outcome": outcome,
    }
