"""Signaling channels: create, describe, list, update, delete, endpoints.

As for streams, each operation is a function on typed arguments that either
returns its result or raises a modeled error *before* changing anything
(checks first, then effects), and a declared handler that turns the request
members into those arguments and the result into the response. The preamble
of a call is the same as a stream's: the stateless checks of the reference
(validation-like), the account's rate bucket, the lookup, the channel's own
rate bucket, then the state checks.

Complexity: lookups by name or ARN are O(1) (dict), creation and deletion
O(log n) (sorted index, change queue), a ListSignalingChannels page
O(log n + page).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ...core.clock import from_ms
from ...core.ids import new_version
from ...core.kernel import Kernel, Transition
from ...model.errors import (
    AccountChannelLimitExceededException,
    InvalidArgumentException,
    ResourceInUseException,
    ResourceNotFoundException,
    VersionMismatchException,
)
from ..channels_state import CHANNELS, DEFAULT_MESSAGE_TTL, Channel, channel_arn, endpoint_url
from ..declarations import Declarations
from ..gate import Admission
from ..paging import name_page
from ..state import ACTIVE, CREATING, DELETING, UPDATING, Region
from .streams import encode_list_token, list_position, too_many_tags

if TYPE_CHECKING:
    from ..world import World

__all__ = [
    "CHANNEL_NOT_FOUND",
    "LIST_PAGE",
    "MAPPED_TYPE",
    "TRANSITIONS",
    "admit_channel",
    "admit_channel_arn",
    "channel_info",
    "create_signaling_channel",
    "declare",
    "delete_signaling_channel",
    "get_signaling_channel_endpoint",
    "list_signaling_channels",
    "resolve_channel",
    "tag_list",
    "unlink",
    "update_signaling_channel",
]

declare = Declarations("kinesisvideo")

CHANNEL_NOT_FOUND = "The requested channel is not found or not active."
#: ListSignalingChannels' page without ``MaxResults`` (the model's documented default).
LIST_PAGE = 500
#: The ``Type`` DescribeMappedResourceConfiguration reports for a signaling channel.
MAPPED_TYPE = "SIGNALING_CHANNEL"
#: GetSignalingChannelEndpoint's protocols when the request names none.
DEFAULT_PROTOCOLS = ("WSS", "HTTPS")


# -- timed changes -------------------------------------------------------------------------


def _activate(kernel: Kernel, channel: Channel) -> None:
    channel.status = ACTIVE


def _forget(kernel: Kernel, channel: Channel) -> None:
    region = channel.region
    del region.channels[channel.name]
    del region.channels_by_arn[channel.arn]


CREATED = Transition("channel.created", CREATING, ACTIVE, _activate, family=CHANNELS.name)
UPDATED = Transition("channel.updated", UPDATING, ACTIVE, _activate, family=CHANNELS.name)
DELETED = Transition("channel.deleted", DELETING, "DELETED", _forget, family=CHANNELS.name)

#: The timed changes of a channel, by name (snapshots refer to them by name).
TRANSITIONS: dict[str, Transition] = {t.name: t for t in (CREATED, UPDATED, DELETED)}


# -- finding a channel -----------------------------------------------------------------------


def resolve_channel(region: Region, name: str | None, arn: str | None) -> Channel:
    """The channel named by ``ChannelName`` and/or ``ChannelARN`` (kvsim rules, as for
    streams: neither, or both naming different channels, is ``InvalidArgumentException``;
    an ARN of another account, region, kind or incarnation is not found)."""
    if arn is not None:
        channel = region.channels_by_arn.get(arn)
        if channel is None:
            raise ResourceNotFoundException(CHANNEL_NOT_FOUND)
        if name is not None and name != channel.name:
            raise InvalidArgumentException(
                f"ChannelName {name} and ChannelARN {arn} do not refer to the same channel."
            )
        return channel
    if name is None:
        raise InvalidArgumentException("Either ChannelName or ChannelARN must be specified.")
    found: Channel | None = region.channels.get(name)
    if found is None:
        raise ResourceNotFoundException(CHANNEL_NOT_FOUND)
    return found


def admit_channel(
    world: World, region: Region, op: str, name: str | None, arn: str | None
) -> tuple[Admission, Channel]:
    """The preamble of an operation on a channel named by ``ChannelName``/``ChannelARN``."""
    if name is None and arn is None:  # a check of the request: before throttling
        raise InvalidArgumentException("Either ChannelName or ChannelARN must be specified.")
    gate = Admission(world, region, op)
    channel = resolve_channel(region, name, arn)
    gate.resource(channel)
    return gate, channel


def admit_channel_arn(world: World, region: Region, op: str, arn: str) -> tuple[Admission, Channel]:
    """The preamble of an operation on a channel named by its ARN only."""
    return admit_channel(world, region, op, None, arn)


def _require_active_version(channel: Channel, current_version: str | None) -> None:
    if channel.status != ACTIVE:
        raise ResourceInUseException(
            f"The channel {channel.name} is {channel.status}; it must be ACTIVE for this operation."
        )
    if current_version is not None and current_version != channel.version:
        raise VersionMismatchException(
            f"The channel version {current_version} does not match the latest version "
            f"{channel.version}."
        )


def unlink(channel: Channel) -> None:
    """Drop the channel's media storage link (its configuration becomes DISABLED). O(1)."""
    if channel.storage is not None:
        del channel.region.media_links[channel.storage]
        channel.storage = None


def channel_info(channel: Channel) -> dict[str, Any]:
    """The ``ChannelInfo`` structure of DescribeSignalingChannel and ListSignalingChannels."""
    created = channel.created
    if created is None:
        created = channel.created = from_ms(channel.created_ms)
    return {
        "ChannelName": channel.name,
        "ChannelARN": channel.arn,
        "ChannelType": channel.kind,
        "ChannelStatus": channel.status,
        "CreationTime": created,
        "SingleMasterConfiguration": {"MessageTtlSeconds": channel.ttl},
        "Version": channel.version,
    }


def tag_list(tags: Sequence[Mapping[str, str]]) -> dict[str, str]:
    """A ``[{"Key", "Value"}]`` tag list as a map (a repeated key: the last value wins)."""
    return {tag["Key"]: tag["Value"] for tag in tags}


# -- operations ------------------------------------------------------------------------------


def create_signaling_channel(
    world: World,
    region: Region,
    name: str,
    *,
    kind: str = "SINGLE_MASTER",
    ttl: int = DEFAULT_MESSAGE_TTL,
    tags: Mapping[str, str] | None = None,
) -> Channel:
    """Create a channel in CREATING; it turns ACTIVE after ``channel_create_delay``. O(log n)."""
    if kind != "SINGLE_MASTER":
        # kvsim rule: the model's text says only SINGLE_MASTER is supported.
        raise InvalidArgumentException(
            f"ChannelType {kind} is not supported; the only supported type is SINGLE_MASTER."
        )
    gate = Admission(world, region, "CreateSignalingChannel")
    limits = world.limits
    if name in region.channels:
        raise ResourceInUseException(f"The signaling channel {name} already exists.")
    cap = limits.channel_quota(region.name)
    if cap is not None and len(region.channels) >= cap:
        raise AccountChannelLimitExceededException(
            f"The account already has {cap} signaling channels in {region.name}, its limit."
        )
    if tags is not None and len(tags) > limits.max_tags_per_resource:
        raise too_many_tags(limits.max_tags_per_resource, len(tags))
    gate.commit()
    now = world.now_ms
    channel = Channel(
        region,
        name,
        channel_arn(region.name, region.account_id, name, now),
        now,
        new_version(world.rng),
        kind=kind,
        ttl=ttl,
        tags=dict(tags) if tags else None,
    )
    region.channels[name] = channel
    region.channels_by_arn[channel.arn] = channel
    channel.pending = world.schedule(channel, CREATED, world.delays_ms["channel_create_delay"])
    return channel


def _ttl(configuration: Mapping[str, Any] | None) -> int | None:
    if configuration is None:
        return None
    ttl: int | None = configuration.get("MessageTtlSeconds")
    return ttl


@declare("CreateSignalingChannel", rate=(50, None), resource="channel")
def _create(world: World, region: Region, p: Mapping[str, Any]) -> dict[str, Any]:
    """CreateSignalingChannel: ``{"ChannelARN": ...}``; CREATING until ``channel_create_delay``."""
    tags = p.get("Tags")
    ttl = _ttl(p.get("SingleMasterConfiguration"))
    channel = create_signaling_channel(
        world,
        region,
        p["ChannelName"],
        kind=p.get("ChannelType", "SINGLE_MASTER"),
        ttl=DEFAULT_MESSAGE_TTL if ttl is None else ttl,
        tags=tag_list(tags) if tags else None,
    )
    return {"ChannelARN": channel.arn}


@declare("DescribeSignalingChannel", rate=(300, 5), resource="channel")
def _describe(world: World, region: Region, p: Mapping[str, Any]) -> dict[str, Any]:
    """DescribeSignalingChannel by ``ChannelName`` or ``ChannelARN``: ``{"ChannelInfo": ...}``."""
    gate, channel = admit_channel(
        world, region, "DescribeSignalingChannel", p.get("ChannelName"), p.get("ChannelARN")
    )
    gate.commit()
    return {"ChannelInfo": channel_info(channel)}


def list_signaling_channels(
    world: World, region: Region, limit: int, after: str | None, prefix: str | None
) -> tuple[list[Channel], bool]:
    """Up to ``limit`` channels in name order, after the name ``after``, whose names
    start with ``prefix``; and whether more follow. O(log n + limit)."""
    gate = Admission(world, region, "ListSignalingChannels")
    page, more = name_page(region.channels, limit, after, prefix)
    gate.commit()
    return page, more


def _list_resume_token(item: Mapping[str, Any]) -> str:
    return encode_list_token(item["ChannelName"])


@declare("ListSignalingChannels", rate=(50, None), resume_token=_list_resume_token)
def _list(world: World, region: Region, p: Mapping[str, Any]) -> dict[str, Any]:
    """ListSignalingChannels in name order; ``MaxResults`` (default 500), ``NextToken``,
    ``ChannelNameCondition``."""
    after, prefix = list_position(p, "ChannelNameCondition")
    page, more = list_signaling_channels(
        world, region, p.get("MaxResults", LIST_PAGE), after, prefix
    )
    result: dict[str, Any] = {"ChannelInfoList": [channel_info(c) for c in page]}
    if more:
        result["NextToken"] = encode_list_token(page[-1].name)
    return result


def update_signaling_channel(
    world: World, region: Region, arn: str, current_version: str, ttl: int | None
) -> None:
    """Change the message TTL (omitted: kept); new version, UPDATING. O(log n)."""
    gate, channel = admit_channel_arn(world, region, "UpdateSignalingChannel", arn)
    _require_active_version(channel, current_version)
    gate.commit()
    if ttl is not None:
        channel.ttl = ttl
    channel.version = new_version(world.rng)
    channel.status = UPDATING
    channel.pending = world.schedule(channel, UPDATED, world.delays_ms["channel_update_delay"])


@declare("UpdateSignalingChannel", rate=(50, 5), resource="channel")
def _update(world: World, region: Region, p: Mapping[str, Any]) -> dict[str, Any]:
    """UpdateSignalingChannel (``CurrentVersion`` required): new version, UPDATING → ACTIVE."""
    ttl = _ttl(p.get("SingleMasterConfiguration"))
    update_signaling_channel(world, region, p["ChannelARN"], p["CurrentVersion"], ttl)
    return {}


def delete_signaling_channel(
    world: World, region: Region, arn: str, current_version: str | None
) -> None:
    """Start deleting a channel: DELETING, gone after ``channel_delete_delay``; its media
    storage link is dropped at once. O(log n)."""
    gate, channel = admit_channel_arn(world, region, "DeleteSignalingChannel", arn)
    if channel.status == DELETING:
        raise ResourceInUseException(f"The channel {channel.name} is already being deleted.")
    if current_version is not None and current_version != channel.version:
        raise VersionMismatchException(
            f"The channel version {current_version} does not match the latest version "
            f"{channel.version}."
        )
    gate.commit()
    unlink(channel)
    if channel.signaling is not None:  # its signaling connections close now
        channel.signaling.close_all("the channel was deleted", world.now_ms)
    channel.status = DELETING
    # At least 1 ms, as for streams: a re-created channel never gets its predecessor's ARN.
    delay = max(world.delays_ms["channel_delete_delay"], 1)
    channel.pending = world.schedule(channel, DELETED, delay)


@declare("DeleteSignalingChannel", rate=(50, 5), resource="channel")
def _delete(world: World, region: Region, p: Mapping[str, Any]) -> dict[str, Any]:
    """DeleteSignalingChannel by ``ChannelARN``: DELETING, gone after ``channel_delete_delay``."""
    delete_signaling_channel(world, region, p["ChannelARN"], p.get("CurrentVersion"))
    return {}


def get_signaling_channel_endpoint(
    world: World, region: Region, arn: str, protocols: Sequence[str]
) -> list[tuple[str, str]]:
    """``(protocol, endpoint)`` for each distinct protocol, in request order; each
    endpoint drawn once per channel and protocol. O(protocols)."""
    gate, channel = admit_channel_arn(world, region, "GetSignalingChannelEndpoint", arn)
    if channel.status not in (ACTIVE, UPDATING):
        raise ResourceInUseException(
            f"The channel {channel.name} is {channel.status}; it must be ACTIVE for this operation."
        )
    if "WEBRTC" in protocols and channel.storage is None:
        raise InvalidArgumentException(
            f"The WEBRTC protocol needs media storage ENABLED for the channel {channel.name}."
        )
    gate.commit()
    if channel.endpoints is None:
        channel.endpoints = {}
    endpoints = channel.endpoints
    result: list[tuple[str, str]] = []
    for protocol in dict.fromkeys(protocols):
        url = endpoints.get(protocol)
        if url is None:
            url = endpoints[protocol] = endpoint_url(
                region.name, protocol, world.rng.getrandbits(32)
            )
        result.append((protocol, url))
    return result


@declare("GetSignalingChannelEndpoint", rate=(300, None), resource="channel")
def _get_endpoint(world: World, region: Region, p: Mapping[str, Any]) -> dict[str, Any]:
    """GetSignalingChannelEndpoint: ``{"ResourceEndpointList": [{"Protocol", "ResourceEndpoint"}]}``.

    Without ``Protocols``, WSS and HTTPS; ``Role`` (default MASTER) does not change
    the endpoints (kvsim rules)."""
    configuration = p.get("SingleMasterChannelEndpointConfiguration") or {}
    protocols = configuration.get("Protocols") or DEFAULT_PROTOCOLS
    found = get_signaling_channel_endpoint(world, region, p["ChannelARN"], protocols)
    return {
        "ResourceEndpointList": [
            {"Protocol": protocol, "ResourceEndpoint": url} for protocol, url in found
        ]
    }
