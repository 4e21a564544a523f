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

__all__ = ["AWS_CHANNEL_QUOTA", "Limits", "Timings"]

#: ``Limits(max_channels_per_account=AWS_CHANNEL_QUOTA)``, the default: AWS's
#: per-region signaling channel quota.
AWS_CHANNEL_QUOTA = "aws"
_AWS_CHANNEL_QUOTAS = {"us-east-1": 10_000, "us-west-2": 10_000}
_AWS_CHANNEL_QUOTA_ELSEWHERE = 5_000

#: ListStreams' default and largest page as the model documents them.
_MODEL_LIST_STREAMS_PAGE = 10_000


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

    ``channel_create_delay``, ``channel_update_delay``, ``channel_delete_delay``:
    the same three steps of a signaling channel.

    ``edge_sync_delay``: an edge configuration's SYNCING → IN_SYNC while its hub
    device is online; ``edge_delete_delay``: its DELETING → gone; offline, the
    service retries for ``edge_retry_window`` (15 minutes, as documented) and
    then answers SYNC_FAILED / DELETE_FAILED.

    >>> Timings(call_latency=0).call_latency, Timings().channel_create_delay
    (0, 2.0)
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
    channel_create_delay: float = 2.0
    channel_update_delay: float = 1.0
    channel_delete_delay: float = 1.0
    edge_sync_delay: float = 5.0
    edge_delete_delay: float = 5.0
    edge_retry_window: float = 900.0

    def to_json(self) -> dict[str, float]:
        """The timings as JSON-ready data."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Timings:
        """Timings saved by :meth:`to_json`."""
        return cls(**data)

    def __post_init__(self) -> None:
        for f in fields(self):
            _check_seconds(f.name, getattr(self, f.name))


@dataclass(frozen=True, slots=True)
class Limits:
    """Quotas of a simulated world; the defaults are AWS's.

    ``max_streams_per_account`` counts streams per account *per region*
    (``None``: no limit). ``max_channels_per_account`` counts signaling channels
    per account per region: ``"aws"`` (the default) is AWS's figure for each
    region (10,000 in us-east-1 and us-west-2, 5,000 elsewhere; see
    :meth:`channel_quota`), an int applies to every region, ``None`` is no limit. ``max_streams_per_device``: ``None`` as in AWS, or a
    count that makes CreateStream answer ``DeviceStreamLimitExceededException``.
    ``list_streams_page_size`` is the page ListStreams answers without
    ``MaxResults``, ``max_list_streams_page`` the largest page it answers
    whatever ``MaxResults`` asks: the real service's 10 and 1,000 (the model
    documents 10,000 for both; ``Limits(list_streams_page_size=10_000,
    max_list_streams_page=10_000)`` behaves as the model reads).
    The signaling relay's quotas (``sim.signaling``, the WebSocket of ``kvsim
    serve``): ``max_viewers_per_channel`` viewers connected at once (AWS's 10;
    ``None``: no limit), ``signaling_connect_tps`` connections per second per
    channel and role (ConnectAsMaster and ConnectAsViewer each: AWS's 3),
    ``signaling_sdp_tps`` SDP offers and as many answers per second per
    connection (AWS's 5) and ``signaling_candidate_tps`` ICE candidates per
    second per connection (AWS's 20); a rate of ``None`` is no limit.
    ``get_media_connections`` and ``get_media_for_fragment_list_connections``:
    how many GetMedia (AWS's 3) and GetMediaForFragmentList (AWS's 5) bodies
    may be open at once per stream (``None``: no limit; see
    :mod:`kvsim.services.media_reads`); they are connection limits, not
    rates, and hold under ``throttling=False``.
    ``throttling=False`` switches every rate limit off. ``rates`` overrides
    entries of :data:`DEFAULT_RATES` by operation name; read the merged table
    with :meth:`rate`.

    >>> Limits(rates={"NoSuchOp": (1, 1)})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: unknown operation in rates: 'NoSuchOp'; kvsim simulates CreateStream, DescribeStream, ListStreams, ...
    >>> Limits().channel_quota("us-west-2"), Limits().channel_quota("eu-west-1")
    (10000, 5000)
    """

    max_streams_per_account: int | None = 10_000
    max_channels_per_account: int | str | None = AWS_CHANNEL_QUOTA
    max_tags_per_resource: int = 50
    max_streams_per_device: int | None = None
    max_data_retention_hours: int = 87_600
    list_streams_page_size: int = 10
    max_list_streams_page: int = 1_000
    #: Fragment-metadata and fragment-media points per stream per second (None: no limit).
    fragment_metadata_points: int | None = 10_000
    fragment_media_points: int | None = 500
    max_viewers_per_channel: int | None = 10
    signaling_connect_tps: float | None = 3
    signaling_sdp_tps: float | None = 5
    signaling_candidate_tps: float | None = 20
    get_media_connections: int | None = 3
    get_media_for_fragment_list_connections: int | None = 5
    throttling: bool = True
    rates: Mapping[str, Rate] = field(default_factory=dict)
    _table: Mapping[str, Rate] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        _check_count("max_streams_per_account", self.max_streams_per_account, optional=True)
        if self.max_channels_per_account != AWS_CHANNEL_QUOTA:
            if isinstance(self.max_channels_per_account, str):
                raise ValueError(
                    f"max_channels_per_account must be an int, None or {AWS_CHANNEL_QUOTA!r}, "
                    f"got {self.max_channels_per_account!r}"
                )
            _check_count("max_channels_per_account", self.max_channels_per_account, optional=True)
        _check_count("max_tags_per_resource", self.max_tags_per_resource, optional=False)
        _check_count("max_streams_per_device", self.max_streams_per_device, optional=True)
        _check_count("max_data_retention_hours", self.max_data_retention_hours, optional=False)
        _check_count("fragment_metadata_points", self.fragment_metadata_points, optional=True)
        _check_count("fragment_media_points", self.fragment_media_points, optional=True)
        _check_count("max_viewers_per_channel", self.max_viewers_per_channel, optional=True)
        _check_count("get_media_connections", self.get_media_connections, optional=True)
        _check_count(
            "get_media_for_fragment_list_connections",
            self.get_media_for_fragment_list_connections,
            optional=True,
        )
        for name in ("signaling_connect_tps", "signaling_sdp_tps", "signaling_candidate_tps"):
            _check_tps(name, getattr(self, name))
        for name in ("list_streams_page_size", "max_list_streams_page"):
            _check_count(name, getattr(self, name), optional=False)
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
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
        """Limits saved by :meth:`to_json`.

        Limits saved before the ListStreams page fields existed keep the pages
        that world ran with (the model's 10,000), so an old snapshot replays as it ran.
        """
        data = dict(data)
        for name in ("list_streams_page_size", "max_list_streams_page"):
            data.setdefault(name, _MODEL_LIST_STREAMS_PAGE)
        data["rates"] = {op: tuple(rate) for op, rate in data.get("rates", {}).items()}
        return cls(**data)

    def channel_quota(self, region_name: str) -> int | None:
        """The most signaling channels an account may have in ``region_name`` (None: no limit)."""
        quota = self.max_channels_per_account
        if quota == AWS_CHANNEL_QUOTA:
            return _AWS_CHANNEL_QUOTAS.get(region_name, _AWS_CHANNEL_QUOTA_ELSEWHERE)
        assert not isinstance(quota, str)
        return quota

    def rate(self, operation: str) -> Rate:
        """The ``(account TPS, stream TPS)`` in force for ``operation``."""
        return self._table[operation]
