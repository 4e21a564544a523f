"""Per-stream configurations: image generation, notifications and the edge configuration.

A stream holds its image generation and notification configurations in its
``images`` and ``notifications`` slots (``None`` when absent, so idle streams
stay small) and its edge configuration, an :class:`Edge`, in ``edge``. Each
region indexes its edge configurations by hub device (``Region.hubs``: hub
device ARN → the sorted names of its streams) so that
ListEdgeAgentConfigurations never scans the region's streams, and remembers
the hub devices a test marked offline (``Region.offline_hubs``).

An edge configuration has its own timed changes (SYNCING → IN_SYNC or
SYNC_FAILED, DELETING → gone or DELETE_FAILED), so snapshots keep it as a
family of its own (:data:`EDGES`, keyed by stream name, whose items require
their stream), and the offline marks as another (:data:`HUBS`).

>>> image_problem({"SamplingInterval": 100, "Format": "PNG",
...     "DestinationConfig": {"Uri": "s3://b", "DestinationRegion": "us-east-1"}}, "us-east-1")
"1 validation error detected: Value '100' at 'imageGenerationConfiguration.samplingInterval' failed to satisfy constraint: Member must have value greater than or equal to 200"
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from ..core.kernel import Kernel, Transition
from ..core.resources import (
    Corrupt,
    Item,
    Place,
    need_fields,
    need_int,
    need_list,
    need_map,
    need_one_of,
    need_str,
    need_time,
    shown,
)
from ..model.errors import ClientError, ParamValidationError
from ..model.shapes import named_shape, named_string
from ..model.validation import Structure

if TYPE_CHECKING:
    from .state import Region, Stream

__all__ = [
    "DELETE_FAILED",
    "DELETING",
    "EDGES",
    "EDGE_STATUSES",
    "EDGE_TRANSITIONS",
    "HUBS",
    "IN_SYNC",
    "JPEG_QUALITY",
    "MIN_SAMPLING_INTERVAL_MS",
    "SYNCING",
    "SYNC_FAILED",
    "Edge",
    "EdgeFamily",
    "HubFamily",
    "image_problem",
    "is_hub_device_arn",
    "plan",
]

SYNCING = "SYNCING"
IN_SYNC = "IN_SYNC"
SYNC_FAILED = "SYNC_FAILED"
DELETING = "DELETING"
DELETE_FAILED = "DELETE_FAILED"
#: The statuses kvsim's edge configurations take (the model's enum also has
#: ACKNOWLEDGED and DELETING_ACKNOWLEDGED, which kvsim never reports).
EDGE_STATUSES = (SYNCING, IN_SYNC, SYNC_FAILED, DELETING, DELETE_FAILED)
#: The statuses with a timed change pending.
_BUSY = (SYNCING, DELETING)

#: The documented minimum image sampling interval (5 images a second), in ms.
MIN_SAMPLING_INTERVAL_MS = 200
#: The documented range of ``FormatConfig["JPEGQuality"]``.
JPEG_QUALITY = (1, 100)


def _problem(value: object, member: str, constraint: str) -> str:
    return (
        f"1 validation error detected: Value '{value}' at '{member}' failed to satisfy "
        f"constraint: {constraint}"
    )


def image_problem(config: dict[str, Any], region_name: str) -> str | None:
    """The first rule of the API reference (looser in the model) a well-formed
    ``ImageGenerationConfiguration`` breaks for a stream of ``region_name``, or
    None. O(1)."""
    member = "imageGenerationConfiguration"
    interval = config["SamplingInterval"]
    if interval < MIN_SAMPLING_INTERVAL_MS:
        return _problem(
            interval,
            f"{member}.samplingInterval",
            f"Member must have value greater than or equal to {MIN_SAMPLING_INTERVAL_MS}",
        )
    destination = config["DestinationConfig"]["DestinationRegion"]
    if destination != region_name:
        return _problem(
            destination,
            f"{member}.destinationConfig.destinationRegion",
            f"Member must be the stream's region, {region_name}",
        )
    formats = config.get("FormatConfig")
    if formats:
        quality = formats.get("JPEGQuality")
        if quality is not None:
            if config["Format"] != "JPEG":
                return _problem(
                    quality,
                    f"{member}.formatConfig",
                    f"JPEGQuality applies to the JPEG format only, not {config['Format']}",
                )
            low, high = JPEG_QUALITY
            if not (quality.isascii() and quality.isdigit() and low <= int(quality) <= high):
                return _problem(
                    quality,
                    f"{member}.formatConfig",
                    f"Map value must satisfy constraint: [Member must be an integer "
                    f"from {low} to {high}]",
                )
    return None


# -- the edge configuration ------------------------------------------------------------------


class Edge:
    """A stream's edge configuration for one hub device. ``pending`` is the
    sequence number of its scheduled change (0 when none)."""

    __slots__ = (
        "config",
        "created_ms",
        "deadline_ms",
        "failed",
        "hub",
        "pending",
        "status",
        "stream",
        "updated_ms",
    )

    def __init__(self, stream: Stream, hub: str, config: dict[str, Any], now_ms: int) -> None:
        self.stream = stream
        self.hub = hub
        self.config = config
        self.status = SYNCING
        self.failed: str | None = None
        self.created_ms = now_ms
        self.updated_ms = now_ms
        #: When the current attempt (sync or deletion) gives up if the hub stays offline.
        self.deadline_ms = now_ms
        self.pending = 0

    @property
    def resource_id(self) -> str:
        """The stream's ARN (what the kernel reports for its scheduled changes)."""
        return self.stream.arn

    @property
    def location(self) -> tuple[str, str]:
        """``(account_id, region_name)`` of the stream."""
        return self.stream.location

    def dump(self) -> dict[str, Any]:
        """Everything observable about this configuration, JSON-ready."""
        return {
            "stream": self.stream.name,
            "hub_device_arn": self.hub,
            "config": copy.deepcopy(self.config),
            "status": self.status,
            "failed": self.failed,
            "created_ms": self.created_ms,
            "updated_ms": self.updated_ms,
            "deadline_ms": self.deadline_ms,
            "pending": self.pending,
        }


def _failure(edge: Edge, what: str, window_ms: int) -> str:
    return (
        f"The Edge Agent on hub device {edge.hub} could not be reached to {what} "
        f"within {window_ms / 60_000:g} minutes."
    )


def _synced(kernel: Kernel, edge: Edge) -> None:
    edge.status = IN_SYNC
    edge.failed = None
    edge.updated_ms = kernel.now_ms


def _sync_failed(kernel: Kernel, edge: Edge) -> None:
    edge.status = SYNC_FAILED
    edge.failed = _failure(edge, "apply the configuration", _window(kernel))
    edge.updated_ms = kernel.now_ms


def _deleted(kernel: Kernel, edge: Edge) -> None:
    stream = edge.stream
    stream.region.unhub(stream)


def _delete_failed(kernel: Kernel, edge: Edge) -> None:
    edge.status = DELETE_FAILED
    edge.failed = _failure(edge, "delete the configuration", _window(kernel))
    edge.updated_ms = kernel.now_ms


def _window(kernel: Kernel) -> int:
    delays: dict[str, int] = getattr(kernel, "delays_ms", {})
    return delays.get("edge_retry_window", 900_000)


_FAMILY = "edge_configurations"
SYNCED = Transition("edge.synced", SYNCING, IN_SYNC, _synced, family=_FAMILY)
SYNC_TIMED_OUT = Transition("edge.sync_failed", SYNCING, SYNC_FAILED, _sync_failed, family=_FAMILY)
DELETED = Transition("edge.deleted", DELETING, "DELETED", _deleted, family=_FAMILY)
DELETE_TIMED_OUT = Transition(
    "edge.delete_failed", DELETING, DELETE_FAILED, _delete_failed, family=_FAMILY
)

#: The timed changes of an edge configuration, by name.
EDGE_TRANSITIONS: dict[str, Transition] = {
    t.name: t for t in (SYNCED, SYNC_TIMED_OUT, DELETED, DELETE_TIMED_OUT)
}


def plan(kernel: Kernel, edge: Edge, delays_ms: dict[str, int]) -> None:
    """Schedule what happens next to a SYNCING or DELETING configuration: with
    its hub device online, success after ``edge_sync_delay``/``edge_delete_delay``;
    offline, failure when its retry window ends (``deadline_ms``). Replaces any
    change already scheduled. O(log n)."""
    online = edge.hub not in edge.stream.region.offline_hubs
    if edge.status == SYNCING:
        transition = SYNCED if online else SYNC_TIMED_OUT
        delay = delays_ms["edge_sync_delay"]
    else:
        transition = DELETED if online else DELETE_TIMED_OUT
        delay = delays_ms["edge_delete_delay"]
    if not online:
        delay = max(edge.deadline_ms - kernel.now_ms, 0)
    edge.pending = kernel.schedule(edge, transition, delay)


# -- snapshots ---------------------------------------------------------------------------------

_EDGE_FIELDS = (
    "stream",
    "hub_device_arn",
    "config",
    "status",
    "failed",
    "created_ms",
    "updated_ms",
    "deadline_ms",
    "pending",
)
_HUB_ARN = named_string("kinesisvideo", "HubDeviceArn")
_STREAM_NAME = named_string("kinesisvideo", "StreamName")
#: The stream statuses an edge configuration may exist in.
_EDGE_STREAM_STATUSES = ("ACTIVE", "UPDATING")


def check_config(value: object, where: str, shape_name: str) -> dict[str, Any]:
    """``value`` as a configuration the model's shape ``shape_name`` accepts
    (:class:`Corrupt` naming the first problem otherwise)."""
    config = need_map(value, where)
    wrapper = Structure({"c": named_shape("kinesisvideo", shape_name)}, required=("c",))
    try:
        wrapper.validate({"c": config})
    except (ClientError, ParamValidationError) as error:
        raise Corrupt(where, f"not a valid {shape_name}: {error}") from None
    return dict(config)


def is_hub_device_arn(value: object) -> bool:
    """Whether ``value`` is a ``HubDeviceArn`` the model accepts (an IoT thing ARN).

    >>> is_hub_device_arn("arn:aws:iot:us-east-1:123456789012:thing/hub-1"), is_hub_device_arn("hub")
    (True, False)
    """
    return (
        isinstance(value, str)
        and (_HUB_ARN.min is None or len(value) >= _HUB_ARN.min)
        and _HUB_ARN.satisfied(value)
    )


def _need_arn(value: object, where: Any) -> str:
    text = need_str(value, where)
    if not is_hub_device_arn(text):
        raise Corrupt(where, f"{shown(text)} is not a hub device (IoT thing) ARN")
    return text


class EdgeFamily:
    """The edge configurations of a region, for snapshots, keyed by stream name."""

    name = _FAMILY

    def dump(self, region: Region) -> list[dict[str, Any]]:
        """Every edge configuration of ``region`` in stream name order. O(k log k)."""
        names = sorted(name for names in region.hubs.values() for name in names)
        return [region.streams[name].edge.dump() for name in names]

    def check(self, items: object, place: Place) -> dict[str, Item]:
        """Refuse anything :meth:`dump` could not have written; the items by stream name."""
        checked: dict[str, Item] = {}
        for index, value in enumerate(need_list(items, place.where)):
            where = f"{place.where}[{index}]"
            data = need_fields(value, where, _EDGE_FIELDS)
            name = need_str(data["stream"], (where, "stream"))
            if not _STREAM_NAME.satisfied(name) or not name:
                raise Corrupt((where, "stream"), f"{shown(name)} is not a stream name")
            if name in checked:
                raise Corrupt(
                    (where, "stream"),
                    f"{shown(name)} appears twice (also at {checked[name].where})",
                )
            _need_arn(data["hub_device_arn"], (where, "hub_device_arn"))
            config = check_config(data["config"], f"{where}.config", "EdgeConfig")
            if config.get("HubDeviceArn") != data["hub_device_arn"]:
                raise Corrupt(
                    (where, "config"), "its HubDeviceArn is not the item's hub_device_arn"
                )
            status = need_one_of(data["status"], (where, "status"), EDGE_STATUSES)
            failed = data["failed"]
            if status in (SYNC_FAILED, DELETE_FAILED):
                need_str(failed, (where, "failed"))
            elif failed is not None:
                raise Corrupt((where, "failed"), f"a {status} configuration has no failure")
            created = need_time(data["created_ms"], (where, "created_ms"))
            updated = need_time(data["updated_ms"], (where, "updated_ms"))
            need_time(data["deadline_ms"], (where, "deadline_ms"))
            if not created <= updated <= place.now_ms:
                raise Corrupt(
                    (where, "updated_ms"),
                    f"created_ms {created} <= updated_ms {updated} <= now_ms {place.now_ms} fails",
                )
            pending = need_int(data["pending"], (where, "pending"))
            if (pending != 0) != (status in _BUSY):
                raise Corrupt(
                    (where, "pending"),
                    f"{pending}, but a {status} configuration "
                    + ("has a change pending" if status in _BUSY else "has no change pending"),
                )
            checked[name] = Item(
                where, status, {"pending": pending}, ("streams", name, _EDGE_STREAM_STATUSES)
            )
        return checked

    def load(self, region: Region, items: list[Any]) -> None:
        """Attach the configurations :meth:`dump` wrote to their streams (loaded first)."""
        for data in items:
            stream = region.streams[data["stream"]]
            edge = Edge(stream, data["hub_device_arn"], dict(data["config"]), data["created_ms"])
            edge.status = data["status"]
            edge.failed = data["failed"]
            edge.updated_ms = data["updated_ms"]
            edge.deadline_ms = data["deadline_ms"]
            edge.pending = data["pending"]
            region.hub(stream, edge)

    def key(self, resource: Edge) -> str:
        """A configuration's key: its stream's name."""
        return resource.stream.name

    def find(self, region: Region, key: str) -> Edge:
        """The edge configuration of the stream named ``key``."""
        stream: Stream = region.streams[key]
        if stream.edge is None:
            raise KeyError(key)
        return stream.edge


class HubFamily:
    """The hub devices a test marked offline in a region, for snapshots."""

    name = "hub_devices"

    def dump(self, region: Region) -> list[dict[str, Any]]:
        """Every offline hub device of ``region``, in ARN order."""
        return [{"hub_device_arn": arn, "online": False} for arn in sorted(region.offline_hubs)]

    def check(self, items: object, place: Place) -> dict[str, Item]:
        """Refuse anything :meth:`dump` could not have written; the items by ARN."""
        checked: dict[str, Item] = {}
        for index, value in enumerate(need_list(items, place.where)):
            where = f"{place.where}[{index}]"
            data = need_fields(value, where, ("hub_device_arn", "online"))
            arn = _need_arn(data["hub_device_arn"], (where, "hub_device_arn"))
            if data["online"] is not False:
                raise Corrupt(
                    (where, "online"),
                    f"only offline hub devices are kept, got {shown(data['online'])}",
                )
            if arn in checked:
                raise Corrupt((where, "hub_device_arn"), f"{shown(arn)} appears twice")
            checked[arn] = Item(where, None, {})
        return checked

    def load(self, region: Region, items: list[Any]) -> None:
        """Mark the hub devices :meth:`dump` wrote offline."""
        region.offline_hubs.update(data["hub_device_arn"] for data in items)

    def key(self, resource: str) -> str:
        """A hub device's key: its ARN."""
        return resource

    def find(self, region: Region, key: str) -> str:
        """The offline hub device ``key``."""
        if key not in region.offline_hubs:
            raise KeyError(key)
        return key


#: The edge configuration family.
EDGES = EdgeFamily()
#: The offline hub devices family.
HUBS = HubFamily()
