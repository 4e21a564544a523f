"""The reference model of a stream's configurations: image generation, notifications, edge.

Plain data and functions the :class:`~kvsim.testing.stateful.reference.ReferenceModel`
calls for the eight configuration operations. Like the rest of the oracle it
keeps its own copies of the rules (patterns, ranges, the reference's stricter
checks, the edge configuration's statuses and delays) instead of reading kvsim's.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from ...core.constants import EPOCH, JAVA_INT_MAX

__all__ = [
    "CONFIG_OPERATIONS",
    "EDGE_NOT_FOUND",
    "EDGE_OPERATIONS",
    "NO_RETENTION",
    "ExpectedEdge",
    "config_member_ok",
    "edge_info",
]

EDGE_NOT_FOUND = "StreamEdgeConfigurationNotFoundException"
NO_RETENTION = "NoDataRetentionException"
# The oracle's own edge statuses.
SYNCING, IN_SYNC, SYNC_FAILED = "SYNCING", "IN_SYNC", "SYNC_FAILED"
EDGE_DELETING, DELETE_FAILED = "DELETING", "DELETE_FAILED"

#: The edge operations that name a stream.
EDGE_OPERATIONS = frozenset(
    {"StartEdgeConfigurationUpdate", "DescribeEdgeConfiguration", "DeleteEdgeConfiguration"}
)
#: Every configuration operation that names a stream.
CONFIG_OPERATIONS = EDGE_OPERATIONS | {
    "UpdateImageGenerationConfiguration",
    "DescribeImageGenerationConfiguration",
    "UpdateNotificationConfiguration",
    "DescribeNotificationConfiguration",
}
_MS = timedelta(milliseconds=1)

_REGION = re.compile(r"[a-z]+(-[a-z]+)?-[a-z]+-[0-9]", re.ASCII).fullmatch
_URI = re.compile(r"[a-zA-Z_0-9]+:(//)?([^/]+)/?([^*]*)", re.ASCII).fullmatch
_HUB = re.compile(r"arn:[a-z\d-]+:iot:[a-z0-9-]+:[0-9]+:thing/[a-zA-Z0-9_.-]+", re.ASCII).fullmatch
_SECRET = re.compile(
    r"arn:[a-z\d-]+:secretsmanager:[a-z0-9-]+:[0-9]+:secret:[a-zA-Z0-9_.-]+", re.ASCII
).fullmatch


@dataclass
class ExpectedEdge:
    """What a stream's edge configuration should look like."""

    hub: str
    config: dict[str, Any]
    status: str
    created_ms: int
    updated_ms: int
    #: When its current attempt gives up if the hub stays offline.
    deadline_ms: int
    #: When its status changes next (None when it stays), and to what.
    due_ms: int | None = None
    next_status: str | None = None
    failed: bool = False


def edge_info(stream_name: str, stream_arn: str, edge: ExpectedEdge) -> dict[str, Any]:
    """The members Start, Describe and List share."""
    info: dict[str, Any] = {
        "StreamName": stream_name,
        "StreamARN": stream_arn,
        "CreationTime": EPOCH + edge.created_ms * _MS,
        "LastUpdatedTime": EPOCH + edge.updated_ms * _MS,
        "SyncStatus": edge.status,
    }
    if edge.failed:
        info["FailedStatusDetails"] = _ANY_TEXT
    info["EdgeConfig"] = copy.deepcopy(edge.config)
    return info


class _AnyText(str):
    """Equal to any string (the failure details' wording is kvsim's own)."""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, str)

    def __ne__(self, other: object) -> bool:
        return not isinstance(other, str)

    __hash__ = str.__hash__


_ANY_TEXT = _AnyText("<failure details>")


# -- validity (the service-side checks botocore leaves to the service) ------------------------


def _int_in(value: Any, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def _schedule_ok(schedule: Mapping[str, Any]) -> bool:
    expression = schedule["ScheduleExpression"]
    return (
        11 <= len(expression) <= 100
        and "\n" not in expression
        and _int_in(schedule["DurationInSeconds"], 60, 3600)
    )


def _image_ok(config: Mapping[str, Any], region_name: str) -> bool:
    destination = config["DestinationConfig"]
    formats = config.get("FormatConfig")
    quality_ok = True
    if formats:
        quality = formats.get("JPEGQuality", "")
        quality_ok = (
            config["Format"] == "JPEG"
            and quality.isascii()
            and quality.isdigit()
            and 1 <= int(quality) <= 100
        )
    return (
        len(destination["Uri"]) <= 255
        and bool(_URI(destination["Uri"]))
        and len(destination["DestinationRegion"]) <= 14
        and bool(_REGION(destination["DestinationRegion"]))
        and destination["DestinationRegion"] == region_name
        and _int_in(config["SamplingInterval"], 200, JAVA_INT_MAX)
        and _int_in(config.get("WidthPixels", 1), 1, 3840)
        and _int_in(config.get("HeightPixels", 1), 1, 2160)
        and quality_ok
    )


def _notification_ok(config: Mapping[str, Any]) -> bool:
    uri = config["DestinationConfig"]["Uri"]
    return len(uri) <= 255 and bool(_URI(uri))


def _edge_ok(config: Mapping[str, Any]) -> bool:
    source = config["RecorderConfig"]["MediaSourceConfig"]
    schedules = [config["RecorderConfig"].get("ScheduleConfig")]
    if "UploaderConfig" in config:
        schedules.append(config["UploaderConfig"]["ScheduleConfig"])
    deletion = config.get("DeletionConfig", {})
    size = deletion.get("LocalSizeConfig", {})
    return (
        len(config["HubDeviceArn"]) <= 1024
        and bool(_HUB(config["HubDeviceArn"]))
        and len(source["MediaUriSecretArn"]) <= 2048
        and bool(_SECRET(source["MediaUriSecretArn"]))
        and all(_schedule_ok(s) for s in schedules if s is not None)
        and _int_in(deletion.get("EdgeRetentionInHours", 1), 1, 720)
        and _int_in(size.get("MaxLocalMediaSizeInMB", 64), 64, 2_000_000)
    )


def config_member_ok(operation: str, member: str, value: Any, region_name: str) -> bool | None:
    """Whether a configuration operation's ``member`` passes the service's checks
    (None: not a member this module knows)."""
    if member == "ImageGenerationConfiguration":
        return _image_ok(value, region_name)
    if member == "NotificationConfiguration":
        return _notification_ok(value)
    if member == "EdgeConfig":
        return _edge_ok(value)
    if member == "HubDeviceArn":
        return len(value) <= 1024 and bool(_HUB(value))
    if operation == "ListEdgeAgentConfigurations" and member == "MaxResults":
        return _int_in(value, 1, 10)
    return None
