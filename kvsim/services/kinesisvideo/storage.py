"""The stream storage configuration: its default storage tier (HOT or WARM)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ..declarations import Declarations
from ..state import Region
from .resolve import admit_stream
from .streams import describe, require_active_version, updated

if TYPE_CHECKING:
    from ..world import World

__all__ = ["declare", "update_storage"]

declare = Declarations("kinesisvideo")


@declare("DescribeStreamStorageConfiguration", rate=(50, 5), resource="stream")
def _describe_storage(world: World, region: Region, p: Mapping[str, Any]) -> dict[str, Any]:
    """DescribeStreamStorageConfiguration: the stream's ``DefaultStorageTier``."""
    stream = describe(
        world,
        region,
        "DescribeStreamStorageConfiguration",
        p.get("StreamName"),
        p.get("StreamARN"),
    )
    return {
        "StreamName": stream.name,
        "StreamARN": stream.arn,
        "StreamStorageConfiguration": {"DefaultStorageTier": stream.tier},
    }


def update_storage(
    world: World,
    region: Region,
    name: str | None,
    arn: str | None,
    current_version: str,
    tier: str,
) -> None:
    """Set the default storage tier; new version, UPDATING. O(log n)."""
    gate, stream = admit_stream(world, region, "UpdateStreamStorageConfiguration", name, arn)
    require_active_version(stream, current_version)
    gate.commit()
    stream.tier = tier
    updated(world, stream)


@declare("UpdateStreamStorageConfiguration", rate=(50, 5), resource="stream")
def _update_storage(world: World, region: Region, p: Mapping[str, Any]) -> dict[str, Any]:
    """UpdateStreamStorageConfiguration: new tier and version, UPDATING → ACTIVE."""
    update_storage(
        world,
        region,
        p.get("StreamName"),
        p.get("StreamARN"),
        p["CurrentVersion"],
        p["StreamStorageConfiguration"]["DefaultStorageTier"],
    )
    return {}
