"""boto3-shaped requests and responses: validated kwargs in, AWS response dicts out.

Each handler takes the validated request members of one operation, calls
:mod:`kvsim.service` with typed values and builds the response as botocore
would parse it (``ResponseMetadata`` is added by the caller). This is the only
place that knows AWS's PascalCase member names and the NextToken format.

>>> decode_list_token(encode_list_token("cam-7"))
'cam-7'
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Mapping
from typing import Any

from . import service
from .clock import from_ms
from .errors import InvalidArgumentException
from .shapes import STREAM_NAME
from .state import Region, Stream
from .world import World

__all__ = ["HANDLERS", "Handler", "decode_list_token", "encode_list_token", "stream_info"]

Handler = Callable[[World, Region, Mapping[str, Any]], dict[str, Any]]

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
    if not name or not STREAM_NAME.matches(name):
        raise InvalidArgumentException(f"The NextToken {token} is not valid.")
    return name


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


def _create_stream(world: World, region: Region, p: Mapping[str, Any]) -> dict[str, Any]:
    storage = p.get("StreamStorageConfiguration")
    stream = service.create_stream(
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


def _describe_stream(world: World, region: Region, p: Mapping[str, Any]) -> dict[str, Any]:
    stream = service.describe(
        world, region, "DescribeStream", p.get("StreamName"), p.get("StreamARN")
    )
    return {"StreamInfo": stream_info(stream)}


def _list_streams(world: World, region: Region, p: Mapping[str, Any]) -> dict[str, Any]:
    token = p.get("NextToken")
    after = decode_list_token(token) if token else None
    prefix = None
    condition = p.get("StreamNameCondition")
    if condition is not None:
        if "ComparisonOperator" not in condition or "ComparisonValue" not in condition:
            raise InvalidArgumentException(
                "StreamNameCondition needs both ComparisonOperator and ComparisonValue."
            )
        prefix = condition["ComparisonValue"]
    page, more = service.list_streams(world, region, p.get("MaxResults", 10_000), after, prefix)
    result: dict[str, Any] = {"StreamInfoList": [stream_info(s) for s in page]}
    if more:
        result["NextToken"] = encode_list_token(page[-1].name)
    return result


def _update_stream(world: World, region: Region, p: Mapping[str, Any]) -> dict[str, Any]:
    service.update_stream(
        world,
        region,
        p.get("StreamName"),
        p.get("StreamARN"),
        p["CurrentVersion"],
        p.get("DeviceName"),
        p.get("MediaType"),
    )
    return {}


def _update_data_retention(world: World, region: Region, p: Mapping[str, Any]) -> dict[str, Any]:
    service.update_data_retention(
        world,
        region,
        p.get("StreamName"),
        p.get("StreamARN"),
        p["CurrentVersion"],
        p["Operation"] == "INCREASE_DATA_RETENTION",
        p["DataRetentionChangeInHours"],
    )
    return {}


def _delete_stream(world: World, region: Region, p: Mapping[str, Any]) -> dict[str, Any]:
    service.delete_stream(world, region, p["StreamARN"], p.get("CurrentVersion"))
    return {}


def _get_data_endpoint(world: World, region: Region, p: Mapping[str, Any]) -> dict[str, Any]:
    url = service.get_data_endpoint(
        world, region, p.get("StreamName"), p.get("StreamARN"), p["APIName"]
    )
    return {"DataEndpoint": url}


def _stream_finder(p: Mapping[str, Any]) -> service.Finder:
    name, arn = p.get("StreamName"), p.get("StreamARN")
    service.check_reference(name, arn, tagged=True)  # before the rate check
    return lambda region: service.resolve_stream(region, name, arn)


def _resource_finder(p: Mapping[str, Any]) -> service.Finder:
    arn = p["ResourceARN"]
    return lambda region: service.resolve_arn(region, arn)


def _no_token(p: Mapping[str, Any]) -> None:
    # All tags fit in one page, so kvsim never issues a tag-listing token.
    token = p.get("NextToken")
    if token:
        raise InvalidArgumentException(f"The NextToken {token} is not valid.")


def _tag_stream(world: World, region: Region, p: Mapping[str, Any]) -> dict[str, Any]:
    service.tag_stream(world, "TagStream", region, _stream_finder(p), p["Tags"])
    return {}


def _untag_stream(world: World, region: Region, p: Mapping[str, Any]) -> dict[str, Any]:
    service.untag_stream(world, "UntagStream", region, _stream_finder(p), p["TagKeyList"])
    return {}


def _list_tags_for_stream(world: World, region: Region, p: Mapping[str, Any]) -> dict[str, Any]:
    _no_token(p)
    return {"Tags": service.list_tags(world, "ListTagsForStream", region, _stream_finder(p))}


def _tag_resource(world: World, region: Region, p: Mapping[str, Any]) -> dict[str, Any]:
    tags = {tag["Key"]: tag["Value"] for tag in p["Tags"]}
    service.tag_stream(world, "TagResource", region, _resource_finder(p), tags)
    return {}


def _untag_resource(world: World, region: Region, p: Mapping[str, Any]) -> dict[str, Any]:
    service.untag_stream(world, "UntagResource", region, _resource_finder(p), p["TagKeyList"])
    return {}


def _list_tags_for_resource(world: World, region: Region, p: Mapping[str, Any]) -> dict[str, Any]:
    _no_token(p)
    return {"Tags": service.list_tags(world, "ListTagsForResource", region, _resource_finder(p))}


def _describe_storage(world: World, region: Region, p: Mapping[str, Any]) -> dict[str, Any]:
    stream = service.describe(
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


def _update_storage(world: World, region: Region, p: Mapping[str, Any]) -> dict[str, Any]:
    service.update_storage(
        world,
        region,
        p.get("StreamName"),
        p.get("StreamARN"),
        p["CurrentVersion"],
        p["StreamStorageConfiguration"]["DefaultStorageTier"],
    )
    return {}


#: The handler of every simulated operation, by API name.
HANDLERS: dict[str, Handler] = {
    "CreateStream": _create_stream,
    "DescribeStream": _describe_stream,
    "ListStreams": _list_streams,
    "UpdateStream": _update_stream,
    "UpdateDataRetention": _update_data_retention,
    "DeleteStream": _delete_stream,
    "GetDataEndpoint": _get_data_endpoint,
    "TagStream": _tag_stream,
    "UntagStream": _untag_stream,
    "ListTagsForStream": _list_tags_for_stream,
    "TagResource": _tag_resource,
    "UntagResource": _untag_resource,
    "ListTagsForResource": _list_tags_for_resource,
    "DescribeStreamStorageConfiguration": _describe_storage,
    "UpdateStreamStorageConfiguration": _update_storage,
}
