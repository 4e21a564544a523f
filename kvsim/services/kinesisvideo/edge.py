"""A stream's edge configuration (the Edge Agent on an IoT Greengrass hub device).

There is no Edge Agent in kvsim: a hub device is reachable unless a test
marked it offline (``Simulator.set_hub_device_online``). StartEdgeConfigurationUpdate
puts the configuration in SYNCING; with its hub online it turns IN_SYNC after
``Timings.edge_sync_delay``, offline it turns SYNC_FAILED when
``Timings.edge_retry_window`` (15 minutes) has passed since the call, unless
the hub comes back first. DeleteEdgeConfiguration is the same with DELETING
→ gone (``edge_delete_delay``) or DELETE_FAILED.

Complexity: Start, Describe and Delete are O(log n) (a lookup and one queued
change); a ListEdgeAgentConfigurations page of *k* is O(log m + k) for *m*
streams on that hub (the region's hub index, never a scan of its streams);
marking a hub online or offline is O(k log n) for its *k* busy configurations.

>>> decode_edge_token(encode_edge_token("cam-7"))
'cam-7'
"""

from __future__ import annotations

import base64
import binascii
import copy
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ...core.clock import from_ms
from ...model.errors import (
    ClientError,
    InvalidArgumentException,
    NoDataRetentionException,
    ResourceInUseException,
    StreamEdgeConfigurationNotFoundException,
)
from ...model.shapes import named_string
from ..configs_state import DELETING, EDGE_TRANSITIONS, IN_SYNC, SYNCING, Edge, plan
from ..declarations import Declarations
from ..gate import Admission
from ..state import ACTIVE, Region, Stream
from .resolve import admit_stream

if TYPE_CHECKING:
    from ..world import World

__all__ = [
    "TRANSITIONS",
    "declare",
    "decode_edge_token",
    "delete_edge",
    "encode_edge_token",
    "list_edge",
    "set_hub_online",
    "start_edge",
]

declare = Declarations("kinesisvideo")

#: The timed changes of an edge configuration, by name.
TRANSITIONS = EDGE_TRANSITIONS

#: ListEdgeAgentConfigurations' documented default page.
DEFAULT_PAGE = 5


def _not_found(stream: Stream) -> ClientError:
    return StreamEdgeConfigurationNotFoundException(
        f"The stream {stream.name} has no edge configuration."
    )


def _info(edge: Edge) -> dict[str, Any]:
    # The members Start, Describe and List share.
    stream = edge.stream
    info: dict[str, Any] = {
        "StreamName": stream.name,
        "StreamARN": stream.arn,
        "CreationTime": from_ms(edge.created_ms),
        "LastUpdatedTime": from_ms(edge.updated_ms),
        "SyncStatus": edge.status,
    }
    if edge.failed is not None:
        info["FailedStatusDetails"] = edge.failed
    info["EdgeConfig"] = copy.deepcopy(edge.config)
    return info


def start_edge(
    world: World, region: Region, name: str | None, arn: str | None, config: Mapping[str, Any]
) -> Edge:
    """Create or replace the stream's edge configuration: SYNCING, then IN_SYNC or
    SYNC_FAILED. O(log n)."""
    gate, stream = admit_stream(world, region, "StartEdgeConfigurationUpdate", name, arn)
    if stream.status != ACTIVE:
        raise ResourceInUseException(
            f"The stream {stream.name} is {stream.status}; it must be ACTIVE to update its "
            "edge configuration."
        )
    if stream.retention == 0:
        raise NoDataRetentionException(
            f"The stream {stream.name} retains no data (DataRetentionInHours is 0); "
            "an edge configuration needs data retention."
        )
    hub = config["HubDeviceArn"]
    edge = stream.edge
    if edge is not None:
        if edge.status in (SYNCING, DELETING):
            raise ResourceInUseException(
                f"The edge configuration of the stream {stream.name} is {edge.status}."
            )
        if edge.hub != hub:
            raise InvalidArgumentException(
                f"The stream {stream.name} is configured for the hub device {edge.hub}; "
                "delete its edge configuration before moving it to another hub device."
            )
    gate.commit()
    now = world.now_ms
    if edge is None:
        edge = Edge(stream, hub, copy.deepcopy(dict(config)), now)
        region.hub(stream, edge)
    else:
        edge.config = copy.deepcopy(dict(config))
        edge.status = SYNCING
        edge.failed = None
        edge.updated_ms = now
    edge.deadline_ms = now + world.delays_ms["edge_retry_window"]
    plan(world, edge, world.delays_ms)
    return edge


@declare("StartEdgeConfigurationUpdate", rate=(10, 1), resource="stream")
def _start_edge(world: World, region: Region, p: Mapping[str, Any]) -> dict[str, Any]:
    """StartEdgeConfigurationUpdate: the configuration, SYNCING."""
    edge = start_edge(world, region, p.get("StreamName"), p.get("StreamARN"), p["EdgeConfig"])
    return _info(edge)


@declare("DescribeEdgeConfiguration", rate=(50, 5), resource="stream")
def _describe_edge(world: World, region: Region, p: Mapping[str, Any]) -> dict[str, Any]:
    """DescribeEdgeConfiguration: the configuration and, once IN_SYNC, the agent's status."""
    gate, stream = admit_stream(
        world, region, "DescribeEdgeConfiguration", p.get("StreamName"), p.get("StreamARN")
    )
    edge = stream.edge
    if edge is None:
        raise _not_found(stream)
    gate.commit()
    info = _info(edge)
    if edge.status == IN_SYNC:
        at = from_ms(edge.updated_ms)
        info["EdgeAgentStatus"] = {
            "LastRecorderStatus": {
                "LastCollectedTime": at,
                "LastUpdatedTime": at,
                "RecorderStatus": "SUCCESS",
            },
            "LastUploaderStatus": {
                "LastCollectedTime": at,
                "LastUpdatedTime": at,
                "UploaderStatus": "SUCCESS",
            },
        }
    return info


def delete_edge(world: World, region: Region, name: str | None, arn: str | None) -> None:
    """Start deleting the stream's edge configuration: DELETING, then gone or
    DELETE_FAILED (kvsim rule: deleting one already DELETING changes nothing). O(log n)."""
    gate, stream = admit_stream(world, region, "DeleteEdgeConfiguration", name, arn)
    edge = stream.edge
    if edge is None:
        raise _not_found(stream)
    gate.commit()
    if edge.status == DELETING:
        return
    now = world.now_ms
    edge.status = DELETING
    edge.failed = None
    edge.updated_ms = now
    edge.deadline_ms = now + world.delays_ms["edge_retry_window"]
    plan(world, edge, world.delays_ms)


@declare("DeleteEdgeConfiguration", rate=(10, 1), resource="stream")
def _delete_edge(world: World, region: Region, p: Mapping[str, Any]) -> dict[str, Any]:
    """DeleteEdgeConfiguration: DELETING, then gone (or DELETE_FAILED)."""
    delete_edge(world, region, p.get("StreamName"), p.get("StreamARN"))
    return {}


# -- ListEdgeAgentConfigurations -----------------------------------------------------------

_TOKEN_MARK = b"kvsim:edge:1:"


def encode_edge_token(last_name: str) -> str:
    """An opaque ListEdgeAgentConfigurations token: continue after the stream ``last_name``."""
    return base64.b64encode(_TOKEN_MARK + last_name.encode()).decode()


def decode_edge_token(token: str) -> str:
    """The stream name a token continues after; InvalidArgumentException if forged."""
    try:
        raw = base64.b64decode(token, validate=True)
        name = raw[len(_TOKEN_MARK) :].decode() if raw.startswith(_TOKEN_MARK) else ""
    except (binascii.Error, UnicodeDecodeError, ValueError):
        name = ""
    if not name or not named_string("kinesisvideo", "StreamName").matches(name):
        raise InvalidArgumentException(f"The NextToken {token} is not valid.")
    return name


def list_edge(
    world: World, region: Region, hub: str, limit: int, after: str | None
) -> tuple[list[Edge], bool]:
    """Up to ``limit`` edge configurations of hub device ``hub`` in stream name order,
    after the stream ``after``; and whether more follow. O(log m + limit)."""
    gate = Admission(world, region, "ListEdgeAgentConfigurations")
    page: list[Edge] = []
    more = False
    names = region.hubs.get(hub)
    if names is not None:
        streams = region.streams
        for stream_name in names.irange(minimum=after, inclusive=(False, True)):
            if len(page) == limit:
                more = True
                break
            page.append(streams[stream_name].edge)
    gate.commit()
    return page, more


def _list_resume_token(item: Mapping[str, Any]) -> str:
    return encode_edge_token(item["StreamName"])


@declare("ListEdgeAgentConfigurations", rate=(50, None), resume_token=_list_resume_token)
def _list_edge(world: World, region: Region, p: Mapping[str, Any]) -> dict[str, Any]:
    """ListEdgeAgentConfigurations of one hub device, by stream name, 5 a page by default."""
    token = p.get("NextToken")
    after = decode_edge_token(token) if token else None
    page, more = list_edge(
        world, region, p["HubDeviceArn"], p.get("MaxResults", DEFAULT_PAGE), after
    )
    result: dict[str, Any] = {"EdgeConfigs": [_info(edge) for edge in page]}
    if more:
        result["NextToken"] = encode_edge_token(page[-1].stream.name)
    return result


# -- the hub device control -----------------------------------------------------------------


def set_hub_online(world: World, region: Region, hub: str, online: bool) -> int:
    """Mark hub device ``hub`` of ``region`` online or offline; reschedule its
    SYNCING and DELETING configurations accordingly. Returns how many were
    rescheduled. O(k log n) for *k* configurations on the hub."""
    offline = region.offline_hubs
    if online == (hub not in offline):
        return 0
    if online:
        offline.discard(hub)
    else:
        offline.add(hub)
    changed = 0
    streams = region.streams
    for name in region.hubs.get(hub, ()):
        edge: Edge = streams[name].edge
        if edge.status in (SYNCING, DELETING):
            plan(world, edge, world.delays_ms)
            changed += 1
    return changed
