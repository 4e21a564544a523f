"""Conformance of kvsim with botocore's installed ``kinesisvideo`` service model.

Five promises, each checked against the model itself (never a copy of it):

1. ``kvsim.services.registry.INPUTS`` declares the model's members, order, required lists
   and constraints, except the documented deviations in :data:`SHAPE_DEVIATIONS`.
2. Every response of every operation passes botocore's output validation and
   every other constraint of the output shape (empty tag listings aside).
3. Every error is modeled for its operation, with the modeled HTTP status.
4. Every input constraint is enforced where botocore puts it: botocore's
   client-side checks raise ``ParamValidationError`` with botocore's very
   report; the rest answer ``InvalidArgumentException`` (or the documented error).
5. Tag keys and values accept Unicode letters, separators and numbers only.
"""

from __future__ import annotations

import random
import unicodedata
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import botocore.exceptions
import botocore.session
import pytest
from _botocore_model import (
    ITEM,
    KEY,
    PATTERNS,
    REAL_STATUS,
    TAG_PUNCTUATION,
    VALUE,
    Constraint,
    botocore_report,
    bound_values,
    constraints,
    error_shapes,
    input_shape,
    kit,
    leaves,
    model_violations,
    modeled_errors,
    operation,
    output_shape,
    replaced,
    requests,
    value_at,
    violating_values,
    without,
)
from botocore import xform_name
from botocore.model import Shape
from hypothesis import given
from hypothesis import strategies as st

import kvsim
from kvsim.engine.client import KinesisVideoClient
from kvsim.errors import (
    ERROR_CLASSES,
    ClientError,
    InvalidArgumentException,
    ParamValidationError,
)
from kvsim.model.validation import Integer, List, Map, String, Structure, TagText, Typed
from kvsim.services.registry import INPUTS, OPERATIONS

ACCOUNT = "123456789012"
REGION = "us-east-1"
LIST_TAGS = ("ListTagsForStream", "ListTagsForResource")
TAG_STREAM_OPS = ("TagStream", "UntagStream", "ListTagsForStream")
INVALID_ARGUMENT = "InvalidArgumentException"
TOO_MANY_TAGS = "TagsPerResourceExceededLimitException"
BAD_RESOURCE = "InvalidResourceFormatException"

#: Constraints of the model kvsim's validation leaves to the service logic, with the
#: error that logic answers: the 50-tag cap is checked against the total a stream
#: would hold (Limits.max_tags_per_resource), and a tagging operation's malformed
#: StreamARN is an InvalidResourceFormatException.
DEVIATION_ERRORS: dict[tuple[str, tuple[str, ...], str], str] = {
    ("CreateStream", ("Tags",), "max"): TOO_MANY_TAGS,
    ("TagStream", ("Tags",), "max"): TOO_MANY_TAGS,
    ("TagResource", ("Tags",), "max"): TOO_MANY_TAGS,
    ("CreateSignalingChannel", ("Tags",), "max"): TOO_MANY_TAGS,
    **{(op, ("StreamARN",), "pattern"): BAD_RESOURCE for op in TAG_STREAM_OPS},
}

#: The same deviations as differences of kvsim's declared shapes from the model:
#: ``(operation, path, attribute)`` that kvsim leaves unset while the model sets it.
SHAPE_DEVIATIONS = {(op, path, kind) for (op, path, kind) in DEVIATION_ERRORS}


# -- worlds and the maximal valid request of each operation --------------------------------


@dataclass
class World:
    """A simulator with one ACTIVE, tagged stream ``cam-1``, one ACTIVE channel
    ``door-1`` and a client on them."""

    sim: kvsim.Simulator
    kv: KinesisVideoClient
    arn: str
    version: str
    channel_arn: str = ""
    channel_version: str = ""


def make_world(**options: Any) -> World:
    """A fresh world whose stream ``cam-1`` is ACTIVE, tagged ``team=video``."""
    sim = kvsim.Simulator(seed=0, **options)
    kv = sim.client("kinesisvideo", region_name=REGION, account_id=ACCOUNT)
    arn = kv.create_stream(
        StreamName="cam-1", DeviceName="dev-1", DataRetentionInHours=24, Tags={"team": "video"}
    )["StreamARN"]
    channel = kv.create_signaling_channel(ChannelName="door-1")["ChannelARN"]
    sim.run_until_idle()
    # An IN_SYNC edge configuration on cam-1, for the edge operations.
    kv.start_edge_configuration_update(StreamName="cam-1", EdgeConfig=minimal_edge_config())
    sim.run_until_idle()
    version = kv.describe_stream(StreamARN=arn)["StreamInfo"]["Version"]
    channel_version = kv.describe_signaling_channel(ChannelARN=channel)["ChannelInfo"]["Version"]
    return World(sim, kv, arn, version, channel, channel_version)


def base_request(op: str, w: World) -> dict[str, Any]:
    """A request of ``op`` that sets every member the model has, and succeeds in ``w``."""
    named = {"StreamName": "cam-1", "StreamARN": w.arn}
    return {
        "CreateStream": {
            "DeviceName": "dev-2",
            "StreamName": "cam-2",
            "MediaType": "video/h264",
            "KmsKeyId": f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234",
            "DataRetentionInHours": 24,
            "Tags": {"team": "video"},
            "StreamStorageConfiguration": {"DefaultStorageTier": "WARM"},
        },
        "DescribeStream": named,
        "ListStreams": {
            "MaxResults": 10,
            "NextToken": "",
            "StreamNameCondition": {"ComparisonOperator": "BEGINS_WITH", "ComparisonValue": "cam"},
        },
        "UpdateStream": {
            **named,
            "CurrentVersion": w.version,
            "DeviceName": "dev-2",
            "MediaType": "audio/aac",
        },
        "UpdateDataRetention": {
            **named,
            "CurrentVersion": w.version,
            "Operation": "INCREASE_DATA_RETENTION",
            "DataRetentionChangeInHours": 1,
        },
        "DeleteStream": {"StreamARN": w.arn, "CurrentVersion": w.version},
        "GetDataEndpoint": {**named, "APIName": "GET_MEDIA"},
        "TagStream": {**named, "Tags": {"env": "prod"}},
        "UntagStream": {**named, "TagKeyList": ["team"]},
        "ListTagsForStream": {"NextToken": "", **named},
        "TagResource": {"ResourceARN": w.arn, "Tags": [{"Key": "env", "Value": "prod"}]},
        "UntagResource": {"ResourceARN": w.arn, "TagKeyList": ["team"]},
        "ListTagsForResource": {"NextToken": "", "ResourceARN": w.arn},
        "DescribeStreamStorageConfiguration": named,
        "UpdateStreamStorageConfiguration": {
            **named,
            "CurrentVersion": w.version,
            "StreamStorageConfiguration": {"DefaultStorageTier": "WARM"},
        },
        **channel_requests(w),
        **config_requests(w),
    }[op]


def channel_requests(w: World) -> dict[str, dict[str, Any]]:
    """The maximal successful requests of the channel and media storage operations."""
    channel = {"ChannelName": "door-1", "ChannelARN": w.channel_arn}
    return {
        "CreateSignalingChannel": {
            "ChannelName": "door-2",
            "ChannelType": "SINGLE_MASTER",
            "SingleMasterConfiguration": {"MessageTtlSeconds": 30},
            "Tags": [{"Key": "team", "Value": "video"}],
        },
        "DescribeSignalingChannel": channel,
        "ListSignalingChannels": {
            "MaxResults": 10,
            "NextToken": "",
            "ChannelNameCondition": {"ComparisonOperator": "BEGINS_WITH", "ComparisonValue": "d"},
        },
        "UpdateSignalingChannel": {
            "ChannelARN": w.channel_arn,
            "CurrentVersion": w.channel_version,
            "SingleMasterConfiguration": {"MessageTtlSeconds": 120},
        },
        "DeleteSignalingChannel": {
            "ChannelARN": w.channel_arn,
            "CurrentVersion": w.channel_version,
        },
        "GetSignalingChannelEndpoint": {
            "ChannelARN": w.channel_arn,
            "SingleMasterChannelEndpointConfiguration": {
                "Protocols": ["WSS", "HTTPS"],
                "Role": "VIEWER",
            },
        },
        "UpdateMediaStorageConfiguration": {
            "ChannelARN": w.channel_arn,
            "MediaStorageConfiguration": {"StreamARN": w.arn, "Status": "ENABLED"},
        },
        "DescribeMediaStorageConfiguration": channel,
        "DescribeMappedResourceConfiguration": {
            "StreamName": "cam-1",
            "StreamARN": w.arn,
            "MaxResults": 1,
            "NextToken": "",
        },
    }


def call(kv: KinesisVideoClient, op: str, params: dict[str, Any]) -> dict[str, Any]:
    """Call ``op`` through the client's boto3-named method."""
    method: Callable[..., dict[str, Any]] = getattr(kv, xform_name(op))
    return method(**params)


# -- checking responses and errors against the model ---------------------------------------

EMPTY_TAGS_PROBLEM = "Tags: size 0 is below min 1"


def check_response(op: str, response: dict[str, Any]) -> None:
    """A successful response conforms to ``op``'s output shape (see module doc, promise 2)."""
    meta = response["ResponseMetadata"]
    assert meta["HTTPStatusCode"] == 200
    assert meta["RequestId"] == meta["HTTPHeaders"]["x-amzn-requestid"]
    body = {k: v for k, v in response.items() if k != "ResponseMetadata"}
    shape = output_shape(op)
    assert botocore_report(body, shape) == "", (op, body)
    problems = model_violations(body, shape)
    if op in LIST_TAGS and body.get("Tags") == {}:
        # The one tolerated difference: no tags is an empty map, below ResourceTags' min 1.
        assert problems == [EMPTY_TAGS_PROBLEM], (op, body)
    else:
        assert problems == [], (op, body)


def check_error(op: str, error: ClientError, kv: KinesisVideoClient) -> str:
    """A service error is modeled for ``op`` and carries the modeled status; its code."""
    code = error.response["Error"]["Code"]
    allowed = modeled_errors(op)
    assert code in allowed, f"{op} raised {code}, which its model does not list: {error}"
    assert error.response["ResponseMetadata"]["HTTPStatusCode"] == allowed[code]
    assert error.response["ResponseMetadata"]["HTTPHeaders"]["x-amzn-errortype"] == code
    assert type(error) is ERROR_CLASSES[code]
    assert isinstance(error, getattr(kv.exceptions, code))
    assert error.operation_name == op
    return code


@dataclass
class Recorder:
    """Calls operations, checks every response and error, and remembers what happened."""

    successes: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    errors: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    empty_tag_listings: int = 0
    versions: dict[str, str] = field(default_factory=dict)
    arns: list[str] = field(default_factory=list)
    tokens: list[str] = field(default_factory=list)

    def __call__(
        self, kv: KinesisVideoClient, op: str, **params: Any
    ) -> dict[str, Any] | ClientError:
        """Run one call; return the response or the (checked) service error."""
        try:
            response = call(kv, op, params)
        except ClientError as error:
            self.errors[op].add(check_error(op, error, kv))
            return error
        check_response(op, response)
        self.successes[op] += 1
        self._harvest(op, response)
        return response

    def _harvest(self, op: str, response: dict[str, Any]) -> None:
        if op in LIST_TAGS and response["Tags"] == {}:
            self.empty_tag_listings += 1
        infos = response.get("StreamInfoList", [])
        if "StreamInfo" in response:
            infos = [response["StreamInfo"]]
        for info in infos:
            self.versions[info["StreamName"]] = info["Version"]
        for key in ("StreamARN", "ChannelARN"):
            arn = response.get(key)
            if arn is not None and arn not in self.arns:
                self.arns.append(arn)
        for info in response.get("ChannelInfoList", [response.get("ChannelInfo")]):
            if info is not None:
                self.versions[info["ChannelName"]] = info["Version"]
        if response.get("NextToken"):
            self.tokens.append(response["NextToken"])

    def observed(self) -> dict[str, set[str]]:
        """Error codes seen, by operation (only operations that raised any)."""
        return {op: codes for op, codes in self.errors.items() if codes}


# == 1. input shapes ========================================================================


def test_kvsim_simulates_exactly_the_listed_operations_and_all_exist_in_the_model() -> None:
    assert list(INPUTS) == list(OPERATIONS)
    model_ops = set(operation("CreateStream").service_model.operation_names)
    assert set(OPERATIONS) <= model_ops


_KINDS = {
    Structure: "structure",
    String: "string",
    Integer: "integer",
    List: "list",
    Map: "map",
    Typed: "boolean",  # the only Typed shape of the simulated inputs (DeleteAfterUpload)
}


def _kind_of(ours: object) -> str:
    for cls in type(ours).__mro__:
        if cls in _KINDS:
            return _KINDS[cls]
    raise AssertionError(f"unknown kvsim shape {ours!r}")


def shape_differences(
    ours: Any, theirs: Shape, path: tuple[str, ...] = ()
) -> list[tuple[tuple[str, ...], str, Any, Any]]:
    """Every ``(path, attribute, kvsim's value, model's value)`` where the two differ."""
    kind = theirs.type_name
    if _kind_of(ours) != kind:
        return [(path, "type", _kind_of(ours), kind)]
    meta = theirs.metadata
    found: list[tuple[tuple[str, ...], str, Any, Any]] = []

    def compare(attribute: str, mine: Any, model: Any) -> None:
        if mine != model:
            found.append((path, attribute, mine, model))

    if kind == "structure":
        compare("members", list(ours.members), list(theirs.members))
        compare("required", list(ours.required), list(meta.get("required", [])))
        for name, member in theirs.members.items():
            if name in ours.members:
                found += shape_differences(ours.members[name], member, (*path, name))
        return found
    if kind == "boolean":
        return found  # a type and nothing else
    compare("min", ours.min, meta.get("min"))
    compare("max", ours.max, meta.get("max"))
    if kind == "string":
        compare("pattern", ours.pattern, meta.get("pattern"))
        compare("enum", list(ours.enum) if ours.enum else None, theirs.enum or None)
        # Java's \p{...} classes need the Unicode-aware checker.
        compare("unicode-aware", isinstance(ours, TagText), "\\p{" in meta.get("pattern", ""))
    elif kind == "list":
        found += shape_differences(ours.member, theirs.member, (*path, ITEM))
    elif kind == "map":
        found += shape_differences(ours.key, theirs.key, (*path, KEY))
        found += shape_differences(ours.value, theirs.value, (*path, VALUE))
    return found


@pytest.mark.parametrize("op", OPERATIONS)
def test_input_shape_matches_the_model_except_documented_deviations(op: str) -> None:
    theirs = input_shape(op)
    # Each deviation: kvsim leaves the attribute unset where the model has a value.
    expected = [
        (path, kind, None, theirs.members[path[0]].metadata[kind])
        for (dev_op, path, kind) in SHAPE_DEVIATIONS
        if dev_op == op
    ]
    differences = shape_differences(INPUTS[op], theirs)
    assert sorted(differences, key=repr) == sorted(expected, key=repr)


def test_the_tag_cap_kvsim_enforces_by_default_is_the_models() -> None:
    caps = {
        input_shape("CreateStream").members["Tags"].metadata["max"],
        input_shape("TagStream").members["Tags"].metadata["max"],
        input_shape("TagResource").members["Tags"].metadata["max"],
    }
    assert caps == {kvsim.Limits().max_tags_per_resource}


# == 3 (part). error classes ================================================================


def test_error_classes_are_exactly_the_models_error_shapes_with_their_statuses() -> None:
    model = error_shapes()
    assert len(model) == 15
    # The model's statuses, except where the real service answers another (403 denials).
    real = {code: REAL_STATUS.get(code, status) for code, status in model.items()}
    assert {code: cls.http_status for code, cls in ERROR_CLASSES.items()} == real
    assert all(cls.code == code for code, cls in ERROR_CLASSES.items())
    for op in OPERATIONS:
        assert set(modeled_errors(op)) <= set(ERROR_CLASSES), op


def test_client_exceptions_namespace_has_every_modeled_error() -> None:
    kv = kvsim.Simulator().client("kinesisvideo", region_name=REGION, account_id=ACCOUNT)
    real = botocore.session.get_session().create_client(
        "kinesisvideo",
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    codes = sorted(real.exceptions._code_to_exception)
    assert codes == sorted(error_shapes())
    for code in codes:
        cls = getattr(kv.exceptions, code)
        assert cls is ERROR_CLASSES[code]
        assert issubclass(cls, kv.exceptions.ClientError)
    assert kv.exceptions.ClientError is ClientError


def test_client_has_a_boto3_named_method_for_every_operation() -> None:
    for op in OPERATIONS:
        assert callable(getattr(KinesisVideoClient, xform_name(op))), op


# == 2. responses ===========================================================================


def realistic_scenario(rec: Recorder) -> None:
    """Every operation, succeeding in the states where it can, by name and by ARN."""
    sim = kvsim.Simulator(seed=3)
    kv = sim.client("kinesisvideo", region_name=REGION, account_id=ACCOUNT)
    cn = sim.client("kinesisvideo", region_name="cn-north-1", account_id=ACCOUNT)
    full = rec(
        kv,
        "CreateStream",
        StreamName="cam-full",
        DeviceName="dev-1",
        MediaType="video/h264,audio/aac",
        KmsKeyId="arn:aws:kms:us-east-1:123456789012:key/k-1",
        DataRetentionInHours=87_600,
        Tags={"team": "video", "é": "中文", "n": ""},
        StreamStorageConfiguration={"DefaultStorageTier": "WARM"},
    )
    bare = rec(kv, "CreateStream", StreamName="b" * 256)
    rec(cn, "CreateStream", StreamName="cam-cn")
    assert isinstance(full, dict) and isinstance(bare, dict)
    # CREATING: describe, list, tag and read tags.
    rec(kv, "DescribeStream", StreamName="cam-full")
    rec(kv, "DescribeStream", StreamARN=bare["StreamARN"])
    rec(kv, "ListStreams")
    rec(kv, "ListTagsForStream", StreamARN=bare["StreamARN"])
    rec(kv, "ListTagsForResource", ResourceARN=bare["StreamARN"])
    rec(kv, "DescribeStreamStorageConfiguration", StreamName="cam-full")
    sim.run_until_idle()
    # ACTIVE: everything.
    for api in operation("GetDataEndpoint").input_shape.members["APIName"].enum:
        rec(kv, "GetDataEndpoint", StreamName="cam-full", APIName=api)
        sim.advance(0.2)  # stay within the 5 TPS per stream
    rec(cn, "GetDataEndpoint", StreamName="cam-cn", APIName="PUT_MEDIA")
    rec(cn, "DescribeStream", StreamName="cam-cn")
    rec(kv, "TagStream", StreamARN=full["StreamARN"], Tags={"env": "prod"})
    rec(kv, "TagResource", ResourceARN=bare["StreamARN"], Tags=[{"Key": "k", "Value": "v"}])
    rec(kv, "ListTagsForStream", StreamName="cam-full")
    rec(kv, "ListTagsForResource", ResourceARN=full["StreamARN"])
    rec(kv, "UntagStream", StreamName="cam-full", TagKeyList=["env", "absent"])
    rec(kv, "UntagResource", ResourceARN=bare["StreamARN"], TagKeyList=["k"])
    rec(kv, "ListTagsForResource", ResourceARN=bare["StreamARN"])
    rec(kv, "DescribeStreamStorageConfiguration", StreamARN=full["StreamARN"])
    for i in range(5):
        rec(kv, "CreateStream", StreamName=f"page-{i}", DeviceName="dev-1")
    for page_size in (1, 2, 10_000):
        token: str | None = None
        while True:
            extra = {"NextToken": token} if token else {}
            page = rec(kv, "ListStreams", MaxResults=page_size, **extra)
            assert isinstance(page, dict)
            token = page.get("NextToken")
            if not token:
                break
    rec(
        kv,
        "ListStreams",
        StreamNameCondition={"ComparisonOperator": "BEGINS_WITH", "ComparisonValue": "page"},
    )
    rec(kv, "DescribeStream", StreamName="cam-full")
    version = rec.versions["cam-full"]
    rec(kv, "UpdateStream", StreamName="cam-full", CurrentVersion=version, MediaType="video/h265")
    # UPDATING: reads and the data endpoint still work.
    rec(kv, "DescribeStream", StreamName="cam-full")
    rec(kv, "GetDataEndpoint", StreamARN=full["StreamARN"], APIName="GET_CLIP")
    rec(kv, "ListStreams", MaxResults=3)
    sim.run_until_idle()
    updates: tuple[tuple[str, dict[str, Any]], ...] = (
        (
            "UpdateDataRetention",
            {"Operation": "DECREASE_DATA_RETENTION", "DataRetentionChangeInHours": 87_600},
        ),
        (
            "UpdateStreamStorageConfiguration",
            {"StreamStorageConfiguration": {"DefaultStorageTier": "HOT"}},
        ),
        ("UpdateStream", {"DeviceName": "dev-9"}),
    )
    for op, extra in updates:
        rec(kv, "DescribeStream", StreamName="cam-full")
        rec(kv, op, StreamName="cam-full", CurrentVersion=rec.versions["cam-full"], **extra)
        sim.run_until_idle()
    rec(kv, "DescribeStream", StreamName="cam-full")
    rec(kv, "DeleteStream", StreamARN=full["StreamARN"], CurrentVersion=rec.versions["cam-full"])
    rec(kv, "DeleteStream", StreamARN=bare["StreamARN"])
    # DELETING: still described and listed.
    rec(kv, "DescribeStream", StreamName="cam-full")
    rec(kv, "ListStreams")
    rec(kv, "ListTagsForStream", StreamName="cam-full")
    sim.run_until_idle()
    rec(kv, "ListStreams")
    sim._check()
    channel_scenario(rec)
    config_scenario(rec)


def channel_scenario(rec: Recorder) -> None:
    """Every channel and media storage operation, succeeding in the states where it can."""
    sim = kvsim.Simulator(seed=4)
    kv = sim.client("kinesisvideo", region_name=REGION, account_id=ACCOUNT)
    cn = sim.client("kinesisvideo", region_name="cn-north-1", account_id=ACCOUNT)
    full = rec(
        kv,
        "CreateSignalingChannel",
        ChannelName="door-full",
        ChannelType="SINGLE_MASTER",
        SingleMasterConfiguration={"MessageTtlSeconds": 120},
        Tags=[{"Key": "team", "Value": "video"}, {"Key": "é", "Value": ""}],
    )
    bare = rec(kv, "CreateSignalingChannel", ChannelName="c" * 256)
    far = rec(cn, "CreateSignalingChannel", ChannelName="door-cn")
    store = rec(kv, "CreateStream", StreamName="store", DataRetentionInHours=24)
    assert isinstance(full, dict) and isinstance(bare, dict) and isinstance(far, dict)
    assert isinstance(store, dict)
    door, plain, stream = full["ChannelARN"], bare["ChannelARN"], store["StreamARN"]
    # CREATING: describe, list, read configurations and tags.
    rec(kv, "DescribeSignalingChannel", ChannelName="door-full")
    rec(kv, "DescribeSignalingChannel", ChannelARN=plain)
    rec(kv, "ListSignalingChannels")
    rec(kv, "DescribeMediaStorageConfiguration", ChannelName="door-full")
    rec(kv, "ListTagsForResource", ResourceARN=plain)
    rec(kv, "DescribeMappedResourceConfiguration", StreamName="store")
    sim.run_until_idle()
    enabled = {"StreamARN": stream, "Status": "ENABLED"}
    rec(kv, "UpdateMediaStorageConfiguration", ChannelARN=door, MediaStorageConfiguration=enabled)
    rec(kv, "DescribeMediaStorageConfiguration", ChannelARN=door)
    rec(kv, "DescribeMappedResourceConfiguration", StreamARN=stream, MaxResults=1)
    every = {"Protocols": ["WSS", "HTTPS", "WEBRTC"], "Role": "VIEWER"}
    rec(
        kv,
        "GetSignalingChannelEndpoint",
        ChannelARN=door,
        SingleMasterChannelEndpointConfiguration=every,
    )
    rec(kv, "GetSignalingChannelEndpoint", ChannelARN=plain)
    rec(cn, "GetSignalingChannelEndpoint", ChannelARN=far["ChannelARN"])
    rec(kv, "TagResource", ResourceARN=door, Tags=[{"Key": "env", "Value": "prod"}])
    rec(kv, "ListTagsForResource", ResourceARN=door)
    rec(kv, "UntagResource", ResourceARN=door, TagKeyList=["env", "absent"])
    for i in range(5):
        rec(kv, "CreateSignalingChannel", ChannelName=f"page-{i}")
    for page_size in (1, 2, 10_000):
        token: str | None = None
        while True:
            extra = {"NextToken": token} if token else {}
            page = rec(kv, "ListSignalingChannels", MaxResults=page_size, **extra)
            assert isinstance(page, dict)
            token = page.get("NextToken")
            if not token:
                break
    condition = {"ComparisonOperator": "BEGINS_WITH", "ComparisonValue": "page"}
    rec(kv, "ListSignalingChannels", ChannelNameCondition=condition)
    rec(kv, "DescribeSignalingChannel", ChannelName="door-full")
    ttl = {"MessageTtlSeconds": 5}
    version = rec.versions["door-full"]
    rec(
        kv,
        "UpdateSignalingChannel",
        ChannelARN=door,
        CurrentVersion=version,
        SingleMasterConfiguration=ttl,
    )
    # UPDATING: reads and endpoints still work.
    rec(kv, "DescribeSignalingChannel", ChannelName="door-full")
    rec(kv, "GetSignalingChannelEndpoint", ChannelARN=door)
    sim.run_until_idle()
    rec(kv, "DescribeSignalingChannel", ChannelARN=door)
    rec(kv, "UpdateSignalingChannel", ChannelARN=door, CurrentVersion=rec.versions["door-full"])
    sim.run_until_idle()
    disabled = {"Status": "DISABLED"}
    rec(kv, "UpdateMediaStorageConfiguration", ChannelARN=door, MediaStorageConfiguration=disabled)
    rec(kv, "DescribeMappedResourceConfiguration", StreamARN=stream)
    rec(kv, "DescribeSignalingChannel", ChannelARN=door)
    rec(kv, "DeleteSignalingChannel", ChannelARN=door, CurrentVersion=rec.versions["door-full"])
    rec(kv, "DeleteSignalingChannel", ChannelARN=plain)
    # DELETING: still described and listed.
    rec(kv, "DescribeSignalingChannel", ChannelName="door-full")
    rec(kv, "ListSignalingChannels")
    sim.run_until_idle()
    rec(kv, "ListSignalingChannels")
    sim._check()


def test_every_response_of_a_realistic_scenario_conforms_to_its_output_shape() -> None:
    rec = Recorder()
    realistic_scenario(rec)
    assert sorted(rec.successes) == sorted(OPERATIONS)
    assert rec.observed() == {}
    # Tag listings of untagged streams happened, each checked for exactly the empty-map issue.
    assert rec.empty_tag_listings == 4


def test_an_empty_tag_listing_breaks_only_the_maps_min_which_botocore_does_not_check() -> None:
    w = make_world()
    w.kv.untag_stream(StreamName="cam-1", TagKeyList=["team"])
    for op, params in (
        ("ListTagsForStream", {"StreamName": "cam-1"}),
        ("ListTagsForResource", {"ResourceARN": w.arn}),
    ):
        body = call(w.kv, op, params)
        del body["ResponseMetadata"]
        assert body == {"Tags": {}}
        shape = output_shape(op)
        assert shape.members["Tags"].metadata["min"] == 1
        assert botocore_report(body, shape) == ""
        assert model_violations(body, shape) == [EMPTY_TAGS_PROBLEM]


# == 3. errors ==============================================================================

_STALE = "0000000000"


def _put_in_status(
    rec: Recorder, sim: kvsim.Simulator, kv: KinesisVideoClient, name: str, status: str
) -> str:
    created = rec(kv, "CreateStream", StreamName=name, Tags={"t": "1"})
    assert isinstance(created, dict)
    arn = str(created["StreamARN"])
    if status == "CREATING":
        return arn
    sim.run_until_idle()
    if status == "UPDATING":
        rec(kv, "DescribeStream", StreamName=name)
        rec(kv, "UpdateStream", StreamName=name, CurrentVersion=rec.versions[name], MediaType="a/b")
    elif status in ("DELETING", "GONE"):
        rec(kv, "DeleteStream", StreamARN=arn)
        if status == "GONE":
            sim.run_until_idle()
    return arn


def _calls_on(
    rec: Recorder, sim: kvsim.Simulator, kv: KinesisVideoClient, name: str, arn: str
) -> None:
    """Every operation on one stream: stale versions first, then good calls."""
    by_name = {"StreamName": name}
    by_arn = {"StreamARN": arn}
    for ident in (by_name, by_arn):
        rec(kv, "UpdateStream", **ident, CurrentVersion=_STALE, DeviceName="d")
        rec(
            kv,
            "UpdateDataRetention",
            **ident,
            CurrentVersion=_STALE,
            Operation="INCREASE_DATA_RETENTION",
            DataRetentionChangeInHours=1,
        )
        rec(
            kv,
            "UpdateStreamStorageConfiguration",
            **ident,
            CurrentVersion=_STALE,
            StreamStorageConfiguration={"DefaultStorageTier": "WARM"},
        )
    rec(kv, "DeleteStream", StreamARN=arn, CurrentVersion=_STALE)
    rec(kv, "CreateStream", StreamName=name)
    for ident in (by_name, by_arn, {**by_name, **by_arn}):
        rec(kv, "DescribeStream", **ident)
        rec(kv, "DescribeStreamStorageConfiguration", **ident)
        rec(kv, "GetDataEndpoint", **ident, APIName="PUT_MEDIA")
        rec(kv, "TagStream", **ident, Tags={"u": "2"})
        rec(kv, "ListTagsForStream", **ident)
        rec(kv, "UntagStream", **ident, TagKeyList=["u"])
    rec(kv, "TagResource", ResourceARN=arn, Tags=[{"Key": "r", "Value": "3"}])
    rec(kv, "ListTagsForResource", ResourceARN=arn)
    rec(kv, "UntagResource", ResourceARN=arn, TagKeyList=["r"])
    rec(
        kv,
        "ListStreams",
        StreamNameCondition={"ComparisonOperator": "BEGINS_WITH", "ComparisonValue": name},
    )
    # Each update at the current version; the repeat meets the UPDATING status it caused.
    for op, extra in (
        (
            "UpdateDataRetention",
            {"Operation": "INCREASE_DATA_RETENTION", "DataRetentionChangeInHours": 1},
        ),
        (
            "UpdateStreamStorageConfiguration",
            {"StreamStorageConfiguration": {"DefaultStorageTier": "WARM"}},
        ),
        ("UpdateStream", {"DeviceName": "d"}),
    ):
        rec(kv, "DescribeStream", StreamARN=arn)
        for _ in range(2):
            rec(kv, op, StreamARN=arn, CurrentVersion=rec.versions.get(name, _STALE), **extra)
        sim.run_until_idle()
    rec(kv, "DescribeStream", StreamARN=arn)
    rec(kv, "DeleteStream", StreamARN=arn, CurrentVersion=rec.versions.get(name, _STALE))
    rec(kv, "DeleteStream", StreamARN=arn)


def _bad_inputs(rec: Recorder, kv: KinesisVideoClient, arn: str, elsewhere: str) -> None:
    """Inputs the service refuses: no stream named, mismatched or foreign ARNs, bad tokens."""
    channel = arn.replace(":stream/", ":channel/")
    name_ops = (
        "DescribeStream",
        "GetDataEndpoint",
        "UpdateStream",
        "UpdateDataRetention",
        "DescribeStreamStorageConfiguration",
        "UpdateStreamStorageConfiguration",
        *TAG_STREAM_OPS,
    )
    extras: dict[str, dict[str, Any]] = {
        "GetDataEndpoint": {"APIName": "GET_MEDIA"},
        "UpdateStream": {"CurrentVersion": _STALE},
        "UpdateDataRetention": {
            "CurrentVersion": _STALE,
            "Operation": "INCREASE_DATA_RETENTION",
            "DataRetentionChangeInHours": 1,
        },
        "UpdateStreamStorageConfiguration": {
            "CurrentVersion": _STALE,
            "StreamStorageConfiguration": {"DefaultStorageTier": "HOT"},
        },
        "TagStream": {"Tags": {"a": "b"}},
        "UntagStream": {"TagKeyList": ["a"]},
        "ListTagsForStream": {},
    }
    for op in name_ops:
        extra = extras.get(op, {})
        rec(kv, op, **extra)  # neither name nor ARN
        rec(kv, op, StreamName="other", StreamARN=arn, **extra)  # not the same stream
        rec(kv, op, StreamARN=elsewhere, **extra)  # another region's stream
        rec(kv, op, StreamName="bad name!", **extra)  # pattern
        rec(kv, op, StreamARN=channel, **extra)  # not a stream ARN
    for op in TAG_STREAM_OPS:
        rec(kv, op, StreamARN="not-an-arn", **extras[op])
    rec(kv, "DeleteStream", StreamARN=elsewhere)
    rec(kv, "DeleteStream", StreamARN="not-an-arn")
    rec(kv, "TagResource", ResourceARN="not-an-arn", Tags=[{"Key": "a", "Value": "b"}])
    rec(kv, "TagResource", ResourceARN=channel, Tags=[{"Key": "a", "Value": "b"}])
    rec(kv, "UntagResource", ResourceARN=elsewhere, TagKeyList=["a"])
    rec(kv, "UntagResource", ResourceARN=arn, TagKeyList=["a!"])
    rec(kv, "ListTagsForResource", ResourceARN=elsewhere)
    rec(kv, "ListTagsForResource", ResourceARN=arn, NextToken="abc")
    rec(kv, "ListTagsForStream", StreamARN=arn, NextToken="abc")
    rec(kv, "ListStreams", NextToken="Zm9v")
    rec(kv, "ListStreams", NextToken="not a token")
    rec(kv, "ListStreams", MaxResults=10_001)
    rec(kv, "ListStreams", StreamNameCondition={"ComparisonOperator": "BEGINS_WITH"})
    rec(kv, "CreateStream", StreamName="x", DataRetentionInHours=87_601)
    rec(kv, "CreateStream", StreamName="x", MediaType="video")
    rec(kv, "CreateStream", StreamName="x", Tags={})


def _channel_sweep(
    rec: Recorder,
    sim: kvsim.Simulator,
    kv: KinesisVideoClient,
    other: KinesisVideoClient,
    stream: str,
) -> None:
    """Every channel operation on a channel in each status, then the bad inputs."""
    enable = {"StreamARN": stream, "Status": "ENABLED"}
    for status in ("CREATING", "ACTIVE", "UPDATING", "DELETING", "GONE"):
        name = f"c-{status.lower()}"
        created = rec(
            kv, "CreateSignalingChannel", ChannelName=name, Tags=[{"Key": "t", "Value": "1"}]
        )
        assert isinstance(created, dict)
        arn = created["ChannelARN"]
        if status != "CREATING":
            sim.run_until_idle()
            rec(kv, "DescribeSignalingChannel", ChannelName=name)
        if status == "UPDATING":
            rec(kv, "UpdateSignalingChannel", ChannelARN=arn, CurrentVersion=rec.versions[name])
        elif status in ("DELETING", "GONE"):
            rec(kv, "DeleteSignalingChannel", ChannelARN=arn)
            if status == "GONE":
                sim.run_until_idle()
        rec(kv, "UpdateSignalingChannel", ChannelARN=arn, CurrentVersion=_STALE)
        rec(kv, "DeleteSignalingChannel", ChannelARN=arn, CurrentVersion=_STALE)
        rec(kv, "CreateSignalingChannel", ChannelName=name)
        for ident in (
            {"ChannelName": name},
            {"ChannelARN": arn},
            {"ChannelName": name, "ChannelARN": arn},
        ):
            rec(kv, "DescribeSignalingChannel", **ident)
            rec(kv, "DescribeMediaStorageConfiguration", **ident)
        rec(kv, "GetSignalingChannelEndpoint", ChannelARN=arn)
        webrtc = {"Protocols": ["WEBRTC"]}
        rec(
            kv,
            "GetSignalingChannelEndpoint",
            ChannelARN=arn,
            SingleMasterChannelEndpointConfiguration=webrtc,
        )
        rec(kv, "UpdateMediaStorageConfiguration", ChannelARN=arn, MediaStorageConfiguration=enable)
        rec(
            kv,
            "GetSignalingChannelEndpoint",
            ChannelARN=arn,
            SingleMasterChannelEndpointConfiguration=webrtc,
        )
        rec(kv, "DescribeMappedResourceConfiguration", StreamARN=stream)
        disable = {"Status": "DISABLED"}
        rec(
            kv, "UpdateMediaStorageConfiguration", ChannelARN=arn, MediaStorageConfiguration=disable
        )
        rec(kv, "TagResource", ResourceARN=arn, Tags=[{"Key": "r", "Value": "3"}])
        rec(kv, "ListTagsForResource", ResourceARN=arn)
        rec(kv, "UntagResource", ResourceARN=arn, TagKeyList=["r"])
        condition = {"ComparisonOperator": "BEGINS_WITH", "ComparisonValue": name}
        rec(kv, "ListSignalingChannels", ChannelNameCondition=condition)
        rec(kv, "DescribeSignalingChannel", ChannelARN=arn)
        for _ in range(2):
            version = rec.versions.get(name, _STALE)
            rec(kv, "UpdateSignalingChannel", ChannelARN=arn, CurrentVersion=version)
        sim.run_until_idle()
        rec(kv, "DescribeSignalingChannel", ChannelARN=arn)
        rec(
            kv,
            "DeleteSignalingChannel",
            ChannelARN=arn,
            CurrentVersion=rec.versions.get(name, _STALE),
        )
        rec(kv, "DeleteSignalingChannel", ChannelARN=arn)
    # Bad inputs: no channel named, mismatched, foreign or stream ARNs, bad tokens, bad links.
    far = rec(other, "CreateSignalingChannel", ChannelName="far")
    mine = rec(kv, "CreateSignalingChannel", ChannelName="mine")
    thief = rec(kv, "CreateSignalingChannel", ChannelName="thief")
    dry = rec(kv, "CreateStream", StreamName="dry")
    assert isinstance(far, dict) and isinstance(mine, dict) and isinstance(thief, dict)
    assert isinstance(dry, dict)
    sim.run_until_idle()
    arn, foreign = mine["ChannelARN"], far["ChannelARN"]
    for op in ("DescribeSignalingChannel", "DescribeMediaStorageConfiguration"):
        rec(kv, op)
        rec(kv, op, ChannelName="other", ChannelARN=arn)
        rec(kv, op, ChannelARN=foreign)
        rec(kv, op, ChannelName="bad name!")
        rec(kv, op, ChannelARN=stream)
    for op, extra in (
        ("UpdateSignalingChannel", {"CurrentVersion": _STALE}),
        ("DeleteSignalingChannel", {}),
        ("GetSignalingChannelEndpoint", {}),
    ):
        rec(kv, op, ChannelARN=foreign, **extra)
        rec(kv, op, ChannelARN="not-an-arn", **extra)
    rec(kv, "ListSignalingChannels", NextToken="Zm9v")
    rec(kv, "ListSignalingChannels", ChannelNameCondition={"ComparisonOperator": "BEGINS_WITH"})
    rec(kv, "CreateSignalingChannel", ChannelName="mesh", ChannelType="FULL_MESH")
    rec(
        kv,
        "CreateSignalingChannel",
        ChannelName="ttl",
        SingleMasterConfiguration={"MessageTtlSeconds": 121},
    )
    link = {"ChannelARN": arn}
    rec(
        kv,
        "UpdateMediaStorageConfiguration",
        **link,
        MediaStorageConfiguration={"Status": "ENABLED"},
    )
    rec(
        kv,
        "UpdateMediaStorageConfiguration",
        **link,
        MediaStorageConfiguration={"Status": "DISABLED", "StreamARN": stream},
    )
    no_data = {"Status": "ENABLED", "StreamARN": dry["StreamARN"]}
    rec(kv, "UpdateMediaStorageConfiguration", **link, MediaStorageConfiguration=no_data)
    rec(kv, "UpdateMediaStorageConfiguration", **link, MediaStorageConfiguration=enable)
    rec(
        kv,
        "UpdateMediaStorageConfiguration",
        ChannelARN=thief["ChannelARN"],
        MediaStorageConfiguration=enable,
    )
    rec(kv, "UpdateMediaStorageConfiguration", ChannelARN=foreign, MediaStorageConfiguration=enable)
    outside = {"Status": "ENABLED", "StreamARN": stream.replace(REGION, "eu-west-1")}
    rec(kv, "UpdateMediaStorageConfiguration", **link, MediaStorageConfiguration=outside)
    rec(kv, "DescribeMappedResourceConfiguration")
    rec(kv, "DescribeMappedResourceConfiguration", StreamName="absent")
    rec(kv, "DescribeMappedResourceConfiguration", StreamARN=stream, NextToken="abc")
    rec(kv, "DescribeMappedResourceConfiguration", StreamARN=arn)
    rec(kv, "TagResource", ResourceARN=foreign, Tags=[{"Key": "a", "Value": "b"}])


def test_errors_of_a_sweep_over_states_and_bad_inputs_are_modeled_with_their_status() -> None:
    rec = Recorder()
    sim = kvsim.Simulator(
        seed=5, limits=kvsim.Limits(throttling=False), timings=kvsim.Timings(call_latency=0)
    )
    kv = sim.client("kinesisvideo", region_name=REGION, account_id=ACCOUNT)
    other = sim.client("kinesisvideo", region_name="eu-west-1", account_id=ACCOUNT)
    for status in ("CREATING", "ACTIVE", "UPDATING", "DELETING", "GONE"):
        name = f"s-{status.lower()}"
        arn = _put_in_status(rec, sim, kv, name, status)
        if status != "GONE":
            info = rec(kv, "DescribeStream", StreamName=name)
            assert isinstance(info, dict) and info["StreamInfo"]["Status"] == status
        _calls_on(rec, sim, kv, name, arn)
    foreign = rec(other, "CreateStream", StreamName="far")
    assert isinstance(foreign, dict)
    arn = _put_in_status(rec, sim, kv, "target", "ACTIVE")
    _bad_inputs(rec, kv, arn, foreign["StreamARN"])
    _channel_sweep(rec, sim, kv, other, arn)
    _config_sweep(rec, sim, kv)
    sim._check()
    found = {"ResourceNotFoundException", INVALID_ARGUMENT}
    updates = found | {"ResourceInUseException", "VersionMismatchException"}
    assert rec.observed() == {
        "CreateStream": {"ResourceInUseException", INVALID_ARGUMENT},
        "DescribeStream": found,
        "ListStreams": {INVALID_ARGUMENT},
        "UpdateStream": updates,
        "UpdateDataRetention": updates,
        "DeleteStream": updates,
        "GetDataEndpoint": found,
        "TagStream": found | {BAD_RESOURCE},
        "UntagStream": found | {BAD_RESOURCE},
        "ListTagsForStream": found | {BAD_RESOURCE},
        "TagResource": found,
        "UntagResource": found,
        "ListTagsForResource": found,
        "DescribeStreamStorageConfiguration": found,
        "UpdateStreamStorageConfiguration": updates,
        "CreateSignalingChannel": {"ResourceInUseException", INVALID_ARGUMENT},
        "DescribeSignalingChannel": found,
        "ListSignalingChannels": {INVALID_ARGUMENT},
        "UpdateSignalingChannel": updates,
        "DeleteSignalingChannel": updates,
        "GetSignalingChannelEndpoint": found | {"ResourceInUseException"},
        "UpdateMediaStorageConfiguration": found
        | {"ResourceInUseException", "NoDataRetentionException"},
        "DescribeMediaStorageConfiguration": found,
        "DescribeMappedResourceConfiguration": found,
        **CONFIG_SWEEP_ERRORS,
    }
    assert sorted(rec.successes) == sorted(OPERATIONS)


_THROTTLE_CASES = [
    pytest.param(scope, op, id=f"{scope}-{op}")
    for scope in ("account", "stream")
    for op in OPERATIONS
    # CreateStream and ListStreams have no per-stream rate.
    if scope == "account"
    or op
    not in (
        "CreateStream",
        "ListStreams",
        "CreateSignalingChannel",
        "ListSignalingChannels",
        "ListEdgeAgentConfigurations",
    )
]


@pytest.mark.parametrize(("scope", "op"), _THROTTLE_CASES)
def test_throttling_is_the_modeled_client_limit_error(scope: str, op: str) -> None:
    rates = {name: (1, None) if scope == "account" else (None, 1) for name in OPERATIONS}
    w = make_world(limits=kvsim.Limits(rates=rates), timings=kvsim.Timings(call_latency=0))
    w.sim.advance(10)  # refill what building the world took
    rec = Recorder()
    params = base_request(op, w)
    assert isinstance(rec(w.kv, op, **params), dict)
    before = w.sim._dump()
    throttled = rec(w.kv, op, **params)
    assert isinstance(throttled, w.kv.exceptions.ClientLimitExceededException)
    assert rec.observed() == {op: {"ClientLimitExceededException"}}
    assert w.sim._dump() == before


def test_quota_errors_are_modeled_with_their_status() -> None:
    rec = Recorder()
    limits = kvsim.Limits(
        max_streams_per_account=3,
        max_tags_per_resource=3,
        max_streams_per_device=1,
        max_data_retention_hours=48,
        throttling=False,
    )
    sim = kvsim.Simulator(seed=2, limits=limits)
    kv = sim.client("kinesisvideo", region_name=REGION, account_id=ACCOUNT)
    three = {"1": "", "2": "", "3": ""}
    a = rec(kv, "CreateStream", StreamName="a", DeviceName="d1", Tags=three)
    assert isinstance(a, dict)
    rec(kv, "CreateStream", StreamName="x", Tags={**three, "4": ""})
    rec(kv, "CreateStream", StreamName="x", DeviceName="d1")
    rec(kv, "CreateStream", StreamName="x", DataRetentionInHours=49)
    rec(kv, "CreateStream", StreamName="b", DeviceName="d2", DataRetentionInHours=48)
    rec(kv, "CreateStream", StreamName="c")
    rec(kv, "CreateStream", StreamName="x")
    assert rec.observed() == {
        "CreateStream": {
            TOO_MANY_TAGS,
            "DeviceStreamLimitExceededException",
            INVALID_ARGUMENT,
            "AccountStreamLimitExceededException",
        }
    }
    sim.run_until_idle()
    rec(kv, "TagStream", StreamName="a", Tags={"4": ""})
    rec(kv, "TagStream", StreamName="a", Tags={"1": "overwritten"})
    rec(kv, "TagResource", ResourceARN=a["StreamARN"], Tags=[{"Key": "5", "Value": ""}])
    rec(kv, "ListStreams")
    rec(
        kv,
        "UpdateDataRetention",
        StreamName="b",
        CurrentVersion=rec.versions["b"],
        Operation="INCREASE_DATA_RETENTION",
        DataRetentionChangeInHours=1,
    )
    rec(
        kv,
        "UpdateDataRetention",
        StreamName="c",
        CurrentVersion=rec.versions["c"],
        Operation="DECREASE_DATA_RETENTION",
        DataRetentionChangeInHours=1,
    )
    rec(kv, "UpdateStream", StreamName="c", CurrentVersion=rec.versions["c"], DeviceName="d1")
    tags = rec(kv, "ListTagsForStream", StreamName="a")
    assert isinstance(tags, dict) and tags["Tags"] == {"1": "overwritten", "2": "", "3": ""}
    # While "a" is DELETING it still counts against the account, not against its device.
    rec(kv, "DeleteStream", StreamARN=a["StreamARN"])
    rec(kv, "CreateStream", StreamName="x", DeviceName="d1")
    sim.run_until_idle()
    assert isinstance(rec(kv, "CreateStream", StreamName="x", DeviceName="d1"), dict)
    sim._check()
    assert rec.observed() == {
        "CreateStream": {
            TOO_MANY_TAGS,
            "DeviceStreamLimitExceededException",
            INVALID_ARGUMENT,
            "AccountStreamLimitExceededException",
        },
        "TagStream": {TOO_MANY_TAGS},
        "TagResource": {TOO_MANY_TAGS},
        "UpdateDataRetention": {INVALID_ARGUMENT},
        "UpdateStream": {INVALID_ARGUMENT},
    }


def test_channel_quota_errors_are_modeled_with_their_status() -> None:
    rec = Recorder()
    limits = kvsim.Limits(max_channels_per_account=2, max_tags_per_resource=2, throttling=False)
    sim = kvsim.Simulator(seed=2, limits=limits)
    kv = sim.client("kinesisvideo", region_name=REGION, account_id=ACCOUNT)
    two = [{"Key": "1", "Value": ""}, {"Key": "2", "Value": ""}]
    a = rec(kv, "CreateSignalingChannel", ChannelName="a", Tags=two)
    assert isinstance(a, dict)
    rec(kv, "CreateSignalingChannel", ChannelName="x", Tags=[*two, {"Key": "3", "Value": ""}])
    rec(kv, "CreateSignalingChannel", ChannelName="b")
    rec(kv, "CreateSignalingChannel", ChannelName="x")
    rec(kv, "TagResource", ResourceARN=a["ChannelARN"], Tags=[{"Key": "3", "Value": ""}])
    rec(kv, "TagResource", ResourceARN=a["ChannelARN"], Tags=[{"Key": "1", "Value": "v"}])
    sim._check()
    assert rec.observed() == {
        "CreateSignalingChannel": {TOO_MANY_TAGS, "AccountChannelLimitExceededException"},
        "TagResource": {TOO_MANY_TAGS},
    }


# A small, crowded world: few names, low limits, short delays, real rates.
_SWEEP_NAMES = ("a", "b", "c", "d")
_SWEEP_LIMITS = kvsim.Limits(
    max_streams_per_account=3,
    max_tags_per_resource=3,
    max_streams_per_device=1,
    max_data_retention_hours=48,
    rates={"DescribeStream": (300, 3), "ListStreams": (5, None), "TagStream": (5, 2)},
)
_SWEEP_TIMINGS = kvsim.Timings(create_delay=0.4, update_delay=0.2, delete_delay=0.3)
_SWEEP_STEPS = 40


def _random_params(rng: random.Random, op: str, rec: Recorder, arns: list[str]) -> dict[str, Any]:
    """Arguments of ``op``, good or bad, drawn from small pools."""

    def pick(options: Any) -> Any:
        return rng.choice(list(options))

    name = pick((*_SWEEP_NAMES, "bad name"))
    arn = pick(arns)
    target = pick(("name", "arn", "both", "neither"))
    ident = {
        "name": {"StreamName": name},
        "arn": {"StreamARN": arn},
        "both": {"StreamName": name, "StreamARN": arn},
        "neither": {},
    }[target]
    version = rec.versions.get(name, _STALE) if pick((True, False)) else _STALE
    tags = {f"k{i}": pick(("", "v", "é")) for i in range(pick((0, 1, 2, 4)))}
    keys = [f"k{i}" for i in range(pick((1, 2, 3)))]
    if op == "CreateStream":
        extra = {"DeviceName": pick(("d1", "d2"))} if pick((True, False)) else {}
        if tags or pick((True, False)):
            extra["Tags"] = tags
        return {"StreamName": name, "DataRetentionInHours": pick((0, 24, 49)), **extra}
    if op == "ListStreams":
        params: dict[str, Any] = {"MaxResults": pick((1, 2, 10))}
        token = pick((None, "Zm9v", *rec.tokens[-2:]))
        if token is not None:
            params["NextToken"] = token
        if pick((True, False)):
            params["StreamNameCondition"] = {
                "ComparisonOperator": "BEGINS_WITH",
                "ComparisonValue": name,
            }
        return params
    if op == "DeleteStream":
        return {"StreamARN": arn, **({"CurrentVersion": version} if pick((True, False)) else {})}
    if op in _CHANNEL_OPS:
        return _random_channel_params(pick, op, name, arn, rec)
    if op in ("TagResource", "UntagResource", "ListTagsForResource"):
        return {
            "TagResource": {
                "ResourceARN": arn,
                "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]
                or [{"Key": "k0", "Value": ""}],
            },
            "UntagResource": {"ResourceARN": arn, "TagKeyList": keys},
            "ListTagsForResource": {"ResourceARN": arn},
        }[op]
    extra = {
        "UpdateStream": {"CurrentVersion": version, "MediaType": "video/h264"},
        "UpdateDataRetention": {
            "CurrentVersion": version,
            "Operation": pick(("INCREASE_DATA_RETENTION", "DECREASE_DATA_RETENTION")),
            "DataRetentionChangeInHours": pick((1, 24)),
        },
        "UpdateStreamStorageConfiguration": {
            "CurrentVersion": version,
            "StreamStorageConfiguration": {"DefaultStorageTier": pick(("HOT", "WARM"))},
        },
        "GetDataEndpoint": {"APIName": pick(("PUT_MEDIA", "GET_IMAGES"))},
        "TagStream": {"Tags": tags or {"k0": ""}},
        "UntagStream": {"TagKeyList": keys},
        **_random_config_params(pick),
    }.get(op, {})
    if op == "ListEdgeAgentConfigurations":
        token = pick((None, "Zm9v", *rec.tokens[-2:]))
        return {
            "HubDeviceArn": HUB,
            "MaxResults": pick((1, 2)),
            **({"NextToken": token} if token else {}),
        }
    return {**ident, **extra}


def _random_config_params(pick: Callable[[Any], Any]) -> dict[str, dict[str, Any]]:
    """The members besides the stream of each configuration operation, good or bad."""
    image = {**full_image_config(), "SamplingInterval": pick((200, 199, 1000))}
    return {
        "UpdateImageGenerationConfiguration": pick(({"ImageGenerationConfiguration": image}, {})),
        "UpdateNotificationConfiguration": pick(({"NotificationConfiguration": NOTIFICATION}, {})),
        "StartEdgeConfigurationUpdate": {
            "EdgeConfig": minimal_edge_config(pick((HUB, HUB.replace("hub-1", "hub-2"))))
        },
    }


_CHANNEL_OPS = (
    "CreateSignalingChannel",
    "DescribeSignalingChannel",
    "ListSignalingChannels",
    "UpdateSignalingChannel",
    "DeleteSignalingChannel",
    "GetSignalingChannelEndpoint",
    "UpdateMediaStorageConfiguration",
    "DescribeMediaStorageConfiguration",
)


def _random_channel_params(
    pick: Callable[[Any], Any], op: str, name: str, arn: str, rec: Recorder
) -> dict[str, Any]:
    """Arguments of a channel operation, good or bad (``arn`` may be a stream's)."""
    version = rec.versions.get(name, _STALE) if pick((True, False)) else _STALE
    ident = pick(({"ChannelName": name}, {"ChannelARN": arn}, {}))
    if op == "CreateSignalingChannel":
        tags = [{"Key": f"k{i}", "Value": "v"} for i in range(pick((0, 1, 4)))]
        return {"ChannelName": name, **({"Tags": tags} if tags else {})}
    if op == "ListSignalingChannels":
        return {"MaxResults": pick((1, 2)), **({"NextToken": "Zm9v"} if pick((0, 0, 1)) else {})}
    if op == "UpdateSignalingChannel":
        return {"ChannelARN": arn, "CurrentVersion": version}
    if op == "DeleteSignalingChannel":
        return {"ChannelARN": arn, **({"CurrentVersion": version} if pick((True, False)) else {})}
    if op == "GetSignalingChannelEndpoint":
        protocols = pick((["WSS"], ["HTTPS", "WEBRTC"]))
        return {
            "ChannelARN": arn,
            "SingleMasterChannelEndpointConfiguration": {"Protocols": protocols},
        }
    if op == "UpdateMediaStorageConfiguration":
        status = pick(("ENABLED", "DISABLED"))
        configuration = {"Status": status, **({"StreamARN": arn} if pick((True, False)) else {})}
        return {"ChannelARN": pick(rec.arns), "MediaStorageConfiguration": configuration}
    return ident


@given(steps=st.lists(st.integers(0, 2**32 - 1), min_size=10, max_size=_SWEEP_STEPS))
def test_random_sweeps_answer_conforming_responses_and_modeled_errors(steps: list[int]) -> None:
    """Each step's seed picks an operation (or a clock advance) and its arguments."""
    rec = Recorder()
    sim = kvsim.Simulator(seed=7, limits=_SWEEP_LIMITS, timings=_SWEEP_TIMINGS)
    kv = sim.client("kinesisvideo", region_name=REGION, account_id=ACCOUNT)
    for name in _SWEEP_NAMES[:2]:
        rec(kv, "CreateStream", StreamName=name, Tags={"k0": "v"})
        rec(kv, "CreateSignalingChannel", ChannelName=name)
    arns = [
        *rec.arns,
        f"arn:aws:kinesisvideo:{REGION}:{ACCOUNT}:stream/a/1",
        f"arn:aws:kinesisvideo:{REGION}:{ACCOUNT}:channel/a/1",
        "not-an-arn",
    ]
    sim.run_until_idle()
    for seed in steps:
        rng = random.Random(seed)
        op = rng.choice(("advance", "ListStreams", *OPERATIONS))
        if op == "advance":
            sim.advance(rng.choice((0.1, 0.3, 1.0)))
            continue
        if rng.random() < 0.5:
            rec(kv, "ListStreams")  # learn the current versions, as a poller would
        rec(kv, op, **_random_params(rng, op, rec, arns))
        arns += [arn for arn in rec.arns if arn not in arns]
    sim._check()


# == 4. input constraints ===================================================================


def _constraint_cases() -> list[Any]:
    cases = []
    for op in OPERATIONS:
        for c in constraints(input_shape(op)):
            if c.kind == "required":
                cases.append(pytest.param(op, c, None, id=f"{op}-{c}"))
            for i, value in enumerate(violating_values(c)):
                if (
                    c.kind == "max"
                    and isinstance(value, dict)
                    and len(value) <= c.shape.metadata["max"]
                ):
                    continue  # a map keyed by a smaller enum (FormatConfig) cannot exceed its max
                if (
                    c.kind == "max"
                    and "pattern" in c.shape.metadata
                    and (value is None or not kit(c.shape).matches(value))
                ):
                    continue  # the pattern bounds the length too ([^\n]{11,100}): one breaks both
                cases.append(pytest.param(op, c, value, id=f"{op}-{c}-{i}"))
    return cases


def wire_message(op: str, c: Constraint) -> str:
    """The part of AWS's validation message kvsim must give for breaking ``c``."""
    shape = input_shape(op)
    parts: list[str] = []
    wrapper = "{}"
    for step in c.path:
        if step == ITEM:
            if shape.member.type_name == "structure":
                parts.append("1.member")
            else:
                wrapper = "Member must satisfy constraint: [{}]"
            shape = shape.member
        elif step in (KEY, VALUE):
            noun = "keys" if step == KEY else "value"
            wrapper = f"Map {noun} must satisfy constraint: [{{}}]"
            shape = shape.key if step == KEY else shape.value
        else:
            parts.append(step[:1].lower() + step[1:])
            shape = shape.members[step]
    meta = c.shape.metadata
    if c.kind == "max":
        unit = "value" if c.shape.type_name == "integer" else "length"
        phrase = f"Member must have {unit} less than or equal to {meta['max']}"
    elif c.kind == "min":
        phrase = f"Member must have length greater than or equal to {meta['min']}"
    elif c.kind == "pattern":
        phrase = f"Member must satisfy regular expression pattern: {meta['pattern']}"
    else:
        phrase = f"Member must satisfy enum value set: [{', '.join(c.shape.enum)}]"
    return f"at '{'.'.join(parts)}' failed to satisfy constraint: {wrapper.format(phrase)}"


def assert_rejected_like_botocore(
    w: World, op: str, params: dict[str, Any], service_error: str
) -> ClientError | None:
    """botocore's report → the same ParamValidationError; else the service's error."""
    report = botocore_report(params, input_shape(op))
    before = w.sim._dump()
    if report:
        with pytest.raises(ParamValidationError) as refused:
            call(w.kv, op, params)
        assert refused.value.report == report
        assert str(refused.value) == str(botocore.exceptions.ParamValidationError(report=report))
        assert w.sim._dump() == before
        return None
    with pytest.raises(ClientError) as answered:
        call(w.kv, op, params)
    assert check_error(op, answered.value, w.kv) == service_error, answered.value
    assert w.sim._dump() == before
    return answered.value


@pytest.mark.parametrize(("op", "c", "value"), _constraint_cases())
def test_breaking_a_constraint_is_refused_where_botocore_splits_it(
    op: str, c: Constraint, value: Any
) -> None:
    w = make_world()
    base = base_request(op, w)
    if c.kind == "required":
        params = without(base, c.path, c.member)
    else:
        params = replaced(base, c.path, value)
    # botocore checks required members and min of strings, lists and integers only.
    client_side = c.kind == "required" or (c.kind == "min" and c.shape.type_name != "map")
    assert bool(botocore_report(params, input_shape(op))) == client_side
    expected = DEVIATION_ERRORS.get((op, c.path, c.kind), INVALID_ARGUMENT)
    error = assert_rejected_like_botocore(w, op, params, expected)
    if error is not None and expected == INVALID_ARGUMENT:
        assert error.message.startswith("1 validation error detected: Value '"), error.message
        assert wire_message(op, c) in error.message, error.message


def test_the_pattern_oracles_know_every_pattern_and_agree_with_their_examples() -> None:
    patterns = {
        c.shape.metadata["pattern"]
        for op in OPERATIONS
        for c in constraints(input_shape(op))
        if c.kind == "pattern"
    }
    assert patterns == set(PATTERNS)
    for pattern, oracle in PATTERNS.items():
        assert all(oracle.matches(oracle.sample(i)) for i in range(3)), pattern
        assert not any(oracle.matches(bad) for bad in oracle.bad), pattern
        filled = [oracle.fill(n) for n in (3, 60, 300)]
        assert all(oracle.matches(f) for f in filled if f is not None), pattern
        assert all(len(f) == n for f, n in zip(filled, (3, 60, 300), strict=True) if f), pattern


def test_every_constraint_case_exists_for_the_deviations() -> None:
    ids = {(op, c.path, c.kind) for op in OPERATIONS for c in constraints(input_shape(op))}
    assert set(DEVIATION_ERRORS) <= ids


def _bound_cases() -> list[Any]:
    return [
        pytest.param(op, c, value, id=f"{op}-{c}-{i}")
        for op in OPERATIONS
        for c in constraints(input_shape(op))
        for i, value in enumerate(bound_values(c))
    ]


@pytest.mark.parametrize(("op", "c", "value"), _bound_cases())
def test_a_value_at_a_constraints_bound_is_accepted(op: str, c: Constraint, value: Any) -> None:
    w = make_world()
    params = replaced(base_request(op, w), c.path, value)
    assert botocore_report(params, input_shape(op)) == ""
    INPUTS[op].validate(params)


@pytest.mark.parametrize("op", OPERATIONS)
def test_the_base_request_sets_every_member_and_succeeds(op: str) -> None:
    w = make_world()
    params = base_request(op, w)
    for path, _shape in leaves(input_shape(op)):
        value_at(params, path)  # raises if the base request lacks it
    assert model_violations(params, input_shape(op)) == []
    rec = Recorder()
    assert isinstance(rec(w.kv, op, **params), dict)


#: Values of the wrong Python type for each model type.
WRONG_TYPES: dict[str, tuple[Any, ...]] = {
    "string": (7, 2.5, None, b"cam", ["cam"], {"a": "b"}, True),
    "integer": ("24", 2.5, None, [1], Decimal("1"), True, False),
    "list": ("key", None, 3, {"a": "b"}, {"k"}),
    "map": ([["k", "v"]], "k=v", None, 3),
    "structure": ("HOT", None, ["HOT"], 3),
    "boolean": ("true", 1, 0, None, [True]),
}


def _hashable(value: Any) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


def _type_cases() -> list[Any]:
    cases = []
    for op in OPERATIONS:
        for path, shape in leaves(input_shape(op)):
            for i, wrong in enumerate(WRONG_TYPES[shape.type_name]):
                if path[-1] == KEY and not _hashable(wrong):
                    continue
                where = ".".join(path)
                cases.append(pytest.param(op, path, wrong, id=f"{op}-{where}-{i}"))
    return cases


@pytest.mark.parametrize(("op", "path", "wrong"), _type_cases())
def test_a_wrong_python_type_gets_botocores_report(
    op: str, path: tuple[str, ...], wrong: Any
) -> None:
    w = make_world()
    params = replaced(base_request(op, w), path, wrong)
    error = assert_rejected_like_botocore(w, op, params, INVALID_ARGUMENT)
    if error is not None:
        # Only a bool passes botocore's integer check; JSON carries it as true/false.
        assert isinstance(wrong, bool)
        assert "Member must be a number" in error.message


def _structure_paths(op: str) -> list[tuple[str, ...]]:
    paths: list[tuple[str, ...]] = [()]
    paths += [path for path, shape in leaves(input_shape(op)) if shape.type_name == "structure"]
    return paths


@pytest.mark.parametrize(
    ("op", "path"),
    [
        pytest.param(op, path, id=f"{op}-{'.'.join(path) or 'input'}")
        for op in OPERATIONS
        for path in _structure_paths(op)
    ],
)
def test_an_unknown_member_gets_botocores_report(op: str, path: tuple[str, ...]) -> None:
    w = make_world()
    base = base_request(op, w)
    target = value_at(base, path) if path else base
    params = replaced(base, path, {**target, "Bogus": 1}) if path else {**base, "Bogus": 1}
    assert_rejected_like_botocore(w, op, params, INVALID_ARGUMENT)


@pytest.mark.parametrize("op", OPERATIONS)
@given(data=st.data())
def test_random_valid_requests_pass_both_validations(op: str, data: st.DataObject) -> None:
    params = data.draw(requests(op))
    shape = input_shape(op)
    assert model_violations(params, shape) == []
    assert botocore_report(params, shape) == ""
    INPUTS[op].validate(params)


def _present(params: Any, path: tuple[str, ...]) -> bool:
    node = params
    for step in path:
        if step == ITEM:
            if not isinstance(node, list) or not node:
                return False
            node = node[0]
        elif step in (KEY, VALUE):
            if not isinstance(node, dict) or not node:
                return False
            node = next(iter(node)) if step == KEY else next(iter(node.values()))
        else:
            if not isinstance(node, dict) or step not in node:
                return False
            node = node[step]
    return True


def _mutate(data: st.DataObject, op: str, params: dict[str, Any]) -> dict[str, Any]:
    """One random client-side mistake: a wrong type, too short, a member dropped or unknown."""
    shape = input_shape(op)
    present = [(p, s) for p, s in leaves(shape) if _present(params, p)]
    structures = [()] + [
        p
        for p, s in present
        if s.type_name == "structure" and isinstance(value_at(params, p), dict)
    ]
    kind = data.draw(st.sampled_from(("wrong", "short", "drop", "unknown")))
    if kind == "wrong" and present:
        path, leaf = data.draw(st.sampled_from(present))
        options = [v for v in WRONG_TYPES[leaf.type_name] if path[-1] != KEY or _hashable(v)]
        return replaced(params, path, data.draw(st.sampled_from(options)))
    short = [
        (p, s)
        for p, s in present
        if s.metadata.get("min", 0) > 0 or (s.type_name == "integer" and "min" in s.metadata)
    ]
    if kind == "short" and short:
        path, leaf = data.draw(st.sampled_from(short))
        bad = violating_values(Constraint(path, "min", leaf))[0]
        if path[-1] == KEY and not _hashable(bad):
            return params
        return replaced(params, path, bad)
    where = data.draw(st.sampled_from(structures))
    target = value_at(params, where) if where else params
    if kind == "drop" and target:
        return without(params, where, data.draw(st.sampled_from(list(target))))
    extra = {**target, data.draw(st.sampled_from(("Bogus", "streamName", "Extra"))): 1}
    return replaced(params, where, extra) if where else extra


@pytest.mark.parametrize("op", OPERATIONS)
@given(data=st.data())
def test_random_broken_requests_are_split_exactly_like_botocore(
    op: str, data: st.DataObject
) -> None:
    params = data.draw(requests(op))
    for _ in range(data.draw(st.integers(1, 3))):
        params = _mutate(data, op, params)
    shape = input_shape(op)
    report = botocore_report(params, shape)
    if report:
        with pytest.raises(ParamValidationError) as refused:
            INPUTS[op].validate(params)
        assert refused.value.report == report
    elif model_violations(params, shape):
        with pytest.raises(InvalidArgumentException):
            INPUTS[op].validate(params)
    else:
        INPUTS[op].validate(params)


# == 5. Unicode tag text ====================================================================

ACCEPTED_TAG_TEXT = {
    "latin letter": "\u00e9",
    "cyrillic letter": "\u0436",
    "han ideograph": "\u4e2d",
    "arabic-indic digit": "\u0663",
    "ideographic space": "\u3000",
    "no-break space": "\u00a0",
    "roman numeral": "\u216b",
    "vulgar fraction": "\u00bd",
    "titlecase letter": "\u01c5",
    "modifier letter": "\u02b0",
    "line separator": "\u2028",
    "astral letter": "\U0001d400",
    "ascii space": " ",
    "allowed punctuation": TAG_PUNCTUATION,
}

REFUSED_TAG_TEXT = {
    "nul": "\x00",
    "bell": "\x07",
    "tab": "\t",
    "newline": "\n",
    "delete": "\x7f",
    "emoji": "\U0001f600",
    "euro sign": "\u20ac",
    "copyright sign": "\u00a9",
    "combining acute accent": "\u0301",
    "zero width space": "\u200b",
    "private use": "\ue000",
    "inverted question mark": "\u00bf",
    "en dash": "\u2013",
    **{f"ascii {c!r}": c for c in "!#$%&*()?,;<>\"'~`|\\[]{}^"},
}


def _tag_pattern_messages(text: str) -> dict[str, tuple[str, dict[str, Any], str]]:
    key_pattern = input_shape("TagStream").members["Tags"].key.metadata["pattern"]
    value_pattern = input_shape("TagStream").members["Tags"].value.metadata["pattern"]
    key_rule = f"Member must satisfy regular expression pattern: {key_pattern}"
    value_rule = f"Member must satisfy regular expression pattern: {value_pattern}"
    return {
        "TagStream key": (
            "TagStream",
            {"StreamName": "cam-1", "Tags": {f"k{text}": "v"}},
            f"at 'tags' failed to satisfy constraint: Map keys must satisfy constraint: [{key_rule}]",
        ),
        "TagStream value": (
            "TagStream",
            {"StreamName": "cam-1", "Tags": {"k": f"v{text}"}},
            f"at 'tags' failed to satisfy constraint: Map value must satisfy constraint: [{value_rule}]",
        ),
        "TagResource key": (
            "TagResource",
            {"Tags": [{"Key": f"k{text}", "Value": "v"}]},
            f"at 'tags.1.member.key' failed to satisfy constraint: {key_rule}",
        ),
        "TagResource value": (
            "TagResource",
            {"Tags": [{"Key": "k", "Value": f"v{text}"}]},
            f"at 'tags.1.member.value' failed to satisfy constraint: {value_rule}",
        ),
        "UntagStream key": (
            "UntagStream",
            {"StreamName": "cam-1", "TagKeyList": [f"k{text}"]},
            f"at 'tagKeyList' failed to satisfy constraint: Member must satisfy constraint: [{key_rule}]",
        ),
    }


@pytest.mark.parametrize("text", ACCEPTED_TAG_TEXT.values(), ids=ACCEPTED_TAG_TEXT.keys())
def test_tags_accept_letters_separators_and_numbers_of_any_script(text: str) -> None:
    w = make_world()
    rec = Recorder()
    key, value = f"k{text}", f"v{text}"
    assert isinstance(
        rec(w.kv, "TagStream", StreamName="cam-1", Tags={key: value, text: text}), dict
    )
    listed = rec(w.kv, "ListTagsForStream", StreamName="cam-1")
    assert isinstance(listed, dict)
    assert listed["Tags"] == {"team": "video", key: value, text: text}
    assert isinstance(rec(w.kv, "UntagStream", StreamName="cam-1", TagKeyList=[key, text]), dict)
    tagged = rec(w.kv, "TagResource", ResourceARN=w.arn, Tags=[{"Key": key, "Value": value}])
    assert isinstance(tagged, dict)
    created = rec(w.kv, "CreateStream", StreamName="cam-2", Tags={key: value})
    assert isinstance(created, dict)
    assert rec.observed() == {}


@pytest.mark.parametrize("text", REFUSED_TAG_TEXT.values(), ids=REFUSED_TAG_TEXT.keys())
def test_tags_refuse_controls_symbols_marks_and_other_punctuation(text: str) -> None:
    assert not all(c in TAG_PUNCTUATION or unicodedata.category(c)[0] in "LZN" for c in text)
    for op, params, message in _tag_pattern_messages(text).values():
        w = make_world()
        if op == "TagResource":
            params = {"ResourceARN": w.arn, **params}
        error = assert_rejected_like_botocore(w, op, params, INVALID_ARGUMENT)
        assert error is not None
        assert error.message.startswith("1 validation error detected: Value '")
        assert error.message.endswith(message), error.message


def test_tag_lengths_count_utf16_code_units_as_java_does() -> None:
    w = make_world()
    astral = "\U0001d400"  # MATHEMATICAL BOLD CAPITAL A: one letter, two UTF-16 units
    w.kv.tag_stream(StreamName="cam-1", Tags={astral * 64: astral * 128})
    params = {"StreamName": "cam-1", "Tags": {astral * 65: "v"}}
    error = assert_rejected_like_botocore(w, "TagStream", params, INVALID_ARGUMENT)
    assert error is not None
    assert error.message.endswith(
        "Map keys must satisfy constraint: [Member must have length less than or equal to 128]"
    )
    params = {"StreamName": "cam-1", "Tags": {"k": astral * 129}}
    error = assert_rejected_like_botocore(w, "TagStream", params, INVALID_ARGUMENT)
    assert error is not None
    assert error.message.endswith(
        "Map value must satisfy constraint: [Member must have length less than or equal to 256]"
    )


# == the image generation, notification and edge configurations ===========================

HUB = f"arn:aws:iot:{REGION}:{ACCOUNT}:thing/hub-1"
SECRET = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:cam"
EDGE_NOT_FOUND = "StreamEdgeConfigurationNotFoundException"


def minimal_edge_config(hub: str = HUB) -> dict[str, Any]:
    """The smallest valid ``EdgeConfig`` for hub device ``hub``."""
    return {
        "HubDeviceArn": hub,
        "RecorderConfig": {
            "MediaSourceConfig": {"MediaUriSecretArn": SECRET, "MediaUriType": "RTSP_URI"}
        },
    }


def full_edge_config(hub: str = HUB) -> dict[str, Any]:
    """An ``EdgeConfig`` setting every member of the model."""
    schedule = {"ScheduleExpression": "0 0/5 * * * ?", "DurationInSeconds": 600}
    return {
        "HubDeviceArn": hub,
        "RecorderConfig": {
            "MediaSourceConfig": {"MediaUriSecretArn": SECRET, "MediaUriType": "FILE_URI"},
            "ScheduleConfig": schedule,
        },
        "UploaderConfig": {"ScheduleConfig": dict(schedule)},
        "DeletionConfig": {
            "EdgeRetentionInHours": 720,
            "LocalSizeConfig": {
                "MaxLocalMediaSizeInMB": 64,
                "StrategyOnFullSize": "DELETE_OLDEST_MEDIA",
            },
            "DeleteAfterUpload": False,
        },
    }


def full_image_config(region: str = REGION) -> dict[str, Any]:
    """An ``ImageGenerationConfiguration`` setting every member of the model."""
    return {
        "Status": "ENABLED",
        "ImageSelectorType": "PRODUCER_TIMESTAMP",
        "DestinationConfig": {"Uri": "s3://bucket/prefix", "DestinationRegion": region},
        "SamplingInterval": 200,
        "Format": "JPEG",
        "FormatConfig": {"JPEGQuality": "80"},
        "WidthPixels": 3840,
        "HeightPixels": 2160,
    }


NOTIFICATION = {
    "Status": "ENABLED",
    "DestinationConfig": {"Uri": f"arn:aws:sns:{REGION}:{ACCOUNT}:camera-events"},
}


def config_requests(w: World) -> dict[str, dict[str, Any]]:
    """The maximal successful requests of the configuration operations."""
    named = {"StreamName": "cam-1", "StreamARN": w.arn}
    return {
        "UpdateImageGenerationConfiguration": {
            **named,
            "ImageGenerationConfiguration": full_image_config(),
        },
        "DescribeImageGenerationConfiguration": named,
        "UpdateNotificationConfiguration": {**named, "NotificationConfiguration": NOTIFICATION},
        "DescribeNotificationConfiguration": named,
        "StartEdgeConfigurationUpdate": {**named, "EdgeConfig": full_edge_config()},
        "DescribeEdgeConfiguration": named,
        "DeleteEdgeConfiguration": named,
        "ListEdgeAgentConfigurations": {"HubDeviceArn": HUB, "MaxResults": 10, "NextToken": ""},
    }


def config_scenario(rec: Recorder) -> None:
    """Every configuration operation, succeeding in every state where it can."""
    sim = kvsim.Simulator(seed=6)
    seen: set[str] = set()

    def edge(client: KinesisVideoClient, op: str, **params: Any) -> None:
        response = rec(client, op, **params)
        assert isinstance(response, dict), response
        seen.add(response["SyncStatus"])

    kv = sim.client("kinesisvideo", region_name=REGION, account_id=ACCOUNT)
    cn = sim.client("kinesisvideo", region_name="cn-north-1", account_id=ACCOUNT)
    created = [
        rec(kv, "CreateStream", StreamName=f"cam-{i}", DataRetentionInHours=24) for i in range(4)
    ]
    rec(cn, "CreateStream", StreamName="cam-cn", DataRetentionInHours=1)
    arns = [c["StreamARN"] for c in created if isinstance(c, dict)]
    # CREATING: the configurations read as absent.
    rec(kv, "DescribeImageGenerationConfiguration", StreamName="cam-0")
    rec(kv, "DescribeNotificationConfiguration", StreamARN=arns[0])
    rec(kv, "ListEdgeAgentConfigurations", HubDeviceArn=HUB)
    sim.run_until_idle()
    cn_image = full_image_config("cn-north-1")
    rec(
        cn,
        "UpdateImageGenerationConfiguration",
        StreamName="cam-cn",
        ImageGenerationConfiguration=cn_image,
    )
    rec(cn, "DescribeImageGenerationConfiguration", StreamName="cam-cn")
    png = {**full_image_config(), "Format": "PNG", "Status": "DISABLED"}
    del png["FormatConfig"], png["WidthPixels"]
    for ident in ({"StreamName": "cam-0"}, {"StreamARN": arns[1]}):
        rec(kv, "UpdateImageGenerationConfiguration", **ident, ImageGenerationConfiguration=png)
        rec(kv, "DescribeImageGenerationConfiguration", **ident)
        rec(kv, "UpdateNotificationConfiguration", **ident, NotificationConfiguration=NOTIFICATION)
        rec(kv, "DescribeNotificationConfiguration", **ident)
        rec(kv, "UpdateImageGenerationConfiguration", **ident)  # removed
        rec(kv, "UpdateNotificationConfiguration", **ident)
        rec(kv, "DescribeImageGenerationConfiguration", **ident)
        rec(kv, "DescribeNotificationConfiguration", **ident)
    # Edge: SYNCING, IN_SYNC, SYNC_FAILED, DELETING, DELETE_FAILED, on two hubs.
    for i, arn in enumerate(arns):
        config = full_edge_config() if i % 2 else minimal_edge_config()
        edge(kv, "StartEdgeConfigurationUpdate", StreamARN=arn, EdgeConfig=config)
    edge(kv, "DescribeEdgeConfiguration", StreamName="cam-0")
    other_hub = HUB.replace("hub-1", "hub-2")
    edge(
        cn,
        "StartEdgeConfigurationUpdate",
        StreamName="cam-cn",
        EdgeConfig=minimal_edge_config(other_hub),
    )
    sim.run_until_idle()
    for page_size in (1, 2, None):
        token: str | None = None
        while True:
            extra: dict[str, Any] = {"NextToken": token} if token else {}
            if page_size is not None:
                extra["MaxResults"] = page_size
            page = rec(kv, "ListEdgeAgentConfigurations", HubDeviceArn=HUB, **extra)
            assert isinstance(page, dict)
            token = page.get("NextToken")
            if not token:
                break
    edge(kv, "DescribeEdgeConfiguration", StreamARN=arns[1])  # IN_SYNC, with the agent's status
    sim.set_hub_device_online(HUB, False)
    edge(kv, "StartEdgeConfigurationUpdate", StreamName="cam-0", EdgeConfig=minimal_edge_config())
    rec(kv, "DeleteEdgeConfiguration", StreamName="cam-1")
    edge(kv, "DescribeEdgeConfiguration", StreamName="cam-1")  # DELETING
    rec(kv, "ListEdgeAgentConfigurations", HubDeviceArn=HUB, MaxResults=10)
    sim.advance(15 * 60)
    edge(kv, "DescribeEdgeConfiguration", StreamName="cam-0")  # SYNC_FAILED
    edge(kv, "DescribeEdgeConfiguration", StreamName="cam-1")  # DELETE_FAILED
    rec(kv, "ListEdgeAgentConfigurations", HubDeviceArn=HUB)
    sim.set_hub_device_online(HUB, True)
    rec(kv, "DeleteEdgeConfiguration", StreamARN=arns[1])
    rec(kv, "DeleteEdgeConfiguration", StreamName="cam-2")
    sim.run_until_idle()
    rec(kv, "ListEdgeAgentConfigurations", HubDeviceArn=HUB)
    rec(cn, "ListEdgeAgentConfigurations", HubDeviceArn=other_hub)
    assert seen == {"SYNCING", "IN_SYNC", "SYNC_FAILED", "DELETING", "DELETE_FAILED"}
    sim._check()


def _config_sweep(rec: Recorder, sim: kvsim.Simulator, kv: KinesisVideoClient) -> None:
    """The configuration operations in every stream state, and their bad inputs."""
    ok = rec(kv, "CreateStream", StreamName="cfg", DataRetentionInHours=24)
    rec(kv, "CreateStream", StreamName="cfg-zero")
    assert isinstance(ok, dict)
    image = full_image_config()
    updates = (
        ("UpdateImageGenerationConfiguration", {"ImageGenerationConfiguration": image}),
        ("UpdateNotificationConfiguration", {"NotificationConfiguration": NOTIFICATION}),
        ("StartEdgeConfigurationUpdate", {"EdgeConfig": minimal_edge_config()}),
    )
    reads = (
        "DescribeImageGenerationConfiguration",
        "DescribeNotificationConfiguration",
        "DescribeEdgeConfiguration",
        "DeleteEdgeConfiguration",
    )
    bad_names: tuple[dict[str, Any], ...] = (
        {},
        {"StreamName": "other", "StreamARN": ok["StreamARN"]},
        {"StreamName": "absent"},
        {"StreamName": "bad name!"},
        {"StreamARN": ok["StreamARN"].replace(":stream/", ":channel/")},
    )
    for ident in ({"StreamName": "cfg"}, {"StreamName": "cfg-zero"}, *bad_names):
        for op, extra in updates:
            rec(kv, op, **ident, **extra)  # CREATING (ResourceInUse) or a bad reference
        for op in reads:
            rec(kv, op, **ident)
    sim.run_until_idle()
    for op, extra in updates:
        rec(kv, op, StreamName="cfg-zero", **extra)  # NoDataRetention
        rec(kv, op, StreamName="cfg", **extra)
    rec(kv, "StartEdgeConfigurationUpdate", StreamName="cfg", EdgeConfig=minimal_edge_config())
    rec(kv, "DescribeEdgeConfiguration", StreamName="cfg")
    rec(kv, "DeleteEdgeConfiguration", StreamName="cfg")
    bad_images = (
        {**image, "SamplingInterval": 199},
        {**image, "DestinationConfig": {"Uri": "s3://b", "DestinationRegion": "eu-west-1"}},
        {**image, "FormatConfig": {"JPEGQuality": "101"}},
        {**image, "Format": "PNG"},
    )
    for bad in bad_images:
        rec(
            kv,
            "UpdateImageGenerationConfiguration",
            StreamName="cfg",
            ImageGenerationConfiguration=bad,
        )
    sim.run_until_idle()
    rec(kv, "StartEdgeConfigurationUpdate", StreamName="cfg", EdgeConfig=minimal_edge_config())
    sim.run_until_idle()
    other = minimal_edge_config(HUB.replace("hub-1", "hub-9"))
    rec(kv, "StartEdgeConfigurationUpdate", StreamName="cfg", EdgeConfig=other)  # another hub
    rec(kv, "ListEdgeAgentConfigurations", HubDeviceArn=HUB, NextToken="Zm9v")
    rec(kv, "ListEdgeAgentConfigurations", HubDeviceArn=HUB, MaxResults=11)
    rec(kv, "ListEdgeAgentConfigurations", HubDeviceArn=HUB)
    # The stream's deletion takes its edge configuration along at once.
    rec(kv, "DeleteStream", StreamARN=ok["StreamARN"])
    rec(kv, "DescribeEdgeConfiguration", StreamName="cfg")
    rec(kv, "DescribeImageGenerationConfiguration", StreamName="cfg")
    rec(
        kv,
        "UpdateNotificationConfiguration",
        StreamName="cfg",
        NotificationConfiguration=NOTIFICATION,
    )


_FOUND = {"ResourceNotFoundException", INVALID_ARGUMENT}
_CONFIG_UPDATE_ERRORS = _FOUND | {"ResourceInUseException", "NoDataRetentionException"}
#: What :func:`_config_sweep` must meet, by operation.
CONFIG_SWEEP_ERRORS: dict[str, set[str]] = {
    "UpdateImageGenerationConfiguration": _CONFIG_UPDATE_ERRORS,
    "DescribeImageGenerationConfiguration": _FOUND,
    "UpdateNotificationConfiguration": _CONFIG_UPDATE_ERRORS,
    "DescribeNotificationConfiguration": _FOUND,
    "StartEdgeConfigurationUpdate": _CONFIG_UPDATE_ERRORS,
    "DescribeEdgeConfiguration": _FOUND | {EDGE_NOT_FOUND},
    "DeleteEdgeConfiguration": _FOUND | {EDGE_NOT_FOUND},
    "ListEdgeAgentConfigurations": {INVALID_ARGUMENT},
}
