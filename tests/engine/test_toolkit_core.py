"""Faults, least-privilege clients, the call trace with replay, and snapshots."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from helpers import raises

import kvsim
from kvsim.cli import main
from kvsim.scenarios.replay import read_trace, replay
from kvsim.services.registry import OPERATIONS, SIMULATED

FROZEN = kvsim.Timings(call_latency=0)


def code_of(call: Callable[[], Any]) -> str:
    """The error code ``call`` fails with, or "ok"."""
    try:
        call()
    except kvsim.ClientError as error:
        return str(error.response["Error"]["Code"])
    return "ok"


# -- faults -----------------------------------------------------------------------------------


def test_fault_fails_the_next_calls_times_then_stops() -> None:
    sim = kvsim.Simulator()
    kv = sim.client()
    sim.faults.add("create_stream", "InvalidDeviceException", times=2, message="device gone")
    with pytest.raises(kv.exceptions.InvalidDeviceException) as info:
        kv.create_stream(StreamName="a")
    assert info.value.response["Error"]["Message"] == "device gone"
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert info.value.operation_name == "CreateStream"
    assert code_of(lambda: kv.create_stream(StreamName="a")) == "InvalidDeviceException"
    assert code_of(lambda: kv.create_stream(StreamName="a")) == "ok"
    assert kv.list_streams()["StreamInfoList"][0]["StreamName"] == "a"


def test_fault_accepts_error_classes_and_api_names() -> None:
    sim = kvsim.Simulator()
    kv = sim.client()
    kv.create_stream(StreamName="a")
    sim.faults.add("DescribeStream", kvsim.errors.ResourceNotFoundException, times=1)
    with pytest.raises(kvsim.errors.ResourceNotFoundException) as info:
        kv.describe_stream(StreamName="a")
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert info.value.response["Error"]["Message"] == "Injected fault: ResourceNotFoundException"


def test_fault_filters_by_account_region_and_stream() -> None:
    sim = kvsim.Simulator()
    home = sim.client(region_name="us-east-1")
    away = sim.client(region_name="eu-west-1")
    other = sim.client(account_id="210987654321")
    for kv in (home, away, other):
        kv.create_stream(StreamName="a")
        kv.create_stream(StreamName="b")
    sim.faults.add(
        "describe_stream",
        "NotAuthorizedException",
        account_id="123456789012",
        region_name="us-east-1",
        stream_name="a",
    )
    arn_a = home.describe_stream(StreamName="b")["StreamInfo"]["StreamARN"].replace("/b/", "/a/")
    assert code_of(lambda: home.describe_stream(StreamName="a")) == "NotAuthorizedException"
    assert code_of(lambda: home.describe_stream(StreamARN=arn_a)) == "NotAuthorizedException"
    assert code_of(lambda: home.describe_stream(StreamName="b")) == "ok"
    assert code_of(lambda: away.describe_stream(StreamName="a")) == "ok"
    assert code_of(lambda: other.describe_stream(StreamName="a")) == "ok"


def test_probability_faults_are_seeded_and_leave_versions_alone() -> None:
    def run(seed: int, with_fault: bool) -> tuple[list[str], list[str]]:
        sim = kvsim.Simulator(seed=seed, timings=FROZEN, limits=kvsim.Limits(throttling=False))
        kv = sim.client()
        if with_fault:
            sim.faults.add("list_streams", "ClientLimitExceededException", probability=0.5)
        outcomes = [code_of(lambda: kv.list_streams()) for _ in range(40)]
        versions = []
        for i in range(5):
            kv.create_stream(StreamName=f"s{i}")
            versions.append(kv.describe_stream(StreamName=f"s{i}")["StreamInfo"]["Version"])
        return outcomes, versions

    first, versions = run(1, True)
    assert run(1, True) == (first, versions)
    assert 5 < first.count("ClientLimitExceededException") < 35
    assert run(2, True)[0] != first
    assert run(1, False)[1] == versions  # the fault's draws do not shift the versions


def test_latency_fault_adds_virtual_time_and_clear_removes_rules() -> None:
    sim = kvsim.Simulator(timings=FROZEN)
    kv = sim.client()
    start = sim.now
    sim.faults.add_latency("list_streams", 2.5, times=1)
    kv.list_streams()
    assert (sim.now - start).total_seconds() == 2.5
    kv.list_streams()
    assert (sim.now - start).total_seconds() == 2.5
    sim.faults.add("list_streams", "ClientLimitExceededException")
    assert code_of(lambda: kv.list_streams()) == "ClientLimitExceededException"
    sim.faults.clear()
    assert code_of(lambda: kv.list_streams()) == "ok"


@pytest.mark.parametrize(
    ("args", "kwargs", "exception", "text"),
    [
        (("nope", "ResourceInUseException"), {}, ValueError, "unknown operation 'nope'"),
        (("create_stream", "Boom"), {}, ValueError, "unknown error 'Boom'"),
        (("create_stream", "ResourceInUseException"), {"times": 0}, ValueError, "times"),
        (
            ("create_stream", "ResourceInUseException"),
            {"probability": 1.5},
            ValueError,
            "probability",
        ),
        (("create_stream", "ResourceInUseException"), {"stream_name": 3}, TypeError, "stream_name"),
    ],
)
def test_fault_arguments_are_checked_at_once(
    args: tuple[str, str], kwargs: dict[str, Any], exception: type[Exception], text: str
) -> None:
    sim = kvsim.Simulator()
    with pytest.raises(exception, match=text):
        sim.faults.add(*args, **kwargs)
    assert not sim.faults


# -- least privilege --------------------------------------------------------------------------

# The model lists NotAuthorizedException for these; the others answer AccessDeniedException.
VALID_ARGS: dict[str, dict[str, Any]] = {
    "CreateStream": {"StreamName": "x"},
    "DescribeStream": {"StreamName": "a"},
    "ListStreams": {},
    "UpdateStream": {"StreamName": "a", "CurrentVersion": "v1"},
    "UpdateDataRetention": {
        "StreamName": "a",
        "CurrentVersion": "v1",
        "Operation": "INCREASE_DATA_RETENTION",
        "DataRetentionChangeInHours": 1,
    },
    "DeleteStream": {"StreamARN": "arn:aws:kinesisvideo:us-east-1:123456789012:stream/a/1"},
    "GetDataEndpoint": {"StreamName": "a", "APIName": "GET_MEDIA"},
    "TagStream": {"StreamName": "a", "Tags": {"k": "v"}},
    "UntagStream": {"StreamName": "a", "TagKeyList": ["k"]},
    "ListTagsForStream": {"StreamName": "a"},
    "TagResource": {
        "ResourceARN": "arn:aws:kinesisvideo:us-east-1:123456789012:stream/a/1",
        "Tags": [{"Key": "k", "Value": "v"}],
    },
    "UntagResource": {
        "ResourceARN": "arn:aws:kinesisvideo:us-east-1:123456789012:stream/a/1",
        "TagKeyList": ["k"],
    },
    "ListTagsForResource": {
        "ResourceARN": "arn:aws:kinesisvideo:us-east-1:123456789012:stream/a/1"
    },
    "DescribeStreamStorageConfiguration": {"StreamName": "a"},
    "UpdateStreamStorageConfiguration": {
        "StreamName": "a",
        "CurrentVersion": "v1",
        "StreamStorageConfiguration": {"DefaultStorageTier": "WARM"},
    },
    "CreateSignalingChannel": {"ChannelName": "c"},
    "DescribeSignalingChannel": {"ChannelName": "c"},
    "ListSignalingChannels": {},
    "UpdateSignalingChannel": {
        "ChannelARN": "arn:aws:kinesisvideo:us-east-1:123456789012:channel/c/1",
        "CurrentVersion": "v1",
    },
    "DeleteSignalingChannel": {
        "ChannelARN": "arn:aws:kinesisvideo:us-east-1:123456789012:channel/c/1"
    },
    "GetSignalingChannelEndpoint": {
        "ChannelARN": "arn:aws:kinesisvideo:us-east-1:123456789012:channel/c/1"
    },
    "UpdateMediaStorageConfiguration": {
        "ChannelARN": "arn:aws:kinesisvideo:us-east-1:123456789012:channel/c/1",
        "MediaStorageConfiguration": {"Status": "DISABLED"},
    },
    "DescribeMediaStorageConfiguration": {"ChannelName": "c"},
    "DescribeMappedResourceConfiguration": {"StreamName": "a"},
    "UpdateImageGenerationConfiguration": {"StreamName": "a"},
    "DescribeImageGenerationConfiguration": {"StreamName": "a"},
    "UpdateNotificationConfiguration": {"StreamName": "a"},
    "DescribeNotificationConfiguration": {"StreamName": "a"},
    "StartEdgeConfigurationUpdate": {
        "StreamName": "a",
        "EdgeConfig": {
            "HubDeviceArn": "arn:aws:iot:us-east-1:123456789012:thing/hub",
            "RecorderConfig": {
                "MediaSourceConfig": {
                    "MediaUriSecretArn": "arn:aws:secretsmanager:us-east-1:123456789012:secret:s",
                    "MediaUriType": "RTSP_URI",
                }
            },
        },
    },
    "DescribeEdgeConfiguration": {"StreamName": "a"},
    "DeleteEdgeConfiguration": {"StreamName": "a"},
    "ListEdgeAgentConfigurations": {"HubDeviceArn": "arn:aws:iot:us-east-1:123456789012:thing/hub"},
}
METHOD = {name: op.method for name, op in SIMULATED.items()}


# The request member a denial names as its resource, most specific first.
RESOURCE_MEMBERS = (
    "StreamName",
    "ChannelName",
    "StreamARN",
    "ChannelARN",
    "ResourceARN",
    "HubDeviceArn",
)


def denied_resource(args: dict[str, Any]) -> str:
    return next((args[m] for m in RESOURCE_MEMBERS if m in args), "*")


@pytest.mark.parametrize("operation", OPERATIONS)
def test_a_client_with_no_allowed_actions_is_denied_everything(operation: str) -> None:
    sim = kvsim.Simulator()
    kv = sim.client(allowed_actions=[])
    before = sim._dump()
    with pytest.raises(kvsim.ClientError) as info:
        getattr(kv, METHOD[operation])(**VALID_ARGS[operation])
    # As the real service: AccessDeniedException, HTTP 403, for every operation.
    assert info.value.response["Error"]["Code"] == "AccessDeniedException"
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert info.value.response["Error"]["Message"] == (
        "User: arn:aws:iam::123456789012:user/kvsim is not authorized to perform: "
        f"kinesisvideo:{operation} on resource: {denied_resource(VALID_ARGS[operation])}"
    )
    assert isinstance(info.value, kv.exceptions.AccessDeniedException)
    assert sim._dump() == before


def test_a_denial_names_the_resource_as_the_request_gave_it() -> None:
    sim = kvsim.Simulator()
    arn = sim.client().create_stream(StreamName="cam-1")["StreamARN"]
    kv = sim.client(allowed_actions=[], identity="arn:aws:sts::123456789012:assumed-role/ro/s1")
    prefix = (
        "User: arn:aws:sts::123456789012:assumed-role/ro/s1 is not authorized to perform: "
        "kinesisvideo:"
    )
    by_name = raises(kv.describe_stream, "AccessDeniedException", StreamName="cam-1")
    assert by_name.response["Error"]["Message"] == prefix + "DescribeStream on resource: cam-1"
    by_arn = raises(kv.describe_stream, "AccessDeniedException", StreamARN=arn)
    assert by_arn.response["Error"]["Message"] == prefix + f"DescribeStream on resource: {arn}"
    listing = raises(kv.list_streams, "AccessDeniedException")
    assert listing.response["Error"]["Message"] == prefix + "ListStreams on resource: *"


def test_read_only_role_with_wildcards() -> None:
    sim = kvsim.Simulator()
    admin = sim.client()
    admin.create_stream(StreamName="a")
    reader = sim.client(allowed_actions={"kinesisvideo:Describe*", "KinesisVideo:list*"})
    assert reader.describe_stream(StreamName="a")["StreamInfo"]["StreamName"] == "a"
    assert reader.list_streams()["StreamInfoList"][0]["StreamName"] == "a"
    assert reader.list_tags_for_stream(StreamName="a")["Tags"] == {}
    assert code_of(lambda: reader.create_stream(StreamName="b")) == "AccessDeniedException"
    assert code_of(lambda: reader.tag_stream(StreamName="a", Tags={"k": "v"})) == (
        "AccessDeniedException"
    )
    everything = sim.client(allowed_actions=["kinesisvideo:*"])
    assert code_of(lambda: everything.create_stream(StreamName="b")) == "ok"


@pytest.mark.parametrize(
    ("actions", "exception"),
    [("kinesisvideo:DescribeStream", TypeError), (["s3:GetObject"], ValueError), ([3], ValueError)],
)
def test_allowed_actions_are_checked(actions: Any, exception: type[Exception]) -> None:
    with pytest.raises(exception, match="allowed_actions"):
        kvsim.Simulator().client(allowed_actions=actions)


# -- trace ------------------------------------------------------------------------------------


def test_trace_records_calls_errors_and_clock_steps() -> None:
    sim = kvsim.Simulator()
    kv = sim.client(region_name="eu-west-1")
    kv.create_stream(StreamName="a", Tags={"k": "v"})
    with pytest.raises(kv.exceptions.ResourceInUseException):
        kv.create_stream(StreamName="a")
    with pytest.raises(kvsim.ParamValidationError):
        kv.describe_stream(Bogus=1)
    sim.advance(1.5)
    sim.run_until_idle()
    assert sim.step() is None
    trace = sim.trace
    assert [e.get("call", next(iter(e))) for e in trace] == [
        "create_stream",
        "create_stream",
        "describe_stream",
        "advance",
        "run_until_idle",
    ]
    first = trace[0]
    assert first["args"] == {"StreamName": "a", "Tags": {"k": "v"}}
    assert (first["account_id"], first["region_name"]) == ("123456789012", "eu-west-1")
    assert first["at"] == "2026-01-01T00:00:00+00:00"
    assert first["outcome"]["response"]["StreamARN"].endswith("/a/1767225600000")
    assert trace[1]["outcome"] == {
        "error": "ResourceInUseException",
        "message": "The stream a already exists.",
    }
    assert trace[2]["outcome"]["error"] == "ParamValidationError"
    assert trace[3] == {"advance": 1.5, "at": "2026-01-01T00:00:00.100000+00:00"}
    assert [c["call"] for c in sim.last_calls(2)] == ["create_stream", "describe_stream"]
    json.dumps(trace)  # JSON-ready


def test_trace_limit_keeps_the_newest_and_refuses_to_save_a_partial_trace(tmp_path: Path) -> None:
    sim = kvsim.Simulator(trace_limit=3)
    kv = sim.client()
    for i in range(5):
        kv.create_stream(StreamName=f"s{i}")
    assert [e["args"]["StreamName"] for e in sim.trace] == ["s2", "s3", "s4"]
    with pytest.raises(ValueError, match="lost its 2 oldest entries"):
        sim.save_trace(tmp_path / "t.jsonl")
    silent = kvsim.Simulator(trace_limit=0)
    silent.client().list_streams()
    assert silent.trace == []
    with pytest.raises(ValueError, match="trace_limit"):
        kvsim.Simulator(trace_limit=-1)


def _traced_session(sim: kvsim.Simulator) -> None:
    kv = sim.client()
    arn = kv.create_stream(StreamName="cam", DataRetentionInHours=2)["StreamARN"]
    with pytest.raises(kv.exceptions.ResourceInUseException):
        kv.create_stream(StreamName="cam")
    sim.advance(3)
    version = kv.describe_stream(StreamARN=arn)["StreamInfo"]["Version"]
    kv.update_data_retention(
        StreamARN=arn,
        CurrentVersion=version,
        Operation="INCREASE_DATA_RETENTION",
        DataRetentionChangeInHours=5,
    )
    sim.step()
    kv.tag_stream(StreamARN=arn, Tags={"site": "lab"})
    kv.get_data_endpoint(StreamARN=arn, APIName="PUT_MEDIA")
    kv.delete_stream(StreamARN=arn)
    sim.run_until_idle()
    kv.list_streams()


def test_saved_trace_replays_with_every_outcome_matching(tmp_path: Path) -> None:
    sim = kvsim.Simulator(seed=11, trace_limit=None, limits=kvsim.Limits(max_tags_per_resource=9))
    _traced_session(sim)
    path = tmp_path / "trace.jsonl"
    assert sim.save_trace(path) == len(sim.trace)
    header = json.loads(path.read_text().splitlines()[0])
    assert header["kvsim_trace"] == 1 and header["seed"] == 11
    assert header["limits"]["max_tags_per_resource"] == 9
    trace = read_trace(path)
    assert trace.simulator().limits == sim.limits
    assert replay(trace) is None
    assert main(["run", str(path), "--check"]) == 0
    assert main(["run", str(path)]) == 0


def test_tampered_trace_fails_the_check_at_that_step(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sim = kvsim.Simulator(seed=11, trace_limit=None)
    _traced_session(sim)
    path = tmp_path / "trace.jsonl"
    sim.save_trace(path)
    lines = path.read_text().splitlines()
    number = next(i for i, line in enumerate(lines) if '"get_data_endpoint"' in line)
    entry = json.loads(lines[number])
    entry["outcome"]["response"]["DataEndpoint"] = "https://s-00000000.example"
    lines[number] = json.dumps(entry)
    path.write_text("\n".join(lines) + "\n")
    mismatch = replay(read_trace(path))
    assert mismatch is not None and mismatch.step == number and mismatch.call == "get_data_endpoint"
    capsys.readouterr()
    assert main(["run", str(path), "--check"]) == 1
    assert f"step {number} (get_data_endpoint)" in capsys.readouterr().err


# -- snapshots --------------------------------------------------------------------------------


def _future(sim: kvsim.Simulator) -> list[Any]:
    """Outcomes of a fixed series of calls and clock steps on ``sim``."""
    kv = sim.client()
    out: list[Any] = []
    for i in range(8):
        for call in (
            lambda name=f"n{i}": kv.create_stream(StreamName=name),
            lambda: kv.describe_stream(StreamName="busy"),
            lambda: kv.list_streams(MaxResults=3),
        ):
            try:
                response = call()
                response.pop("ResponseMetadata")
                out.append(response)
            except kvsim.ClientError as error:
                out.append(error.response["Error"])
        out.append(sim.advance(0.4))
    out.append([(c.due, c.resource, c.transition) for c in sim.pending()])
    out.append(sim.run_until_idle())
    out.append(sim.now)
    return out


def _busy_world() -> kvsim.Simulator:
    sim = kvsim.Simulator(seed=8, limits=kvsim.Limits(rates={"ListStreams": (3, None)}))
    kv = sim.client()
    arn = kv.create_stream(StreamName="busy", DeviceName="d", Tags={"a": "b"})["StreamARN"]
    kv.create_stream(StreamName="gone")
    sim.advance(2.5)
    version = kv.describe_stream(StreamARN=arn)["StreamInfo"]["Version"]
    kv.update_stream(StreamARN=arn, CurrentVersion=version, MediaType="video/h264")
    gone = kv.describe_stream(StreamName="gone")["StreamInfo"]["StreamARN"]
    kv.delete_stream(StreamARN=gone)
    kv.get_data_endpoint(StreamARN=arn, APIName="GET_CLIP")
    sim.client(region_name="cn-north-1").create_stream(StreamName="far")
    sim.faults.add("describe_stream", "ClientLimitExceededException", probability=0.3)
    return sim


def test_restore_and_fork_give_the_same_future_as_the_original() -> None:
    original = _busy_world()
    text = json.dumps(original.snapshot())
    restored = kvsim.Simulator.restore(text)
    fork = original.fork()
    restored._check()
    assert restored.snapshot() == original.snapshot()
    expected = _future(original)
    assert _future(restored) == expected
    assert _future(fork) == expected


def test_a_fork_is_independent() -> None:
    original = _busy_world()
    fork = original.fork()
    fork.client().create_stream(StreamName="only-in-fork")
    fork.run_until_idle()
    names = [s["StreamName"] for s in original.client().list_streams()["StreamInfoList"]]
    assert "only-in-fork" not in names
    assert original.pending() != fork.pending()


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda s: "not json at all", "not a kvsim snapshot"),
        (lambda s: [], "not a kvsim snapshot"),
        (lambda s: {**s, "format": "other"}, "not a kvsim snapshot"),
        (lambda s: {**s, "version": 99}, "unsupported kvsim snapshot version 99"),
        (lambda s: {k: v for k, v in s.items() if k != "queue"}, "corrupt kvsim snapshot"),
        (lambda s: {**s, "rng": "x"}, "corrupt kvsim snapshot"),
        (lambda s: {**s, "queue": [[0, 1, "123456789012", "us-east-1", "nope", 0]]}, "corrupt"),
        (lambda s: {**s, "limits": {"bogus": 1}}, "corrupt kvsim snapshot"),
    ],
)
def test_corrupt_or_foreign_snapshots_fail_clearly(
    damage: Callable[[dict[str, Any]], Any], message: str
) -> None:
    snapshot = _busy_world().snapshot()
    with pytest.raises(ValueError, match=message):
        kvsim.Simulator.restore(damage(snapshot))
