"""Scenario timelines as text: one readable line per :class:`~kvsim.scenarios.runner.Event`."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from ..core.trace import jsonable
from .runner import Event

__all__ = ["format_event"]

_MS = timedelta(milliseconds=1)


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
    if event.kind == "put_fragments":
        options = ", ".join(f"{k}={_short(v)}" for k, v in (event.args or {}).items())
        put = f"put_fragments({_short(event.resource)}, {options})"
        if event.error is not None:
            return f"{put} -> {event.error}: {(event.message or '').replace(chr(10), '; ')}"
        response = event.response or {}
        first, last = response.get("first_fragment_number"), response.get("last_fragment_number")
        return f"{put} -> ok {response.get('count')} fragments {first}..{last}"
    if event.kind == "hub_device":
        return f"hub device {event.resource}: {'online' if event.online else 'offline'}"
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
