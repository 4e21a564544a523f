"""Signaling channels: the :class:`Channel` record and its snapshot family.

A region keeps its channels as it keeps its streams: a ``SortedDict`` by name
(O(1) lookup, O(log n) insert and delete, ordered pages) and a dict by ARN
(O(1)), plus ``media_links``, the channel storing media into each stream
(stream ARN → channel, O(1) both ways with :attr:`Channel.storage`).
The rules live in :mod:`kvsim.services.kinesisvideo.channels` and
:mod:`kvsim.services.kinesisvideo.media_storage`.

>>> channel_arn("us-west-2", "123456789012", "door", 1767225600000)
'arn:aws:kinesisvideo:us-west-2:123456789012:channel/door/1767225600000'
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ..core.ids import dns_suffix, parse_stream_arn, partition
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
from .state import ACTIVE, DELETING, STATUSES

if TYPE_CHECKING:
    from .kinesis_video_signaling.relay import ChannelRelay
    from .state import Bucket, Region

__all__ = [
    "CHANNELS",
    "CHANNEL_TYPES",
    "DEFAULT_MESSAGE_TTL",
    "PROTOCOLS",
    "Channel",
    "ChannelFamily",
    "channel_arn",
    "check_channels",
]

#: ``ChannelType`` values; kvsim creates only ``SINGLE_MASTER`` channels (the model's
#: text says it is the only type supported).
CHANNEL_TYPES = ("SINGLE_MASTER", "FULL_MESH")
#: ``MessageTtlSeconds`` when CreateSignalingChannel gives none (AWS's documented default).
DEFAULT_MESSAGE_TTL = 60
#: Signaling endpoint protocols, and the host prefix kvsim gives each one's endpoint.
PROTOCOLS = {"WSS": "m", "HTTPS": "r", "WEBRTC": "w"}
_SCHEMES = {"WSS": "wss", "HTTPS": "https", "WEBRTC": "https"}


def channel_arn(region: str, account_id: str, name: str, created_ms: int) -> str:
    """A channel's ARN: the creation time in epoch milliseconds tells incarnations apart."""
    return f"arn:{partition(region)}:kinesisvideo:{region}:{account_id}:channel/{name}/{created_ms}"


def endpoint_url(region: str, protocol: str, digits: int) -> str:
    """The endpoint of ``protocol`` with eight hex ``digits``, e.g.
    ``wss://m-1a2b3c4d.kinesisvideo.us-west-2.amazonaws.com``."""
    host = f"{PROTOCOLS[protocol]}-{digits:08x}.kinesisvideo.{region}.{dns_suffix(region)}"
    return f"{_SCHEMES[protocol]}://{host}"


class Channel:
    """One incarnation of a signaling channel. ``pending`` is the sequence number of
    its scheduled change (0 when none); ``storage`` the ARN of the stream its media
    storage configuration is ENABLED into (None: DISABLED)."""

    __slots__ = (
        "arn",
        "buckets",
        "created",
        "created_ms",
        "endpoints",
        "kind",
        "name",
        "pending",
        "region",
        "signaling",
        "status",
        "storage",
        "tags",
        "ttl",
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
        kind: str,
        ttl: int,
        tags: dict[str, str] | None,
    ) -> None:
        self.region = region
        self.name = name
        self.arn = arn
        self.created_ms = created_ms
        # CreationTime as the datetime ChannelInfo reports: made at the first
        # describe, then reused (channels are described far more than created).
        self.created: datetime | None = None
        self.version = version
        self.status = "CREATING"
        self.kind = kind
        self.ttl = ttl
        self.tags = tags  # None until the first tag
        self.storage: str | None = None
        self.endpoints: dict[str, str] | None = None
        self.buckets: dict[str, Bucket] | None = None
        self.pending = 0
        # The WebSocket signaling relay (kvsim.services.kinesis_video_signaling.relay),
        # None until the first connection; not part of snapshots.
        self.signaling: ChannelRelay | None = None

    @property
    def resource_id(self) -> str:
        """The channel's ARN (what the kernel reports for its scheduled changes)."""
        return self.arn

    @property
    def location(self) -> tuple[str, str]:
        """``(account_id, region_name)`` of the channel."""
        region = self.region
        return region.account_id, region.name

    def dump(self) -> dict[str, Any]:
        """Everything observable about this channel, JSON-ready (for tests and snapshots)."""
        return {
            "name": self.name,
            "arn": self.arn,
            "created_ms": self.created_ms,
            "version": self.version,
            "status": self.status,
            "kind": self.kind,
            "ttl": self.ttl,
            "tags": dict(self.tags) if self.tags else {},
            "storage": self.storage,
            "endpoints": dict(self.endpoints) if self.endpoints else {},
            "buckets": {k: list(v) for k, v in (self.buckets or {}).items()},
            "pending": self.pending,
        }


def check_channels(region: Region) -> None:
    """Assert every invariant of a region's channel indexes and media links."""
    assert len(region.channels) == len(region.channels_by_arn), "channel indexes differ in size"
    links: dict[str, Channel] = {}
    channel: Channel
    for name, channel in region.channels.items():
        assert channel.name == name, f"channel {channel.name!r} filed under {name!r}"
        assert region.channels_by_arn.get(channel.arn) is channel, f"ARN index misses {channel.arn}"
        assert channel.region is region, f"{channel.arn} points at another region"
        assert channel.status in STATUSES, channel.status
        assert (channel.pending != 0) == (channel.status != ACTIVE), (
            f"{channel.arn} is {channel.status} with pending={channel.pending}"
        )
        if channel.storage is not None:
            assert channel.status != DELETING, f"{channel.arn} is DELETING with a media link"
            stream = region.by_arn.get(channel.storage)
            assert stream is not None and stream.status != DELETING, (
                f"{channel.arn} stores into {channel.storage}, which is not live"
            )
            assert channel.storage not in links, f"{channel.storage} is linked twice"
            links[channel.storage] = channel
    assert links == region.media_links, f"media links {region.media_links} != {links}"


class ChannelFamily:
    """The signaling channels of a region, for snapshots (:class:`kvsim.core.resources.Family`)."""

    name = "channels"

    def dump(self, region: Region) -> list[dict[str, Any]]:
        """Every channel of ``region`` in name order, JSON-ready."""
        return [channel.dump() for channel in region.channels.values()]

    def check(self, items: object, place: Place) -> dict[str, Item]:
        """Refuse anything :meth:`dump` could not have written for ``place``
        (:class:`~kvsim.core.resources.Corrupt` naming the field); the channels by name."""
        checked: dict[str, Item] = {}
        linked: dict[str, str] = {}
        for index, data in enumerate(need_list(items, place.where)):
            where = f"{place.where}[{index}]"
            name, item, storage = _check_channel(data, where, place)
            if name in checked:
                raise Corrupt(
                    (where, "name"),
                    f"{shown(name)} appears twice (also at {checked[name].where})",
                )
            if storage is not None:
                if storage in linked:
                    raise Corrupt(
                        (where, "storage"),
                        f"the stream {shown(storage)} already stores {linked[storage]}'s media",
                    )
                linked[storage] = where
            checked[name] = item
        return checked

    def load(self, region: Region, items: list[Any]) -> None:
        """Recreate the channels :meth:`dump` wrote (and :meth:`check` passed), after the
        region's streams: a media link must name a live stream of the region."""
        for index, data in enumerate(items):
            channel = Channel(
                region,
                data["name"],
                data["arn"],
                data["created_ms"],
                data["version"],
                kind=data["kind"],
                ttl=data["ttl"],
                tags=dict(data["tags"]) or None,
            )
            channel.status = data["status"]
            channel.endpoints = dict(data["endpoints"]) or None
            channel.buckets = {
                op: [float(b[0]), int(b[1])] for op, b in data["buckets"].items()
            } or None
            channel.pending = data["pending"]
            storage = data["storage"]
            if storage is not None:
                stream = region.by_arn.get(storage)
                if stream is None or stream.status == DELETING:
                    raise Corrupt(
                        f"channels[{index}].storage",
                        f"{shown(storage)} is no live stream of {region.account_id}/{region.name}",
                    )
                channel.storage = storage
                region.media_links[storage] = channel
            region.channels[channel.name] = channel
            region.channels_by_arn[channel.arn] = channel

    def key(self, resource: Channel) -> str:
        """A channel's key: its name."""
        return resource.name

    def find(self, region: Region, key: str) -> Channel:
        """The channel named ``key``."""
        channel: Channel = region.channels[key]
        return channel


#: The signaling channel family.
CHANNELS = ChannelFamily()


# -- snapshot checks ---------------------------------------------------------------------

_FIELDS = (
    "name",
    "arn",
    "created_ms",
    "version",
    "status",
    "kind",
    "ttl",
    "tags",
    "storage",
    "endpoints",
    "buckets",
    "pending",
)
_SHAPES = {
    field: named_string("kinesisvideo", shape)
    for field, shape in (
        ("name", "ChannelName"),
        ("version", "Version"),
        ("tag key", "TagKey"),
        ("tag value", "TagValue"),
    )
}
_TTL = (5, 120)


def _need_shape(value: object, where: Where, field: str) -> str:
    # A string the model's shape for ``field`` accepts.
    shape = _SHAPES[field]
    text = need_str(value, where)
    if shape.min is not None and len(text) < shape.min:
        raise Corrupt(where, f"length {len(text)} is below the minimum length {shape.min}")
    if not shape.satisfied(text):
        problems = "; ".join(p.removeprefix("Member ") for p in shape.service_problems(text))
        raise Corrupt(where, f"{shown(text)} {problems}")
    return text


def _check_channel(value: object, where: str, place: Place) -> tuple[str, Item, str | None]:
    data = need_fields(value, where, _FIELDS)
    name = _need_shape(data["name"], (where, "name"), "name")
    created = need_time(data["created_ms"], (where, "created_ms"))
    if created > place.now_ms:
        raise Corrupt((where, "created_ms"), f"created at {created}, after now_ms {place.now_ms}")
    arn = need_str(data["arn"], (where, "arn"))
    expected = channel_arn(place.region_name, place.account_id, name, created)
    if arn != expected:
        raise Corrupt(
            (where, "arn"),
            f"{shown(arn)} is not the ARN of the channel {name!r} of account "
            f"{place.account_id} in {place.region_name} with created_ms {created}: "
            f"expected {expected!r}",
        )
    _need_shape(data["version"], (where, "version"), "version")
    status = need_one_of(data["status"], (where, "status"), STATUSES)
    need_one_of(data["kind"], (where, "kind"), CHANNEL_TYPES[:1])
    need_int(data["ttl"], (where, "ttl"), low=_TTL[0], high=_TTL[1])
    tags = need_map(data["tags"], (where, "tags"))
    for key, tag in tags.items():
        _need_shape(key, (f"{where}.tags", key), "tag key")
        _need_shape(tag, (f"{where}.tags", key), "tag value")
    storage = data["storage"]
    if storage is not None:
        text = need_str(storage, (where, "storage"))
        parsed = parse_stream_arn(text)
        if parsed is None or parsed[1:4] != (place.region_name, place.account_id, "stream"):
            raise Corrupt(
                (where, "storage"),
                f"{shown(text)} is not a stream ARN of {place.account_id}/{place.region_name}",
            )
        if status == DELETING:
            raise Corrupt((where, "storage"), "a DELETING channel stores no media")
    _check_endpoints(data["endpoints"], f"{where}.endpoints", place.region_name)
    buckets = need_map(data["buckets"], (where, "buckets"))
    for op, bucket in buckets.items():
        if op not in place.operations:
            raise Corrupt((f"{where}.buckets", op), f"unknown operation {shown(op)}")
        need_bucket(bucket, (f"{where}.buckets", op), place.now_ms)
    pending = need_int(data["pending"], (where, "pending"))
    if status == ACTIVE and pending:
        raise Corrupt((where, "pending"), f"an ACTIVE channel has no change pending, got {pending}")
    if status != ACTIVE and not pending:
        raise Corrupt(
            (where, "pending"),
            f"0, but a {status} channel has a change pending (its sequence number)",
        )
    return name, Item(where, status, {"pending": pending}), storage


def _check_endpoints(value: object, where: str, region_name: str) -> None:
    suffix = re.escape(f".kinesisvideo.{region_name}.{dns_suffix(region_name)}")
    for protocol, url in need_map(value, where).items():
        if protocol not in PROTOCOLS:
            raise Corrupt(
                (where, protocol),
                f"unknown protocol {shown(protocol)}; protocols are {', '.join(PROTOCOLS)}",
            )
        text = need_str(url, (where, protocol))
        pattern = f"{_SCHEMES[protocol]}://{PROTOCOLS[protocol]}-[0-9a-f]{{8}}{suffix}"
        if re.fullmatch(pattern, text) is None:
            raise Corrupt(
                (where, protocol),
                f"{shown(url)} is not a {protocol} endpoint of {region_name}",
            )
