"""Timings and limits of a simulated world: frozen, validated, with AWS defaults.

The default request rates are the operations' declared ones
(:data:`kvsim.services.registry.DEFAULT_RATES`).

>>> Timings().create_delay, Limits().max_streams_per_account
(2.0, 10000)
>>> Limits(rates={"CreateStream": (100, None)}).rate("CreateStream")
(100, None)
>>> Limits().rate("DescribeStream")
(300, 5)
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from types import MappingProxyType
from typing import Any

from ..core.clock import number_repr, seconds_to_ms
from ..core.constants import MAX_DELAY_MS
from .declarations import Rate
from .registry import DEFAULT_RATES, SIMULATED

__all__ = ["Limits", "Timings"]


def _check_seconds(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"{name} must be a number of seconds, not {type(value).__name__}")
    if value < 0 or (isinstance(value, float) and not math.isfinite(value)):
        raise ValueError(
            f"{name} must be a finite number of seconds >= 0, got {number_repr(value)}"
        )
    # At most 365 days: a call started by LAST_CALL_MS then ends inside the
    # clock, so the call path needs no check of its own.
    seconds_to_ms(value, what=name, limit_ms=MAX_DELAY_MS)


def _check_count(name: str, value: object, *, optional: bool) -> None:
    if value is None and optional:
        return
    if isinstance(value, bool) or not isinstance(value, int):
        kind = "an int or None" if optional else "an int"
        raise TypeError(f"{name} must be {kind}, not {type(value).__name__}")
    if value < 0:
        raise ValueError(f"{name} must be >= 0, got {value}")


def _check_tps(op: str, value: object) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"rate of {op} must be a number or None, not {type(value).__name__}")
    try:
        finite = math.isfinite(value)
    except OverflowError:  # an int too large for a float
        finite = False
    if not finite or value <= 0:
        raise ValueError(
            f"rate of {op} must be a finite number > 0 or None, got {number_repr(value)}"
        )


@dataclass(frozen=True, slots=True)
class Timings:
    """How long things take, in virtual seconds.

    ``create_delay``: CREATING → ACTIVE. ``update_delay``: UPDATING → ACTIVE.
    ``delete_delay``: DELETING → gone. ``call_latency``: how far every API call
    moves the clock after it runs (0 freezes the clock between explicit advances).
    Each is at most 365 days (:data:`~kvsim.core.constants.MAX_DELAY_MS`).

    >>> Timings(call_latency=0)
    Timings(create_delay=2.0, update_delay=1.0, delete_delay=1.0, call_latency=0)
    >>> Timings(create_delay=-1)
    Traceback (most recent call last):
    ...
    ValueError: create_delay must be a finite number of seconds >= 0, got -1
    >>> Timings(create_delay=1e300)
    Traceback (most recent call last):
    ...
    ValueError: create_delay must be at most 31536000 seconds (365 days), got 1e+300
    """

    create_delay: float = 2.0
    update_delay: float = 1.0
    delete_delay: float = 1.0
    call_latency: float = 0.05

    def to_json(self) -> dict[str, float]:
        """The timings as JSON-ready data."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Timings:
        """Timings saved by :meth:`to_json`."""
        return cls(**data)

    def __post_init__(self) -> None:
        for name in ("create_delay", "update_delay", "delete_delay", "call_latency"):
            _check_seconds(name, getattr(self, name))


@dataclass(frozen=True, slots=True)
class Limits:
    """Quotas of a simulated world; the defaults are AWS's.

    ``max_streams_per_account`` counts streams per account *per region*
    (``None``: no limit). ``max_streams_per_device``: ``None`` as in AWS, or a
    count that makes CreateStream answer ``DeviceStreamLimitExceededException``.
    ``throttling=False`` switches every rate limit off. ``rates`` overrides
    entries of :data:`DEFAULT_RATES` by operation name; read the merged table
    with :meth:`rate`.

    >>> Limits(rates={"NoSuchOp": (1, 1)})
    Traceback (most recent call last):
    ...
    ValueError: unknown operation in rates: 'NoSuchOp'; kvsim simulates CreateStream, DescribeStream, ListStreams, UpdateStream, UpdateDataRetention, DeleteStream, GetDataEndpoint, TagStream, UntagStream, ListTagsForStream, TagResource, UntagResource, ListTagsForResource, DescribeStreamStorageConfiguration, UpdateStreamStorageConfiguration
    """

    max_streams_per_account: int | None = 10_000
    max_tags_per_resource: int = 50
    max_streams_per_device: int | None = None
    max_data_retention_hours: int = 87_600
    throttling: bool = True
    rates: Mapping[str, Rate] = field(default_factory=dict)
    _table: Mapping[str, Rate] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        _check_count("max_streams_per_account", self.max_streams_per_account, optional=True)
        _check_count("max_tags_per_resource", self.max_tags_per_resource, optional=False)
        _check_count("max_streams_per_device", self.max_streams_per_device, optional=True)
        _check_count("max_data_retention_hours", self.max_data_retention_hours, optional=False)
        if not isinstance(self.throttling, bool):
            raise TypeError(f"throttling must be a bool, not {type(self.throttling).__name__}")
        if not isinstance(self.rates, Mapping):
            raise TypeError(f"rates must be a mapping, not {type(self.rates).__name__}")
        merged = dict(DEFAULT_RATES)
        for op, rate in self.rates.items():
            if op not in DEFAULT_RATES:
                raise ValueError(
                    f"unknown operation in rates: {op!r}; kvsim simulates {', '.join(SIMULATED)}"
                )
            if not isinstance(rate, tuple) or len(rate) != 2:
                raise TypeError(
                    f"rate of {op} must be a (account_tps, stream_tps) tuple, got {rate!r}"
                )
            _check_tps(op, rate[0])
            _check_tps(op, rate[1])
            merged[op] = rate
        # Keep the overrides as given (so the repr stays valid Python) and the
        # merged table beside them for the hot path.
        object.__setattr__(self, "rates", dict(self.rates))
        object.__setattr__(self, "_table", MappingProxyType(merged))

    def to_json(self) -> dict[str, Any]:
        """The limits as JSON-ready data (rates as lists)."""
        data = {f.name: getattr(self, f.name) for f in fields(self) if f.init}
        data["rates"] = {op: list(rate) for op, rate in self.rates.items()}
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Limits:
        """Limits saved by :meth:`to_json`."""
        data = dict(data)
        data["rates"] = {op: tuple(rate) for op, rate in data.get("rates", {}).items()}
        return cls(**data)

    def rate(self, operation: str) -> Rate:
        """The ``(account TPS, stream TPS)`` in force for ``operation``."""
        return self._table[operation]
