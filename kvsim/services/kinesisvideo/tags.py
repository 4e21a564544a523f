"""Tags: the three stream-tagging operations and the three resource-tagging ones.

TagStream, UntagStream and ListTagsForStream find the stream by
``StreamName``/``StreamARN``; TagResource, UntagResource and
ListTagsForResource by ``ResourceARN``. All six share one implementation per
verb. The tag-count limit is checked against the total a resource would hold
(``Limits.max_tags_per_resource``), all or nothing. The three resource-tagging
operations take a signaling channel's ARN too.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ...model.errors import InvalidArgumentException, ResourceNotFoundException
from ..channels_state import Channel
from ..declarations import Declarations
from ..gate import Admission
from ..state import Region, Stream
from .channels import CHANNEL_NOT_FOUND
from .resolve import NOT_FOUND, check_reference, resolve_stream
from .streams import too_many_tags

if TYPE_CHECKING:
    from ..world import World

__all__ = ["declare", "list_tags", "tag_stream", "untag_stream"]

declare = Declarations("kinesisvideo")

#: How a tagging operation finds its stream or channel in a region.
Finder = Callable[[Region], Stream | Channel]


def _admit(
    world: World, region: Region, op: str, find: Finder
) -> tuple[Admission, Stream | Channel]:
    # The preamble: the account's rate, the lookup, the resource's own rate.
    gate = Admission(world, region, op)
    resource = find(region)
    gate.resource(resource)
    return gate, resource


def _find_resource(region: Region, arn: str) -> Stream | Channel:
    # A stream's or a channel's ARN of this account and region (O(1)).
    resource: Stream | Channel | None = region.by_arn.get(arn)
    if resource is None:
        resource = region.channels_by_arn.get(arn)
    if resource is None:
        raise ResourceNotFoundException(CHANNEL_NOT_FOUND if ":channel/" in arn else NOT_FOUND)
    return resource


def tag_stream(
    world: World, op: str, region: Region, find: Finder, tags: Mapping[str, str]
) -> None:
    """Add or overwrite tags; all or nothing against the per-resource limit. O(tags)."""
    gate, stream = _admit(world, region, op, find)
    current = stream.tags or {}
    count = len(current) + sum(1 for key in tags if key not in current)
    limit = world.limits.max_tags_per_resource
    if count > limit:
        raise too_many_tags(limit, count)
    gate.commit()
    stream.tags = {**current, **tags}


def untag_stream(world: World, op: str, region: Region, find: Finder, keys: Sequence[str]) -> None:
    """Remove tags by key; unknown keys are ignored. O(keys)."""
    gate, stream = _admit(world, region, op, find)
    gate.commit()
    if stream.tags:
        for key in keys:
            stream.tags.pop(key, None)
        if not stream.tags:
            stream.tags = None


def list_tags(world: World, op: str, region: Region, find: Finder) -> dict[str, str]:
    """A copy of the stream's tags (all fit in one page). O(tags)."""
    gate, stream = _admit(world, region, op, find)
    gate.commit()
    return dict(stream.tags) if stream.tags else {}


def _stream_finder(p: Mapping[str, Any]) -> Finder:
    name, arn = p.get("StreamName"), p.get("StreamARN")
    check_reference(name, arn, tagged=True)  # before the rate check
    return lambda region: resolve_stream(region, name, arn)


def _resource_finder(p: Mapping[str, Any]) -> Finder:
    arn = p["ResourceARN"]
    return lambda region: _find_resource(region, arn)


def _no_token(p: Mapping[str, Any]) -> None:
    # All tags fit in one page, so kvsim never issues a tag-listing token.
    token = p.get("NextToken")
    if token:
        raise InvalidArgumentException(f"The NextToken {token} is not valid.")


@declare("TagStream", rate=(50, 5), resource="stream")
def _tag_stream(world: World, region: Region, p: Mapping[str, Any]) -> dict[str, Any]:
    """TagStream: add or overwrite ``Tags`` (a dict)."""
    tag_stream(world, "TagStream", region, _stream_finder(p), p["Tags"])
    return {}


@declare("UntagStream", rate=(50, 5), resource="stream")
def _untag_stream(world: World, region: Region, p: Mapping[str, Any]) -> dict[str, Any]:
    """UntagStream: remove the keys in ``TagKeyList``."""
    untag_stream(world, "UntagStream", region, _stream_finder(p), p["TagKeyList"])
    return {}


@declare("ListTagsForStream", rate=(50, 5), resource="stream")
def _list_tags_for_stream(world: World, region: Region, p: Mapping[str, Any]) -> dict[str, Any]:
    """ListTagsForStream: ``{"Tags": {...}}``."""
    _no_token(p)
    return {"Tags": list_tags(world, "ListTagsForStream", region, _stream_finder(p))}


@declare("TagResource", rate=(50, 5), resource="stream")
def _tag_resource(world: World, region: Region, p: Mapping[str, Any]) -> dict[str, Any]:
    """TagResource: ``ResourceARN`` and a list of ``{"Key", "Value"}``."""
    tags = {tag["Key"]: tag["Value"] for tag in p["Tags"]}
    tag_stream(world, "TagResource", region, _resource_finder(p), tags)
    return {}


@declare("UntagResource", rate=(50, 5), resource="stream")
def _untag_resource(world: World, region: Region, p: Mapping[str, Any]) -> dict[str, Any]:
    """UntagResource: ``ResourceARN`` and ``TagKeyList``."""
    untag_stream(world, "UntagResource", region, _resource_finder(p), p["TagKeyList"])
    return {}


@declare("ListTagsForResource", rate=(50, 5), resource="stream")
def _list_tags_for_resource(world: World, region: Region, p: Mapping[str, Any]) -> dict[str, Any]:
    """ListTagsForResource: ``{"Tags": {...}}``."""
    _no_token(p)
    return {"Tags": list_tags(world, "ListTagsForResource", region, _resource_finder(p))}
