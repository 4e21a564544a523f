"""kvsim's documented deviations from the service models, in one place, each with its reason.

Validation shapes are built from the generated tables (:mod:`kvsim.model.shapes`);
a constraint listed in :data:`SERVICE_CHECKED` is left out of the shape because
the service logic checks it instead and answers with the error AWS documents
for it, not with a validation message.

>>> DROPPED[("kinesisvideo", "TagStream", ("StreamARN",), "pattern")].error
'InvalidResourceFormatException'
>>> STATUSES[("kinesisvideo", "AccessDeniedException")].status
403
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

__all__ = ["DROPPED", "STATUSES", "Deviation", "StatusDeviation"]


@dataclass(frozen=True, slots=True)
class Deviation:
    """A model constraint kvsim's validation leaves to the service logic."""

    #: The error the service logic answers instead.
    error: str
    reason: str


_TAG_TOTAL = Deviation(
    "TagsPerResourceExceededLimitException",
    "The model caps a request at 50 tags; AWS checks the total a resource would "
    "hold, so kvsim checks it against Limits.max_tags_per_resource.",
)
_TAGGED_ARN = Deviation(
    "InvalidResourceFormatException",
    "The stream-tagging operations answer a malformed StreamARN with "
    "InvalidResourceFormatException, so the service (not validation) checks its pattern.",
)

#: ``(service, operation, member path, constraint)`` → the deviation.
DROPPED: Mapping[tuple[str, str, tuple[str, ...], str], Deviation] = MappingProxyType(
    {
        ("kinesisvideo", "CreateStream", ("Tags",), "max"): _TAG_TOTAL,
        ("kinesisvideo", "TagStream", ("Tags",), "max"): _TAG_TOTAL,
        ("kinesisvideo", "TagResource", ("Tags",), "max"): _TAG_TOTAL,
        ("kinesisvideo", "CreateSignalingChannel", ("Tags",), "max"): _TAG_TOTAL,
        ("kinesisvideo", "TagStream", ("StreamARN",), "pattern"): _TAGGED_ARN,
        ("kinesisvideo", "UntagStream", ("StreamARN",), "pattern"): _TAGGED_ARN,
        ("kinesisvideo", "ListTagsForStream", ("StreamARN",), "pattern"): _TAGGED_ARN,
    }
)


@dataclass(frozen=True, slots=True)
class StatusDeviation:
    """An error the real service answers with another HTTP status than its model gives."""

    status: int
    reason: str


#: ``(service, error code)`` → the HTTP status kvsim answers instead of the model's.
STATUSES: Mapping[tuple[str, str], StatusDeviation] = MappingProxyType(
    {
        ("kinesisvideo", "AccessDeniedException"): StatusDeviation(
            403,
            "The model says 401, but every public log of a denied Kinesis Video "
            "call shows HTTP 403 (kvs-real-service-evidence 1.3).",
        ),
    }
)
