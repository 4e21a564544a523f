"""The public entry point: one :class:`Simulator` is one whole simulated world."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from contextlib import AbstractContextManager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..core.clock import format_ms, from_ms, number_repr, seconds_to_ms, to_ms
from ..core.constants import (
    DEFAULT_ACCOUNT_ID,
    DEFAULT_REGION_NAME,
    DEFAULT_START,
    LAST_CALL_MS,
    LAST_START_MS,
    MAX_MS,
    MAX_SEED,
    check_account_region,
)
from ..core.kernel import ScheduledChange
from ..core.trace import Trace
from ..services.config import Limits, Timings
from ..services.configs_state import is_hub_device_arn
from ..services.kinesisvideo.edge import set_hub_online
from ..services.media_reads import open_readers
from ..services.world import World
from . import snapshot as _snapshot
from .client import KinesisVideoClient, ServiceClient, client_class
from .faults import Faults
from .media_methods import MediaMethods
from .permissions import Principal
from .runtime import Runtime, actions_tuple
from .signaling import Signaling, busy_channels

if TYPE_CHECKING:
    from ..testing.timepatch import TimePatch

__all__ = ["Simulator"]


class Simulator(MediaMethods):
    """A deterministic Kinesis Video Streams world on a virtual clock.

    Same ``seed`` and same calls give the same responses, byte for byte.
    ``seed`` is an int from 0 to 2**64 - 1. ``start`` (tz-aware, default
    :data:`kvsim.DEFAULT_START`) is where the clock starts: from
    1970-01-01T00:00:00Z (stream ARNs carry creation times in epoch
    milliseconds) to 9996-12-31T23:59:59.999Z, which leaves at least a year
    of API calls: calls may start until 9997-12-31T23:59:59.999Z
    (:data:`~kvsim.core.constants.LAST_CALL_MS`), two years before the clock
    ends at 9999-12-31T23:59:59.999Z, room for the longest call latency plus
    the longest injected latency (365 days each). ``limits`` and ``timings``
    default to AWS's quotas and kvsim's documented delays. ``trace_limit``
    bounds how many calls and clock steps :attr:`trace` keeps (``None``: all;
    0: none). All methods are thread-safe.

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
    >>> kvsim.Simulator(seed=-1)
    Traceback (most recent call last):
    ...
    ValueError: seed must be in [0, 2**64), got -1
    >>> from datetime import UTC, datetime
    >>> kvsim.Simulator(start=datetime(9999, 1, 1, tzinfo=UTC))
    Traceback (most recent call last):
    ...
    ValueError: start must be at or before 9996-12-31T23:59:59.999Z (a year before API calls stop at 9997-12-31T23:59:59.999Z; the clock ends at 9999-12-31T23:59:59.999Z), got 9999-01-01T00:00:00+00:00
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
        if not 0 <= seed < MAX_SEED:
            raise ValueError(f"seed must be in [0, 2**64), got {number_repr(seed)}")
        if start is None:
            start = DEFAULT_START
        if not isinstance(start, datetime):
            raise TypeError(f"start must be a datetime, not {type(start).__name__}")
        try:
            start_ms = to_ms(start)
        except OverflowError:
            # Year 1 or 9999 in a zone that puts it outside datetime's range in UTC.
            start_ms = -1 if start.year == 1 else MAX_MS + 1
        if start_ms < 0:
            raise ValueError(
                "start must be at or after 1970-01-01T00:00:00Z (stream ARNs carry their "
                f"creation time in epoch milliseconds), got {start.isoformat()}"
            )
        if start_ms > LAST_START_MS:
            raise ValueError(
                f"start must be at or before {format_ms(LAST_START_MS)} (a year before API calls "
                f"stop at {format_ms(LAST_CALL_MS)}; the clock ends at {format_ms(MAX_MS)}), "
                f"got {start.isoformat()}"
            )
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
        #: Fault rules: ``sim.faults.add(...)``, ``sim.faults.add_latency(...)``, ``sim.faults.clear()``.
        self.faults = Faults(seed)
        #: The internal interface of kvsim's own clients, adapters and snapshots.
        self.runtime = Runtime(
            World(seed, start_ms, limits, timings),
            Trace(trace_limit),
            self.faults,
            seconds_to_ms(timings.call_latency, what="call_latency"),
        )

    def __repr__(self) -> str:
        return f"<kvsim.Simulator seed={self.seed} now={self.now.isoformat()}>"

    # -- clients ------------------------------------------------------------------------

    def client(
        self,
        service_name: str = "kinesisvideo",
        *,
        region_name: str = DEFAULT_REGION_NAME,
        account_id: str = DEFAULT_ACCOUNT_ID,
        allowed_actions: Iterable[str] | None = None,
        identity: str | None = None,
    ) -> KinesisVideoClient:
        """A boto3-shaped client of ``service_name`` for one account and region.

        ``service_name`` is one of the five botocore services of Kinesis Video
        (``kinesisvideo``, ``kinesis-video-archived-media``, ``kinesis-video-media``,
        ``kinesis-video-signaling``, ``kinesis-video-webrtc-storage``); every
        operation of its model is a method, and those kvsim does not simulate
        yet answer ``UnsupportedOperationException``. ``allowed_actions`` (IAM
        action names such as ``"kinesisvideo:DescribeStream"``, ``*`` wildcards
        allowed) makes every other call fail as the real service denies it:
        ``AccessDeniedException`` (HTTP 403) naming ``identity`` (an IAM or STS
        ARN of ``account_id``; by default ``arn:aws:iam::<account>:user/kvsim``).
        """
        cls: type[ServiceClient] = client_class(service_name)
        allowed = None
        if allowed_actions is not None or identity is not None:
            # The same checks as a registered principal's.
            actions = None if allowed_actions is None else actions_tuple(allowed_actions)
            allowed = Principal("kvsim", account_id, actions, identity).allowed
        with self.runtime.lock:
            # Typed as the kinesisvideo client, whose methods type checkers know
            # through Operations.__getattr__ like every other service's.
            return cls(self, region_name, account_id, allowed, identity)  # type: ignore[return-value]

    def register_credentials(
        self,
        access_key_id: str,
        account_id: str,
        *,
        allowed_actions: Iterable[str] | None = None,
        identity: str | None = None,
    ) -> Principal:
        """Make ``access_key_id`` sign as a principal of ``account_id``, for the
        adapters that read credentials (:mod:`kvsim.boto`, ``kvsim serve``,
        :meth:`serve`). ``allowed_actions`` limits it to those IAM actions
        (``kinesisvideo:Describe*``; None: every action) and ``identity`` names
        it in denials (an IAM or STS ARN of ``account_id``). Registering a key
        again replaces its principal. Keys not registered act in ``123456789012``
        with every action allowed.

        >>> import kvsim
        >>> sim = kvsim.Simulator()
        >>> sim.register_credentials("AKIDREADER", "111122223333",
        ...                          allowed_actions=["kinesisvideo:Describe*", "kinesisvideo:List*"])
        Principal(access_key_id='AKIDREADER', account_id='111122223333', allowed_actions=('kinesisvideo:Describe*', 'kinesisvideo:List*'), identity=None)
        """
        return self.runtime.register_credentials(
            access_key_id, account_id, allowed_actions, identity
        )

    def account_for(self, access_key_id: str | None) -> str | None:
        """The account registered for ``access_key_id``, or None."""
        principal = self.runtime.principal_for(access_key_id)
        return None if principal is None else principal.account_id

    def principal_for(self, access_key_id: str | None) -> Principal | None:
        """The principal registered for ``access_key_id``, or None."""
        return self.runtime.principal_for(access_key_id)

    # -- simulator controls ---------------------------------------------------------------

    def set_hub_device_online(
        self,
        hub_device_arn: str,
        online: bool,
        *,
        account_id: str = DEFAULT_ACCOUNT_ID,
        region_name: str = DEFAULT_REGION_NAME,
    ) -> int:
        """Make the IoT hub device ``hub_device_arn`` reachable or not by the edge
        configurations of ``account_id``'s streams in ``region_name``.

        Hub devices are online until marked offline. Offline, a SYNCING (or
        DELETING) configuration turns SYNC_FAILED (DELETE_FAILED) when
        ``Timings.edge_retry_window`` has passed since its call, unless the hub
        comes back first, which completes it after ``edge_sync_delay``
        (``edge_delete_delay``). Returns how many configurations were
        rescheduled. O(k log n) for the hub's *k* configurations.

        >>> import kvsim
        >>> sim = kvsim.Simulator(timings=kvsim.Timings(call_latency=0))
        >>> kv = sim.client()
        >>> _ = kv.create_stream(StreamName="cam", DataRetentionInHours=24)
        >>> _ = sim.run_until_idle()
        >>> hub = "arn:aws:iot:us-east-1:123456789012:thing/hub-1"
        >>> sim.set_hub_device_online(hub, False)
        0
        >>> kv.start_edge_configuration_update(StreamName="cam", EdgeConfig={
        ...     "HubDeviceArn": hub,
        ...     "RecorderConfig": {"MediaSourceConfig": {
        ...         "MediaUriSecretArn": "arn:aws:secretsmanager:us-east-1:123456789012:secret:cam",
        ...         "MediaUriType": "RTSP_URI"}}})["SyncStatus"]
        'SYNCING'
        >>> _ = sim.advance(15 * 60)
        >>> kv.describe_edge_configuration(StreamName="cam")["SyncStatus"]
        'SYNC_FAILED'
        """
        check_account_region(account_id, region_name)
        if not isinstance(online, bool):
            raise TypeError(f"online must be a bool, not {type(online).__name__}")
        if not is_hub_device_arn(hub_device_arn):
            raise ValueError(
                "hub_device_arn must be an IoT thing ARN "
                f"(arn:aws:iot:REGION:ACCOUNT:thing/NAME), got {hub_device_arn!r}"
            )
        with self.runtime.lock:
            world = self.runtime.world
            world.run_due(world.now_ms)  # what is due now happened before the change
            region = world.region(account_id, region_name)
            try:
                changed = set_hub_online(world, region, hub_device_arn, online)
            finally:
                world.forget_if_empty(region)
            # A trace replays it: a scenario step {"hub_device": ARN, "online": false}.
            self.runtime.trace.hub_device(
                world.now_ms, account_id, region_name, hub_device_arn, online
            )
            return changed

    # -- WebRTC signaling ---------------------------------------------------------------

    @property
    def signaling(self) -> Signaling:
        """The WebRTC signaling relay: ``sim.signaling.connect(channel_arn, role=...)``
        (see :mod:`kvsim.engine.signaling`)."""
        return Signaling(self.runtime)

    # -- the clock ----------------------------------------------------------------------

    @property
    def now(self) -> datetime:
        """The virtual time: a tz-aware UTC ``datetime``."""
        return from_ms(self.runtime.world.now_ms)

    def advance(self, seconds: float) -> int:
        """Move the clock ``seconds`` forward (whole milliseconds), running each
        change due on the way at its own due time; returns how many ran.

        The clock may go up to 9999-12-31T23:59:59.999Z (API calls only up to
        9997-12-31T23:59:59.999Z); an advance past it raises ``ValueError``
        and changes nothing.

        >>> Simulator().advance(-1)
        Traceback (most recent call last):
        ...
        ValueError: time can't go backwards: seconds must be >= 0, got -1
        >>> Simulator().advance(2.53e11)
        Traceback (most recent call last):
        ...
        ValueError: can't advance the clock 253000000000 seconds from 2026-01-01T00:00:00Z: the virtual clock ends at 9999-12-31T23:59:59.999Z
        """
        ms = seconds_to_ms(seconds)
        with self.runtime.lock:
            world = self.runtime.world
            before = world.now_ms
            # Traced after it ran: a refused advance (past the clock's end) leaves no trace.
            ran = world.advance_ms(ms)
            self.runtime.trace.clock(before, seconds)
            return ran

    def run_until_idle(self) -> int:
        """Run every scheduled change, moving the clock to each; returns how many ran."""
        with self.runtime.lock:
            self.runtime.trace.clock(self.runtime.world.now_ms, None)
            return self.runtime.world.run_due(None)

    def step(self) -> ScheduledChange | None:
        """Jump to the next scheduled change, run it and return it (None if idle)."""
        with self.runtime.lock:
            before = self.runtime.world.now_ms
            change = self.runtime.world.step()
            if change is not None:
                # Recorded as the advance it amounts to, so a replay reaches the same time.
                self.runtime.trace.clock(before, (self.runtime.world.now_ms - before) / 1000)
            return change

    def pending(self) -> list[ScheduledChange]:
        """The scheduled changes, in the order they will run."""
        with self.runtime.lock:
            return self.runtime.world.pending()

    def patch_time(self) -> TimePatch:
        """A context manager that puts the code under test on this world's clock:
        ``time.sleep(5)`` advances the world 5 s at once, and ``time.time``,
        ``time.monotonic`` and ``datetime.now()``-style reads follow the virtual
        clock (see :mod:`kvsim.testing.timepatch`). Patching is process-wide.

        >>> import time
        >>> sim = Simulator()
        >>> with sim.patch_time():
        ...     time.sleep(90)
        ...     sim.now.isoformat()
        '2026-01-01T00:01:30+00:00'
        """
        from ..testing.timepatch import patch_time

        return patch_time(self)

    def serve(
        self, *, host: str = "127.0.0.1", port: int = 0, clock_rate: float | None = None
    ) -> AbstractContextManager[str]:
        """A context manager that serves this world over HTTP (as ``kvsim serve``
        does) from a thread, on a free loopback port unless told otherwise, and
        gives its base URL: hand it to any SDK, CLI or HTTP client as
        ``endpoint_url`` while stepping the same world in process.
        ``clock_rate`` (virtual seconds per real second) lets the virtual clock
        follow the wall clock while it serves, for code that really sleeps
        while it polls; by default the clock moves only as the world is stepped.

        >>> import json, urllib.request
        >>> sim = Simulator()
        >>> with sim.serve() as url:
        ...     request = urllib.request.Request(url + "/_kvsim/advance?seconds=5", method="POST")
        ...     json.load(urllib.request.urlopen(request))["now"]
        '2026-01-01T00:00:05+00:00'
        >>> sim.now.isoformat()
        '2026-01-01T00:00:05+00:00'
        """
        from ..http.server import serving

        return serving(self, host=host, port=port, clock_rate=clock_rate)

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
        with self.runtime.lock:
            return self.runtime.trace.entries()

    def last_calls(self, n: int = 10) -> list[dict[str, Any]]:
        """The last ``n`` recorded calls (as in :attr:`trace`), oldest first."""
        with self.runtime.lock:
            return self.runtime.trace.entries(calls_only=True, last=n)

    def save_trace(self, path: str | Path) -> int:
        """Write :attr:`trace` as JSON lines (a scenario ``kvsim run --check`` replays);
        returns the number of lines. Raises ``ValueError`` if ``trace_limit`` dropped entries."""
        header = {
            "seed": self.seed,
            "start": self.start.isoformat(),
            "limits": self.limits.to_json(),
            "timings": self.timings.to_json(),
        }
        with self.runtime.lock:
            return self.runtime.trace.save(path, header)

    # -- snapshots ------------------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        """The whole world as versioned, JSON-serialisable data (see :meth:`restore`).

        Signaling connections, their undelivered messages and WebRTC storage
        sessions are not part of snapshots: while a channel has any,
        ``ValueError`` names it (close the connections first). Nor are the
        connections of open GetMedia and GetMediaForFragmentList bodies: while
        a stream has any, ``ValueError`` names it (read them to the end or
        close them first).

        >>> sim = Simulator(seed=3)
        >>> _ = sim.client().create_stream(StreamName="cam")
        >>> copy = Simulator.restore(sim.snapshot())
        >>> info = copy.client().describe_stream(StreamName="cam")["StreamInfo"]
        >>> info == sim.client().describe_stream(StreamName="cam")["StreamInfo"]
        True
        """
        with self.runtime.lock:
            busy = busy_channels(self.runtime)
            if busy:
                raise ValueError(
                    "signaling connections, undelivered signaling messages and storage "
                    f"sessions are not part of snapshots; {len(busy)} channel(s) have some: "
                    f"{', '.join(busy[:3])}{', ...' if len(busy) > 3 else ''} "
                    "(close the connections and let the messages expire first)"
                )
            reading = open_readers(self.runtime.world)
            if reading:
                raise ValueError(
                    "the connections of open GetMedia and GetMediaForFragmentList bodies are "
                    f"not part of snapshots; {len(reading)} stream(s) have some: "
                    f"{', '.join(reading[:3])}{', ...' if len(reading) > 3 else ''} "
                    "(read the bodies to the end or close them first)"
                )
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
        self.runtime.check()

    def _dump(self) -> dict[str, Any]:
        """The whole world except the clock, JSON-ready (for tests comparing states)."""
        return self.runtime.dump()
