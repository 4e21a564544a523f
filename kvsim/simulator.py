"""The public entry point: one :class:`Simulator` is one whole simulated world."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from .client import SERVICE_NAME, KinesisVideoClient
from .clock import from_ms, seconds_to_ms, to_ms
from .config import DEFAULT_START, Limits, Timings
from .errors import ClientError
from .ids import request_id
from .shapes import INPUTS
from .state import Region
from .wire import HANDLERS
from .world import ScheduledChange, World

__all__ = ["Simulator"]


class Simulator:
    """A deterministic Kinesis Video Streams world on a virtual clock.

    Same ``seed`` and same calls give the same responses, byte for byte.
    ``start`` (tz-aware, default :data:`kvsim.DEFAULT_START`) is where the
    clock starts; ``limits`` and ``timings`` default to AWS's quotas and
    kvsim's documented delays. All methods are thread-safe.

    >>> import kvsim
    >>> sim = kvsim.Simulator(seed=0)
    >>> kv = sim.client("kinesisvideo", region_name="us-east-1", account_id="123456789012")
    >>> arn = kv.create_stream(StreamName="cam-1", DataRetentionInHours=24)["StreamARN"]
    >>> sim.pending()[0].transition
    'CREATING -> ACTIVE'
    >>> sim.advance(2.5)
    1
    >>> kv.describe_stream(StreamARN=arn)["StreamInfo"]["Status"]
    'ACTIVE'
    >>> sim.now.isoformat()
    '2026-01-01T00:00:02.600000+00:00'
    """

    def __init__(
        self,
        seed: int = 0,
        *,
        start: datetime | None = None,
        limits: Limits | None = None,
        timings: Timings | None = None,
    ) -> None:
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise TypeError(f"seed must be an int, not {type(seed).__name__}")
        if start is None:
            start = DEFAULT_START
        if not isinstance(start, datetime):
            raise TypeError(f"start must be a datetime, not {type(start).__name__}")
        limits = Limits() if limits is None else limits
        timings = Timings() if timings is None else timings
        if not isinstance(limits, Limits):
            raise TypeError(f"limits must be a kvsim.Limits, not {type(limits).__name__}")
        if not isinstance(timings, Timings):
            raise TypeError(f"timings must be a kvsim.Timings, not {type(timings).__name__}")
        self.seed = seed
        self.limits = limits
        self.timings = timings
        self._world = World(seed, to_ms(start), limits, timings)
        self._latency_ms = seconds_to_ms(timings.call_latency, what="call_latency")
        self._calls = 0
        self._lock = threading.RLock()

    def __repr__(self) -> str:
        return f"<kvsim.Simulator seed={self.seed} now={self.now.isoformat()}>"

    # -- clients ------------------------------------------------------------------------

    def client(
        self,
        service_name: str = SERVICE_NAME,
        *,
        region_name: str = "us-east-1",
        account_id: str = "123456789012",
    ) -> KinesisVideoClient:
        """A boto3-shaped client of ``service_name`` for one account and region."""
        if service_name != SERVICE_NAME:
            raise ValueError(
                f"kvsim does not simulate service {service_name!r}; it simulates: {SERVICE_NAME!r}"
            )
        with self._lock:
            return KinesisVideoClient(self, region_name, account_id)

    def _call(self, region: Region, operation: str, params: Mapping[str, Any]) -> dict[str, Any]:
        """Validate and run one API call at the current virtual time, then let
        ``call_latency`` pass. A ``ParamValidationError`` never reached the
        service: it takes no time and no request id."""
        shape = INPUTS[operation]
        handler = HANDLERS[operation]
        with self._lock:
            world = self._world
            try:
                shape.validate(params)
                result = handler(world, region, params)
            except ClientError as error:
                self._calls += 1
                error._bind(error.message, operation, request_id(self._calls))
                world.advance_ms(self._latency_ms)
                raise
            self._calls += 1
            rid = request_id(self._calls)
            world.advance_ms(self._latency_ms)
        result["ResponseMetadata"] = {
            "RequestId": rid,
            "HTTPStatusCode": 200,
            "HTTPHeaders": {"x-amzn-requestid": rid, "content-type": "application/json"},
            "RetryAttempts": 0,
        }
        return result

    # -- the clock ----------------------------------------------------------------------

    @property
    def now(self) -> datetime:
        """The virtual time: a tz-aware UTC ``datetime``."""
        return from_ms(self._world.now_ms)

    def advance(self, seconds: float) -> int:
        """Move the clock ``seconds`` forward (whole milliseconds), running each
        change due on the way at its own due time; returns how many ran.

        >>> Simulator().advance(-1)
        Traceback (most recent call last):
        ...
        ValueError: time can't go backwards: seconds must be >= 0, got -1
        """
        ms = seconds_to_ms(seconds)
        with self._lock:
            return self._world.advance_ms(ms)

    def run_until_idle(self) -> int:
        """Run every scheduled change, moving the clock to each; returns how many ran."""
        with self._lock:
            return self._world.run_due(None)

    def step(self) -> ScheduledChange | None:
        """Jump to the next scheduled change, run it and return it (None if idle)."""
        with self._lock:
            return self._world.step()

    def pending(self) -> list[ScheduledChange]:
        """The scheduled changes, in the order they will run."""
        with self._lock:
            return self._world.pending()

    # -- inspection ---------------------------------------------------------------------

    def _check(self) -> None:
        """Assert every internal invariant of the world (for tests; O(n log n))."""
        with self._lock:
            self._world.check()

    def _dump(self) -> dict[str, Any]:
        """The whole world except the clock, JSON-ready (for tests comparing states)."""
        with self._lock:
            return self._world.dump()
