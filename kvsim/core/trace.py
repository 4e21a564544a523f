"""The call trace: what the code under test did to the simulated service.

Entries are kept as cheap tuples while the simulation runs and turned into
JSON-ready dicts only when read. Their format is the ``kvsim run`` scenario
step format plus ``at`` (the virtual time) and, for calls, ``outcome``, so a
saved trace is itself a scenario that ``kvsim run --check`` can replay.
"""

from __future__ import annotations

import base64
import json
from collections import deque
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from .clock import from_ms

__all__ = ["HEADER_KEY", "Called", "Place", "Trace", "jsonable"]


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
_CALL, _ADVANCE, _IDLE = 0, 1, 2


def jsonable(value: Any) -> Any:
    """``value`` as JSON-ready data: datetimes as ISO 8601, tuples as lists,
    anything JSON cannot hold as its ``repr`` (traces also record junk input)."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return (
            value if value == value and value not in (float("inf"), float("-inf")) else repr(value)
        )
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k) if isinstance(k, str) else repr(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    return repr(value)


class Trace:
    """A bounded record of calls and clock steps (``limit=None``: unbounded)."""

    __slots__ = ("_entries", "_recorded", "limit")

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
        """Record one API call and its outcome. O(1)."""
        self._recorded += 1  # inlined _append: this runs on every call
        self._entries.append((_CALL, now_ms, region, operation, params, response, error, message))

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
    _, _, region, operation, params, response, error, message = entry
    if error is None:
        body = {k: v for k, v in response.items() if k != "ResponseMetadata"}
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
