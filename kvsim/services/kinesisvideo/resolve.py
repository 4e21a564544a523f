"""Finding the stream a request names, and the preamble every stream operation runs.

The preamble is, in this order: the stateless checks of the reference
(validation-like, before throttling), the account's rate bucket, the lookup,
the stream's own rate bucket. :func:`admit_stream` and :func:`admit_arn` run
it once for every operation.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from ...core.ids import parse_stream_arn
from ...model.errors import (
    InvalidArgumentException,
    InvalidResourceFormatException,
    ResourceNotFoundException,
)
from ..gate import Admission
from ..state import Region, Stream

if TYPE_CHECKING:
    from ..world import World

__all__ = [
    "NOT_FOUND",
    "Finder",
    "admit_arn",
    "admit_stream",
    "check_reference",
    "resolve_arn",
    "resolve_stream",
]

NOT_FOUND = "The requested stream is not found or not active."

#: How a tagging operation finds its stream in a region.
Finder = Callable[[Region], Stream]


def resolve_arn(region: Region, arn: str) -> Stream:
    """The live stream with exactly this ARN in this account and region."""
    stream = region.by_arn.get(arn)
    if stream is None:
        raise ResourceNotFoundException(NOT_FOUND)
    return stream


def check_reference(name: str | None, arn: str | None, *, tagged: bool = False) -> None:
    """The checks of a stream reference that need no state, made before
    throttling like the rest of validation: one of the two must be given, and
    the tagging operations answer a malformed ARN with ``InvalidResourceFormatException``."""
    if name is None and arn is None:
        raise InvalidArgumentException("Either StreamName or StreamARN must be specified.")
    if tagged and arn is not None:
        parsed = parse_stream_arn(arn)
        if parsed is None or parsed[3] != "stream":
            raise InvalidResourceFormatException(f"{arn} is not a valid stream ARN.")


def resolve_stream(region: Region, name: str | None, arn: str | None) -> Stream:
    """The stream named by ``StreamName`` and/or ``StreamARN`` (kvsim rules:
    neither, or both naming different streams, is an ``InvalidArgumentException``)."""
    if arn is not None:
        stream = resolve_arn(region, arn)
        if name is not None and name != stream.name:
            raise InvalidArgumentException(
                f"StreamName {name} and StreamARN {arn} do not refer to the same stream."
            )
        return stream
    if name is None:
        raise InvalidArgumentException("Either StreamName or StreamARN must be specified.")
    found: Stream | None = region.streams.get(name)
    if found is None:
        raise ResourceNotFoundException(NOT_FOUND)
    return found


def admit_stream(
    world: World, region: Region, op: str, name: str | None, arn: str | None
) -> tuple[Admission, Stream]:
    """The preamble of an operation on a stream named by ``StreamName``/``StreamARN``:
    check the reference, check the account's rate, find the stream, check its rate."""
    check_reference(name, arn)
    gate = Admission(world, region, op)
    stream = resolve_stream(region, name, arn)
    gate.resource(stream)
    return gate, stream


def admit_found(world: World, region: Region, op: str, find: Finder) -> tuple[Admission, Stream]:
    """The preamble with a lookup chosen by the caller (the tagging operations)."""
    gate = Admission(world, region, op)
    stream = find(region)
    gate.resource(stream)
    return gate, stream


def admit_arn(world: World, region: Region, op: str, arn: str) -> tuple[Admission, Stream]:
    """The preamble of an operation on a stream named by its ARN only."""
    return admit_found(world, region, op, lambda r: resolve_arn(r, arn))
