"""The stream operations: one function each, on typed arguments, raising modeled errors.

Every function runs at ``world.now_ms`` in one (account, region) and either
returns its result or raises a :class:`~kvsim.errors.ClientError` *before*
changing anything: checks first, then effects. Request-rate tokens are taken
only by calls that succeed, so a failed call leaves the world as it was.

Complexity: lookups by name or ARN are O(1) (dict), creation and deletion
O(log n) (sorted index, change queue), a ListStreams page O(log n + page).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence

from .errors import (
    AccountStreamLimitExceededException,
    ClientLimitExceededException,
    DeviceStreamLimitExceededException,
    InvalidArgumentException,
    InvalidResourceFormatException,
    ResourceInUseException,
    ResourceNotFoundException,
    TagsPerResourceExceededLimitException,
    VersionMismatchException,
)
from .ids import data_endpoint, new_version, parse_stream_arn, stream_arn
from .state import ACTIVE, DELETING, UPDATING, Bucket, Region, Stream
from .world import KIND_CREATE, KIND_DELETE, KIND_UPDATE, World

__all__ = [
    "Admission",
    "Finder",
    "check_reference",
    "create_stream",
    "delete_stream",
    "describe",
    "get_data_endpoint",
    "list_streams",
    "list_tags",
    "resolve_arn",
    "resolve_stream",
    "tag_stream",
    "untag_stream",
    "update_data_retention",
    "update_storage",
    "update_stream",
]

#: How a tagging operation finds its stream in a region.
Finder = Callable[[Region], Stream]

NOT_FOUND = "The requested stream is not found or not active."
# Data endpoints: "s-" hosts serve media ingestion and playback, "b-" hosts the rest.
_MEDIA_APIS = frozenset({"PUT_MEDIA", "GET_MEDIA"})


# -- request rates ----------------------------------------------------------------------


def _tokens(buckets: dict[str, Bucket], op: str, now_ms: int, tps: float) -> float:
    """Tokens in the bucket after refilling to now (without taking any). O(1)."""
    bucket = buckets.get(op)
    if bucket is None:
        return tps
    return min(tps, bucket[0] + (now_ms - bucket[1]) * tps / 1000)


class Admission:
    """The rate-limit gate of one call: checks buckets on the way in, takes the
    tokens only when the call succeeds (:meth:`commit`)."""

    __slots__ = ("_account", "_op", "_region", "_stream", "_stream_tps", "_world")

    def __init__(self, world: World, region: Region, op: str) -> None:
        self._world = world
        self._region = region
        self._op = op
        self._account: float | None = None
        self._stream: Stream | None = None
        self._stream_tps: float | None = None
        limits = world.limits
        if not limits.throttling:
            return
        account_tps, self._stream_tps = limits.rate(op)
        if account_tps is not None:
            tokens = _tokens(region.buckets, op, world.now_ms, account_tps)
            if tokens < 1:
                raise ClientLimitExceededException(
                    f"Rate exceeded: {op} is limited to {account_tps:g} calls per second "
                    f"per account in {region.name}."
                )
            self._account = tokens

    def stream(self, stream: Stream) -> None:
        """Check the per-stream bucket of ``stream`` (where the operation has one)."""
        tps = self._stream_tps
        if tps is None:
            return
        buckets = stream.buckets
        if buckets is not None and _tokens(buckets, self._op, self._world.now_ms, tps) < 1:
            raise ClientLimitExceededException(
                f"Rate exceeded: {self._op} is limited to {tps:g} calls per second per stream."
            )
        self._stream = stream

    def commit(self) -> None:
        """Take this call's tokens. O(1)."""
        now = self._world.now_ms
        if self._account is not None:
            self._region.buckets[self._op] = [self._account - 1, now]
        stream = self._stream
        if stream is not None:
            tps = self._stream_tps
            assert tps is not None
            if stream.buckets is None:
                stream.buckets = {}
            stream.buckets[self._op] = [_tokens(stream.buckets, self._op, now, tps) - 1, now]


# -- finding streams ---------------------------------------------------------------------


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


def _require_active_version(stream: Stream, current_version: str | None) -> None:
    # kvsim rule: the status is checked before the version.
    if stream.status != ACTIVE:
        raise ResourceInUseException(
            f"The stream {stream.name} is {stream.status}; it must be ACTIVE for this operation."
        )
    if current_version is not None and current_version != stream.version:
        raise VersionMismatchException(
            f"The stream version {current_version} does not match the latest version "
            f"{stream.version}."
        )


def _too_many_tags(limit: int, count: int) -> TagsPerResourceExceededLimitException:
    return TagsPerResourceExceededLimitException(
        f"The resource would have {count} tags; at most {limit} are allowed."
    )


def _retention_problem(value: int, limit: int, member: str) -> InvalidArgumentException:
    return InvalidArgumentException(
        f"1 validation error detected: Value '{value}' at '{member}' failed to satisfy "
        f"constraint: Member must have value less than or equal to {limit}"
    )


def _update(world: World, stream: Stream) -> None:
    # Every metadata change: new version at once, UPDATING until the update delay passes.
    stream.version = new_version(world.rng)
    stream.status = UPDATING
    world.schedule(stream, KIND_UPDATE)


# -- operations --------------------------------------------------------------------------


def create_stream(
    world: World,
    region: Region,
    name: str,
    *,
    device: str | None = None,
    media_type: str | None = None,
    kms_key: str | None = None,
    retention: int = 0,
    tags: Mapping[str, str] | None = None,
    tier: str = "HOT",
) -> Stream:
    """Create a stream in CREATING; it turns ACTIVE after ``Timings.create_delay``. O(log n)."""
    gate = Admission(world, region, "CreateStream")
    limits = world.limits
    if name in region.streams:
        raise ResourceInUseException(f"The stream {name} already exists.")
    cap = limits.max_streams_per_account
    if cap is not None and len(region.streams) >= cap:
        raise AccountStreamLimitExceededException(
            f"The account already has {cap} streams in {region.name}, its limit."
        )
    if retention > limits.max_data_retention_hours:
        raise _retention_problem(retention, limits.max_data_retention_hours, "dataRetentionInHours")
    if tags is not None and len(tags) > limits.max_tags_per_resource:
        raise _too_many_tags(limits.max_tags_per_resource, len(tags))
    per_device = limits.max_streams_per_device
    if (
        device is not None
        and per_device is not None
        and region.devices.get(device, 0) >= per_device
    ):
        raise DeviceStreamLimitExceededException(
            f"The device {device} already has {per_device} streams, its limit."
        )
    gate.commit()
    now = world.now_ms
    stream = Stream(
        region,
        name,
        stream_arn(region.name, region.account_id, name, now),
        now,
        new_version(world.rng),
        device=device,
        media_type=media_type,
        kms_key=kms_key,
        retention=retention,
        tags=dict(tags) if tags else None,
        tier=tier,
    )
    region.add(stream)
    world.schedule(stream, KIND_CREATE)
    return stream


def describe(world: World, region: Region, op: str, name: str | None, arn: str | None) -> Stream:
    """Find a stream for a read-only operation ``op``, taking its tokens. O(1)."""
    check_reference(name, arn)
    gate = Admission(world, region, op)
    stream = resolve_stream(region, name, arn)
    gate.stream(stream)
    gate.commit()
    return stream


def list_streams(
    world: World, region: Region, limit: int, after: str | None, prefix: str | None
) -> tuple[list[Stream], bool]:
    """Up to ``limit`` streams in name order, after the name ``after``, whose names
    start with ``prefix``; and whether more follow. O(log n + limit)."""
    gate = Admission(world, region, "ListStreams")
    start = after
    inclusive = False
    if prefix is not None and (start is None or start < prefix):
        start, inclusive = prefix, True
    names: Iterator[str] = region.streams.irange(minimum=start, inclusive=(inclusive, True))
    page: list[Stream] = []
    streams = region.streams
    more = False
    for stream_name in names:
        if prefix is not None and not stream_name.startswith(prefix):
            break
        if len(page) == limit:
            more = True
            break
        page.append(streams[stream_name])
    gate.commit()
    return page, more


def update_stream(
    world: World,
    region: Region,
    name: str | None,
    arn: str | None,
    current_version: str,
    device: str | None,
    media_type: str | None,
) -> None:
    """Change device and/or media type (omitted ones stay); new version, UPDATING. O(log n)."""
    check_reference(name, arn)
    gate = Admission(world, region, "UpdateStream")
    stream = resolve_stream(region, name, arn)
    gate.stream(stream)
    _require_active_version(stream, current_version)
    per_device = world.limits.max_streams_per_device
    moving = device is not None and device != stream.device
    if moving and per_device is not None and region.devices.get(device or "", 0) >= per_device:
        # kvsim rule: UpdateStream's model has no device-limit error, so the
        # configured per-device limit answers InvalidArgumentException here.
        raise InvalidArgumentException(
            f"The device {device} already has {per_device} streams, its limit."
        )
    gate.commit()
    if moving:
        region.detach(stream.device)
        region.attach(device)
        stream.device = device
    if media_type is not None:
        stream.media_type = media_type
    _update(world, stream)


def update_data_retention(
    world: World,
    region: Region,
    name: str | None,
    arn: str | None,
    current_version: str,
    increase: bool,
    change: int,
) -> None:
    """Raise or lower retention by ``change`` hours; new version, UPDATING. O(log n)."""
    check_reference(name, arn)
    gate = Admission(world, region, "UpdateDataRetention")
    stream = resolve_stream(region, name, arn)
    gate.stream(stream)
    _require_active_version(stream, current_version)
    retention = stream.retention + change if increase else stream.retention - change
    limit = world.limits.max_data_retention_hours
    if retention > limit:
        raise InvalidArgumentException(
            f"The data retention would become {retention} hours; at most {limit} are allowed."
        )
    if retention < 0:
        raise InvalidArgumentException(
            f"The data retention would become {retention} hours; it cannot be negative."
        )
    gate.commit()
    stream.retention = retention
    _update(world, stream)


def update_storage(
    world: World,
    region: Region,
    name: str | None,
    arn: str | None,
    current_version: str,
    tier: str,
) -> None:
    """Set the default storage tier; new version, UPDATING. O(log n)."""
    check_reference(name, arn)
    gate = Admission(world, region, "UpdateStreamStorageConfiguration")
    stream = resolve_stream(region, name, arn)
    gate.stream(stream)
    _require_active_version(stream, current_version)
    gate.commit()
    stream.tier = tier
    _update(world, stream)


def delete_stream(world: World, region: Region, arn: str, current_version: str | None) -> None:
    """Start deleting a stream: DELETING, gone after ``Timings.delete_delay``. O(log n)."""
    gate = Admission(world, region, "DeleteStream")
    stream = resolve_arn(region, arn)
    gate.stream(stream)
    if stream.status == DELETING:
        raise ResourceInUseException(f"The stream {stream.name} is already being deleted.")
    if current_version is not None and current_version != stream.version:
        raise VersionMismatchException(
            f"The stream version {current_version} does not match the latest version "
            f"{stream.version}."
        )
    gate.commit()
    region.detach(stream.device)
    stream.status = DELETING
    world.schedule(stream, KIND_DELETE)


def get_data_endpoint(
    world: World, region: Region, name: str | None, arn: str | None, api_name: str
) -> str:
    """The stream's data endpoint for ``api_name``, drawn once per stream and kind. O(1)."""
    check_reference(name, arn)
    gate = Admission(world, region, "GetDataEndpoint")
    stream = resolve_stream(region, name, arn)
    gate.stream(stream)
    if stream.status not in (ACTIVE, UPDATING):
        raise ResourceNotFoundException(NOT_FOUND)
    gate.commit()
    prefix = "s" if api_name in _MEDIA_APIS else "b"
    if stream.endpoints is None:
        stream.endpoints = {}
    url = stream.endpoints.get(prefix)
    if url is None:
        url = stream.endpoints[prefix] = data_endpoint(region.name, prefix, world.rng)
    return url


def tag_stream(
    world: World, op: str, region: Region, find: Finder, tags: Mapping[str, str]
) -> None:
    """Add or overwrite tags; all or nothing against the per-resource limit. O(tags)."""
    gate = Admission(world, region, op)
    stream = find(region)
    gate.stream(stream)
    current = stream.tags or {}
    count = len(current) + sum(1 for key in tags if key not in current)
    limit = world.limits.max_tags_per_resource
    if count > limit:
        raise _too_many_tags(limit, count)
    gate.commit()
    stream.tags = {**current, **tags}


def untag_stream(world: World, op: str, region: Region, find: Finder, keys: Sequence[str]) -> None:
    """Remove tags by key; unknown keys are ignored. O(keys)."""
    gate = Admission(world, region, op)
    stream = find(region)
    gate.stream(stream)
    gate.commit()
    if stream.tags:
        for key in keys:
            stream.tags.pop(key, None)
        if not stream.tags:
            stream.tags = None


def list_tags(world: World, op: str, region: Region, find: Finder) -> dict[str, str]:
    """A copy of the stream's tags (all fit in one page). O(tags)."""
    gate = Admission(world, region, op)
    stream = find(region)
    gate.stream(stream)
    gate.commit()
    return dict(stream.tags) if stream.tags else {}
