"""A small camera-fleet provisioner: the kind of user code kvsim is for.

Each camera gets its own Kinesis Video stream, named after the camera. To
provision a camera, :class:`FleetProvisioner` creates the stream, or reuses it
if it already exists (waiting until it has finished deleting if it is being
deleted), waits until it is ACTIVE, then sets its data retention and tags.
Throttled calls (``ClientLimitExceededException``, which botocore does not
retry) are retried with exponential back-off.

The provisioner takes any boto3-shaped ``kinesisvideo`` client and a ``sleep``
function. In production those are ``boto3.client("kinesisvideo")`` and
``time.sleep``; in tests, a kvsim client and ``sim.advance``, so waiting
costs no real time and every run is the same:

>>> import kvsim
>>> sim = kvsim.Simulator(seed=0)
>>> fleet = FleetProvisioner(sim.client("kinesisvideo"), sleep=sim.advance)
>>> arn = fleet.provision(Camera("lobby", retention_hours=24, tags={"site": "hq"}))
>>> arn
'arn:aws:kinesisvideo:us-east-1:123456789012:stream/fleet-lobby/1767225600050'
>>> sim.now.isoformat()  # CREATING took two virtual seconds; polling took no real time
'2026-01-01T00:00:02.200000+00:00'
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Camera", "FleetProvisioner", "ProvisioningError"]


@dataclass(frozen=True)
class Camera:
    """One camera: its device name, how long its video is kept, and its stream's tags."""

    device_name: str
    retention_hours: int = 24
    tags: Mapping[str, str] = field(default_factory=dict)


class ProvisioningError(Exception):
    """The camera's stream could not be made ready in the allowed number of steps."""


class FleetProvisioner:
    """Create-or-reuse one stream per camera, wait for it, configure it.

    ``prefix`` starts every stream name. ``poll_interval`` is the wait between
    status checks; throttled calls wait ``base_backoff * 2**n`` seconds (at
    most ``max_backoff``) before retry ``n``. ``max_steps`` bounds the calls
    one :meth:`provision` may make. ``retries`` counts, by error code, the
    calls that had to be made again.
    """

    def __init__(
        self,
        client: Any,
        sleep: Callable[[float], object],
        *,
        prefix: str = "fleet-",
        poll_interval: float = 0.2,
        base_backoff: float = 0.1,
        max_backoff: float = 3.2,
        max_steps: int = 200,
    ) -> None:
        self.client = client
        self.sleep = sleep
        self.prefix = prefix
        self.poll_interval = poll_interval
        self.base_backoff = base_backoff
        self.max_backoff = max_backoff
        self.max_steps = max_steps
        self.retries: Counter[str] = Counter()

    def stream_name(self, camera: Camera) -> str:
        """The name of ``camera``'s stream."""
        return self.prefix + camera.device_name

    def provision(self, camera: Camera) -> str:
        """Make ``camera``'s stream exist, ACTIVE, with its retention and tags; its ARN.

        Tags the stream holds beyond ``camera.tags`` are left alone. Errors
        other than throttling, a lost race and a stale version propagate (e.g.
        ``TagsPerResourceExceededLimitException``).
        """
        name = self.stream_name(camera)
        errors = self.client.exceptions
        for _ in range(self.max_steps):
            try:
                arn = self._step(camera, name)
                if arn is not None:
                    return arn
            except (
                errors.ResourceInUseException,  # created meanwhile, or not ACTIVE any more
                errors.ResourceNotFoundException,  # deleted meanwhile
                errors.VersionMismatchException,  # changed meanwhile
            ) as race:
                self.retries[race.response["Error"]["Code"]] += 1
                self.sleep(self.poll_interval)
        raise ProvisioningError(f"{name} was not ready after {self.max_steps} steps")

    def _step(self, camera: Camera, name: str) -> str | None:
        """One step towards the goal; the stream's ARN once it is as ``camera`` wants."""
        info = self._describe(name)
        if info is None:
            self._create(camera, name)
            return None
        if info["Status"] != "ACTIVE":  # CREATING, UPDATING, or DELETING (then gone)
            self.sleep(self.poll_interval)
            return None
        change = camera.retention_hours - info["DataRetentionInHours"]
        if change:
            self._call(
                "update_data_retention",
                StreamName=name,
                CurrentVersion=info["Version"],
                Operation="INCREASE_DATA_RETENTION" if change > 0 else "DECREASE_DATA_RETENTION",
                DataRetentionChangeInHours=abs(change),
            )
            return None
        held = self._call("list_tags_for_stream", StreamName=name)["Tags"]
        missing = {k: v for k, v in camera.tags.items() if held.get(k) != v}
        if missing:
            self._call("tag_stream", StreamName=name, Tags=missing)
        return str(info["StreamARN"])

    def _describe(self, name: str) -> dict[str, Any] | None:
        try:
            info: dict[str, Any] = self._call("describe_stream", StreamName=name)["StreamInfo"]
        except self.client.exceptions.ResourceNotFoundException:
            return None
        return info

    def _create(self, camera: Camera, name: str) -> None:
        kwargs: dict[str, Any] = {
            "StreamName": name,
            "DeviceName": camera.device_name,
            "DataRetentionInHours": camera.retention_hours,
        }
        if camera.tags:
            kwargs["Tags"] = dict(camera.tags)
        self._call("create_stream", **kwargs)

    def _call(self, method: str, **kwargs: Any) -> dict[str, Any]:
        """Call ``client.<method>``, retrying throttled calls with exponential back-off."""
        throttled = self.client.exceptions.ClientLimitExceededException
        for attempt in range(self.max_steps):
            try:
                response: dict[str, Any] = getattr(self.client, method)(**kwargs)
            except throttled:
                self.retries["ClientLimitExceededException"] += 1
                self.sleep(min(self.max_backoff, self.base_backoff * 2**attempt))
                continue
            return response
        raise ProvisioningError(f"{method} was throttled {self.max_steps} times in a row")
