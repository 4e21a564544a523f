"""A stream's image generation and notification configurations.

Both are kept on the stream (``Stream.images``, ``Stream.notifications``;
None when absent) and answered as given. An update without a configuration
removes it. Checks first, then effects: the request's own rules (the
reference's minimum sampling interval, JPEG quality, the destination region)
come before throttling, the stream's state after it. O(1) each, plus the
size of the configuration.

>>> import kvsim
>>> sim = kvsim.Simulator()
>>> kv = sim.client()
>>> _ = kv.create_stream(StreamName="cam", DataRetentionInHours=24)
>>> _ = sim.run_until_idle()
>>> _ = kv.update_notification_configuration(StreamName="cam", NotificationConfiguration={
...     "Status": "ENABLED", "DestinationConfig": {"Uri": "arn:aws:sns:us-east-1:123456789012:t"}})
>>> kv.describe_notification_configuration(StreamName="cam")["NotificationConfiguration"]["Status"]
'ENABLED'
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ...model.errors import (
    InvalidArgumentException,
    NoDataRetentionException,
    ResourceInUseException,
)
from ..configs_state import image_problem
from ..declarations import Declarations
from ..deliveries import configured
from ..state import ACTIVE, Region, Stream
from .resolve import admit_stream, check_reference
from .streams import describe

if TYPE_CHECKING:
    from ..world import World

__all__ = ["declare", "require_configurable", "update_images", "update_notifications"]

declare = Declarations("kinesisvideo")


def require_configurable(stream: Stream, config: Mapping[str, Any] | None, what: str) -> None:
    """The state checks of a configuration update (kvsim rules: the stream must be
    ACTIVE; an ENABLED configuration needs data retention, a DISABLED or removed one not)."""
    if stream.status != ACTIVE:
        raise ResourceInUseException(
            f"The stream {stream.name} is {stream.status}; it must be ACTIVE to change its {what}."
        )
    if config is not None and config["Status"] == "ENABLED" and stream.retention == 0:
        raise NoDataRetentionException(
            f"The stream {stream.name} retains no data (DataRetentionInHours is 0); "
            f"an ENABLED {what} needs data retention."
        )


def update_images(
    world: World,
    region: Region,
    name: str | None,
    arn: str | None,
    config: Mapping[str, Any] | None,
) -> None:
    """Set (or, with None, remove) the stream's image generation configuration. O(1)."""
    check_reference(name, arn)
    if config is not None:
        problem = image_problem(dict(config), region.name)
        if problem is not None:
            raise InvalidArgumentException(problem)
    gate, stream = admit_stream(world, region, "UpdateImageGenerationConfiguration", name, arn)
    require_configurable(stream, config, "image generation configuration")
    gate.commit()
    stream.images = None if config is None else copy.deepcopy(dict(config))
    configured(world, stream, "images", config)


@declare("UpdateImageGenerationConfiguration", rate=(50, 5), resource="stream")
def _update_images(world: World, region: Region, p: Mapping[str, Any]) -> dict[str, Any]:
    """UpdateImageGenerationConfiguration: set it, or remove it when left out."""
    update_images(
        world,
        region,
        p.get("StreamName"),
        p.get("StreamARN"),
        p.get("ImageGenerationConfiguration"),
    )
    return {}


@declare("DescribeImageGenerationConfiguration", rate=(50, 5), resource="stream")
def _describe_images(world: World, region: Region, p: Mapping[str, Any]) -> dict[str, Any]:
    """DescribeImageGenerationConfiguration: ``{"ImageGenerationConfiguration": ...}``,
    or ``{}`` for a stream without one."""
    stream = describe(
        world,
        region,
        "DescribeImageGenerationConfiguration",
        p.get("StreamName"),
        p.get("StreamARN"),
    )
    if stream.images is None:
        return {}
    return {"ImageGenerationConfiguration": copy.deepcopy(stream.images)}


def update_notifications(
    world: World,
    region: Region,
    name: str | None,
    arn: str | None,
    config: Mapping[str, Any] | None,
) -> None:
    """Set (or, with None, remove) the stream's notification configuration. O(1)."""
    gate, stream = admit_stream(world, region, "UpdateNotificationConfiguration", name, arn)
    require_configurable(stream, config, "notification configuration")
    gate.commit()
    stream.notifications = None if config is None else copy.deepcopy(dict(config))
    configured(world, stream, "notifications", config)


@declare("UpdateNotificationConfiguration", rate=(50, 5), resource="stream")
def _update_notifications(world: World, region: Region, p: Mapping[str, Any]) -> dict[str, Any]:
    """UpdateNotificationConfiguration: set it, or remove it when left out."""
    update_notifications(
        world,
        region,
        p.get("StreamName"),
        p.get("StreamARN"),
        p.get("NotificationConfiguration"),
    )
    return {}


@declare("DescribeNotificationConfiguration", rate=(50, 5), resource="stream")
def _describe_notifications(world: World, region: Region, p: Mapping[str, Any]) -> dict[str, Any]:
    """DescribeNotificationConfiguration: ``{"NotificationConfiguration": ...}``, or
    ``{}`` for a stream without one."""
    stream = describe(
        world,
        region,
        "DescribeNotificationConfiguration",
        p.get("StreamName"),
        p.get("StreamARN"),
    )
    if stream.notifications is None:
        return {}
    return {"NotificationConfiguration": copy.deepcopy(stream.notifications)}
