"""The reference model of signaling channels and their media storage links.

:class:`ChannelModel` predicts the nine channel and media storage operations
(and TagResource, UntagResource, ListTagsForResource given a channel's ARN),
then applies a successful call's effect and computes the response it should
have had. The :class:`~kvsim.testing.stateful.reference.ReferenceModel` owns
one (``model.signaling``) and hands it these calls. Like the rest of the
oracle it keeps its own copies of the rules (patterns, ranges, quotas, check
order, endpoint formats) instead of reading kvsim's tables.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Protocol

from ...core.constants import EPOCH
from ...core.ids import dns_suffix, partition
from ...services.config import Limits, Timings

__all__ = [
    "CHANNEL_LIMIT",
    "CHANNEL_OPERATIONS",
    "RESOURCE_TAGGING",
    "ChannelModel",
    "ExpectedChannel",
]

# The oracle's own statuses and codes.
CREATING, ACTIVE, UPDATING, DELETING = "CREATING", "ACTIVE", "UPDATING", "DELETING"
INVALID_ARGUMENT = "InvalidArgumentException"
NOT_FOUND = "ResourceNotFoundException"
IN_USE = "ResourceInUseException"
VERSION_MISMATCH = "VersionMismatchException"
TOO_MANY_TAGS = "TagsPerResourceExceededLimitException"
NO_RETENTION = "NoDataRetentionException"
CHANNEL_LIMIT = "AccountChannelLimitExceededException"

#: The operations this model predicts whatever their parameters.
CHANNEL_OPERATIONS = frozenset(
    {
        "CreateSignalingChannel",
        "DescribeSignalingChannel",
        "ListSignalingChannels",
        "UpdateSignalingChannel",
        "DeleteSignalingChannel",
        "GetSignalingChannelEndpoint",
        "UpdateMediaStorageConfiguration",
        "DescribeMediaStorageConfiguration",
        "DescribeMappedResourceConfiguration",
    }
)
#: The tagging operations that take a channel's ARN as well as a stream's.
RESOURCE_TAGGING = frozenset({"TagResource", "UntagResource", "ListTagsForResource"})

# AWS's default quota of signaling channels per account and region.
_AWS_QUOTA = {"us-east-1": 10_000, "us-west-2": 10_000}
_AWS_QUOTA_ELSEWHERE = 5_000
_DEFAULT_TTL = 60
_DEFAULT_PROTOCOLS = ("WSS", "HTTPS")
# Each protocol's endpoint: scheme and host prefix.
_ENDPOINTS = {"WSS": ("wss", "m"), "HTTPS": ("https", "r"), "WEBRTC": ("https", "w")}
_LIST_PAGE = 500
_MS = timedelta(milliseconds=1)

_NAME = re.compile(r"[a-zA-Z0-9_.-]{1,256}", re.ASCII).fullmatch
_VERSION = re.compile(r"[a-zA-Z0-9]{1,64}", re.ASCII).fullmatch
_ARN = re.compile(
    r"arn:[a-z\d-]+:kinesisvideo:[a-z0-9-]+:[0-9]+:[a-z]+/[a-zA-Z0-9_.-]+/[0-9]+", re.ASCII
).fullmatch
_TAG_PUNCTUATION = frozenset("_.:/=+-@")


@dataclass
class ExpectedChannel:
    """What one signaling channel should look like."""

    name: str
    arn: str
    created_ms: int
    version: str
    status: str = CREATING
    #: Virtual ms at which the current status ends (None when ACTIVE).
    due_ms: int | None = None
    ttl: int = _DEFAULT_TTL
    tags: dict[str, str] = field(default_factory=dict)
    #: The ARN of the stream its media is stored into (None: DISABLED).
    storage: str | None = None
    #: Signaling endpoints seen so far, by protocol.
    endpoints: dict[str, str] = field(default_factory=dict)


class _Stream(Protocol):
    # What this model reads of the reference's ExpectedStream.
    name: str
    arn: str
    status: str
    retention: int


class Streams(Protocol):
    """What this model needs of the stream side of the reference model."""

    @property
    def by_arn(self) -> Mapping[str, str]: ...

    @property
    def streams(self) -> Mapping[str, Any]: ...

    def resolve(self, name: str | None, arn: str | None) -> tuple[Any, str | None]: ...


class Expecting(Protocol):
    """The fields of the reference's ``Expectation`` this model fills."""

    operation: str
    invalid: str | None
    unresolved: str | None
    stream: Any
    channel: Any
    error: str | None
    known: bool


def _tag_text_ok(text: object, low: int, high: int) -> bool:
    if not isinstance(text, str):
        return False
    units = len(text) + sum(1 for c in text if ord(c) > 0xFFFF)
    return low <= units <= high and all(
        c in _TAG_PUNCTUATION or unicodedata.category(c)[0] in "LZN" for c in text
    )


def _tags_ok(tags: Any, low: int) -> bool:
    return low <= len(tags) <= 50 and all(
        _tag_text_ok(t["Key"], 1, 128) and _tag_text_ok(t["Value"], 0, 256) for t in tags
    )


def _ttl(params: Mapping[str, Any]) -> int | None:
    ttl: int | None = (params.get("SingleMasterConfiguration") or {}).get("MessageTtlSeconds")
    return ttl


def _valid(operation: str, params: Mapping[str, Any]) -> bool:
    # The service-side checks botocore leaves to the service (it checked types and enums).
    for member, value in params.items():
        if member in ("ChannelName", "StreamName") and not _NAME(value):
            return False
        if member in ("ChannelARN", "StreamARN", "ResourceARN") and not (
            len(value) <= 1024 and _ARN(value)
        ):
            return False
        if member == "CurrentVersion" and not _VERSION(value):
            return False
        if member == "SingleMasterConfiguration":
            ttl = value.get("MessageTtlSeconds")
            if ttl is not None and not 5 <= ttl <= 120:
                return False
        if member == "Tags" and not _tags_ok(value, 0 if operation.startswith("Create") else 1):
            return False
        if member == "TagKeyList" and not (
            1 <= len(value) <= 50 and all(_tag_text_ok(k, 1, 128) for k in value)
        ):
            return False
        if member == "ChannelNameCondition":
            prefix = value.get("ComparisonValue")
            if prefix is None or value.get("ComparisonOperator") is None or not _NAME(prefix):
                return False
        if member == "MaxResults" and not 1 <= value <= (
            1 if operation == "DescribeMappedResourceConfiguration" else 10_000
        ):
            return False
        if member == "NextToken" and value and operation != "ListSignalingChannels":
            return False
        if member == "MediaStorageConfiguration":
            arn = value.get("StreamARN")
            if arn is not None and not (len(arn) <= 1024 and _ARN(arn)):
                return False
            if value["Status"] == "ENABLED" and arn is None:
                return False
    # The only channel type the model says is supported.
    return bool(params.get("ChannelType", "SINGLE_MASTER") == "SINGLE_MASTER")


class ChannelModel:
    """The expected signaling channels of one account and region.

    ``channels`` maps names to :class:`ExpectedChannel`, ``by_arn`` ARNs of
    live incarnations to names, ``links`` stream ARNs to the name of the
    channel storing media into them. ``events`` counts what happened to links
    (``link:ENABLED``, ``link:moved``, ``link:DISABLED``,
    ``link:dropped-by-DeleteStream``, ``link:dropped-by-DeleteSignalingChannel``)
    for the machine's coverage.
    """

    def __init__(self, account_id: str, region_name: str, limits: Limits, timings: Timings) -> None:
        self.account_id = account_id
        self.region_name = region_name
        self.limits = limits
        self.delays_ms = {
            CREATING: round(timings.channel_create_delay * 1000),
            UPDATING: round(timings.channel_update_delay * 1000),
            # As for streams: a deleted channel holds its name for at least 1 ms.
            DELETING: max(round(timings.channel_delete_delay * 1000), 1),
        }
        self.channels: dict[str, ExpectedChannel] = {}
        self.by_arn: dict[str, str] = {}
        self.links: dict[str, str] = {}
        #: ListSignalingChannels tokens seen issued → the name they continue after.
        self.tokens: dict[str, str] = {}
        self.events: Counter[str] = Counter()
        quota = limits.max_channels_per_account
        if isinstance(quota, str):  # AWS's own quota
            quota = _AWS_QUOTA.get(region_name, _AWS_QUOTA_ELSEWHERE)
        self.quota: int | None = quota

    # -- time and lookups ------------------------------------------------------------------

    def settle(self, now_ms: int) -> None:
        """Apply every status change due by ``now_ms``."""
        for name, channel in list(self.channels.items()):
            if channel.due_ms is not None and channel.due_ms <= now_ms:
                if channel.status == DELETING:
                    del self.channels[name]
                    del self.by_arn[channel.arn]
                else:
                    channel.status = ACTIVE
                    channel.due_ms = None

    def lookup(self, ref: str) -> ExpectedChannel | None:
        """The live channel a name or an ARN (``arn:...``) refers to."""
        name = self.by_arn.get(ref) if ref.startswith("arn:") else ref
        return self.channels.get(name) if name is not None else None

    def handles(self, operation: str, params: Mapping[str, Any]) -> bool:
        """Whether this model predicts the call (a channel operation, or a tagging
        operation given a channel's ARN)."""
        if operation in CHANNEL_OPERATIONS:
            return True
        arn = params.get("ResourceARN")
        return operation in RESOURCE_TAGGING and isinstance(arn, str) and ":channel/" in arn

    def _start(self, channel: ExpectedChannel, status: str, now_ms: int) -> None:
        channel.status = status
        channel.due_ms = now_ms + self.delays_ms[status]

    def _resolve(
        self, name: str | None, arn: str | None
    ) -> tuple[ExpectedChannel | None, str | None]:
        if arn is not None:
            found = self.by_arn.get(arn)
            if found is None:
                return None, NOT_FOUND
            if name is not None and name != found:
                return None, INVALID_ARGUMENT
            return self.channels[found], None
        channel = self.channels.get(name) if name is not None else None
        return (channel, None) if channel is not None else (None, NOT_FOUND)

    def unlink(self, channel: ExpectedChannel) -> None:
        """Drop the channel's media storage link."""
        if channel.storage is not None:
            del self.links[channel.storage]
            channel.storage = None

    def drop_stream(self, stream_arn: str) -> None:
        """A stream was deleted: the channel storing into it (if any) is DISABLED."""
        name = self.links.pop(stream_arn, None)
        if name is not None:
            self.channels[name].storage = None
            self.events["link:dropped-by-DeleteStream"] += 1

    # -- predictions ----------------------------------------------------------------------

    def predict(self, expectation: Expecting, params: Mapping[str, Any], streams: Streams) -> None:
        """Fill ``expectation`` for a call :meth:`handles` (the reference's check order:
        validation, the account's rate, the lookup, the resource's rate, the rest)."""
        op = expectation.operation
        if not _valid(op, params):
            expectation.invalid = INVALID_ARGUMENT
            return
        if op == "CreateSignalingChannel":
            expectation.error = self._create_error(params)
            return
        if op == "ListSignalingChannels":
            token = params.get("NextToken")
            expectation.known = not token or token in self.tokens
            return
        if op == "DescribeMappedResourceConfiguration":
            name, arn = params.get("StreamName"), params.get("StreamARN")
            if name is None and arn is None:
                expectation.invalid = INVALID_ARGUMENT
                return
            expectation.stream, expectation.unresolved = streams.resolve(name, arn)
            return
        if op in ("DescribeSignalingChannel", "DescribeMediaStorageConfiguration"):
            name, arn = params.get("ChannelName"), params.get("ChannelARN")
            if name is None and arn is None:
                expectation.invalid = INVALID_ARGUMENT
                return
            channel, expectation.unresolved = self._resolve(name, arn)
        else:
            arn = params.get("ResourceARN") if op in RESOURCE_TAGGING else params["ChannelARN"]
            channel, expectation.unresolved = self._resolve(None, arn)
        expectation.channel = channel
        if channel is not None:
            expectation.error = self._channel_error(op, params, channel, streams)

    def _create_error(self, params: Mapping[str, Any]) -> str | None:
        if params["ChannelName"] in self.channels:
            return IN_USE
        if self.quota is not None and len(self.channels) >= self.quota:
            return CHANNEL_LIMIT
        tags = {t["Key"] for t in params.get("Tags") or ()}
        if len(tags) > self.limits.max_tags_per_resource:
            return TOO_MANY_TAGS
        return None

    def _channel_error(
        self, op: str, params: Mapping[str, Any], channel: ExpectedChannel, streams: Streams
    ) -> str | None:
        if op == "UpdateSignalingChannel":
            if channel.status != ACTIVE:
                return IN_USE
            return VERSION_MISMATCH if params["CurrentVersion"] != channel.version else None
        if op == "DeleteSignalingChannel":
            if channel.status == DELETING:
                return IN_USE
            version = params.get("CurrentVersion")
            return VERSION_MISMATCH if version not in (None, channel.version) else None
        if op == "GetSignalingChannelEndpoint":
            if channel.status not in (ACTIVE, UPDATING):
                return IN_USE
            protocols = (params.get("SingleMasterChannelEndpointConfiguration") or {}).get(
                "Protocols"
            )
            if protocols and "WEBRTC" in protocols and channel.storage is None:
                return INVALID_ARGUMENT
            return None
        if op == "UpdateMediaStorageConfiguration":
            return self._storage_error(params["MediaStorageConfiguration"], channel, streams)
        if op == "TagResource":
            new = {t["Key"] for t in params["Tags"]} - set(channel.tags)
            if len(channel.tags) + len(new) > self.limits.max_tags_per_resource:
                return TOO_MANY_TAGS
        return None

    def _storage_error(
        self, configuration: Mapping[str, Any], channel: ExpectedChannel, streams: Streams
    ) -> str | None:
        if channel.status != ACTIVE:
            return IN_USE
        arn = configuration.get("StreamARN")
        if configuration["Status"] == "DISABLED":
            return INVALID_ARGUMENT if arn is not None and arn != channel.storage else None
        name = streams.by_arn.get(arn) if arn is not None else None
        if name is None:
            return NOT_FOUND
        stream: _Stream = streams.streams[name]
        if stream.status != ACTIVE:
            return IN_USE
        if stream.retention == 0:
            return NO_RETENTION
        holder = self.links.get(stream.arn)
        return IN_USE if holder is not None and holder != channel.name else None

    # -- effects and responses ------------------------------------------------------------

    def succeed(
        self,
        expectation: Expecting,
        params: Mapping[str, Any],
        body: Mapping[str, Any],
        now_ms: int,
        version_of: Callable[[str], str | None],
        record: Callable[[str], None],
    ) -> tuple[str | None, str | None]:
        """Apply a successful call (predicted to succeed) and check its response ``body``.

        ``version_of`` reads a channel's actual version (after a create or an
        update), ``record`` counts coverage. Returns the ARN of the resource whose
        rate bucket the call used (or None) and a disagreement, if any."""
        op = expectation.operation
        channel: ExpectedChannel | None = expectation.channel
        if op == "CreateSignalingChannel":
            channel = self._create(params, now_ms, version_of(params["ChannelName"]) or "")
            record(f"channel:{channel.status}")
            if not _VERSION(channel.version):
                return (
                    None,
                    f"{channel.name}: version {channel.version!r} is not [a-zA-Z0-9]{{1,64}}",
                )
            return None, self._compare(op, body, {"ChannelARN": channel.arn})
        if op == "ListSignalingChannels":
            return None, self._check_page(params, body, record)
        if op == "DescribeMappedResourceConfiguration":
            stream: _Stream = expectation.stream
            holder = self.links.get(stream.arn)
            mapped = (
                []
                if holder is None
                else [{"Type": "SIGNALING_CHANNEL", "ARN": self.channels[holder].arn}]
            )
            record(f"mapped:{len(mapped)}")
            return stream.arn, self._compare(op, body, {"MappedResourceConfigurationList": mapped})
        assert channel is not None
        expected: dict[str, Any] = {}
        if op in ("DescribeSignalingChannel",):
            expected = {"ChannelInfo": self.channel_info(channel)}
            record(f"channel:{channel.status}")
        elif op == "UpdateSignalingChannel":
            before = channel.version
            ttl = _ttl(params)
            if ttl is not None:
                channel.ttl = ttl
            self._start(channel, UPDATING, now_ms)
            record(f"channel:{channel.status}")
            channel.version = version_of(channel.name) or ""
            if channel.version == before or not _VERSION(channel.version):
                return channel.arn, f"{op}: the version of {channel.name} is {channel.version!r}"
        elif op == "DeleteSignalingChannel":
            if channel.storage is not None:
                self.events["link:dropped-by-DeleteSignalingChannel"] += 1
            self.unlink(channel)
            self._start(channel, DELETING, now_ms)
            record(f"channel:{channel.status}")
        elif op == "GetSignalingChannelEndpoint":
            return channel.arn, self._check_endpoints(channel, params, body, record)
        elif op == "UpdateMediaStorageConfiguration":
            self._store(channel, params["MediaStorageConfiguration"])
        elif op == "DescribeMediaStorageConfiguration":
            expected = {"MediaStorageConfiguration": {"Status": "DISABLED"}}
            if channel.storage is not None:
                expected = {
                    "MediaStorageConfiguration": {"StreamARN": channel.storage, "Status": "ENABLED"}
                }
            record(f"storage:{expected['MediaStorageConfiguration']['Status']}")
        elif op == "TagResource":
            channel.tags.update({t["Key"]: t["Value"] for t in params["Tags"]})
        elif op == "UntagResource":
            for key in params["TagKeyList"]:
                channel.tags.pop(key, None)
        elif op == "ListTagsForResource":
            expected = {"Tags": dict(channel.tags)}
        return channel.arn, self._compare(op, body, expected)

    def _create(self, params: Mapping[str, Any], now_ms: int, version: str) -> ExpectedChannel:
        name = params["ChannelName"]
        arn = (
            f"arn:{partition(self.region_name)}:kinesisvideo:{self.region_name}:"
            f"{self.account_id}:channel/{name}/{now_ms}"
        )
        ttl = _ttl(params)
        channel = ExpectedChannel(
            name,
            arn,
            now_ms,
            version,
            ttl=_DEFAULT_TTL if ttl is None else ttl,
            tags={t["Key"]: t["Value"] for t in params.get("Tags") or ()},
        )
        self._start(channel, CREATING, now_ms)
        self.channels[name] = channel
        self.by_arn[arn] = name
        return channel

    def _store(self, channel: ExpectedChannel, configuration: Mapping[str, Any]) -> None:
        if configuration["Status"] == "DISABLED":
            if channel.storage is not None:
                self.events["link:DISABLED"] += 1
            self.unlink(channel)
            return
        arn = configuration["StreamARN"]
        if channel.storage == arn:
            self.events["link:unchanged"] += 1
            return
        self.events["link:moved" if channel.storage is not None else "link:ENABLED"] += 1
        self.unlink(channel)
        channel.storage = arn
        self.links[arn] = channel.name

    def channel_info(self, channel: ExpectedChannel) -> dict[str, Any]:
        """The ``ChannelInfo`` DescribeSignalingChannel and ListSignalingChannels should return."""
        return {
            "ChannelName": channel.name,
            "ChannelARN": channel.arn,
            "ChannelType": "SINGLE_MASTER",
            "ChannelStatus": channel.status,
            "CreationTime": EPOCH + channel.created_ms * _MS,
            "SingleMasterConfiguration": {"MessageTtlSeconds": channel.ttl},
            "Version": channel.version,
        }

    def page(self, params: Mapping[str, Any]) -> tuple[list[str], bool]:
        """Names on the ListSignalingChannels page ``params`` asks for, and whether more follow."""
        prefix = (params.get("ChannelNameCondition") or {}).get("ComparisonValue")
        names = sorted(n for n in self.channels if prefix is None or n.startswith(prefix))
        token = params.get("NextToken")
        if token:
            after = self.tokens[token]
            names = [n for n in names if n > after]
        limit = params.get("MaxResults", _LIST_PAGE)
        return names[:limit], len(names) > limit

    def _check_page(
        self, params: Mapping[str, Any], body: Mapping[str, Any], record: Callable[[str], None]
    ) -> str | None:
        token = params.get("NextToken")
        if token and token not in self.tokens:
            # A page after a token the model did not issue: learn its own token only.
            listed = body.get("ChannelInfoList") or []
            if body.get("NextToken") and listed:
                self.tokens[body["NextToken"]] = listed[-1]["ChannelName"]
            return None
        names, more = self.page(params)
        expected: dict[str, Any] = {
            "ChannelInfoList": [self.channel_info(self.channels[n]) for n in names]
        }
        if more:
            token = body.get("NextToken")
            if not isinstance(token, str) or not token:
                return "ListSignalingChannels: no NextToken although more follow"
            expected["NextToken"] = token
            self.tokens[token] = names[-1]
        for name in names:
            record(f"channel:{self.channels[name].status}")
        return self._compare("ListSignalingChannels", body, expected)

    def _check_endpoints(
        self,
        channel: ExpectedChannel,
        params: Mapping[str, Any],
        body: Mapping[str, Any],
        record: Callable[[str], None],
    ) -> str | None:
        configuration = params.get("SingleMasterChannelEndpointConfiguration") or {}
        protocols = configuration.get("Protocols") or _DEFAULT_PROTOCOLS
        got = {
            e.get("Protocol"): e.get("ResourceEndpoint")
            for e in body.get("ResourceEndpointList", [])
        }
        host = re.escape(f".kinesisvideo.{self.region_name}.{dns_suffix(self.region_name)}")
        expected = []
        for protocol in dict.fromkeys(protocols):
            url = channel.endpoints.get(protocol)
            if url is None:
                scheme, prefix = _ENDPOINTS[protocol]
                url = str(got.get(protocol))
                if not re.fullmatch(f"{scheme}://{prefix}-[0-9a-f]{{8}}{host}", url):
                    return f"GetSignalingChannelEndpoint: {protocol} endpoint {url!r}"
                channel.endpoints[protocol] = url
            expected.append({"Protocol": protocol, "ResourceEndpoint": url})
            record(f"endpoint:{protocol}")
        return self._compare(
            "GetSignalingChannelEndpoint", body, {"ResourceEndpointList": expected}
        )

    @staticmethod
    def _compare(op: str, body: Mapping[str, Any], expected: Mapping[str, Any]) -> str | None:
        if dict(body) == dict(expected):
            return None
        return f"{op}: response {dict(body)!r}, the model expected {dict(expected)!r}"

    # -- the world's side ---------------------------------------------------------------------

    def mismatches(
        self, dumped: list[dict[str, Any]], pending: Mapping[str, list[Any]]
    ) -> list[str]:
        """How the dumped channels (``Channel.dump()``) and their pending changes (by
        ARN) differ from the model (an empty list when they agree)."""
        found: list[str] = []
        actual = {c["name"]: c for c in dumped}
        if sorted(actual) != sorted(self.channels):
            found.append(f"channels {sorted(actual)} != model {sorted(self.channels)}")
            return found
        for name, expected in self.channels.items():
            got = actual[name]
            want = {
                "arn": expected.arn,
                "created_ms": expected.created_ms,
                "version": expected.version,
                "status": expected.status,
                "kind": "SINGLE_MASTER",
                "ttl": expected.ttl,
                "tags": expected.tags,
                "storage": expected.storage,
            }
            if {k: got[k] for k in want} != want:
                found.append(f"channel {name}: {got} != model {want}")
            for protocol, url in expected.endpoints.items():
                if got["endpoints"].get(protocol) != url:
                    found.append(f"channel {name}: endpoint {protocol} {got['endpoints']}")
            changes = pending.get(expected.arn, [])
            if expected.due_ms is None:
                if changes:
                    found.append(f"channel {name} is ACTIVE with {changes}")
            elif len(changes) != 1 or changes[0][0] != expected.due_ms:
                found.append(
                    f"channel {name} is {expected.status} until {expected.due_ms}: {changes}"
                )
            else:
                after = "DELETED" if expected.status == DELETING else ACTIVE
                if changes[0][1] != f"{expected.status} -> {after}":
                    found.append(f"channel {name}: {changes[0][1]}")
        links = {c.storage: c.name for c in self.channels.values() if c.storage is not None}
        if links != self.links:
            found.append(f"model links {self.links} != {links}")
        return found
