"""Scenario timelines as text: one readable line per :class:`~kvsim.scenarios.runner.Event`."""

from __future__ import annotations

import base64
import contextlib
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
    if event.kind == "signaling":
        return _signaling(event)
    if event.kind == "hub_device":
        return f"hub device {event.resource}: {'online' if event.online else 'offline'}"
    label = f"advance {event.seconds:g} s" if event.kind == "advance" else event.kind
    if event.until is None:
        return label
    return f"{label} (until t={event.t + ((event.until - event.time) // _MS) / 1000:.3f})"


def _signaling(event: Event) -> str:
    # signaling connect #1 VIEWER "phone" to channel door -> ok
    args, action = event.args or {}, event.call
    label = f"signaling {action}"
    if "connection" in args:
        label += f" #{args['connection']}"
    if action == "connect":
        who = args.get("role")
        if args.get("client_id") is not None:
            who = f"{who} {_short(args['client_id'])}"
        label += f" {who} to {_stream_name(event.resource or '')}"
    elif action == "send":
        label += " " + _frame(args.get("frame") or {})
    elif action in ("go_away", "reconnect_ice_server"):
        label += f" {_stream_name(event.resource or '')}"
    if event.error is not None:
        return f"{label} -> {event.error}: {(event.message or '').replace(chr(10), '; ')}"
    response = event.response or {}
    if action == "send":
        return f"{label} -> {'accepted' if response.get('accepted') else 'refused'}"
    if action == "receive":
        messages = response.get("messages") or []
        if not messages:
            return f"{label} -> no messages"
        noun = "message" if len(messages) == 1 else "messages"
        shown = "; ".join(_message(m) for m in messages)
        return f"{label} -> {len(messages)} {noun}: {shown}"
    if action in ("go_away", "reconnect_ice_server"):
        count = response.get("connections")
        return f"{label} -> {count} connection{'' if count == 1 else 's'}"
    return f"{label} -> ok"


def _frame(frame: Mapping[str, Any]) -> str:
    # SDP_OFFER {"type": "offer", ...} to "phone" (correlation "c1")
    text = f"{frame.get('action')} {_payload(frame.get('messagePayload'))}"
    if "recipientClientId" in frame:
        text += f" to {_short(frame['recipientClientId'])}"
    if "correlationId" in frame:
        text += f" (correlation {_short(frame['correlationId'])})"
    return text


def _message(message: Mapping[str, Any]) -> str:
    # SDP_OFFER from "phone" {...}, or STATUS_RESPONSE {...}
    if not isinstance(message, Mapping):
        return _short(message)
    text = str(message.get("messageType"))
    if "senderClientId" in message:
        text += f" from {_short(message['senderClientId'])}"
    if "messagePayload" in message:
        text += " " + _payload(message["messagePayload"])
    if "statusResponse" in message:
        text += " " + _short(message["statusResponse"])
    return text


def _payload(payload: Any, limit: int = 80) -> str:
    # A messagePayload as the JSON it carries (base64 of JSON, as the SDKs send),
    # else as it is; cut to `limit` characters.
    text = _short(payload)
    if isinstance(payload, str):
        with contextlib.suppress(ValueError, RecursionError):
            text = _short(json.loads(base64.b64decode(payload, validate=True)))
    return text if len(text) <= limit else text[: limit - 3] + "..."


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
