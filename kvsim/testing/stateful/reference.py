"""The reference model: the expected state of one account and region, in plain dicts.

:class:`ReferenceModel` predicts the outcome of each stream operation
(:class:`Expectation`) and applies the effect of a successful one to its
:class:`ExpectedStream` records. It is an oracle written independently of
kvsim: it keeps its own copies of the service's constraints (name, version,
media type and ARN patterns, enums, tag rules), its own status strings and
error codes, and its own ARN and default-KMS-key formats, so that it does not
agree with kvsim merely by sharing its tables. Only generic constants (the
epoch, Java's int range, a region's partition) come from :mod:`kvsim.core`.
"""

from __future__ import annotations

import copy
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from ...core.constants import EPOCH, JAVA_INT_MAX
from ...core.ids import partition
from ...services.config import Limits, Timings
from ...services.registry import OPERATIONS
from .. import strategies as kvs
from .channel_model import ChannelModel, ExpectedChannel
from .config_model import (
    CONFIG_OPERATIONS,
    DELETE_FAILED,
    EDGE_DELETING,
    EDGE_NOT_FOUND,
    IN_SYNC,
    NO_RETENTION,
    SYNC_FAILED,
    SYNCING,
    ExpectedEdge,
    config_member_ok,
)

__all__ = [
    "ACCOUNT_LIMIT",
    "ACTIVE",
    "API_NAMES",
    "BAD_RESOURCE_FORMAT",
    "CREATING",
    "DELETING",
    "DEVICE_LIMIT",
    "INVALID_ARGUMENT",
    "IN_USE",
    "METADATA_UPDATES",
    "NOT_FOUND",
    "STREAM_RATED",
    "THROTTLED",
    "TOO_MANY_TAGS",
    "UPDATING",
    "VERSION_MISMATCH",
    "Expectation",
    "ExpectedStream",
    "ReferenceModel",
    "is_version",
]

# The oracle's own status strings (not kvsim.services.state's): it checks them.
CREATING, ACTIVE, UPDATING, DELETING = "CREATING", "ACTIVE", "UPDATING", "DELETING"

INVALID_ARGUMENT = "InvalidArgumentException"
NOT_FOUND = "ResourceNotFoundException"
IN_USE = "ResourceInUseException"
VERSION_MISMATCH = "VersionMismatchException"
THROTTLED = "ClientLimitExceededException"
TOO_MANY_TAGS = "TagsPerResourceExceededLimitException"
ACCOUNT_LIMIT = "AccountStreamLimitExceededException"
DEVICE_LIMIT = "DeviceStreamLimitExceededException"
BAD_RESOURCE_FORMAT = "InvalidResourceFormatException"

#: Operations that give a stream a new version and pass it through UPDATING.
METADATA_UPDATES = frozenset(
    {"UpdateStream", "UpdateDataRetention", "UpdateStreamStorageConfiguration"}
)
#: Operations whose per-stream request rate kvsim enforces (the others have none).
STREAM_RATED = frozenset(OPERATIONS) - {"CreateStream", "ListStreams"}
#: The ``APIName`` values of GetDataEndpoint.
API_NAMES = (
    "PUT_MEDIA",
    "GET_MEDIA",
    "LIST_FRAGMENTS",
    "GET_MEDIA_FOR_FRAGMENT_LIST",
    "GET_HLS_STREAMING_SESSION_URL",
    "GET_DASH_STREAMING_SESSION_URL",
    "GET_CLIP",
    "GET_IMAGES",
)
_MS = timedelta(milliseconds=1)

# The service-side constraints, written independently of kvsim's model tables.
_NAME = re.compile(r"[a-zA-Z0-9_.-]+", re.ASCII).fullmatch
#: Whether a string is a well-formed stream version (``[a-zA-Z0-9]{1,64}``).
is_version = re.compile(r"[a-zA-Z0-9]{1,64}", re.ASCII).fullmatch
_MEDIA_TYPE = re.compile(r"[\w\-.+]+/[\w\-.+]+(,[\w\-.+]+/[\w\-.+]+)*", re.ASCII).fullmatch
_RESOURCE_ARN = re.compile(
    r"arn:[a-z\d-]+:kinesisvideo:[a-z0-9-]+:[0-9]+:[a-z]+/[a-zA-Z0-9_.-]+/[0-9]+", re.ASCII
).fullmatch
_STREAM_ARN = re.compile(
    r"arn:[a-z\d-]+:kinesisvideo:[a-z0-9-]+:[0-9]+:stream/[a-zA-Z0-9_.-]+/[0-9]+", re.ASCII
).fullmatch
_TOKEN = re.compile(r"[a-zA-Z0-9+/=]{0,1024}", re.ASCII).fullmatch
_LINE_TERMINATORS = frozenset("\n\r\x85\u2028\u2029")


def _tag_text_ok(text: str, low: int, high: int) -> bool:
    if not low <= kvs.utf16_length(text) <= high:
        return False
    return all(c in kvs.TAG_PUNCTUATION or unicodedata.category(c)[0] in "LZN" for c in text)


@dataclass
class ExpectedStream:
    """What one stream should look like, as the reference model sees it."""

    name: str
    arn: str
    created_ms: int
    version: str
    status: str = CREATING
    #: Virtual ms at which the current status ends (None when ACTIVE).
    due_ms: int | None = None
    device: str | None = None
    media_type: str | None = None
    kms_key: str | None = None
    retention: int = 0
    tags: dict[str, str] = field(default_factory=dict)
    tier: str = "HOT"
    #: Data endpoints seen so far, by kind (``"s"`` media, ``"b"`` the rest).
    endpoints: dict[str, str] = field(default_factory=dict)
    #: The image generation and notification configurations, as set.
    images: dict[str, Any] | None = None
    notifications: dict[str, Any] | None = None
    #: The edge configuration.
    edge: ExpectedEdge | None = None


@dataclass
class Expectation:
    """The outcome the model predicts for one call, stage by stage (kvsim's check order)."""

    operation: str
    #: A service-side validation error, raised before any throttling.
    invalid: str | None = None
    #: An error finding the stream (after the account rate check).
    unresolved: str | None = None
    #: The stream the call is about, once found.
    stream: ExpectedStream | None = None
    #: The error after the stream rate check (status, version, limits), or None.
    error: str | None = None
    #: False when the model cannot predict this call (e.g. a foreign NextToken).
    known: bool = True
    #: The signaling channel the call is about, once found (``model.signaling``'s calls).
    channel: ExpectedChannel | None = None


class ReferenceModel:
    """The expected state of one account and region, in plain dicts.

    ``streams`` maps names to :class:`ExpectedStream`; ``by_arn`` maps the
    ARN of each live incarnation to its name; ``devices`` counts live (not
    DELETING) streams per device. Request-rate checks are bounds from the
    history of successful calls in ``successes``, not a copy of kvsim's
    token buckets: a call may be throttled only if enough calls succeeded in
    the last second, and must be throttled if more succeeded in some window
    than the bucket could have refilled.
    """

    def __init__(self, account_id: str, region_name: str, limits: Limits, timings: Timings) -> None:
        self.account_id = account_id
        self.region_name = region_name
        self.limits = limits
        self.timings = timings
        self.delays_ms = {
            CREATING: round(timings.create_delay * 1000),
            UPDATING: round(timings.update_delay * 1000),
            # A deleted stream holds its name for at least 1 ms (kvsim's rule:
            # two incarnations never share a creation millisecond, hence an ARN).
            DELETING: max(round(timings.delete_delay * 1000), 1),
        }
        self.streams: dict[str, ExpectedStream] = {}
        self.by_arn: dict[str, str] = {}
        self.devices: dict[str, int] = {}
        #: (operation, stream ARN or None for the account) → times (ms) of successful calls.
        self.successes: dict[tuple[str, str | None], list[int]] = {}
        #: ListStreams tokens the model has seen issued → the name they continue after.
        self.tokens: dict[str, str] = {}
        #: ListEdgeAgentConfigurations tokens likewise.
        self.edge_tokens: dict[str, str] = {}
        #: Hub devices marked offline (``Simulator.set_hub_device_online``).
        self.offline_hubs: set[str] = set()
        self.edge_delays_ms = {
            SYNCING: round(timings.edge_sync_delay * 1000),
            EDGE_DELETING: round(timings.edge_delete_delay * 1000),
            "window": round(timings.edge_retry_window * 1000),
        }
        #: The signaling channels and media storage links (:mod:`.channel_model`).
        self.signaling = ChannelModel(account_id, region_name, limits, timings)
        self.default_kms_key = (
            f"arn:{partition(region_name)}:kms:{region_name}:{account_id}:alias/aws/kinesisvideo"
        )

    # -- time -----------------------------------------------------------------------------

    def settle(self, now_ms: int) -> None:
        """Apply every status change due by ``now_ms``."""
        self.signaling.settle(now_ms)
        for name, stream in list(self.streams.items()):
            edge = stream.edge
            if edge is not None and edge.due_ms is not None and edge.due_ms <= now_ms:
                self._settle_edge(stream, edge)
            if stream.due_ms is not None and stream.due_ms <= now_ms:
                if stream.status == DELETING:
                    del self.streams[name]
                    del self.by_arn[stream.arn]
                else:
                    stream.status = ACTIVE
                    stream.due_ms = None

    def _settle_edge(self, stream: ExpectedStream, edge: ExpectedEdge) -> None:
        assert edge.due_ms is not None
        if edge.next_status is None:
            stream.edge = None  # deleted
            return
        edge.status = edge.next_status
        edge.failed = edge.status in (SYNC_FAILED, DELETE_FAILED)
        edge.updated_ms = edge.due_ms
        edge.due_ms = edge.next_status = None

    def plan_edge(self, edge: ExpectedEdge, now_ms: int) -> None:
        """When and how a SYNCING or DELETING configuration ends: with its hub online,
        after the sync (delete) delay; offline, when its retry window ends, failed."""
        online = edge.hub not in self.offline_hubs
        if edge.status == SYNCING:
            edge.next_status = IN_SYNC if online else SYNC_FAILED
        else:
            edge.next_status = None if online else DELETE_FAILED
        if online:
            edge.due_ms = now_ms + self.edge_delays_ms[edge.status]
        else:
            edge.due_ms = max(edge.deadline_ms, now_ms)

    def set_hub(self, hub: str, online: bool, now_ms: int) -> None:
        """Mark a hub device online or offline, as ``sim.set_hub_device_online`` does."""
        self.settle(now_ms)
        if online == (hub not in self.offline_hubs):
            return
        if online:
            self.offline_hubs.discard(hub)
        else:
            self.offline_hubs.add(hub)
        for stream in self.streams.values():
            edge = stream.edge
            if edge is not None and edge.hub == hub and edge.status in (SYNCING, EDGE_DELETING):
                self.plan_edge(edge, now_ms)

    def edge_page(self, params: Mapping[str, Any]) -> tuple[list[str], bool]:
        """Streams on the ListEdgeAgentConfigurations page ``params`` asks for, and
        whether more follow."""
        hub = params["HubDeviceArn"]
        names = sorted(
            n for n, s in self.streams.items() if s.edge is not None and s.edge.hub == hub
        )
        token = params.get("NextToken")
        if token:
            after = self.edge_tokens[token]
            names = [n for n in names if n > after]
        limit = params.get("MaxResults", 5)
        return names[:limit], len(names) > limit

    def start(self, stream: ExpectedStream, status: str, now_ms: int) -> None:
        """Put ``stream`` into ``status`` until its delay has passed."""
        stream.status = status
        stream.due_ms = now_ms + self.delays_ms[status]

    def live_names(self, prefix: str | None = None) -> list[str]:
        """Names of the streams ListStreams should show, in its (code-point) order."""
        return sorted(n for n in self.streams if prefix is None or n.startswith(prefix))

    def lookup(self, ref: str) -> ExpectedStream | None:
        """The live stream a name or an ARN refers to (ARNs start with ``arn:``)."""
        name = self.by_arn.get(ref) if ref.startswith("arn:") else ref
        return self.streams.get(name) if name is not None else None

    # -- request rates --------------------------------------------------------------------

    def throttle_bounds(self, operation: str, arn: str | None, now_ms: int) -> tuple[bool, bool]:
        """``(may be throttled, must be throttled)`` for one bucket (account if ``arn`` is None)."""
        account_tps, stream_tps = self.limits.rate(operation)
        tps = account_tps if arn is None else stream_tps
        if not self.limits.throttling or tps is None:
            return False, False
        times = self.successes.get((operation, arn), [])
        # A full bucket holds tps tokens and refills in one second: with no
        # success in the last second it is exactly full, else it lost at most
        # one token per success (the slack covers float rounding in the refill).
        recent = sum(1 for t in times if t >= now_ms - 1000)
        may = tps < 1 if recent == 0 else tps - recent < 1 + 1e-9
        must = any(
            tps + tps * (now_ms - t) / 1000 - (len(times) - i) < 1 - 1e-9
            for i, t in enumerate(times)
        )
        return may, must

    def record_success(self, operation: str, arn: str | None, now_ms: int) -> None:
        """Remember a successful call for the rate bounds of its buckets."""
        keys: list[tuple[str, str | None]] = [(operation, None)]
        if arn is not None and operation in STREAM_RATED:
            keys.append((operation, arn))
        for key in keys:
            times = self.successes.setdefault(key, [])
            times.append(now_ms)
            while times and (times[0] < now_ms - 10_000 or len(times) > 200):
                times.pop(0)

    # -- predictions ----------------------------------------------------------------------

    def resolve(
        self, name: str | None, arn: str | None, *, tagging: bool = False
    ) -> tuple[ExpectedStream | None, str | None]:
        """The stream ``StreamName``/``StreamARN`` name, or the error finding it."""
        if tagging and arn is not None and not _STREAM_ARN(arn):
            return None, BAD_RESOURCE_FORMAT
        if arn is not None:
            found = self.by_arn.get(arn)
            if found is None:
                return None, NOT_FOUND
            if name is not None and name != found:
                return None, INVALID_ARGUMENT
            return self.streams[found], None
        if name is None:
            return None, INVALID_ARGUMENT
        stream = self.streams.get(name)
        return (stream, None) if stream is not None else (None, NOT_FOUND)

    def predict(self, operation: str, params: Mapping[str, Any]) -> Expectation:
        """What ``operation`` with ``params`` should do now (after :meth:`settle`)."""
        expectation = Expectation(operation)
        if self.signaling.handles(operation, params):
            self.signaling.predict(expectation, params, self)
            return expectation
        if not _valid(operation, params) or not all(
            config_member_ok(operation, member, value, self.region_name) is not False
            for member, value in params.items()
        ):
            expectation.invalid = INVALID_ARGUMENT
            return expectation
        if operation == "ListEdgeAgentConfigurations":
            token = params.get("NextToken")
            expectation.known = not token or token in self.edge_tokens
            return expectation
        if operation == "ListStreams":
            token = params.get("NextToken")
            expectation.known = not token or token in self.tokens
            return expectation
        if operation == "CreateStream":
            expectation.error = self._create_error(params)
            return expectation
        tagging = operation in ("TagStream", "UntagStream", "ListTagsForStream")
        if operation in ("TagResource", "UntagResource", "ListTagsForResource"):
            stream, unresolved = self.resolve(None, params["ResourceARN"])
        elif operation == "DeleteStream":
            stream, unresolved = self.resolve(None, params["StreamARN"])
        else:
            stream, unresolved = self.resolve(
                params.get("StreamName"), params.get("StreamARN"), tagging=tagging
            )
        expectation.stream, expectation.unresolved = stream, unresolved
        if stream is not None:
            expectation.error = self._stream_error(operation, params, stream)
        return expectation

    def _create_error(self, params: Mapping[str, Any]) -> str | None:
        limits = self.limits
        device = params.get("DeviceName")
        if params["StreamName"] in self.streams:
            return IN_USE
        cap = limits.max_streams_per_account
        if cap is not None and len(self.streams) >= cap:
            return ACCOUNT_LIMIT
        if params.get("DataRetentionInHours", 0) > limits.max_data_retention_hours:
            return INVALID_ARGUMENT
        if len(params.get("Tags") or {}) > limits.max_tags_per_resource:
            return TOO_MANY_TAGS
        per_device = limits.max_streams_per_device
        if (
            device is not None
            and per_device is not None
            and self.devices.get(device, 0) >= per_device
        ):
            return DEVICE_LIMIT
        return None

    def _stream_error(
        self, operation: str, params: Mapping[str, Any], stream: ExpectedStream
    ) -> str | None:
        if operation in METADATA_UPDATES:
            if stream.status != ACTIVE:
                return IN_USE
            if params["CurrentVersion"] != stream.version:
                return VERSION_MISMATCH
        if operation == "UpdateStream":
            device = params.get("DeviceName")
            per_device = self.limits.max_streams_per_device
            if (
                device is not None
                and device != stream.device
                and per_device is not None
                and self.devices.get(device, 0) >= per_device
            ):
                return INVALID_ARGUMENT
        elif operation == "UpdateDataRetention":
            change = params["DataRetentionChangeInHours"]
            increase = params["Operation"] == "INCREASE_DATA_RETENTION"
            retention = stream.retention + (change if increase else -change)
            if not 0 <= retention <= self.limits.max_data_retention_hours:
                return INVALID_ARGUMENT
        elif operation == "DeleteStream":
            if stream.status == DELETING:
                return IN_USE
            version = params.get("CurrentVersion")
            if version is not None and version != stream.version:
                return VERSION_MISMATCH
        elif operation == "GetDataEndpoint":
            if stream.status not in (ACTIVE, UPDATING):
                return NOT_FOUND
        elif operation in ("TagStream", "TagResource"):
            new = _tag_dict(params["Tags"])
            count = len(stream.tags) + sum(1 for key in new if key not in stream.tags)
            if count > self.limits.max_tags_per_resource:
                return TOO_MANY_TAGS
        elif operation in CONFIG_OPERATIONS:
            return self._config_error(operation, params, stream)
        return None

    def _config_error(
        self, operation: str, params: Mapping[str, Any], stream: ExpectedStream
    ) -> str | None:
        edge = stream.edge
        if operation in ("DescribeEdgeConfiguration", "DeleteEdgeConfiguration"):
            return EDGE_NOT_FOUND if edge is None else None
        if operation.startswith("Describe"):
            return None
        if stream.status != ACTIVE:
            return IN_USE
        if operation == "StartEdgeConfigurationUpdate":
            if stream.retention == 0:
                return NO_RETENTION
            if edge is not None and edge.status in (SYNCING, EDGE_DELETING):
                return IN_USE
            if edge is not None and edge.hub != params["EdgeConfig"]["HubDeviceArn"]:
                return INVALID_ARGUMENT
            return None
        member = (
            "ImageGenerationConfiguration"
            if operation == "UpdateImageGenerationConfiguration"
            else "NotificationConfiguration"
        )
        config = params.get(member)
        if config is not None and config["Status"] == "ENABLED" and stream.retention == 0:
            return NO_RETENTION
        return None

    def apply_config(
        self, operation: str, params: Mapping[str, Any], stream: ExpectedStream, now_ms: int
    ) -> None:
        """The effect of a successful configuration call on ``stream``."""
        if operation == "UpdateImageGenerationConfiguration":
            config = params.get("ImageGenerationConfiguration")
            stream.images = None if config is None else copy.deepcopy(dict(config))
        elif operation == "UpdateNotificationConfiguration":
            config = params.get("NotificationConfiguration")
            stream.notifications = None if config is None else copy.deepcopy(dict(config))
        elif operation == "StartEdgeConfigurationUpdate":
            config = copy.deepcopy(dict(params["EdgeConfig"]))
            window = self.edge_delays_ms["window"]
            edge = stream.edge
            if edge is None:
                edge = stream.edge = ExpectedEdge(
                    config["HubDeviceArn"], config, SYNCING, now_ms, now_ms, now_ms + window
                )
            else:
                edge.config, edge.status, edge.failed = config, SYNCING, False
                edge.updated_ms, edge.deadline_ms = now_ms, now_ms + window
            self.plan_edge(edge, now_ms)
        elif operation == "DeleteEdgeConfiguration":
            edge = stream.edge
            if edge is not None and edge.status != EDGE_DELETING:
                edge.status, edge.failed = EDGE_DELETING, False
                edge.updated_ms = now_ms
                edge.deadline_ms = now_ms + self.edge_delays_ms["window"]
                self.plan_edge(edge, now_ms)

    # -- effects --------------------------------------------------------------------------

    def create(self, params: Mapping[str, Any], now_ms: int, version: str) -> ExpectedStream:
        """Add the stream a successful CreateStream made at ``now_ms``."""
        name = params["StreamName"]
        arn = (
            f"arn:{partition(self.region_name)}:kinesisvideo:{self.region_name}:"
            f"{self.account_id}:stream/{name}/{now_ms}"
        )
        storage = params.get("StreamStorageConfiguration")
        stream = ExpectedStream(
            name=name,
            arn=arn,
            created_ms=now_ms,
            version=version,
            device=params.get("DeviceName"),
            media_type=params.get("MediaType"),
            kms_key=params.get("KmsKeyId"),
            retention=params.get("DataRetentionInHours", 0),
            tags=dict(params.get("Tags") or {}),
            tier=storage["DefaultStorageTier"] if storage else "HOT",
        )
        self.start(stream, CREATING, now_ms)
        self.streams[name] = stream
        self.by_arn[arn] = name
        self._attach(stream.device)
        return stream

    def apply(self, operation: str, params: Mapping[str, Any], stream: ExpectedStream) -> None:
        """The effect of a successful call on ``stream`` (versions are set by the caller)."""
        if operation == "UpdateStream":
            device = params.get("DeviceName")
            if device is not None and device != stream.device:
                self._detach(stream.device)
                self._attach(device)
                stream.device = device
            if params.get("MediaType") is not None:
                stream.media_type = params["MediaType"]
        elif operation == "UpdateDataRetention":
            change = params["DataRetentionChangeInHours"]
            increase = params["Operation"] == "INCREASE_DATA_RETENTION"
            stream.retention += change if increase else -change
        elif operation == "UpdateStreamStorageConfiguration":
            stream.tier = params["StreamStorageConfiguration"]["DefaultStorageTier"]
        elif operation in ("TagStream", "TagResource"):
            stream.tags.update(_tag_dict(params["Tags"]))
        elif operation in ("UntagStream", "UntagResource"):
            for key in params["TagKeyList"]:
                stream.tags.pop(key, None)
        elif operation == "DeleteStream":
            self._detach(stream.device)
            stream.edge = None  # kvsim rule: the edge configuration goes with the stream
            self.signaling.drop_stream(stream.arn)  # and so does a channel's link to it

    def _attach(self, device: str | None) -> None:
        if device is not None:
            self.devices[device] = self.devices.get(device, 0) + 1

    def _detach(self, device: str | None) -> None:
        if device is not None:
            self.devices[device] -= 1
            if not self.devices[device]:
                del self.devices[device]

    # -- expected responses ---------------------------------------------------------------

    def stream_info(self, stream: ExpectedStream) -> dict[str, Any]:
        """The ``StreamInfo`` DescribeStream and ListStreams should return."""
        info: dict[str, Any] = {}
        if stream.device is not None:
            info["DeviceName"] = stream.device
        info["StreamName"] = stream.name
        info["StreamARN"] = stream.arn
        if stream.media_type is not None:
            info["MediaType"] = stream.media_type
        info["KmsKeyId"] = stream.kms_key or self.default_kms_key
        info["Version"] = stream.version
        info["Status"] = stream.status
        info["CreationTime"] = EPOCH + stream.created_ms * _MS
        info["DataRetentionInHours"] = stream.retention
        return info

    def list_page(self, params: Mapping[str, Any]) -> tuple[list[str], bool]:
        """Names on the ListStreams page ``params`` asks for, and whether more follow."""
        condition = params.get("StreamNameCondition") or {}
        names = self.live_names(condition.get("ComparisonValue"))
        token = params.get("NextToken")
        if token:
            after = self.tokens[token]
            names = [n for n in names if n > after]
        limit = params.get("MaxResults", 10_000)
        return names[:limit], len(names) > limit


def _tag_dict(tags: Any) -> dict[str, str]:
    # TagStream takes a map, TagResource a list of {Key, Value} (later entries win).
    if isinstance(tags, Mapping):
        return dict(tags)
    return {tag["Key"]: tag["Value"] for tag in tags}


def _valid(operation: str, params: Mapping[str, Any]) -> bool:
    """Whether the service-side constraints of the model hold (botocore checked the rest)."""
    return all(_member_ok(operation, member, value) for member, value in params.items())


_TAGGING_BY_STREAM = frozenset({"TagStream", "UntagStream", "ListTagsForStream"})
#: The operations whose NextToken continues a listing (the tag listings issue none).
_PAGED = frozenset({"ListStreams", "ListEdgeAgentConfigurations"})
_ENUMS: dict[str, frozenset[str]] = {
    "APIName": frozenset(API_NAMES),
    "Operation": frozenset({"INCREASE_DATA_RETENTION", "DECREASE_DATA_RETENTION"}),
}
_MEMBER_CHECKS: dict[str, Callable[[Any], object]] = {
    "StreamName": lambda v: len(v) <= 256 and _NAME(v),
    "DeviceName": lambda v: len(v) <= 128 and _NAME(v),
    "MediaType": lambda v: len(v) <= 128 and _MEDIA_TYPE(v),
    "KmsKeyId": lambda v: kvs.utf16_length(v) <= 2048 and not _LINE_TERMINATORS & set(v),
    "CurrentVersion": lambda v: is_version(v),
    "ResourceARN": lambda v: len(v) <= 1024 and _RESOURCE_ARN(v),
    "NextToken": lambda v: _TOKEN(v),
    "MaxResults": lambda v: v <= 10_000,
    "DataRetentionInHours": lambda v: v <= JAVA_INT_MAX,
    "DataRetentionChangeInHours": lambda v: v <= JAVA_INT_MAX,
    "TagKeyList": lambda v: len(v) <= 50 and all(_tag_text_ok(k, 1, 128) for k in v),
    "StreamStorageConfiguration": lambda v: v.get("DefaultStorageTier") in ("HOT", "WARM"),
    "StreamNameCondition": lambda v: (
        v.get("ComparisonOperator") == "BEGINS_WITH"
        and isinstance(v.get("ComparisonValue"), str)
        and len(v["ComparisonValue"]) <= 256
        and _NAME(v["ComparisonValue"])
    ),
    "Tags": lambda v: (
        bool(_tag_dict(v))
        and all(
            _tag_text_ok(k, 1, 128) and _tag_text_ok(x, 0, 256) for k, x in _tag_dict(v).items()
        )
    ),
}


def _member_ok(operation: str, member: str, value: Any) -> bool:
    if member in _ENUMS:
        return value in _ENUMS[member]
    if member == "StreamARN" and operation in _TAGGING_BY_STREAM:
        # The tagging operations check the ARN's form themselves (InvalidResourceFormat).
        return len(value) <= 1024
    if member == "StreamARN":
        return len(value) <= 1024 and bool(_RESOURCE_ARN(value))
    if member == "NextToken" and operation not in _PAGED and value:
        return False  # all tags fit in one page: kvsim issues no tag-listing tokens
    check = _MEMBER_CHECKS.get(member)
    return True if check is None else bool(check(value))
