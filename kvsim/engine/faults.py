"""Fault injection: make chosen calls fail with a modeled error, or take longer.

Faults are rules the simulator consults before running a call. Whether a rule
with a ``probability`` fires is drawn from a random source seeded from the
simulator's seed but separate from the one that draws versions, so adding a
fault does not change the versions a scenario sees.

>>> import kvsim
>>> sim = kvsim.Simulator()
>>> kv = sim.client("kinesisvideo")
>>> rule = sim.faults.add("create_stream", "InvalidDeviceException", times=1)
>>> try:
...     kv.create_stream(StreamName="cam")
... except kv.exceptions.InvalidDeviceException as e:
...     print(e.response["Error"]["Message"])
Injected fault: InvalidDeviceException
>>> kv.create_stream(StreamName="cam")["StreamARN"].endswith("/cam/1767225600050")
True
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..core.clock import format_seconds, number_repr, seconds_to_ms
from ..core.constants import MAX_DELAY_MS
from ..core.ids import parse_stream_arn
from ..model.errors import ClientError, fault_errors
from ..services.declarations import Operation
from ..services.registry import SIMULATED

__all__ = ["Fault", "Faults"]


_BY_METHOD = {op.method: op for op in SIMULATED.values()}


def find_operation(operation: str) -> Operation:
    """The simulated operation named by its API name or boto3 method name.

    >>> find_operation("describe_stream").name, find_operation("DescribeStream").name
    ('DescribeStream', 'DescribeStream')
    >>> find_operation(None)
    Traceback (most recent call last):
    ...
    TypeError: operation must be a str (an API or boto3 method name), not NoneType
    """
    if not isinstance(operation, str):
        raise TypeError(
            f"operation must be a str (an API or boto3 method name), not {type(operation).__name__}"
        )
    found = SIMULATED.get(operation) or _BY_METHOD.get(operation)
    if found is None:
        raise ValueError(
            f"unknown operation {operation!r}; kvsim simulates {', '.join(SIMULATED)} "
            "(or their boto3 method names, e.g. 'create_stream')"
        )
    return found


def operation_name(operation: str) -> str:
    """The API name of ``operation``, given as API name or boto3 method name."""
    return find_operation(operation).name


# The request members that name a stream or a channel, by name or by ARN.
_NAMED_BY = {
    "stream": ("StreamName", ("StreamARN", "ResourceARN")),
    "channel": ("ChannelName", ("ChannelARN", "ResourceARN")),
}


def _resource_name_of(params: Mapping[str, Any], kind: str) -> str | None:
    """The name of the stream (``kind="stream"``) or channel a request names, if any."""
    name_member, arn_members = _NAMED_BY[kind]
    name = params.get(name_member)
    if isinstance(name, str):
        return name
    for key in arn_members:
        arn = params.get(key)
        if isinstance(arn, str):
            parsed = parse_stream_arn(arn)
            if parsed is not None and parsed[3] == kind:
                return parsed[4]
    return None


@dataclass(slots=True)
class Fault:
    """One rule: which calls it matches, what it does, how often it may still fire."""

    operation: str
    error: type[ClientError] | None
    latency_ms: int
    times: int | None
    probability: float | None
    account_id: str | None
    region_name: str | None
    stream_name: str | None
    message: str | None
    channel_name: str | None = None

    def matches(
        self, operation: Operation, account_id: str, region_name: str, params: Mapping[str, Any]
    ) -> bool:
        """Whether this rule applies to a call (ignoring its probability)."""
        return (
            self.operation == operation.name
            and (self.times is None or self.times > 0)
            and (self.account_id is None or self.account_id == account_id)
            and (self.region_name is None or self.region_name == region_name)
            and (
                self.stream_name is None or self.stream_name == _resource_name_of(params, "stream")
            )
            and (
                self.channel_name is None
                or self.channel_name == _resource_name_of(params, "channel")
            )
        )

    def to_json(self) -> dict[str, Any]:
        """The rule as JSON-ready data (for snapshots)."""
        return {
            "operation": self.operation,
            "error": self.error.code if self.error else None,
            "latency_ms": self.latency_ms,
            "times": self.times,
            "probability": self.probability,
            "account_id": self.account_id,
            "region_name": self.region_name,
            "stream_name": self.stream_name,
            "message": self.message,
            # Written only when set: snapshots of rules without it read as before.
            **({"channel_name": self.channel_name} if self.channel_name is not None else {}),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Fault:
        """Rebuild a rule saved by :meth:`to_json`."""
        error = data["error"]
        operation = find_operation(data["operation"])
        latency_ms = int(data["latency_ms"])
        if not 0 <= latency_ms <= MAX_DELAY_MS:
            raise ValueError(
                f"latency_ms must be in [0, {MAX_DELAY_MS}], got {number_repr(latency_ms)}"
            )
        return cls(
            operation=operation.name,
            error=fault_errors(operation.service)[error] if error is not None else None,
            latency_ms=latency_ms,
            times=data["times"],
            probability=data["probability"],
            account_id=data["account_id"],
            region_name=data["region_name"],
            stream_name=data["stream_name"],
            message=data["message"],
            channel_name=data.get("channel_name"),
        )


class Faults:
    """The fault rules of one simulator: ``sim.faults``."""

    def __init__(self, seed: int) -> None:
        self.rules: list[Fault] = []
        # A string seed is hashed with SHA-512 by random.Random: stable everywhere.
        self.rng = random.Random(f"kvsim-faults:{seed}")

    def __bool__(self) -> bool:
        return bool(self.rules)

    def __repr__(self) -> str:
        return f"<kvsim Faults: {len(self.rules)} rule(s)>"

    def add(
        self,
        operation: str,
        error: str | type[ClientError],
        *,
        times: int | None = None,
        probability: float | None = None,
        account_id: str | None = None,
        region_name: str | None = None,
        stream_name: str | None = None,
        message: str | None = None,
        channel_name: str | None = None,
    ) -> Fault:
        """Make matching calls of ``operation`` fail with ``error`` (a code or class).

        ``times``: how many calls may fail (None: every one). ``probability``:
        the chance each matching call fails (None: always). The other keywords
        narrow which calls match: ``stream_name`` / ``channel_name`` match calls
        that name that stream / signaling channel, by name or by ARN. Returns the rule. Arguments of the wrong type
        raise ``TypeError``, wrong values ``ValueError``, and add no rule.

        >>> import kvsim
        >>> kvsim.Simulator().faults.add("create_stream", [])
        Traceback (most recent call last):
        ...
        TypeError: error must be a modeled error code (str) or a ClientError subclass, not list
        """
        classes = fault_errors(find_operation(operation).service)
        if isinstance(error, type) and issubclass(error, ClientError):
            code = error.code
        elif isinstance(error, str):
            code = error
        else:
            what = (
                f"the class {error.__name__}" if isinstance(error, type) else type(error).__name__
            )
            raise TypeError(
                f"error must be a modeled error code (str) or a ClientError subclass, not {what}"
            )
        if code not in classes:
            raise ValueError(
                f"unknown error {error!r}; use one of the modeled codes: "
                f"{', '.join(sorted(classes))}"
            )
        if message is not None and not isinstance(message, str):
            raise TypeError(f"message must be a str, not {type(message).__name__}")
        return self._add(
            operation,
            classes[code],
            0,
            times,
            probability,
            account_id,
            region_name,
            stream_name,
            message,
            channel_name,
        )

    def add_latency(
        self,
        operation: str,
        seconds: float,
        *,
        times: int | None = None,
        probability: float | None = None,
        account_id: str | None = None,
        region_name: str | None = None,
        stream_name: str | None = None,
        channel_name: str | None = None,
    ) -> Fault:
        """Make matching calls of ``operation`` take ``seconds`` of extra virtual time.

        One call's injected latency (the sum of the latency rules of its
        operation that can still fire) is at most 365 days, as each ``Timings``
        value: then a call started by ``LAST_CALL_MS`` ends inside the clock.

        >>> import kvsim
        >>> kvsim.Simulator().faults.add_latency("list_streams", 1e300)
        Traceback (most recent call last):
        ...
        ValueError: seconds must be at most 31536000 seconds (365 days), got 1e+300
        """
        latency_ms = seconds_to_ms(seconds, what="seconds", limit_ms=MAX_DELAY_MS)
        name = operation_name(operation)
        total_ms = latency_ms + sum(
            rule.latency_ms
            for rule in self.rules
            if rule.operation == name and (rule.times is None or rule.times > 0)
        )
        if total_ms > MAX_DELAY_MS:
            raise ValueError(
                f"the latency faults of {name} would add {format_seconds(total_ms)} seconds "
                f"to one call; the most is {format_seconds(MAX_DELAY_MS)} seconds (365 days)"
            )
        return self._add(
            operation,
            None,
            latency_ms,
            times,
            probability,
            account_id,
            region_name,
            stream_name,
            None,
            channel_name,
        )

    def clear(self) -> None:
        """Remove every rule."""
        self.rules.clear()

    def _add(
        self,
        operation: str,
        error: type[ClientError] | None,
        latency_ms: int,
        times: int | None,
        probability: float | None,
        account_id: str | None,
        region_name: str | None,
        stream_name: str | None,
        message: str | None,
        channel_name: str | None,
    ) -> Fault:
        if times is not None:
            if isinstance(times, bool) or not isinstance(times, int):
                raise TypeError(f"times must be an int or None, not {type(times).__name__}")
            if times < 1:
                raise ValueError(f"times must be a positive int or None, got {number_repr(times)}")
        if probability is not None:
            if isinstance(probability, bool) or not isinstance(probability, int | float):
                raise TypeError(
                    f"probability must be a number or None, not {type(probability).__name__}"
                )
            # (No math.isfinite: it fails on an int too large for a float, and
            # the range already leaves out NaN and the infinities.)
            if not 0 < probability <= 1:
                raise ValueError(
                    f"probability must be in (0, 1] or None, got {number_repr(probability)}"
                )
        for label, value in (
            ("account_id", account_id),
            ("region_name", region_name),
            ("stream_name", stream_name),
            ("channel_name", channel_name),
        ):
            if value is not None and not isinstance(value, str):
                raise TypeError(f"{label} must be a str or None, not {type(value).__name__}")
        rule = Fault(
            operation_name(operation),
            error,
            latency_ms,
            times,
            probability,
            account_id,
            region_name,
            stream_name,
            message,
            channel_name,
        )
        self.rules.append(rule)
        return rule

    def decide(
        self, operation: Operation, account_id: str, region_name: str, params: Mapping[str, Any]
    ) -> tuple[ClientError | None, int]:
        """The injected error (if any) and extra latency for one call; uses up ``times``."""
        error: ClientError | None = None
        latency_ms = 0
        for rule in self.rules:
            if not rule.matches(operation, account_id, region_name, params):
                continue
            if rule.error is not None and error is not None:
                continue  # the first error rule that fires wins
            if rule.probability is not None and self.rng.random() >= rule.probability:
                continue
            if rule.times is not None:
                rule.times -= 1
            if rule.error is None:
                latency_ms += rule.latency_ms
            else:
                error = rule.error(rule.message or f"Injected fault: {rule.error.code}")
        return error, latency_ms
