"""The public entry point: one :class:`Simulator` is one whole simulated world."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import snapshot as _snapshot
from .client import SERVICE_NAME, KinesisVideoClient, check_account_region
from .clock import from_ms, seconds_to_ms, to_ms
from .config import DEFAULT_START, Limits, Timings
from .errors import ClientError, InvalidArgumentException, ParamValidationError
from .faults import Faults
from .ids import request_id
from .permissions import denial, expand_actions
from .shapes import INPUTS
from .state import Region
from .trace import Trace
from .wire import HANDLERS
from .world import ScheduledChange, World

if TYPE_CHECKING:
    from .timepatch import TimePatch

__all__ = ["Simulator"]


class Simulator:
    """A deterministic Kinesis Video Streams world on a virtual clock.

    Same ``seed`` and same calls give the same responses, byte for byte.
    ``start`` (tz-aware, default :data:`kvsim.DEFAULT_START`) is where the
    clock starts; ``limits`` and ``timings`` default to AWS's quotas and
    kvsim's documented delays. ``trace_limit`` bounds how many calls and clock
    steps :attr:`trace` keeps (``None``: all; 0: none). All methods are thread-safe.

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
        trace_limit: int | None = 10_000,
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
        #: Where the virtual clock started.
        self.start = start
        self.limits = limits
        self.timings = timings
        self._world = World(seed, to_ms(start), limits, timings)
        self._latency_ms = seconds_to_ms(timings.call_latency, what="call_latency")
        self._calls = 0
        self._lock = threading.RLock()
        self._trace = Trace(trace_limit)
        self._credentials: dict[str, str] = {}
        #: Fault rules: ``sim.faults.add(...)``, ``sim.faults.add_latency(...)``, ``sim.faults.clear()``.
        self.faults = Faults(seed)

    def __repr__(self) -> str:
        return f"<kvsim.Simulator seed={self.seed} now={self.now.isoformat()}>"

    # -- clients ------------------------------------------------------------------------

    def client(
        self,
        service_name: str = SERVICE_NAME,
        *,
        region_name: str = "us-east-1",
        account_id: str = "123456789012",
        allowed_actions: Iterable[str] | None = None,
    ) -> KinesisVideoClient:
        """A boto3-shaped client of ``service_name`` for one account and region.

        ``allowed_actions`` (IAM action names such as ``"kinesisvideo:DescribeStream"``,
        ``*`` wildcards allowed) makes every other call fail with the operation's
        authorization error, as for a least-privilege role.
        """
        if service_name != SERVICE_NAME:
            raise ValueError(
                f"kvsim does not simulate service {service_name!r}; it simulates: {SERVICE_NAME!r}"
            )
        allowed = None if allowed_actions is None else expand_actions(allowed_actions)
        with self._lock:
            return KinesisVideoClient(self, region_name, account_id, allowed)

    def _call(
        self,
        region: Region,
        operation: str,
        params: Mapping[str, Any],
        allowed: frozenset[str] | None = None,
    ) -> dict[str, Any]:
        """Validate and run one API call at the current virtual time, then let
        ``call_latency`` (plus any injected latency) pass. A
        ``ParamValidationError`` never reached the service: it takes no time
        and no request id."""
        shape = INPUTS[operation]
        handler = HANDLERS[operation]
        with self._lock:
            world = self._world
            trace = self._trace
            extra_ms = 0
            # A call sees every change due by now: step() runs one change at a
            # time and may leave another due at the same instant.
            world.catch_up()
            try:
                shape.validate(params)
                if allowed is not None and operation not in allowed:
                    raise denial(operation, region.account_id)
                if self.faults.rules:
                    injected, extra_ms = self.faults.decide(
                        operation, region.account_id, region.name, params
                    )
                    if injected is not None:
                        raise injected
                result = handler(world, region, params)
            except ParamValidationError as error:
                trace.call(
                    world.now_ms,
                    region,
                    operation,
                    params,
                    None,
                    "ParamValidationError",
                    error.report,
                )
                raise
            except ClientError as error:
                self._calls += 1
                error._bind(error.message, operation, request_id(self._calls))
                trace.call(world.now_ms, region, operation, params, None, error.code, error.message)
                world.advance_ms(self._latency_ms + extra_ms)
                raise
            self._calls += 1
            rid = request_id(self._calls)
            trace.call(world.now_ms, region, operation, params, result, None, None)
            world.advance_ms(self._latency_ms + extra_ms)
        result["ResponseMetadata"] = {
            "RequestId": rid,
            "HTTPStatusCode": 200,
            "HTTPHeaders": {"x-amzn-requestid": rid, "content-type": "application/json"},
            "RetryAttempts": 0,
        }
        return result

    def register_credentials(self, access_key_id: str, account_id: str) -> None:
        """Map an access-key id to an account, for adapters that read credentials."""
        check_account_region(account_id, "us-east-1")
        if not isinstance(access_key_id, str) or not access_key_id:
            raise ValueError(f"access_key_id must be a non-empty str, got {access_key_id!r}")
        with self._lock:
            self._credentials[access_key_id] = account_id

    def account_for(self, access_key_id: str | None) -> str | None:
        """The account registered for ``access_key_id``, or None."""
        with self._lock:
            return self._credentials.get(access_key_id) if access_key_id else None

    def _handle(
        self, account_id: str, region_name: str, operation: str, params: Mapping[str, Any]
    ) -> dict[str, Any]:
        """Serve one request that reached the service over the wire (:mod:`kvsim.rest`).

        As a facade call, except for input botocore would have refused to send
        (missing or unknown member, wrong JSON type, below ``min``): kvsim rule,
        it answers ``InvalidArgumentException`` (400) with botocore's report as
        the message. As a facade ``ParamValidationError`` it changes nothing and
        takes no virtual time (the trace records it as one), but it is given a
        request id.
        """
        with self._lock:
            region = self._world.regions.get((account_id, region_name))
            if region is None:
                check_account_region(account_id, region_name)
                region = self._world.region(account_id, region_name)
            try:
                return self._call(region, operation, params)
            except ParamValidationError as problem:
                lines = problem.report.split("\n")
                noun = "error" if len(lines) == 1 else "errors"
                error = InvalidArgumentException(
                    f"{len(lines)} validation {noun} detected: " + "; ".join(lines)
                )
                self._calls += 1
                error._bind(error.message, operation, request_id(self._calls))
                raise error from None

    def _next_request_id(self) -> str:
        """A fresh request id for a request rejected before it reached the service
        (unknown path, no credentials, unreadable body): no virtual time passes."""
        with self._lock:
            self._calls += 1
            return request_id(self._calls)

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
            self._trace.clock(self._world.now_ms, seconds)
            return self._world.advance_ms(ms)

    def run_until_idle(self) -> int:
        """Run every scheduled change, moving the clock to each; returns how many ran."""
        with self._lock:
            self._trace.clock(self._world.now_ms, None)
            return self._world.run_due(None)

    def step(self) -> ScheduledChange | None:
        """Jump to the next scheduled change, run it and return it (None if idle)."""
        with self._lock:
            before = self._world.now_ms
            change = self._world.step()
            if change is not None:
                # Recorded as the advance it amounts to, so a replay reaches the same time.
                self._trace.clock(before, (self._world.now_ms - before) / 1000)
            return change

    def pending(self) -> list[ScheduledChange]:
        """The scheduled changes, in the order they will run."""
        with self._lock:
            return self._world.pending()

    def patch_time(self) -> TimePatch:
        """A context manager that puts the code under test on this world's clock:
        ``time.sleep(5)`` advances the world 5 s at once, and ``time.time``,
        ``time.monotonic`` and ``datetime.now()``-style reads follow the virtual
        clock (see :mod:`kvsim.timepatch`). Patching is process-wide.

        >>> import time
        >>> sim = Simulator()
        >>> with sim.patch_time():
        ...     time.sleep(90)
        ...     sim.now.isoformat()
        '2026-01-01T00:01:30+00:00'
        """
        from .timepatch import patch_time

        return patch_time(self)

    # -- trace ----------------------------------------------------------------------------

    @property
    def trace(self) -> list[dict[str, Any]]:
        """Every recorded call and clock step, oldest first, as JSON-ready dicts in
        the ``kvsim run`` step format with ``at`` and (for calls) ``outcome``.

        >>> sim = Simulator()
        >>> _ = sim.client().create_stream(StreamName="cam")
        >>> entry = sim.trace[0]
        >>> entry["call"], entry["args"], entry["outcome"]["response"]["StreamARN"][-17:]
        ('create_stream', {'StreamName': 'cam'}, 'cam/1767225600000')
        """
        with self._lock:
            return self._trace.entries()

    def last_calls(self, n: int = 10) -> list[dict[str, Any]]:
        """The last ``n`` recorded calls (as in :attr:`trace`), oldest first."""
        with self._lock:
            return self._trace.entries(calls_only=True, last=n)

    def save_trace(self, path: str | Path) -> int:
        """Write :attr:`trace` as JSON lines (a scenario ``kvsim run --check`` replays);
        returns the number of lines. Raises ``ValueError`` if ``trace_limit`` dropped entries."""
        header = {
            "seed": self.seed,
            "start": self.start.isoformat(),
            "limits": self.limits.to_json(),
            "timings": self.timings.to_json(),
        }
        with self._lock:
            return self._trace.save(path, header)

    # -- snapshots ------------------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        """The whole world as versioned, JSON-serialisable data (see :meth:`restore`).

        >>> sim = Simulator(seed=3)
        >>> _ = sim.client().create_stream(StreamName="cam")
        >>> copy = Simulator.restore(sim.snapshot())
        >>> info = copy.client().describe_stream(StreamName="cam")["StreamInfo"]
        >>> info == sim.client().describe_stream(StreamName="cam")["StreamInfo"]
        True
        """
        with self._lock:
            return _snapshot.dump(self)

    @classmethod
    def restore(cls, snapshot: Mapping[str, Any] | str) -> Simulator:
        """A new simulator rebuilt from :meth:`snapshot` output (a dict or its JSON text).
        A corrupt or foreign snapshot raises ``ValueError`` saying what is wrong."""
        return _snapshot.load(snapshot, cls)

    def fork(self) -> Simulator:
        """An independent copy of this world: the same future for the same calls."""
        return self.restore(self.snapshot())

    # -- inspection ---------------------------------------------------------------------

    def _check(self) -> None:
        """Assert every internal invariant of the world (for tests; O(n log n))."""
        with self._lock:
            self._world.check()

    def _dump(self) -> dict[str, Any]:
        """The whole world except the clock, JSON-ready (for tests comparing states)."""
        with self._lock:
            return self._world.dump()
