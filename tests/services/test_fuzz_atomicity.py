"""Fuzzing every operation: any input gets a result or a documented error, atomically.

Hypothesis throws arbitrary keyword arguments at each of the 15 operations:
wrong types, huge and non-ASCII strings, ``None``, nested junk, bools where
ints belong, huge ints, unknown keys, and realistic requests naming the
streams of a world that holds streams in every status. The only outcomes
allowed are a response dict, :class:`kvsim.errors.ParamValidationError`, or a
:class:`kvsim.errors.ClientError` whose code botocore's model lists for that
operation (with the model's HTTP status). A failed call must leave the world
exactly as it was.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import botocore.session
import pytest
from botocore import xform_name
from hypothesis import given
from hypothesis import strategies as st

import kvsim
from kvsim import strategies as kvs
from kvsim.engine.client import KinesisVideoClient
from kvsim.errors import ClientError, ParamValidationError

_MODEL = botocore.session.get_session().get_service_model("kinesisvideo")

#: Each operation's modeled error codes → HTTP status, from botocore's model.
MODELED_ERRORS: dict[str, dict[str, int]] = {
    op: {
        shape.name: shape.metadata["error"]["httpStatusCode"]
        for shape in _MODEL.operation_model(op).error_shapes
    }
    for op in kvsim.OPERATIONS
}


def _members(op: str, kind: str) -> tuple[list[str], list[str]]:
    shape = getattr(_MODEL.operation_model(op), kind)
    if shape is None:
        return [], []
    return list(shape.members), list(shape.required_members)


#: Each operation's input members and required members, from botocore's model.
INPUT_MEMBERS = {op: _members(op, "input_shape") for op in kvsim.OPERATIONS}
#: The response keys each operation may return (besides ResponseMetadata).
OUTPUT_MEMBERS = {op: set(_members(op, "output_shape")[0]) for op in kvsim.OPERATIONS}

OTHER_REGION = "eu-west-1"
TIGHT = kvsim.Limits(max_streams_per_account=7, max_tags_per_resource=3, max_streams_per_device=1)
#: TIGHT, and every rate but CreateStream's down to 2 TPS per account, 1 per stream.
THROTTLED = kvsim.Limits(
    max_streams_per_account=7,
    max_tags_per_resource=3,
    max_streams_per_device=1,
    rates={op: (2, 1) for op in kvsim.OPERATIONS if op != "CreateStream"},
)
LIMITS = (kvsim.Limits(), TIGHT, THROTTLED)
FROZEN = kvsim.Timings(call_latency=0)

# -- the world under fire ------------------------------------------------------------------


@dataclass
class World:
    """A simulator holding streams in every status, plus identifiers that lead nowhere."""

    sim: kvsim.Simulator
    kv: KinesisVideoClient
    stale_arns: list[str]
    token: str

    def streams(self) -> list[dict[str, Any]]:
        """The dumped streams of every region, in dump order."""
        dump = self.sim._dump()
        return [s for key, region in dump.items() if "/" in key for s in region["streams"]]

    def channels(self) -> list[dict[str, Any]]:
        """The dumped signaling channels of every region, in dump order."""
        dump = self.sim._dump()
        return [c for key, region in dump.items() if "/" in key for c in region.get("channels", [])]


def build_world(limits: kvsim.Limits, timings: kvsim.Timings) -> World:
    """CREATING, ACTIVE, UPDATING and DELETING streams; a gone incarnation; another region."""
    sim = kvsim.Simulator(seed=7, limits=limits, timings=timings)
    kv = sim.client("kinesisvideo", region_name="us-east-1", account_id="123456789012")
    other = sim.client("kinesisvideo", region_name=OTHER_REGION, account_id="123456789012")
    kv.create_stream(
        StreamName="cam-active",
        DeviceName="dev-a",
        MediaType="video/h264",
        DataRetentionInHours=24,
        Tags={"team": "red", "env": "prod"},
    )
    kv.create_stream(StreamName="cam.idle", DeviceName="dev-b")
    kv.create_stream(
        StreamName="cam_upd",
        DataRetentionInHours=1,
        StreamStorageConfiguration={"DefaultStorageTier": "WARM"},
    )
    deleting_arn = kv.create_stream(StreamName="cam-del", DeviceName="dev-c")["StreamARN"]
    old_arn = kv.create_stream(StreamName="old")["StreamARN"]
    other.create_stream(StreamName="cam-active")
    door = kv.create_signaling_channel(ChannelName="door")["ChannelARN"]
    kv.create_signaling_channel(ChannelName="gate", Tags=[{"Key": "team", "Value": "red"}])
    sim.advance(3)
    stream_arn = kv.describe_stream(StreamName="cam-active")["StreamInfo"]["StreamARN"]
    kv.update_media_storage_configuration(
        ChannelARN=door, MediaStorageConfiguration={"Status": "ENABLED", "StreamARN": stream_arn}
    )
    kv.create_signaling_channel(ChannelName="porch")  # CREATING
    kv.delete_stream(StreamARN=old_arn)
    sim.advance(1.5)
    kv.create_stream(StreamName="old")  # a new incarnation: the old ARN leads nowhere
    version = kv.describe_stream(StreamName="cam_upd")["StreamInfo"]["Version"]
    kv.update_stream(StreamName="cam_upd", CurrentVersion=version, MediaType="video/h265")
    kv.delete_stream(StreamARN=deleting_arn)
    token = kv.list_streams(MaxResults=2)["NextToken"]
    statuses = {s["status"] for s in World(sim, kv, [], "").streams()}
    assert statuses == {"CREATING", "ACTIVE", "UPDATING", "DELETING"}
    stale = [
        old_arn,
        "arn:aws:kinesisvideo:us-east-1:123456789012:stream/nope/1767225600000",
        "arn:aws:kinesisvideo:us-east-1:123456789012:channel/cam-active/1767225600000",
        "arn:aws:kinesisvideo:us-east-1:999999999999:stream/cam-active/1767225600000",
    ]
    return World(sim, kv, stale, token)


# -- values ----------------------------------------------------------------------------------

WEIRD_STRINGS = (
    "",
    " ",
    "\x00",
    "a\nb",
    "\ud800",
    "x" * 5000,
    "é" * 300,
    "😀" * 200,
    "cam-active\n",
    "CAM-ACTIVE",
    "arn:aws:kinesisvideo",
    "null",
    "-1",
)

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=2**31 - 2, max_value=2**31 + 2),
    st.sampled_from([2**64, -(2**63), 10**100]),
    st.floats(),
    st.text(max_size=20),
    st.binary(max_size=8),
    st.sampled_from(WEIRD_STRINGS),
)
junk = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.tuples(inner, inner),
        st.dictionaries(st.one_of(st.text(max_size=8), st.integers()), inner, max_size=3),
    ),
    max_leaves=8,
)
good_names = st.from_regex(r"[a-zA-Z0-9_.-]{1,12}", fullmatch=True)
tag_keys = st.one_of(
    st.sampled_from(["team", "env", "owner", "k", "é", "a b", "x:y/z=+-@"]),
    st.text(min_size=1, max_size=6),
)
tag_values = st.one_of(st.sampled_from(["", "red", "blue", "42"]), st.text(max_size=6))
plain_tag_keys = st.sampled_from(["team", "env", "owner", "k", "é", "a b", "x:y/z=+-@"])
plain_tag_values = st.sampled_from(["", "red", "blue", "42", "ü"])


def _mostly(
    valid: st.SearchStrategy[Any], near_miss: st.SearchStrategy[Any]
) -> st.SearchStrategy[Any]:
    """``valid`` about nine times in ten, else ``near_miss``. (Hypothesis favours
    the ends of a range, so the near miss sits in its middle.)"""
    return st.integers(0, 9).flatmap(lambda i: near_miss if i == 5 else valid)


def _realistic(
    op: str, member: str, world: World, target: dict[str, Any]
) -> st.SearchStrategy[Any]:
    """Plausible values of ``member``: mostly the ``target`` stream's own name, ARN
    and version, or another stream's; valid enum values and in-range numbers;
    sometimes a near miss."""
    streams = world.streams()
    if member == "StreamName" and op == "CreateStream":
        return _mostly(st.one_of(good_names, st.just(target["name"])), st.just("bad name!"))
    if member == "StreamName":
        names = st.sampled_from(sorted({s["name"] for s in streams}))
        return _mostly(st.just(target["name"]), st.one_of(names, good_names, st.just("bad name!")))
    if member in ("StreamARN", "ResourceARN"):
        others = [s["arn"] for s in streams] + world.stale_arns + ["arn:nope"]
        return _mostly(st.just(target["arn"]), st.sampled_from(others))
    if member == "CurrentVersion":
        others = [s["version"] for s in streams] + ["0000000000", "bad!", "a" * 65]
        return _mostly(st.just(target["version"]), st.sampled_from(others))
    if member == "DeviceName":
        return _mostly(st.sampled_from(["dev-a", "dev-b", "dev-c", "dev-new"]), st.just("bad dev"))
    if member == "MediaType":
        return _mostly(
            st.sampled_from(["video/h264", "video/h264,audio/aac"]),
            st.sampled_from(["video", "a/b,"]),
        )
    if member == "KmsKeyId":
        key = "arn:aws:kms:us-east-1:123456789012:key/k"
        return _mostly(st.just(key), st.sampled_from(["k\r", "x" * 2049]))
    if member in ("DataRetentionInHours", "DataRetentionChangeInHours"):
        return _mostly(
            st.integers(min_value=1, max_value=30),
            st.sampled_from([-1, 0, 87_599, 87_600, 87_601, 2**31, True]),
        )
    if member == "MaxResults":
        return _mostly(st.integers(min_value=1, max_value=4), st.sampled_from([0, 10_000, 10_001]))
    if member == "NextToken":
        return _mostly(st.just(world.token), st.sampled_from(["", "bm9wZQ==", "!!", "a" * 1025]))
    if member == "Operation":
        ops = ["INCREASE_DATA_RETENTION", "DECREASE_DATA_RETENTION"]
        return _mostly(st.sampled_from(ops), st.just("GROW"))
    if member == "APIName":
        apis = ["PUT_MEDIA", "GET_MEDIA", "GET_CLIP", "LIST_FRAGMENTS", "GET_IMAGES"]
        return _mostly(st.sampled_from(apis), st.just("put_media"))
    if member == "StreamStorageConfiguration":
        tier = st.builds(lambda t: {"DefaultStorageTier": t}, st.sampled_from(["HOT", "WARM"]))
        return _mostly(tier, st.just({"DefaultStorageTier": "COLD"}))
    if member == "StreamNameCondition":
        prefix = st.one_of(st.sampled_from(["cam", "cam-", "o", "Cam", "zzz"]), good_names)
        return _mostly(
            st.builds(
                lambda p: {"ComparisonOperator": "BEGINS_WITH", "ComparisonValue": p}, prefix
            ),
            st.one_of(
                st.builds(lambda p: {"ComparisonValue": p}, prefix),
                st.just({"ComparisonOperator": "ENDS_WITH", "ComparisonValue": "cam"}),
            ),
        )
    if member == "TagKeyList":
        return _mostly(
            st.lists(plain_tag_keys, min_size=1, max_size=4), st.lists(tag_keys, max_size=4)
        )
    channels = world.channels()
    if member == "ChannelName" and op == "CreateSignalingChannel":
        return _mostly(st.one_of(good_names, st.just("door")), st.just("bad name!"))
    if member == "ChannelName":
        names = st.sampled_from(sorted({c["name"] for c in channels}))
        return _mostly(names, st.one_of(good_names, st.just("bad name!")))
    if member == "ChannelARN":
        others = [s["arn"] for s in streams] + world.stale_arns + ["arn:nope"]
        return _mostly(st.sampled_from([c["arn"] for c in channels]), st.sampled_from(others))
    if member == "ChannelType":
        return _mostly(st.just("SINGLE_MASTER"), st.sampled_from(["FULL_MESH", "MESH"]))
    if member == "SingleMasterConfiguration":
        ttl = st.builds(lambda t: {"MessageTtlSeconds": t}, st.integers(5, 120))
        return _mostly(
            ttl, st.sampled_from([{}, {"MessageTtlSeconds": 4}, {"MessageTtlSeconds": 121}])
        )
    if member == "ChannelNameCondition":
        prefix = st.one_of(st.sampled_from(["d", "door", "g", "zzz"]), good_names)
        return _mostly(
            st.builds(
                lambda p: {"ComparisonOperator": "BEGINS_WITH", "ComparisonValue": p}, prefix
            ),
            st.builds(lambda p: {"ComparisonValue": p}, prefix),
        )
    if member == "SingleMasterChannelEndpointConfiguration":
        protocols = st.lists(st.sampled_from(["WSS", "HTTPS", "WEBRTC"]), min_size=1, max_size=3)
        good = st.fixed_dictionaries(
            {"Protocols": protocols}, optional={"Role": st.sampled_from(["MASTER", "VIEWER"])}
        )
        return _mostly(good, st.sampled_from([{"Protocols": []}, {"Role": "OWNER"}]))
    if member == "MediaStorageConfiguration":
        arns = st.sampled_from([s["arn"] for s in streams])
        good = st.fixed_dictionaries(
            {"Status": st.sampled_from(["ENABLED", "DISABLED"])}, optional={"StreamARN": arns}
        )
        bad = st.sampled_from([{"Status": "ON"}, {"StreamARN": "arn:nope", "Status": "ENABLED"}])
        return _mostly(good, bad)
    if member == "Tags" and op in ("TagResource", "CreateSignalingChannel"):
        pair = st.fixed_dictionaries({"Key": plain_tag_keys, "Value": plain_tag_values})
        odd_pair = st.fixed_dictionaries({"Key": tag_keys, "Value": tag_values})
        return _mostly(st.lists(pair, min_size=1, max_size=4), st.lists(odd_pair, max_size=5))
    if member == "Tags":
        return _mostly(
            st.dictionaries(plain_tag_keys, plain_tag_values, min_size=1, max_size=4),
            st.dictionaries(tag_keys, tag_values, max_size=5),
        )
    if member in _CONFIG_MEMBERS:
        return _mostly(_CONFIG_MEMBERS[member], _CONFIG_NEAR_MISSES[member])
    raise AssertionError(f"no realistic values for {op}.{member}")


_HUBS = [
    "arn:aws:iot:us-east-1:123456789012:thing/hub-1",
    "arn:aws:iot:us-east-1:123456789012:thing/hub-2",
]
#: Valid values of the configuration operations' members (kvsim.strategies).
_CONFIG_MEMBERS: dict[str, st.SearchStrategy[Any]] = {
    "ImageGenerationConfiguration": kvs.image_generation_configurations(),
    "NotificationConfiguration": kvs.notification_configurations(),
    "EdgeConfig": kvs.edge_configs(hub_device_arns=st.sampled_from(_HUBS)),
    "HubDeviceArn": st.sampled_from(_HUBS),
}
#: Near misses: what only the service refuses (the reference's rules), or a foreign hub.
_CONFIG_NEAR_MISSES: dict[str, st.SearchStrategy[Any]] = {
    "ImageGenerationConfiguration": kvs.image_generation_configurations().map(
        lambda c: {**c, "SamplingInterval": 199}
    ),
    "NotificationConfiguration": st.just({"Status": "ENABLED", "DestinationConfig": {"Uri": "x"}}),
    "EdgeConfig": kvs.edge_configs(hub_device_arns=st.just("arn:aws:iot:us-east-1:1:thing/far")),
    "HubDeviceArn": st.just("arn:aws:iot:us-east-1:123456789012:thing/nobody"),
}


@st.composite
def requests(draw: st.DrawFn, op: str, world: World) -> dict[str, Any]:
    """Keyword arguments for ``op``. Most requests are realistic; a dirty one puts
    junk in some members, may drop a required member or add an unknown one."""
    members, required = INPUT_MEMBERS[op]
    dirty = draw(st.integers(0, 2), label="dirty?") == 0
    target = draw(st.sampled_from(world.streams()), label="target")
    # How a name-or-ARN operation names its stream: one form, both, or at random.
    form = draw(st.sampled_from(["StreamName", "StreamARN", "both", "random"]), label="form")
    kwargs: dict[str, Any] = {}
    for member in members:
        if member in ("StreamName", "StreamARN") and form != "random":
            keep = member == form or form == "both"
        else:
            keep = member in required and not (dirty and draw(st.integers(0, 3)) == 0)
        if keep or draw(st.booleans()):
            if dirty and draw(st.integers(0, 2)) == 0:
                kwargs[member] = draw(junk)
            else:
                kwargs[member] = draw(_realistic(op, member, world, target))
    if dirty and draw(st.integers(0, 3)) == 0:
        extra = st.one_of(st.sampled_from(["streamName", "Foo", "ResponseMetadata"]), st.text())
        kwargs[draw(extra)] = draw(junk)
    return kwargs


# -- the oracle --------------------------------------------------------------------------------


def call_and_check(world: World, op: str, kwargs: dict[str, Any]) -> object:
    """Call ``op``; assert the outcome is allowed and that failures changed nothing.
    Returns the response dict or the raised error."""
    sim = world.sim
    before, now = sim._dump(), sim.now
    method = getattr(world.kv, xform_name(op))
    try:
        result = method(**kwargs)
    except ParamValidationError as error:
        assert error.report, "a ParamValidationError must say what is wrong"
        assert sim._dump() == before, f"{op} failed client-side but changed the world"
        assert sim.now == now, "a ParamValidationError must take no time"
        return error
    except ClientError as error:
        code = error.response["Error"]["Code"]
        assert code in MODELED_ERRORS[op], f"{op} raised unmodeled {code}: {error}"
        status = error.response["ResponseMetadata"]["HTTPStatusCode"]
        assert status == MODELED_ERRORS[op][code]
        assert error.operation_name == op
        assert type(error) is getattr(world.kv.exceptions, code)
        assert sim._dump() == before, f"{op} raised {code} but changed the world"
        return error
    finally:
        sim._check()
    assert isinstance(result, dict)
    assert set(result) - {"ResponseMetadata"} <= OUTPUT_MEMBERS[op], result.keys()
    assert result["ResponseMetadata"]["HTTPStatusCode"] == 200
    return result


@pytest.mark.parametrize("op", kvsim.OPERATIONS)
@given(data=st.data(), limits=st.sampled_from(LIMITS))
def test_every_input_gets_a_result_or_a_modeled_error_and_failures_are_atomic(
    op: str, data: st.DataObject, limits: kvsim.Limits
) -> None:
    world = build_world(limits, FROZEN)
    for _ in range(data.draw(st.integers(1, 3), label="calls")):
        call_and_check(world, op, data.draw(requests(op, world), label=op))


@given(data=st.data(), limits=st.sampled_from(LIMITS))
def test_mixed_sequences_across_all_operations_and_time(
    data: st.DataObject, limits: kvsim.Limits
) -> None:
    world = build_world(limits, FROZEN)
    for _ in range(data.draw(st.integers(1, 8), label="steps")):
        if data.draw(st.integers(0, 5), label="advance?") == 0:
            world.sim.advance(data.draw(st.sampled_from([0.5, 1.0, 2.5]), label="seconds"))
            world.sim._check()
            continue
        op = data.draw(st.sampled_from(kvsim.OPERATIONS), label="op")
        call_and_check(world, op, data.draw(requests(op, world), label=op))


@given(data=st.data(), limits=st.sampled_from(LIMITS))
def test_a_failed_call_only_lets_call_latency_pass(
    data: st.DataObject, limits: kvsim.Limits
) -> None:
    """With the default latency: a ClientError equals just advancing by the latency
    in a twin world (no RNG draw, no token, no change); a ParamValidationError equals nothing."""
    timings = kvsim.Timings()
    world, twin = build_world(limits, timings), build_world(limits, timings)
    op = data.draw(st.sampled_from(kvsim.OPERATIONS), label="op")
    kwargs = data.draw(requests(op, world), label=op)
    try:
        getattr(world.kv, xform_name(op))(**kwargs)
    except ParamValidationError:
        pass
    except ClientError as error:
        assert error.response["Error"]["Code"] in MODELED_ERRORS[op]
        twin.sim.advance(timings.call_latency)
    else:
        return
    assert world.sim.now == twin.sim.now
    assert world.sim._dump() == twin.sim._dump()
    world.sim._check()


def test_the_world_holds_every_status_and_both_limit_profiles_build() -> None:
    for limits in LIMITS:
        world = build_world(limits, FROZEN)
        assert [s["status"] for s in world.streams()] == [
            "ACTIVE",  # eu-west-1 cam-active
            "ACTIVE",  # cam-active
            "DELETING",  # cam-del
            "ACTIVE",  # cam.idle
            "UPDATING",  # cam_upd
            "CREATING",  # old, re-created
        ]
        world.sim._check()
