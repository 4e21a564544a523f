"""Media storage: a channel's link to the stream its WebRTC media is stored in.

UpdateMediaStorageConfiguration and DescribeMediaStorageConfiguration are the
channel's side of the link, DescribeMappedResourceConfiguration the stream's.
A link is one channel ↔ one stream, both of the same account and region; it
lives in :attr:`Channel.storage <kvsim.services.channels_state.Channel.storage>`
and ``Region.media_links`` (O(1) both ways). Changing it replaces neither the
channel's version nor its status.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ...model.errors import (
    InvalidArgumentException,
    NoDataRetentionException,
    ResourceInUseException,
    ResourceNotFoundException,
)
from ..declarations import Declarations
from ..state import ACTIVE, Region
from .channels import MAPPED_TYPE, admit_channel, admit_channel_arn, unlink
from .resolve import NOT_FOUND
from .streams import describe

if TYPE_CHECKING:
    from ..world import World

__all__ = ["declare", "update_media_storage"]

declare = Declarations("kinesisvideo")


@declare("DescribeMediaStorageConfiguration", rate=(50, 5), resource="channel")
def _describe(world: World, region: Region, p: Mapping[str, Any]) -> dict[str, Any]:
    """DescribeMediaStorageConfiguration: ``{"MediaStorageConfiguration": {"Status", "StreamARN"}}``
    (``{"Status": "DISABLED"}`` for a channel never configured)."""
    gate, channel = admit_channel(
        world,
        region,
        "DescribeMediaStorageConfiguration",
        p.get("ChannelName"),
        p.get("ChannelARN"),
    )
    gate.commit()
    if channel.storage is None:
        return {"MediaStorageConfiguration": {"Status": "DISABLED"}}
    return {"MediaStorageConfiguration": {"StreamARN": channel.storage, "Status": "ENABLED"}}


def update_media_storage(
    world: World, region: Region, arn: str, enabled: bool, stream_arn: str | None
) -> None:
    """Link the channel to the stream ``stream_arn`` (``enabled``) or drop its link. O(1).

    Checks, in order: the request (ENABLED needs a StreamARN; DISABLED takes none
    but the linked stream's), the channel (found, ACTIVE), then the stream (found
    in the channel's account and region, ACTIVE, keeping data, stored into by no
    other channel)."""
    if enabled and stream_arn is None:
        raise InvalidArgumentException("MediaStorageConfiguration ENABLED needs a StreamARN.")
    gate, channel = admit_channel_arn(world, region, "UpdateMediaStorageConfiguration", arn)
    if channel.status != ACTIVE:
        raise ResourceInUseException(
            f"The channel {channel.name} is {channel.status}; it must be ACTIVE for this operation."
        )
    if not enabled:
        if stream_arn is not None and stream_arn != channel.storage:
            raise InvalidArgumentException(
                f"The channel {channel.name} does not store media into {stream_arn}; "
                "DISABLED takes no StreamARN but the linked stream's."
            )
        gate.commit()
        unlink(channel)
        return
    assert stream_arn is not None
    stream = region.by_arn.get(stream_arn)
    if stream is None:
        raise ResourceNotFoundException(NOT_FOUND)
    if stream.status != ACTIVE:
        raise ResourceInUseException(
            f"The stream {stream.name} is {stream.status}; it must be ACTIVE for this operation."
        )
    if stream.retention == 0:
        raise NoDataRetentionException(
            f"The stream {stream.name} keeps no data (DataRetentionInHours is 0)."
        )
    holder = region.media_links.get(stream_arn)
    if holder is not None and holder is not channel:
        raise ResourceInUseException(
            f"The stream {stream.name} already stores the media of the channel {holder.name}."
        )
    gate.commit()
    if holder is None:
        unlink(channel)
        channel.storage = stream_arn
        region.media_links[stream_arn] = channel


@declare("UpdateMediaStorageConfiguration", rate=(10, 5), resource="channel")
def _update(world: World, region: Region, p: Mapping[str, Any]) -> dict[str, Any]:
    """UpdateMediaStorageConfiguration: ENABLED into ``StreamARN``, or DISABLED."""
    configuration = p["MediaStorageConfiguration"]
    update_media_storage(
        world,
        region,
        p["ChannelARN"],
        configuration["Status"] == "ENABLED",
        configuration.get("StreamARN"),
    )
    return {}


@declare("DescribeMappedResourceConfiguration", rate=(50, 5), resource="stream")
def _describe_mapped(world: World, region: Region, p: Mapping[str, Any]) -> dict[str, Any]:
    """DescribeMappedResourceConfiguration: the channel storing into the stream, if any
    (at most one, so never a ``NextToken``)."""
    token = p.get("NextToken")
    if token:
        raise InvalidArgumentException(f"The NextToken {token} is not valid.")
    stream = describe(
        world,
        region,
        "DescribeMappedResourceConfiguration",
        p.get("StreamName"),
        p.get("StreamARN"),
    )
    channel = region.media_links.get(stream.arn)
    mapped = [] if channel is None else [{"Type": MAPPED_TYPE, "ARN": channel.arn}]
    return {"MappedResourceConfigurationList": mapped}
