"""A hypothesis state machine that drives kvsim and checks it against a plain reference model.

:class:`KinesisVideoStateMachine` has a rule per stream operation (all 15,
called through ``sim.client``) and rules that move the virtual clock. Every
call goes through :class:`CheckedClient`, which predicts the outcome from a
:class:`ReferenceModel` (plain dicts: name → expected status, version,
retention, tags, device, media type, tier…) before the call, compares it with
what the simulator answered, and updates the model. After every step the
invariants compare the whole model with the simulator, run ``sim._check()``,
and page through ListStreams with a small ``MaxResults``.

Run it as is, or subclass it to add rules that call your own code with
``self.kv`` (the checked client: your code's calls are predicted and checked
too) and ``self.sim`` (for ``sim.advance`` as a sleep function):

>>> from hypothesis import settings, strategies as st
>>> from hypothesis.stateful import rule, run_state_machine_as_test
>>> from kvsim.stateful import KinesisVideoStateMachine
>>> class RetentionBumper(KinesisVideoStateMachine):
...     '''My code: raise a stream's retention to a day, if it is ACTIVE.'''
...     @rule(name=KinesisVideoStateMachine.names)
...     def bump_to_a_day(self, name):
...         expected = self.model.streams.get(name)
...         if expected is None or expected.status != "ACTIVE" or expected.retention >= 24:
...             return
...         try:
...             self.kv.update_data_retention(
...                 StreamName=name, CurrentVersion=expected.version,
...                 Operation="INCREASE_DATA_RETENTION",
...                 DataRetentionChangeInHours=24 - expected.retention)
...         except self.kv.exceptions.ClientLimitExceededException:
...             return
...         assert self.model.streams[name].retention == 24
>>> run_state_machine_as_test(
...     RetentionBumper,
...     settings=settings(max_examples=5, stateful_step_count=10, database=None, deadline=None))
>>> RetentionBumper.coverage["ok:CreateStream"] > 0
True

Customise the world with :meth:`~KinesisVideoStateMachine.make_limits` and
:meth:`~KinesisVideoStateMachine.make_timings`; :attr:`~KinesisVideoStateMachine.coverage`
counts, per subclass, the outcomes and statuses reached so a test can assert
that a run was not vacuous. The model covers one account and region
(``account_id``, ``region_name``): make every call in it through ``self.kv``.
Injected faults (``sim.faults``) are tolerated: an error the model did not
predict is accepted while faults are set, provided it changed nothing.

This module imports hypothesis, a test dependency: ``import kvsim`` does not
import it.
"""

from __future__ import annotations

import contextlib
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar, cast

from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    MultipleResults,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    precondition,
    rule,
)

from ...engine.client import KinesisVideoClient, KinesisVideoOperations, Paginator, paginator_for
from ...engine.simulator import Simulator
from ...model.errors import ClientError, ParamValidationError
from ...services.config import Limits, Timings
from ...services.registry import OPERATIONS
from .. import strategies as kvs

__all__ = [
    "DEVICE_POOL",
    "LOW_RATES",
    "METADATA_UPDATES",
    "NAME_POOL",
    "TAG_KEY_POOL",
    "CheckedClient",
    "Expectation",
    "ExpectedStream",
    "KinesisVideoStateMachine",
    "ModelMismatch",
    "ReferenceModel",
]

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
# Operations whose per-stream request rate kvsim enforces (the others have none).
_STREAM_RATED = frozenset(OPERATIONS) - {"CreateStream", "ListStreams"}
_NEXT_STATUS = {CREATING: ACTIVE, UPDATING: ACTIVE, DELETING: "DELETED"}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)
_JAVA_INT_MAX = 2**31 - 1
_MEDIA_APIS = frozenset({"PUT_MEDIA", "GET_MEDIA"})

# The service-side constraints, written independently of kvsim.shapes.
_NAME = re.compile(r"[a-zA-Z0-9_.-]+", re.ASCII).fullmatch
_VERSION = re.compile(r"[a-zA-Z0-9]{1,64}", re.ASCII).fullmatch
_MEDIA_TYPE = re.compile(r"[\w\-.+]+/[\w\-.+]+(,[\w\-.+]+/[\w\-.+]+)*", re.ASCII).fullmatch
_RESOURCE_ARN = re.compile(
    r"arn:[a-z\d-]+:kinesisvideo:[a-z0-9-]+:[0-9]+:[a-z]+/[a-zA-Z0-9_.-]+/[0-9]+", re.ASCII
).fullmatch
_STREAM_ARN = re.compile(
    r"arn:[a-z\d-]+:kinesisvideo:[a-z0-9-]+:[0-9]+:stream/[a-zA-Z0-9_.-]+/[0-9]+", re.ASCII
).fullmatch
_TOKEN = re.compile(r"[a-zA-Z0-9+/=]{0,1024}", re.ASCII).fullmatch
_LINE_TERMINATORS = frozenset("\n\r\x85\u2028\u2029")


def _ms(moment: datetime) -> int:
    return (moment - _EPOCH) // _MS


def _partition(region: str) -> str:
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def _tag_text_ok(text: str, low: int, high: int) -> bool:
    if not low <= kvs.utf16_length(text) <= high:
        return False
    return all(c in kvs.TAG_PUNCTUATION or unicodedata.category(c)[0] in "LZN" for c in text)


class ModelMismatch(AssertionError):
    """The simulator did something the reference model did not expect."""


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
            DELETING: round(timings.delete_delay * 1000),
        }
        self.streams: dict[str, ExpectedStream] = {}
        self.by_arn: dict[str, str] = {}
        self.devices: dict[str, int] = {}
        #: (operation, stream ARN or None for the account) → times (ms) of successful calls.
        self.successes: dict[tuple[str, str | None], list[int]] = {}
        #: ListStreams tokens the model has seen issued → the name they continue after.
        self.tokens: dict[str, str] = {}
        self.default_kms_key = (
            f"arn:{_partition(region_name)}:kms:{region_name}:{account_id}:alias/aws/kinesisvideo"
        )

    # -- time -----------------------------------------------------------------------------

    def settle(self, now_ms: int) -> None:
        """Apply every status change due by ``now_ms``."""
        for name, stream in list(self.streams.items()):
            if stream.due_ms is not None and stream.due_ms <= now_ms:
                if stream.status == DELETING:
                    del self.streams[name]
                    del self.by_arn[stream.arn]
                else:
                    stream.status = ACTIVE
                    stream.due_ms = None

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
        if arn is not None and operation in _STREAM_RATED:
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
        if not _valid(operation, params):
            expectation.invalid = INVALID_ARGUMENT
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
        return None

    # -- effects --------------------------------------------------------------------------

    def create(self, params: Mapping[str, Any], now_ms: int, version: str) -> ExpectedStream:
        """Add the stream a successful CreateStream made at ``now_ms``."""
        name = params["StreamName"]
        arn = (
            f"arn:{_partition(self.region_name)}:kinesisvideo:{self.region_name}:"
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
        info["CreationTime"] = _EPOCH + stream.created_ms * _MS
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
_API_NAMES = (
    "PUT_MEDIA",
    "GET_MEDIA",
    "LIST_FRAGMENTS",
    "GET_MEDIA_FOR_FRAGMENT_LIST",
    "GET_HLS_STREAMING_SESSION_URL",
    "GET_DASH_STREAMING_SESSION_URL",
    "GET_CLIP",
    "GET_IMAGES",
)
_ENUMS: dict[str, frozenset[str]] = {
    "APIName": frozenset(_API_NAMES),
    "Operation": frozenset({"INCREASE_DATA_RETENTION", "DECREASE_DATA_RETENTION"}),
}
_MEMBER_CHECKS: dict[str, Callable[[Any], object]] = {
    "StreamName": lambda v: len(v) <= 256 and _NAME(v),
    "DeviceName": lambda v: len(v) <= 128 and _NAME(v),
    "MediaType": lambda v: len(v) <= 128 and _MEDIA_TYPE(v),
    "KmsKeyId": lambda v: kvs.utf16_length(v) <= 2048 and not _LINE_TERMINATORS & set(v),
    "CurrentVersion": lambda v: _VERSION(v),
    "ResourceARN": lambda v: len(v) <= 1024 and _RESOURCE_ARN(v),
    "NextToken": lambda v: _TOKEN(v),
    "MaxResults": lambda v: v <= 10_000,
    "DataRetentionInHours": lambda v: v <= _JAVA_INT_MAX,
    "DataRetentionChangeInHours": lambda v: v <= _JAVA_INT_MAX,
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
    if member == "NextToken" and operation != "ListStreams" and value:
        return False  # all tags fit in one page: kvsim issues no tag-listing tokens
    check = _MEMBER_CHECKS.get(member)
    return True if check is None else bool(check(value))


class CheckedClient(KinesisVideoOperations):
    """A ``kinesisvideo`` client that checks every call against a :class:`ReferenceModel`.

    Same methods, arguments, responses and errors as the client it wraps.
    Before each call it settles the model to the virtual time and predicts
    the outcome; after it, it compares the response (or error code) with the
    prediction, applies the effect to the model, and counts the outcome in
    the machine's ``coverage``. A disagreement raises :class:`ModelMismatch`
    (and is remembered, so code that swallows exceptions cannot hide it).
    """

    def __init__(self, machine: KinesisVideoStateMachine, client: KinesisVideoClient) -> None:
        self._machine = machine
        self._client = client
        self.meta = client.meta
        self.exceptions = client.exceptions
        self.account_id = client.account_id

    def __repr__(self) -> str:
        return f"<CheckedClient of {self._client!r}>"

    def can_paginate(self, operation_name: str) -> bool:
        """As the wrapped client's."""
        return self._client.can_paginate(operation_name)

    def get_paginator(self, operation_name: str) -> Paginator:
        """A ``list_streams`` paginator whose pages are checked too."""
        return paginator_for(self, operation_name)

    # -- the check around every call ------------------------------------------------------

    def _fail(self, message: str) -> ModelMismatch:
        self._machine.mismatches.append(message)
        calls = "\n".join(f"  {call}" for call in self._machine.sim.last_calls(3))
        return ModelMismatch(f"{message}\nlast calls (sim.last_calls(3)):\n{calls}")

    def _make_api_call(self, operation: str, params: Mapping[str, Any]) -> dict[str, Any]:
        machine, model = self._machine, self._machine.model
        now = machine.now_ms()
        model.settle(now)
        try:
            expectation: Expectation | None = model.predict(operation, params)
        except (KeyError, TypeError, AttributeError):
            expectation = None  # input botocore refuses; the call must say so
        try:
            response = self._client._make_api_call(operation, params)
        except ParamValidationError:
            machine.record("ParamValidationError")
            raise
        except ClientError as error:
            if expectation is None:
                raise self._fail(f"{operation}: the model cannot read {params!r}") from error
            self._check_error(expectation, error.response["Error"]["Code"], now)
            raise
        if expectation is None:
            raise self._fail(f"{operation}: the model cannot read {params!r}")
        self._check_success(expectation, params, response, now)
        return response

    def _throttling(self, expectation: Expectation, now: int) -> tuple[bool, bool]:
        model, op = self._machine.model, expectation.operation
        may, must = model.throttle_bounds(op, None, now)
        stream = expectation.stream
        if expectation.unresolved is None and stream is not None and op in _STREAM_RATED:
            stream_may, stream_must = model.throttle_bounds(op, stream.arn, now)
            may, must = may or stream_may, must or stream_must
        return may, must

    def _check_error(self, expectation: Expectation, code: str, now: int) -> None:
        op = expectation.operation
        self._machine.record(f"error:{code}")
        if not expectation.known:
            return
        predicted = self._predicted_error(expectation, code, now)
        if code == predicted:
            return
        if self._machine.sim.faults:
            self._machine.record(f"fault:{code}")
            return
        raise self._fail(
            f"{op}: the simulator answered {code}, the model expected "
            f"{predicted or 'success'} ({expectation})"
        )

    def _predicted_error(self, expectation: Expectation, code: str, now: int) -> str | None:
        if expectation.invalid is not None:
            return expectation.invalid
        may, must = self._throttling(expectation, now)
        if code == THROTTLED and may:
            return THROTTLED
        if must:
            return THROTTLED
        return expectation.unresolved or expectation.error

    def _check_success(
        self,
        expectation: Expectation,
        params: Mapping[str, Any],
        response: dict[str, Any],
        now: int,
    ) -> None:
        machine, model, op = self._machine, self._machine.model, expectation.operation
        machine.record(f"ok:{op}")
        if not expectation.known:
            model.record_success(op, None, now)
            self._learn_tokens(params, response)
            return
        predicted = self._predicted_error(expectation, "", now)
        if predicted is not None:
            raise self._fail(f"{op}: the call succeeded, the model expected {predicted}")
        stream = expectation.stream
        if op == "CreateStream":
            name = params["StreamName"]
            stream = model.create(params, now, self._actual_version(name) or "")
            if response["StreamARN"] != stream.arn:
                raise self._fail(f"CreateStream: ARN {response['StreamARN']} != {stream.arn}")
            self._check_version_format(stream)
        elif stream is not None:
            before = stream.version
            model.apply(op, params, stream)
            if op in METADATA_UPDATES:
                model.start(stream, UPDATING, now)
                stream.version = self._actual_version(stream.name) or ""
                self._check_version_format(stream)
                if stream.version == before:
                    raise self._fail(f"{op}: the version of {stream.name} did not change")
            elif op == "DeleteStream":
                model.start(stream, DELETING, now)
        model.record_success(op, stream.arn if stream is not None else None, now)
        self._check_response(expectation, params, response, stream)

    def _actual_version(self, name: str) -> str | None:
        region = self._machine.sim.runtime.dump().get(f"{self.account_id}/{self.meta.region_name}")
        for dumped in region["streams"] if region else []:
            if dumped["name"] == name:
                return cast(str, dumped["version"])
        return None

    def _check_version_format(self, stream: ExpectedStream) -> None:
        if not _VERSION(stream.version):
            raise self._fail(
                f"{stream.name}: version {stream.version!r} is not [a-zA-Z0-9]{{1,64}}"
            )

    def _check_response(
        self,
        expectation: Expectation,
        params: Mapping[str, Any],
        response: Mapping[str, Any],
        stream: ExpectedStream | None,
    ) -> None:
        model, op = self._machine.model, expectation.operation
        body = {k: v for k, v in response.items() if k != "ResponseMetadata"}
        if op == "ListStreams":
            self._check_list_page(params, body)
            return
        expected: dict[str, Any]
        if op == "CreateStream":
            expected = {"StreamARN": stream.arn if stream else None}
        elif stream is None:
            raise self._fail(f"{op}: succeeded without a stream")
        elif op == "DescribeStream":
            expected = {"StreamInfo": model.stream_info(stream)}
            self._machine.record(f"status:{stream.status}")
        elif op in ("ListTagsForStream", "ListTagsForResource"):
            expected = {"Tags": dict(stream.tags)}
        elif op == "DescribeStreamStorageConfiguration":
            expected = {
                "StreamName": stream.name,
                "StreamARN": stream.arn,
                "StreamStorageConfiguration": {"DefaultStorageTier": stream.tier},
            }
        elif op == "GetDataEndpoint":
            expected = {"DataEndpoint": self._expected_endpoint(stream, params, body)}
        else:
            expected = {}
        if body != expected:
            raise self._fail(f"{op}: response {body!r}, the model expected {expected!r}")

    def _expected_endpoint(
        self, stream: ExpectedStream, params: Mapping[str, Any], body: Mapping[str, Any]
    ) -> str:
        kind = "s" if params["APIName"] in _MEDIA_APIS else "b"
        known = stream.endpoints.get(kind)
        if known is not None:
            return known
        region = self.meta.region_name
        suffix = "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"
        url = str(body.get("DataEndpoint"))
        pattern = (
            rf"https://{kind}-[0-9a-f]{{8}}\.kinesisvideo\.{re.escape(region)}\.{re.escape(suffix)}"
        )
        if not re.fullmatch(pattern, url):
            raise self._fail(f"GetDataEndpoint: {url!r} does not match {pattern}")
        stream.endpoints[kind] = url
        return url

    def _check_list_page(self, params: Mapping[str, Any], body: Mapping[str, Any]) -> None:
        model = self._machine.model
        names, more = model.list_page(params)
        expected: dict[str, Any] = {
            "StreamInfoList": [model.stream_info(model.streams[n]) for n in names]
        }
        token = body.get("NextToken")
        if more:
            if not isinstance(token, str) or not token:
                raise self._fail(f"ListStreams: no NextToken although more than {names} follow")
            expected["NextToken"] = token
            model.tokens[token] = names[-1]
        if body != expected:
            raise self._fail(f"ListStreams: page {body!r}, the model expected {expected!r}")
        for name in names:
            self._machine.record(f"status:{model.streams[name].status}")

    def _learn_tokens(self, params: Mapping[str, Any], response: Mapping[str, Any]) -> None:
        # A page after a token the model did not issue: only its own token can be learned.
        token = response.get("NextToken")
        listed = response.get("StreamInfoList") or []
        if token and listed:
            self._machine.model.tokens[token] = listed[-1]["StreamName"]


# -- the machine ---------------------------------------------------------------------------

#: Names the rules draw from, small so that they collide (and differ only in case).
NAME_POOL = ("cam-1", "cam-2", "cam-10", "Cam-1", "door.cam", "lobby_cam")
#: Devices of the default machine (two streams each at most, by its limits).
DEVICE_POOL = ("dev-a", "dev-b")
#: Tag keys, few so that they overwrite each other and reach the tag limit.
TAG_KEY_POOL = ("env", "site", "owner", "ключ", "標籤", "a:b/c=d+e-f@g")
#: Request rates of the default machine: low enough to be reached by the rules.
LOW_RATES = {op: (5.0, 1.0) for op in sorted(_STREAM_RATED)} | {
    "CreateStream": (5.0, None),
    "ListStreams": (50.0, None),
}
_STALE_VERSION = "STALE00000"

_tag_keys = st.one_of(st.sampled_from(TAG_KEY_POOL), kvs.tag_keys(max_size=8))
_tags = kvs.tag_maps(max_size=4, keys=_tag_keys, values=kvs.tag_values(max_size=8))
_key_lists = st.lists(_tag_keys, min_size=1, max_size=3)
_versions = st.sampled_from(("current", "stale"))
# See KinesisVideoStateMachine.choose.
_picks = st.integers(0, 15) | st.none()
# How many of the keys a stream holds an untag rule adds to its drawn keys.
_held = st.integers(0, 3)
_retentions = st.one_of(st.sampled_from((0, 1, 24, 87_600, 87_601)), kvs.retention_hours())
_create_options = st.fixed_dictionaries(
    {},
    optional={
        "DeviceName": st.sampled_from(DEVICE_POOL),
        "MediaType": kvs.media_types(max_types=2),
        "KmsKeyId": kvs.kms_key_ids(arbitrary=False),
        "DataRetentionInHours": _retentions,
        "Tags": _tags,
        "StreamStorageConfiguration": st.fixed_dictionaries(
            {"DefaultStorageTier": st.sampled_from(("HOT", "WARM"))}
        ),
    },
)


class KinesisVideoStateMachine(RuleBasedStateMachine):
    """Drive all 15 stream operations and the clock; check kvsim against a reference model.

    Attributes for subclasses: ``self.sim`` (the :class:`~kvsim.Simulator`),
    ``self.kv`` (a :class:`CheckedClient` of ``account_id``/``region_name``),
    ``self.model`` (the :class:`ReferenceModel`), and the bundles ``names``
    (candidate stream names), ``arns`` (ARNs CreateStream returned, live or
    not) and ``refs`` (both). Override :meth:`make_limits` and
    :meth:`make_timings` to change the world; the defaults use small quotas and
    low request rates so that every error path is reached in a short run.

    ``coverage`` (one :class:`collections.Counter` per subclass) counts
    ``ok:<Operation>``, ``error:<Code>`` and ``status:<Status>`` (as seen in
    responses) across all runs; :meth:`reset_coverage` empties it.

    Example (see the module docstring for a subclass with a rule of its own)::

        TestKinesisVideo = KinesisVideoStateMachine.TestCase
    """

    names: ClassVar[Bundle[str]] = Bundle("names")
    arns: ClassVar[Bundle[str]] = Bundle("arns")
    refs: ClassVar[Bundle[str]] = Bundle("refs")

    #: The simulator's seed.
    seed: ClassVar[int] = 0
    #: The account and region the machine (and its reference model) works in.
    account_id: ClassVar[str] = "123456789012"
    region_name: ClassVar[str] = "us-east-1"
    #: ``MaxResults`` of the ListStreams paging invariant.
    page_size: ClassVar[int] = 2
    #: Outcomes reached, per subclass.
    coverage: ClassVar[Counter[str]] = Counter()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "coverage" not in cls.__dict__:
            cls.coverage = Counter()

    def __init__(self) -> None:
        super().__init__()
        limits, timings = self.make_limits(), self.make_timings()
        self.sim = Simulator(self.seed, limits=limits, timings=timings)
        self.model = ReferenceModel(self.account_id, self.region_name, limits, timings)
        #: Disagreements found so far (also raised where they happen).
        self.mismatches: list[str] = []
        raw = self.sim.client(
            "kinesisvideo", region_name=self.region_name, account_id=self.account_id
        )
        self.kv = CheckedClient(self, raw)

    # -- hooks ----------------------------------------------------------------------------

    def make_limits(self) -> Limits:
        """The quotas of the simulated world (override to change them)."""
        return Limits(
            max_streams_per_account=6,
            max_tags_per_resource=5,
            max_streams_per_device=2,
            rates=LOW_RATES,
        )

    def make_timings(self) -> Timings:
        """The delays of the simulated world (override to change them)."""
        return Timings(create_delay=0.5, update_delay=0.5, delete_delay=0.5, call_latency=0.025)

    @classmethod
    def reset_coverage(cls) -> None:
        """Forget the outcomes counted so far for this class."""
        cls.coverage.clear()

    # -- helpers --------------------------------------------------------------------------

    def now_ms(self) -> int:
        """The virtual time in epoch milliseconds."""
        return _ms(self.sim.now)

    def record(self, outcome: str) -> None:
        """Count one outcome in :attr:`coverage`."""
        type(self).coverage[outcome] += 1

    def ref_args(self, ref: str) -> dict[str, str]:
        """``StreamName=`` or ``StreamARN=`` for a name or an ARN from ``refs``."""
        return {"StreamARN": ref} if ref.startswith("arn:") else {"StreamName": ref}

    def choose(self, ref: str, pick: int | None) -> str:
        """The name or ARN a rule acts on: ``ref`` (drawn from a bundle) when ``pick``
        is None or no stream is live, else the live stream ``pick % 8`` (in name
        order, wrapping), by name if ``pick < 8`` and by ARN otherwise.

        Bundles hold names never created and ARNs of deleted streams, which
        reach the not-found paths; ``pick`` makes the rules hit live streams
        often enough to reach the rest."""
        self.model.settle(self.now_ms())
        if pick is None or not self.model.streams:
            return ref
        live = sorted(self.model.streams)
        stream = self.model.streams[live[pick % 8 % len(live)]]
        return stream.arn if pick >= 8 else stream.name

    def choose_arn(self, arn: str, pick: int | None) -> str:
        """As :meth:`choose`, always giving an ARN."""
        chosen = self.choose(arn, pick)
        stream = self.model.lookup(chosen)
        return stream.arn if stream is not None and pick is not None else chosen

    def held_keys(self, ref: str, count: int) -> list[str]:
        """Up to ``count`` of the keys the stream ``ref`` holds, in sorted order."""
        stream = self.model.lookup(ref)
        return sorted(stream.tags)[:count] if stream is not None else []

    def version_for(self, ref: str, choice: str) -> str:
        """The stream's current version (``"current"``) or one that is not (``"stale"``)."""
        stream = self.model.lookup(ref)
        if choice == "current" and stream is not None:
            return stream.version
        return _STALE_VERSION

    # -- rules: names and streams ---------------------------------------------------------

    @initialize(targets=(arns, refs), name=st.sampled_from(NAME_POOL), options=_create_options)
    def first_stream(self, name: str, options: dict[str, Any]) -> MultipleResults[str]:
        """Every run starts with one CreateStream, so the stream rules have a target."""
        return self._create(name, options)

    @precondition(lambda self: len(self.bundle("names")) < 8)
    @rule(
        targets=(names, refs),
        name=st.one_of(st.sampled_from(NAME_POOL), kvs.stream_names(max_size=12)),
    )
    def new_name(self, name: str) -> str:
        """Add a candidate stream name (to ``names`` and ``refs``), up to eight of them."""
        return name

    @rule(targets=(arns, refs), name=names, options=_create_options)
    def create_stream(self, name: str, options: dict[str, Any]) -> MultipleResults[str]:
        """CreateStream with some optional members; its ARN joins ``arns`` and ``refs``."""
        return self._create(name, options)

    def _create(self, name: str, options: dict[str, Any]) -> MultipleResults[str]:
        try:
            arn = self.kv.create_stream(StreamName=name, **options)["StreamARN"]
        except ClientError:
            return multiple()
        return multiple(arn)

    @rule(ref=refs, pick=_picks)
    def describe_stream(self, ref: str, pick: int | None) -> None:
        """DescribeStream by name or ARN."""
        self._quietly(self.kv.describe_stream, **self.ref_args(self.choose(ref, pick)))

    @rule(name=names, arn=arns)
    def describe_stream_by_name_and_arn(self, name: str, arn: str) -> None:
        """DescribeStream with both members (InvalidArgument when they disagree)."""
        self._quietly(self.kv.describe_stream, StreamName=name, StreamARN=arn)

    @rule(name=names, cut=st.integers(0, 12), max_results=st.integers(1, 4))
    def list_streams(self, name: str, cut: int, max_results: int) -> None:
        """One ListStreams page, with a prefix cut from a known name (none when ``cut`` is 0)."""
        params: dict[str, Any] = {"MaxResults": max_results}
        if cut:
            params["StreamNameCondition"] = {
                "ComparisonOperator": "BEGINS_WITH",
                "ComparisonValue": name[:cut],
            }
        self._quietly(self.kv.list_streams, **params)

    @rule(
        ref=refs,
        pick=_picks,
        version=_versions,
        device=st.none() | st.sampled_from(DEVICE_POOL),
        media_type=st.none() | kvs.media_types(max_types=2),
    )
    def update_stream(
        self, ref: str, pick: int | None, version: str, device: str | None, media_type: str | None
    ) -> None:
        """UpdateStream with the current or a stale version."""
        ref = self.choose(ref, pick)
        params: dict[str, Any] = {"CurrentVersion": self.version_for(ref, version)}
        if device is not None:
            params["DeviceName"] = device
        if media_type is not None:
            params["MediaType"] = media_type
        self._quietly(self.kv.update_stream, **self.ref_args(ref), **params)

    @rule(
        ref=refs,
        pick=_picks,
        version=_versions,
        increase=st.booleans(),
        change=st.one_of(st.integers(1, 48), st.just(87_600)),
    )
    def update_data_retention(
        self, ref: str, pick: int | None, version: str, increase: bool, change: int
    ) -> None:
        """UpdateDataRetention up or down (InvalidArgument past 0 or the maximum)."""
        ref = self.choose(ref, pick)
        self._quietly(
            self.kv.update_data_retention,
            **self.ref_args(ref),
            CurrentVersion=self.version_for(ref, version),
            Operation="INCREASE_DATA_RETENTION" if increase else "DECREASE_DATA_RETENTION",
            DataRetentionChangeInHours=change,
        )

    @rule(arn=arns, pick=_picks, version=st.sampled_from(("current", "stale", "omitted")))
    def delete_stream(self, arn: str, pick: int | None, version: str) -> None:
        """DeleteStream by ARN, with or without ``CurrentVersion``."""
        arn = self.choose_arn(arn, pick)
        params: dict[str, Any] = {"StreamARN": arn}
        if version != "omitted":
            params["CurrentVersion"] = self.version_for(arn, version)
        self._quietly(self.kv.delete_stream, **params)

    @rule(ref=refs, pick=_picks, api_name=st.sampled_from(_API_NAMES))
    def get_data_endpoint(self, ref: str, pick: int | None, api_name: str) -> None:
        """GetDataEndpoint (stable per stream and kind of API)."""
        ref = self.choose(ref, pick)
        self._quietly(self.kv.get_data_endpoint, **self.ref_args(ref), APIName=api_name)

    # -- rules: tags ----------------------------------------------------------------------

    @rule(ref=refs, pick=_picks, tags=_tags)
    def tag_stream(self, ref: str, pick: int | None, tags: dict[str, str]) -> None:
        """TagStream by name or ARN."""
        ref = self.choose(ref, pick)
        self._quietly(self.kv.tag_stream, **self.ref_args(ref), Tags=tags)

    @rule(ref=refs, pick=_picks, keys=_key_lists, held=_held)
    def untag_stream(self, ref: str, pick: int | None, keys: list[str], held: int) -> None:
        """UntagStream of some keys the stream holds and some it may not (those are ignored)."""
        ref = self.choose(ref, pick)
        keys = self.held_keys(ref, held) + keys
        self._quietly(self.kv.untag_stream, **self.ref_args(ref), TagKeyList=keys)

    @rule(ref=refs, pick=_picks)
    def list_tags_for_stream(self, ref: str, pick: int | None) -> None:
        """ListTagsForStream by name or ARN."""
        self._quietly(self.kv.list_tags_for_stream, **self.ref_args(self.choose(ref, pick)))

    @rule(arn=arns, pick=_picks, tags=_tags)
    def tag_resource(self, arn: str, pick: int | None, tags: dict[str, str]) -> None:
        """TagResource with a list of ``{Key, Value}``."""
        pairs = [{"Key": k, "Value": v} for k, v in tags.items()]
        self._quietly(self.kv.tag_resource, ResourceARN=self.choose_arn(arn, pick), Tags=pairs)

    @rule(arn=arns, pick=_picks, keys=_key_lists, held=_held)
    def untag_resource(self, arn: str, pick: int | None, keys: list[str], held: int) -> None:
        """UntagResource of some keys the stream holds and some it may not."""
        arn = self.choose_arn(arn, pick)
        keys = keys + self.held_keys(arn, held)
        self._quietly(self.kv.untag_resource, ResourceARN=arn, TagKeyList=keys)

    @rule(arn=arns, pick=_picks)
    def list_tags_for_resource(self, arn: str, pick: int | None) -> None:
        """ListTagsForResource."""
        self._quietly(self.kv.list_tags_for_resource, ResourceARN=self.choose_arn(arn, pick))

    # -- rules: storage -------------------------------------------------------------------

    @rule(ref=refs, pick=_picks)
    def describe_stream_storage_configuration(self, ref: str, pick: int | None) -> None:
        """DescribeStreamStorageConfiguration by name or ARN."""
        ref = self.choose(ref, pick)
        self._quietly(self.kv.describe_stream_storage_configuration, **self.ref_args(ref))

    @rule(ref=refs, pick=_picks, version=_versions, tier=st.sampled_from(("HOT", "WARM")))
    def update_stream_storage_configuration(
        self, ref: str, pick: int | None, version: str, tier: str
    ) -> None:
        """UpdateStreamStorageConfiguration with the current or a stale version."""
        ref = self.choose(ref, pick)
        self._quietly(
            self.kv.update_stream_storage_configuration,
            **self.ref_args(ref),
            CurrentVersion=self.version_for(ref, version),
            StreamStorageConfiguration={"DefaultStorageTier": tier},
        )

    # -- rules: the clock -----------------------------------------------------------------

    @rule(ms=st.integers(0, 3_000))
    def advance_clock(self, ms: int) -> None:
        """Let up to 3 virtual seconds pass."""
        self.sim.advance(ms / 1000)

    @rule()
    def step_clock(self) -> None:
        """Jump to the next scheduled change and run it (only that one: another change
        due at the same instant stays queued until the next call or advance)."""
        self.sim.step()
        self.sim.runtime.check()

    def _quietly(self, method: Callable[..., Any], **params: Any) -> None:
        # The checked client already compared the outcome with the model.
        with contextlib.suppress(ClientError):
            method(**params)

    # -- invariants -----------------------------------------------------------------------

    @invariant()
    def no_mismatch_was_swallowed(self) -> None:
        """Every disagreement was raised; this catches any that user code swallowed."""
        assert not self.mismatches, self.mismatches

    @invariant()
    def world_invariants_hold(self) -> None:
        """kvsim's own consistency checks (indexes, device counts, queue)."""
        self.sim.runtime.check()

    def settle(self) -> int:
        """Run what is due now (as any call would first) and settle the model; the time."""
        self.sim.advance(0)
        now = self.now_ms()
        self.model.settle(now)
        return now

    @invariant()
    def reference_matches_simulator(self) -> None:
        """Every stream's status, settings, tags and pending change are as the model says."""
        self.settle()
        actual = self._dumped_streams()
        assert sorted(actual) == sorted(self.model.streams), (
            f"streams {sorted(actual)} != model {sorted(self.model.streams)}"
        )
        pending = {c.resource: c for c in self.sim.pending()}
        for name, expected in self.model.streams.items():
            got = actual[name]
            want = {
                "arn": expected.arn,
                "created_ms": expected.created_ms,
                "status": expected.status,
                "device": expected.device,
                "media_type": expected.media_type,
                "kms_key": expected.kms_key,
                "retention": expected.retention,
                "tags": expected.tags,
                "tier": expected.tier,
            }
            assert {k: got[k] for k in want} == want, f"{name}: {got} != model {want}"
            change = pending.get(expected.arn)
            if expected.due_ms is None:
                assert change is None, f"{name} is ACTIVE but has {change}"
            else:
                assert change is not None, f"{name} is {expected.status} with nothing pending"
                assert _ms(change.due) == expected.due_ms, f"{name}: {change} != {expected}"
                transition = f"{expected.status} -> {_NEXT_STATUS[expected.status]}"
                assert change.transition == transition, f"{name}: {change.transition}"

    @invariant()
    def versions_change_only_on_metadata_updates(self) -> None:
        """The model adopts a new version only at CreateStream and metadata updates."""
        for name, got in self._dumped_streams().items():
            expected = self.model.streams.get(name)
            if expected is not None:
                assert got["version"] == expected.version, (
                    f"{name}: version {got['version']} != model {expected.version}"
                )

    @invariant()
    def nothing_stays_transient_past_its_delay(self) -> None:
        """No stream is CREATING/UPDATING/DELETING once its delay has passed."""
        now = self.settle()
        for change in self.sim.pending():
            assert _ms(change.due) > now, f"{change} is overdue at {now}"
        delay = self.model.delays_ms[CREATING]
        for name, got in self._dumped_streams().items():
            if got["status"] == CREATING:
                assert got["created_ms"] + delay > now, f"{name} is still CREATING"

    @invariant()
    def list_streams_pages_match_live_streams(self) -> None:
        """Paging ListStreams with a small ``MaxResults`` lists exactly the live streams."""
        self.model.settle(self.now_ms())
        before = set(self.model.streams)
        seen: list[str] = []
        params: dict[str, Any] = {"MaxResults": self.page_size}
        for _attempt in range(1_000):
            try:
                page = self.kv.list_streams(**params)
            except ClientError as error:
                assert error.response["Error"]["Code"] == THROTTLED, error
                self.sim.advance(0.1)
                continue
            seen += [info["StreamName"] for info in page["StreamInfoList"]]
            if "NextToken" not in page:
                break
            params = {"MaxResults": self.page_size, "NextToken": page["NextToken"]}
        else:
            raise AssertionError("ListStreams paging did not finish")
        # Each page was checked against the model at its own virtual time. While
        # paging, deletions may complete but no stream can appear.
        self.model.settle(self.now_ms())
        after = set(self.model.streams)
        assert seen == sorted(seen), f"pages out of order: {seen}"
        assert len(seen) == len(set(seen)), f"a stream was listed twice: {seen}"
        assert after <= set(seen) <= before, f"listed {seen}; live before {before}, after {after}"

    def _dumped_streams(self) -> dict[str, dict[str, Any]]:
        region = self.sim.runtime.dump().get(f"{self.account_id}/{self.region_name}")
        if region is None:
            return {}
        return {s["name"]: s for s in region["streams"]}
