"""The simulated world's data: accounts → regions → streams, devices and rate buckets.

Plain containers with no behaviour beyond bookkeeping; the rules live in the
service packages (:mod:`kvsim.services.kinesisvideo`). Streams of a region are kept in a ``SortedDict`` by name
(O(1) lookup, O(log n) insert/delete, ordered pages) and a dict by ARN (O(1)).
"""

from __future__ import annotations

from typing import Any

from sortedcontainers import SortedDict

from ..core.ids import default_kms_key

__all__ = [
    "ACTIVE",
    "CREATING",
    "DELETING",
    "STATUSES",
    "STREAMS",
    "UPDATING",
    "Region",
    "Stream",
    "StreamFamily",
]

CREATING = "CREATING"
ACTIVE = "ACTIVE"
UPDATING = "UPDATING"
DELETING = "DELETING"
#: Every status a stream can have.
STATUSES = (CREATING, ACTIVE, UPDATING, DELETING)

#: A token bucket: ``[tokens, last refill ms]``.
Bucket = list[float]


class Stream:
    """One incarnation of a stream. ``pending`` is the sequence number of its
    scheduled change (0 when none); older queue entries for it are stale."""

    __slots__ = (
        "arn",
        "buckets",
        "created_ms",
        "device",
        "endpoints",
        "kms_key",
        "media_type",
        "name",
        "pending",
        "region",
        "retention",
        "status",
        "tags",
        "tier",
        "version",
    )

    def __init__(
        self,
        region: Region,
        name: str,
        arn: str,
        created_ms: int,
        version: str,
        *,
        device: str | None,
        media_type: str | None,
        kms_key: str | None,
        retention: int,
        tags: dict[str, str] | None,
        tier: str,
    ) -> None:
        self.region = region
        self.name = name
        self.arn = arn
        self.created_ms = created_ms
        self.version = version
        self.status = CREATING
        self.device = device
        self.media_type = media_type
        self.kms_key = kms_key  # None: the region's default key is reported
        self.retention = retention
        self.tags = tags  # None until the first tag, to keep idle streams small
        self.tier = tier
        self.endpoints: dict[str, str] | None = None
        self.buckets: dict[str, Bucket] | None = None
        self.pending = 0

    @property
    def resource_id(self) -> str:
        """The stream's ARN (what the kernel reports for its scheduled changes)."""
        return self.arn

    @property
    def location(self) -> tuple[str, str]:
        """``(account_id, region_name)`` of the stream."""
        region = self.region
        return region.account_id, region.name

    def dump(self) -> dict[str, Any]:
        """Everything observable about this stream, JSON-ready (for tests and snapshots)."""
        return {
            "name": self.name,
            "arn": self.arn,
            "created_ms": self.created_ms,
            "version": self.version,
            "status": self.status,
            "device": self.device,
            "media_type": self.media_type,
            "kms_key": self.kms_key,
            "retention": self.retention,
            "tags": dict(self.tags) if self.tags else {},
            "tier": self.tier,
            "endpoints": dict(self.endpoints) if self.endpoints else {},
            "buckets": {k: list(v) for k, v in (self.buckets or {}).items()},
            "pending": self.pending,
        }


class Region:
    """One account's view of one region: its streams, devices and account-level buckets."""

    __slots__ = ("account_id", "buckets", "by_arn", "default_kms_key", "devices", "name", "streams")

    def __init__(self, account_id: str, name: str) -> None:
        self.account_id = account_id
        self.name = name
        self.streams: SortedDict = SortedDict()  # name -> Stream
        self.by_arn: dict[str, Stream] = {}
        self.devices: dict[str, int] = {}  # device name -> live (not DELETING) streams
        self.buckets: dict[str, Bucket] = {}
        self.default_kms_key = default_kms_key(name, account_id)

    def attach(self, device: str | None) -> None:
        """Count one more live stream on ``device``."""
        if device is not None:
            self.devices[device] = self.devices.get(device, 0) + 1

    def detach(self, device: str | None) -> None:
        """Count one fewer live stream on ``device``; forget devices with none."""
        if device is not None:
            left = self.devices[device] - 1
            if left:
                self.devices[device] = left
            else:
                del self.devices[device]

    def add(self, stream: Stream) -> None:
        """Index a new stream by name and ARN and count it on its device."""
        self.streams[stream.name] = stream
        self.by_arn[stream.arn] = stream
        self.attach(stream.device)

    def remove(self, stream: Stream) -> None:
        """Forget a stream whose deletion completed (its device was released at DeleteStream)."""
        del self.streams[stream.name]
        del self.by_arn[stream.arn]

    def check(self) -> None:
        """Assert every invariant of this region's indexes."""
        assert len(self.streams) == len(self.by_arn), "name and ARN indexes differ in size"
        devices: dict[str, int] = {}
        stream: Stream
        for name, stream in self.streams.items():
            assert stream.name == name, f"stream {stream.name!r} filed under {name!r}"
            indexed = self.by_arn.get(stream.arn)
            assert indexed is stream, f"ARN index misses {stream.arn}"
            assert stream.region is self, f"{stream.arn} points at another region"
            assert stream.status in STATUSES, stream.status
            assert (stream.pending != 0) == (stream.status != ACTIVE), (
                f"{stream.arn} is {stream.status} with pending={stream.pending}"
            )
            if stream.device is not None and stream.status != DELETING:
                devices[stream.device] = devices.get(stream.device, 0) + 1
        assert devices == self.devices, f"device counts {self.devices} != {devices}"

    def dump(self) -> dict[str, Any]:
        """Everything observable about this region, JSON-ready."""
        return {
            "streams": [s.dump() for s in self.streams.values()],
            "devices": dict(sorted(self.devices.items())),
            "buckets": {k: list(v) for k, v in sorted(self.buckets.items())},
        }


class StreamFamily:
    """The streams of a region, for snapshots (:class:`kvsim.core.resources.Family`)."""

    name = "streams"

    def dump(self, region: Region) -> list[dict[str, Any]]:
        """Every stream of ``region`` in name order, JSON-ready."""
        return [stream.dump() for stream in region.streams.values()]

    def load(self, region: Region, items: list[Any]) -> None:
        """Recreate the streams :meth:`dump` wrote; device counts follow from them."""
        for data in items:
            stream = Stream(
                region,
                data["name"],
                data["arn"],
                int(data["created_ms"]),
                data["version"],
                device=data["device"],
                media_type=data["media_type"],
                kms_key=data["kms_key"],
                retention=int(data["retention"]),
                tags=dict(data["tags"]) or None,
                tier=data["tier"],
            )
            stream.status = data["status"]
            stream.endpoints = dict(data["endpoints"]) or None
            stream.buckets = {
                op: [float(b[0]), int(b[1])] for op, b in data["buckets"].items()
            } or None
            if stream.name in region.streams:
                raise ValueError(f"stream {stream.name!r} appears twice in {region.name}")
            region.streams[stream.name] = stream
            region.by_arn[stream.arn] = stream
            if stream.status != DELETING:
                region.attach(stream.device)

    def key(self, resource: Stream) -> str:
        """A stream's key: its name."""
        return resource.name

    def find(self, region: Region, key: str) -> Stream:
        """The stream named ``key``."""
        stream: Stream = region.streams[key]
        return stream


#: The stream family (the only family of resources so far).
STREAMS = StreamFamily()
