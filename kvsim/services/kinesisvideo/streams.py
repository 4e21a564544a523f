"""Streams: create, describe, list, update, change retention, delete, data endpoints.

Each operation is a function on typed arguments that either returns its
result or raises a modeled error *before* changing anything (checks first,
then effects), and a declared handler that turns the request members into
those arguments and the result into the response. Request-rate tokens are
taken only by calls that succeed, so a failed call leaves the world as it was.

Complexity: lookups by name or ARN are O(1) (dict), creation and deletion
O(log n) (sorted index, change queue), a ListStreams page O(log n + page).

>>> decode_list_token(encode_list_token("cam-7"))
'cam-7'
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ...core.clock import from_ms
from ...core.ids import data_endpoint, new_version, stream_arn
from ...core.kernel import Kernel, Transition
from ...model.errors import (
    AccountStreamLimitExceededException,
    ClientError,
    DeviceStreamLimitExceededException,
    InvalidArgumentException,
    ResourceInUseException,
    ResourceNotFoundException,
    TagsPerResourceExceededLimitException,
    VersionMismatchException,
)
from ...model.shapes import named_string
from ..declarations import Declarations
from ..fragments import drop_stream_media, retention_changed
from ..gate import Admission
from ..paging import name_page
from ..state import ACTIVE, CREATING, DELETING, STREAMS, UPDATING, Region, Stream
from .resolve import NOT_FOUND, admit_arn, admit_stream

if TYPE_CHECKING:
    from ..world import World

__all__ = [
    "TRANSITIONS",
    "create_stream",
    "declare",
    "decode_list_token",
    "delete_stream",
    "describe",
    "encode_list_token",
    "get_data_endpoint",
    "list_position",
    "list_streams",
    "require_active_version",
    "stream_info",
    "too_many_tags",
    "update_data_retention",
    "update_stream",
    "updated",
]

declare = Declarations("kinesisvideo")

# Data endpoints: "s-" hosts serve media ingestion and playback, "b-" hosts the rest.
_MEDIA_APIS = frozenset({"PUT_MEDIA", "GET_MEDIA"})


# -- timed changes -------------------------------------------------------------------------


def _activate(kernel: Kernel, stream: Stream) -> None:
    stream.status = ACTIVE


def _forget(kernel: Kernel, stream: Stream) -> None:
    # Its device slot was released at DeleteStream.
    stream.region.remove(stream)


CREATED = Transition("stream.created", CREATING, ACTIVE, _activate, family=STREAMS.name)
UPDATED = Transition("stream.updated", UPDATING, ACTIVE, _activate, family=STREAMS.name)
DELETED = Transition("stream.deleted", DELETING, "DELETED", _forget, family=STREAMS.name)

#: The timed changes of a stream, by name (snapshots refer to them by name).
TRANSITIONS: dict[str, Transition] = {t.name: t for t in (CREATED, UPDATED, DELETED)}


# -- shared checks ---------------------------------------------------------------------------


def require_active_version(stream: Stream, current_version: str | None) -> None:
    """The status and version checks of a metadata update (kvsim rule: status first)."""
    if stream.status != ACTIVE:
        raise ResourceInUseException(
            f"The stream {stream.name} is {stream.status}; it must be ACTIVE for this operation."
        )
    if current_version is not None and current_version != stream.version:
        raise VersionMismatchException(
            f"The stream version {current_version} does not match the latest version "
            f"{stream.version}."
        )


def too_many_tags(limit: int, count: int) -> ClientError:
    """The error of a resource that would hold ``count`` tags, over ``limit``."""
    return TagsPerResourceExceededLimitException(
        f"The resource would have {count} tags; at most {limit} are allowed."
    )


def _retention_problem(value: int, limit: int, member: str) -> ClientError:
    return InvalidArgumentException(
        f"1 validation error detected: Value '{value}' at '{member}' failed to satisfy "
        f"constraint: Member must have value less than or equal to {limit}"
    )


def updated(world: World, stream: Stream) -> None:
    """Every metadata change: a new version at once, UPDATING until ``update_delay`` passes."""
    stream.version = new_version(world.rng)
    stream.status = UPDATING
    stream.pending = world.schedule(stream, UPDATED, world.delays_ms["update_delay"])


def stream_info(stream: Stream) -> dict[str, Any]:
    """The ``StreamInfo`` structure of DescribeStream and ListStreams."""
    info: dict[str, Any] = {}
    if stream.device is not None:
        info["DeviceName"] = stream.device
    info["StreamName"] = stream.name
    info["StreamARN"] = stream.arn
    if stream.media_type is not None:
        info["MediaType"] = stream.media_type
    info["KmsKeyId"] = stream.kms_key or stream.region.default_kms_key
    info["Version"] = stream.version
    info["Status"] = stream.status
    info["CreationTime"] = from_ms(stream.created_ms)
    info["DataRetentionInHours"] = stream.retention
    return info


# -- ListStreams tokens ----------------------------------------------------------------------

_TOKEN_MARK = b"kvsim:1:"


def encode_list_token(last_name: str) -> str:
    """An opaque ListStreams token: continue after the stream named ``last_name``."""
    return base64.b64encode(_TOKEN_MARK + last_name.encode()).decode()


def decode_list_token(token: str) -> str:
    """The stream name a ListStreams token continues after; InvalidArgument if forged."""
    try:
        raw = base64.b64decode(token, validate=True)
        name = raw[len(_TOKEN_MARK) :].decode() if raw.startswith(_TOKEN_MARK) else ""
    except (binascii.Error, UnicodeDecodeError, ValueError):
        name = ""
    if not name or not named_string("kinesisvideo", "StreamName").matches(name):
        raise InvalidArgumentException(f"The NextToken {token} is not valid.")
    return name


# -- operations ------------------------------------------------------------------------------


def create_stream(
    world: World,
    region: Region,
    name: str,
    *,
    device: str | None = None,
    media_type: str | None = None,
    kms_key: str | None = None,
    retention: int = 0,
    tags: Mapping[str, str] | None = None,
    tier: str = "HOT",
) -> Stream:
    """Create a stream in CREATING; it turns ACTIVE after ``Timings.create_delay``. O(log n)."""
    gate = Admission(world, region, "CreateStream")
    limits = world.limits
    if name in region.streams:
        raise ResourceInUseException(f"The stream {name} already exists.")
    cap = limits.max_streams_per_account
    if cap is not None and len(region.streams) >= cap:
        raise AccountStreamLimitExceededException(
            f"The account already has {cap} streams in {region.name}, its limit."
        )
    if retention > limits.max_data_retention_hours:
        raise _retention_problem(retention, limits.max_data_retention_hours, "dataRetentionInHours")
    if tags is not None and len(tags) > limits.max_tags_per_resource:
        raise too_many_tags(limits.max_tags_per_resource, len(tags))
    per_device = limits.max_streams_per_device
    if (
        device is not None
        and per_device is not None
        and region.devices.get(device, 0) >= per_device
    ):
        raise DeviceStreamLimitExceededException(
            f"The device {device} already has {per_device} streams, its limit."
        )
    gate.commit()
    now = world.now_ms
    stream = Stream(
        region,
        name,
        stream_arn(region.name, region.account_id, name, now),
        now,
        new_version(world.rng),
        device=device,
        media_type=media_type,
        kms_key=kms_key,
        retention=retention,
        tags=dict(tags) if tags else None,
        tier=tier,
    )
    region.add(stream)
    stream.pending = world.schedule(stream, CREATED, world.delays_ms["create_delay"])
    return stream


@declare("CreateStream", rate=(50, None), resource="stream")
def _create_stream(world: World, region: Region, p: Mapping[str, Any]) -> dict[str, Any]:
    """CreateStream: ``{"StreamARN": ...}``; the stream is CREATING until ``create_delay``."""
    storage = p.get("StreamStorageConfiguration")
    stream = create_stream(
        world,
        region,
        p["StreamName"],
        device=p.get("DeviceName"),
        media_type=p.get("MediaType"),
        kms_key=p.get("KmsKeyId"),
        retention=p.get("DataRetentionInHours", 0),
        tags=p.get("Tags"),
        tier=storage["DefaultStorageTier"] if storage else "HOT",
    )
    return {"StreamARN": stream.arn}


def describe(world: World, region: Region, op: str, name: str | None, arn: str | None) -> Stream:
    """Find a stream for a read-only operation ``op``, taking its tokens. O(1)."""
    gate, stream = admit_stream(world, region, op, name, arn)
    gate.commit()
    return stream


@declare("DescribeStream", rate=(300, 5), resource="stream")
def _describe_stream(world: World, region: Region, p: Mapping[str, Any]) -> dict[str, Any]:
    """DescribeStream by ``StreamName`` or ``StreamARN``: ``{"StreamInfo": {...}}``."""
    # describe() inlined: the hottest read of all saves a call frame.
    gate, stream = admit_stream(
        world, region, "DescribeStream", p.get("StreamName"), p.get("StreamARN")
    )
    gate.commit()
    return {"StreamInfo": stream_info(stream)}


def list_streams(
    world: World, region: Region, limit: int, after: str | None, prefix: str | None
) -> tuple[list[Stream], bool]:
    """Up to ``limit`` streams in name order, after the name ``after``, whose names
    start with ``prefix``; and whether more follow. O(log n + limit)."""
    gate = Admission(world, region, "ListStreams")
    page, more = name_page(region.streams, limit, after, prefix)
    gate.commit()
    return page, more


def list_position(p: Mapping[str, Any], condition_member: str) -> tuple[str | None, str | None]:
    """Where a name-ordered listing resumes (the name its ``NextToken`` continues
    after) and the name prefix its ``condition_member`` asks for, checked."""
    token = p.get("NextToken")
    after = decode_list_token(token) if token else None
    condition = p.get(condition_member)
    if condition is None:
        return after, None
    if "ComparisonOperator" not in condition or "ComparisonValue" not in condition:
        raise InvalidArgumentException(
            f"{condition_member} needs both ComparisonOperator and ComparisonValue."
        )
    return after, condition["ComparisonValue"]


def _list_resume_token(item: Mapping[str, Any]) -> str:
    return encode_list_token(item["StreamName"])


@declare("ListStreams", rate=(50, None), resume_token=_list_resume_token)
def _list_streams(world: World, region: Region, p: Mapping[str, Any]) -> dict[str, Any]:
    """ListStreams in name order; ``MaxResults``, ``NextToken``, ``StreamNameCondition``.

    Pages are as the real service's: ``Limits.list_streams_page_size`` (10)
    without ``MaxResults``, never more than ``Limits.max_list_streams_page`` (1,000).
    """
    after, prefix = list_position(p, "StreamNameCondition")
    limits = world.limits
    size = min(p.get("MaxResults", limits.list_streams_page_size), limits.max_list_streams_page)
    page, more = list_streams(world, region, size, after, prefix)
    result: dict[str, Any] = {"StreamInfoList": [stream_info(s) for s in page]}
    if more:
        result["NextToken"] = encode_list_token(page[-1].name)
    return result


def update_stream(
    world: World,
    region: Region,
    name: str | None,
    arn: str | None,
    current_version: str,
    device: str | None,
    media_type: str | None,
) -> None:
    """Change device and/or media type (omitted ones stay); new version, UPDATING. O(log n)."""
    gate, stream = admit_stream(world, region, "UpdateStream", name, arn)
    require_active_version(stream, current_version)
    per_device = world.limits.max_streams_per_device
    moving = device is not None and device != stream.device
    if moving and per_device is not None and region.devices.get(device or "", 0) >= per_device:
        # kvsim rule: UpdateStream's model has no device-limit error, so the
        # configured per-device limit answers InvalidArgumentException here.
        raise InvalidArgumentException(
            f"The device {device} already has {per_device} streams, its limit."
        )
    gate.commit()
    if moving:
        region.detach(stream.device)
        region.attach(device)
        stream.device = device
    if media_type is not None:
        stream.media_type = media_type
    updated(world, stream)


@declare("UpdateStream", rate=(50, 5), resource="stream")
def _update_stream(world: World, region: Region, p: Mapping[str, Any]) -> dict[str, Any]:
    """UpdateStream (``CurrentVersion`` required): new version, UPDATING → ACTIVE."""
    update_stream(
        world,
        region,
        p.get("StreamName"),
        p.get("StreamARN"),
        p["CurrentVersion"],
        p.get("DeviceName"),
        p.get("MediaType"),
    )
    return {}


def update_data_retention(
    world: World,
    region: Region,
    name: str | None,
    arn: str | None,
    current_version: str,
    increase: bool,
    change: int,
) -> None:
    """Raise or lower retention by ``change`` hours; new version, UPDATING. O(log n)."""
    gate, stream = admit_stream(world, region, "UpdateDataRetention", name, arn)
    require_active_version(stream, current_version)
    retention = stream.retention + change if increase else stream.retention - change
    limit = world.limits.max_data_retention_hours
    if retention > limit:
        raise InvalidArgumentException(
            f"The data retention would become {retention} hours; at most {limit} are allowed."
        )
    if retention < 0:
        raise InvalidArgumentException(
            f"The data retention would become {retention} hours; it cannot be negative."
        )
    gate.commit()
    stream.retention = retention
    # Lowering retention deletes older media at once; expiry follows the new retention.
    retention_changed(world, stream)
    updated(world, stream)


@declare("UpdateDataRetention", rate=(50, 5), resource="stream")
def _update_data_retention(world: World, region: Region, p: Mapping[str, Any]) -> dict[str, Any]:
    """UpdateDataRetention: INCREASE/DECREASE by ``DataRetentionChangeInHours``."""
    update_data_retention(
        world,
        region,
        p.get("StreamName"),
        p.get("StreamARN"),
        p["CurrentVersion"],
        p["Operation"] == "INCREASE_DATA_RETENTION",
        p["DataRetentionChangeInHours"],
    )
    return {}


def delete_stream(world: World, region: Region, arn: str, current_version: str | None) -> None:
    """Start deleting a stream: DELETING, gone after ``Timings.delete_delay``. O(log n)."""
    gate, stream = admit_arn(world, region, "DeleteStream", arn)
    if stream.status == DELETING:
        raise ResourceInUseException(f"The stream {stream.name} is already being deleted.")
    if current_version is not None and current_version != stream.version:
        raise VersionMismatchException(
            f"The stream version {current_version} does not match the latest version "
            f"{stream.version}."
        )
    gate.commit()
    region.detach(stream.device)
    # kvsim rule: the stream's edge configuration goes at once (its change is cancelled).
    region.unhub(stream)
    # kvsim rule: a channel storing media into the stream is unlinked (DISABLED) at once.
    linked = region.media_links.pop(stream.arn, None)
    if linked is not None:
        linked.storage = None
    stream.status = DELETING
    drop_stream_media(stream)  # its media becomes unreachable at once
    # At least 1 ms even with delete_delay=0: the name stays taken until the
    # clock moves, so a re-created stream never gets its predecessor's ARN
    # (an ARN ends in the creation millisecond).
    delay = max(world.delays_ms["delete_delay"], 1)
    stream.pending = world.schedule(stream, DELETED, delay)


@declare("DeleteStream", rate=(50, 5), resource="stream")
def _delete_stream(world: World, region: Region, p: Mapping[str, Any]) -> dict[str, Any]:
    """DeleteStream by ``StreamARN``: DELETING, gone after ``delete_delay``."""
    delete_stream(world, region, p["StreamARN"], p.get("CurrentVersion"))
    return {}


def get_data_endpoint(
    world: World, region: Region, name: str | None, arn: str | None, api_name: str
) -> str:
    """The stream's data endpoint for ``api_name``, drawn once per stream and kind. O(1)."""
    gate, stream = admit_stream(world, region, "GetDataEndpoint", name, arn)
    if stream.status not in (ACTIVE, UPDATING):
        raise ResourceNotFoundException(NOT_FOUND)
    gate.commit()
    prefix = "s" if api_name in _MEDIA_APIS else "b"
    if stream.endpoints is None:
        stream.endpoints = {}
    url = stream.endpoints.get(prefix)
    if url is None:
        url = stream.endpoints[prefix] = data_endpoint(region.name, prefix, world.rng)
    return url


@declare("GetDataEndpoint", rate=(300, 5), resource="stream")
def _get_data_endpoint(world: World, region: Region, p: Mapping[str, Any]) -> dict[str, Any]:
    """GetDataEndpoint for an ``APIName``: ``{"DataEndpoint": "https://..."}``."""
    url = get_data_endpoint(world, region, p.get("StreamName"), p.get("StreamARN"), p["APIName"])
    return {"DataEndpoint": url}
