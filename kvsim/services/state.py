"""The simulated world's data: accounts → regions → streams, devices and rate buckets.

Plain containers with no behaviour beyond bookkeeping; the rules live in the
service packages (:mod:`kvsim.services.kinesisvideo`). Streams of a region are kept in a ``SortedDict`` by name
(O(1) lookup, O(log n) insert/delete, ordered pages) and a dict by ARN (O(1)).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from sortedcontainers import SortedDict, SortedList

from ..core.ids import default_kms_key, dns_suffix, parse_stream_arn, stream_arn
from ..core.resources import (
    Corrupt,
    Item,
    Place,
    Where,
    need_bucket,
    need_fields,
    need_int,
    need_list,
    need_map,
    need_one_of,
    need_str,
    need_time,
    shown,
)
from ..model.shapes import named_string
from .configs_state import check_config, image_problem

if TYPE_CHECKING:
    from .channels_state import Channel
    from .configs_state import Edge
    from .fragments import FragmentStore

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
        "edge",
        "endpoints",
        "fragments",
        "images",
        "kms_key",
        "media_type",
        "name",
        "notifications",
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
        # Per-stream configurations (kvsim.services.configs_state), None when absent.
        self.images: dict[str, Any] | None = None
        self.notifications: dict[str, Any] | None = None
        self.edge: Edge | None = None
        # The stream's media (kvsim.services.fragments), None until the first fragment.
        self.fragments: FragmentStore | None = None

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
        } | {
            field: copy.deepcopy(config)
            for field, config in (("images", self.images), ("notifications", self.notifications))
            if config is not None
        }


class Region:
    """One account's view of one region: its streams, devices and account-level buckets."""

    __slots__ = (
        "account_id",
        "activations",
        "buckets",
        "by_arn",
        "channels",
        "channels_by_arn",
        "default_kms_key",
        "devices",
        "hubs",
        "media_links",
        "name",
        "offline_hubs",
        "sessions",
        "streams",
    )

    def __init__(self, account_id: str, name: str) -> None:
        self.account_id = account_id
        self.name = name
        self.streams: SortedDict = SortedDict()  # name -> Stream
        self.by_arn: dict[str, Stream] = {}
        self.devices: dict[str, int] = {}  # device name -> live (not DELETING) streams
        self.buckets: dict[str, Bucket] = {}
        self.default_kms_key = default_kms_key(name, account_id)
        # Signaling channels (kvsim.services.channels_state): name -> Channel, ARN -> Channel,
        # and the channel whose media storage is ENABLED into each stream, by stream ARN.
        self.channels: SortedDict = SortedDict()
        self.channels_by_arn: dict[str, Channel] = {}
        self.media_links: dict[str, Channel] = {}
        # Edge configurations by hub device ARN (the sorted names of their streams),
        # and the hub devices marked offline (kvsim.services.configs_state).
        self.hubs: dict[str, SortedList] = {}
        self.offline_hubs: set[str] = set()
        # HLS/DASH streaming sessions (kvsim.services.kinesis_video_archived_media.sessions
        # .SessionBook), None until the first; in snapshots as the "sessions" family.
        self.sessions: Any = None
        # When each stream's newly set image generation or notification configuration
        # takes effect, by (stream name, "images" | "notifications") (kvsim.services.deliveries).
        self.activations: dict[tuple[str, str], int] = {}

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

    def hub(self, stream: Stream, edge: Edge) -> None:
        """Give ``stream`` the edge configuration ``edge`` and index it by hub device. O(log n)."""
        stream.edge = edge
        names = self.hubs.get(edge.hub)
        if names is None:
            names = self.hubs[edge.hub] = SortedList()
        names.add(stream.name)

    def unhub(self, stream: Stream) -> None:
        """Drop ``stream``'s edge configuration (cancelling its change) and its index
        entry. O(log n)."""
        edge = stream.edge
        if edge is None:
            return
        edge.pending = 0
        stream.edge = None
        names = self.hubs[edge.hub]
        names.remove(stream.name)
        if not names:
            del self.hubs[edge.hub]

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
        hubs: dict[str, list[str]] = {}
        for name, stream in self.streams.items():
            edge = stream.edge
            if edge is not None:
                assert edge.stream is stream, f"{stream.arn}'s edge configuration is another's"
                assert stream.status in (ACTIVE, UPDATING), f"{stream.arn} is {stream.status}"
                assert (edge.pending != 0) == (edge.status in ("SYNCING", "DELETING")), (
                    f"{stream.arn}'s edge configuration is {edge.status} with pending={edge.pending}"
                )
                hubs.setdefault(edge.hub, []).append(name)
        assert {hub: list(names) for hub, names in self.hubs.items()} == hubs, (
            f"hub index {self.hubs} != {hubs}"
        )

    def dump(self) -> dict[str, Any]:
        """Everything observable about this region, JSON-ready."""
        return (
            {
                "streams": [s.dump() for s in self.streams.values()],
                "devices": dict(sorted(self.devices.items())),
                "buckets": {k: list(v) for k, v in sorted(self.buckets.items())},
            }
            | ({"channels": [c.dump() for c in self.channels.values()]} if self.channels else {})
            | ({"edge_configurations": _edge_dumps(self)} if self.hubs else {})
            | ({"offline_hubs": sorted(self.offline_hubs)} if self.offline_hubs else {})
        )


def _edge_dumps(region: Region) -> list[dict[str, Any]]:
    names = sorted(name for names in region.hubs.values() for name in names)
    return [edge.dump() for name in names if (edge := region.streams[name].edge) is not None]


class StreamFamily:
    """The streams of a region, for snapshots (:class:`kvsim.core.resources.Family`)."""

    name = "streams"

    def dump(self, region: Region) -> list[dict[str, Any]]:
        """Every stream of ``region`` in name order, JSON-ready."""
        return [stream.dump() for stream in region.streams.values()]

    def check(self, items: object, place: Place) -> dict[str, Item]:
        """Refuse anything :meth:`dump` could not have written for ``place``
        (:class:`~kvsim.core.resources.Corrupt` naming the field); the streams by name."""
        checked: dict[str, Item] = {}
        for index, data in enumerate(need_list(items, place.where)):
            where = f"{place.where}[{index}]"
            name, item = _check_stream(data, where, place)
            if name in checked:
                raise Corrupt(
                    (where, "name"),
                    f"{shown(name)} appears twice (also at {checked[name].where})",
                )
            checked[name] = item
        return checked

    def load(self, region: Region, items: list[Any]) -> None:
        """Recreate the streams :meth:`dump` wrote (and :meth:`check` passed); device
        counts follow from them."""
        for data in items:
            stream = Stream(
                region,
                data["name"],
                data["arn"],
                data["created_ms"],
                data["version"],
                device=data["device"],
                media_type=data["media_type"],
                kms_key=data["kms_key"],
                retention=data["retention"],
                tags=dict(data["tags"]) or None,
                tier=data["tier"],
            )
            stream.status = data["status"]
            stream.endpoints = dict(data["endpoints"]) or None
            stream.buckets = {
                op: [float(b[0]), int(b[1])] for op, b in data["buckets"].items()
            } or None
            stream.pending = data.get("pending", 0)
            if "images" in data:
                stream.images = copy.deepcopy(data["images"])
            if "notifications" in data:
                stream.notifications = copy.deepcopy(data["notifications"])
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


# -- snapshot checks ---------------------------------------------------------------------

_FIELDS = (
    "name",
    "arn",
    "created_ms",
    "version",
    "status",
    "device",
    "media_type",
    "kms_key",
    "retention",
    "tags",
    "tier",
    "endpoints",
    "buckets",
)
_SHAPES = {
    field: named_string("kinesisvideo", shape)
    for field, shape in (
        ("name", "StreamName"),
        ("version", "Version"),
        ("device", "DeviceName"),
        ("media_type", "MediaType"),
        ("kms_key", "KmsKeyId"),
        ("tag key", "TagKey"),
        ("tag value", "TagValue"),
    )
}
_TIERS = named_string("kinesisvideo", "DefaultStorageTier").enum or ()
#: Data endpoint kinds: ``s`` hosts serve media ingestion and playback, ``b`` hosts the rest.
_ENDPOINT_KINDS = ("s", "b")


def _need_shape(value: object, where: Where, field: str) -> str:
    # A string the model's shape for ``field`` accepts (what CreateStream would take).
    shape = _SHAPES[field]
    if shape.accepts(value) and isinstance(value, str):  # the model's fast path
        return value
    text = need_str(value, where)
    if shape.min is not None and len(text) < shape.min:
        raise Corrupt(where, f"length {len(text)} is below the minimum length {shape.min}")
    if not shape.satisfied(text):
        problems = "; ".join(p.removeprefix("Member ") for p in shape.service_problems(text))
        raise Corrupt(where, f"{shown(text)} {problems}")
    return text


def _check_stream(value: object, where: str, place: Place) -> tuple[str, Item]:
    data = need_fields(value, where, _FIELDS, ("pending", "images", "notifications"))
    name = _need_shape(data["name"], (where, "name"), "name")
    created = need_time(data["created_ms"], (where, "created_ms"))
    if created > place.now_ms:
        raise Corrupt((where, "created_ms"), f"created at {created}, after now_ms {place.now_ms}")
    arn = need_str(data["arn"], (where, "arn"))
    expected = stream_arn(place.region_name, place.account_id, name, created)
    if arn != expected:
        if parse_stream_arn(arn) is None:
            raise Corrupt((where, "arn"), f"{shown(arn)} is not a stream ARN")
        raise Corrupt(
            (where, "arn"),
            f"{shown(arn)} is not the ARN of the stream {name!r} of account "
            f"{place.account_id} in {place.region_name} with created_ms {created}: "
            f"expected {expected!r}",
        )
    _need_shape(data["version"], (where, "version"), "version")
    status = need_one_of(data["status"], (where, "status"), STATUSES)
    for field in ("device", "media_type", "kms_key"):
        if data[field] is not None:
            _need_shape(data[field], (where, field), field)
    need_int(data["retention"], (where, "retention"))
    tags = need_map(data["tags"], (where, "tags"))
    for key, tag in tags.items():
        _need_shape(key, (f"{where}.tags", key), "tag key")
        _need_shape(tag, (f"{where}.tags", key), "tag value")
    need_one_of(data["tier"], (where, "tier"), _TIERS)
    _check_endpoints(data["endpoints"], f"{where}.endpoints", place.region_name)
    buckets = need_map(data["buckets"], (where, "buckets"))
    for op, bucket in buckets.items():
        if op not in place.operations:
            raise Corrupt((f"{where}.buckets", op), f"unknown operation {shown(op)}")
        need_bucket(bucket, (f"{where}.buckets", op), place.now_ms)
    _check_configs(data, where, place.region_name)
    pending = need_int(data.get("pending", 0), (where, "pending"))
    if status == ACTIVE and pending:
        raise Corrupt((where, "pending"), f"an ACTIVE stream has no change pending, got {pending}")
    if status != ACTIVE and not pending:
        raise Corrupt(
            (where, "pending"),
            f"0, but a {status} stream has a change pending (its sequence number)",
        )
    return name, Item(where, status, {"pending": pending})


def _check_configs(data: Mapping[str, Any], where: str, region_name: str) -> None:
    # The image generation and notification configurations the Update operations accept.
    if "images" in data:
        images = check_config(data["images"], f"{where}.images", "ImageGenerationConfiguration")
        problem = image_problem(images, region_name)
        if problem is not None:
            raise Corrupt((where, "images"), problem)
    if "notifications" in data:
        check_config(data["notifications"], f"{where}.notifications", "NotificationConfiguration")


def _check_endpoints(value: object, where: str, region_name: str) -> None:
    suffix = f".kinesisvideo.{region_name}.{dns_suffix(region_name)}"
    for kind, url in need_map(value, where).items():
        if kind not in _ENDPOINT_KINDS:
            raise Corrupt((where, kind), f"unknown endpoint kind {shown(kind)}; kinds are s and b")
        text = need_str(url, (where, kind))
        if re.fullmatch(f"https://{kind}-[0-9a-f]{{8}}{re.escape(suffix)}", text) is None:
            raise Corrupt(
                (where, kind),
                f"{shown(url)} is not a {kind!r} data endpoint of {region_name} "
                f"(https://{kind}-<8 hex digits>{suffix})",
            )
