"""kvsim.stateful: the shipped state machine runs green, reaches every interesting state,
and fails when kvsim misbehaves."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import Phase, settings
from hypothesis.stateful import run_state_machine_as_test

import kvsim
import kvsim.services.gate
import kvsim.services.kinesisvideo.streams
import kvsim.services.kinesisvideo.tags
from kvsim.stateful import (
    LOW_RATES,
    CheckedClient,
    KinesisVideoStateMachine,
    ModelMismatch,
)

#: What a default run must reach at least once, so that it cannot pass vacuously.
MUST_REACH = (
    "status:CREATING",
    "status:UPDATING",
    "status:DELETING",
    "error:VersionMismatchException",
    "error:ResourceInUseException",
    "error:ClientLimitExceededException",
    # Signaling channels and media storage (kvsim.testing.stateful.channel_rules).
    "channel:CREATING",
    "channel:UPDATING",
    "channel:DELETING",
    "error:AccountChannelLimitExceededException",
    "error:UpdateSignalingChannel:VersionMismatchException",
    "error:UpdateMediaStorageConfiguration:NoDataRetentionException",
    "link:ENABLED",
    # The signaling relay (kvsim.testing.stateful.signaling_rules).
    "signaling:delivered",
    "signaling:held-delivered",
    "signaling:expired",
    "signaling:GO_AWAY:takeover",
    "signaling:STATUS_RESPONSE",
    "signaling:closed:deleted",
    "signaling:refused:viewers",
    "signaling:refused:rate",
    # Media (kvsim.testing.stateful.media_rules).
    "media:put",
    "media:put-realtime",
    "media:listed",
    "media:read",
    "media:expired-batch",
    # Playback (kvsim.testing.stateful.playback_rules).
    "playback:clip",
    "playback:hls-on-demand",
    "playback:hls-live",
    "playback:dash-on-demand",
    "playback:dash-live",
    "playback:segment",
    "playback:expired",
    "playback:before-expiry",
    "error:GetClip:InvalidArgumentException",
    "error:GetClip:ResourceNotFoundException",
    "error:GetHLSStreamingSessionURL:InvalidArgumentException",
    "error:GetHLSStreamingSessionURL:ResourceNotFoundException",
    "error:GetDASHStreamingSessionURL:ResourceNotFoundException",
    "playback:images",
    "playback:images-paged",
    "playback:images-media",
    "error:GetImages:InvalidArgumentException",
    "error:GetImages:ResourceNotFoundException",
    "error:GetImages:ClientLimitExceededException",
)


class ShippedMachine(KinesisVideoStateMachine):
    """The machine exactly as shipped (its own coverage counter)."""


def _run(machine: type[KinesisVideoStateMachine], **overrides: Any) -> None:
    # Settings inherit the loaded profile (tests/conftest.py): derandomized, bounded.
    options: dict[str, Any] = {"stateful_step_count": 50, "deadline": None}
    options.update(overrides)
    run_state_machine_as_test(machine, settings=settings(**options))


def test_shipped_machine_passes_and_reaches_every_interesting_state() -> None:
    ShippedMachine.reset_coverage()
    # Two derandomized runs of different lengths (their draws differ), so that what
    # one misses by the luck of its draws (which a new rule, or constants of the
    # test modules collected with it, shift) the other may reach.
    for examples in (250, 100):
        _run(ShippedMachine, max_examples=examples)
    reached = ShippedMachine.coverage
    missing = [outcome for outcome in MUST_REACH if reached[outcome] == 0]
    assert missing == [], f"never reached: {missing}; reached: {dict(reached)}"
    never_ok = [op for op in kvsim.OPERATIONS if reached[f"ok:{op}"] == 0]
    assert never_ok == [], f"these operations never succeeded: {never_ok}"


def test_coverage_is_counted_per_subclass() -> None:
    class Other(KinesisVideoStateMachine):
        pass

    assert Other.coverage is not ShippedMachine.coverage
    assert Other.coverage is not KinesisVideoStateMachine.coverage
    Other().kv.list_streams()
    assert Other.coverage == {"ok:ListStreams": 1}


# -- the checks catch a misbehaving simulator ------------------------------------------------

#: Fail fast: no shrinking, one bug reported.
_FIND_FIRST = {
    "phases": [Phase.explicit, Phase.generate],
    "report_multiple_bugs": False,
    "database": None,
    # Found in the first few dozen runs, but which ones depends on every rule of
    # the machine: room for the rules to come.
    "max_examples": 300,
}


def _no_version_bump(mp: pytest.MonkeyPatch) -> None:
    streams = kvsim.services.kinesisvideo.streams

    def update(world: Any, stream: Any) -> None:
        stream.status = "UPDATING"
        stream.pending = world.schedule(stream, streams.UPDATED, world.delays_ms["update_delay"])

    mp.setattr(kvsim.services.kinesisvideo.streams, "updated", update)


def _tagging_bumps_version(mp: pytest.MonkeyPatch) -> None:
    tag = kvsim.services.kinesisvideo.tags.tag_stream

    def tag_and_bump(world: Any, op: str, region: Any, find: Any, tags: Any) -> None:
        tag(world, op, region, find, tags)
        find(region).version = "0" * 10

    mp.setattr(kvsim.services.kinesisvideo.tags, "tag_stream", tag_and_bump)


def _never_takes_tokens(mp: pytest.MonkeyPatch) -> None:
    mp.setattr(kvsim.services.gate.Admission, "commit", lambda self: None)


def _throttles_early(mp: pytest.MonkeyPatch) -> None:
    tokens = kvsim.services.gate.tokens
    mp.setattr(kvsim.services.gate, "tokens", lambda b, op, now, tps: tokens(b, op, now, tps) - 0.5)


def _lists_one_short(mp: pytest.MonkeyPatch) -> None:
    list_streams = kvsim.services.kinesisvideo.streams.list_streams

    def short(*args: Any) -> tuple[list[Any], bool]:
        page, more = list_streams(*args)
        return (page[:-1] if len(page) >= 2 else page), more

    mp.setattr(kvsim.services.kinesisvideo.streams, "list_streams", short)


def _checks_version_first(mp: pytest.MonkeyPatch) -> None:
    def check(stream: Any, current_version: str | None) -> None:
        if current_version is not None and current_version != stream.version:
            raise kvsim.errors.VersionMismatchException("stale")
        if stream.status != "ACTIVE":
            raise kvsim.errors.ResourceInUseException("busy")

    mp.setattr(kvsim.services.kinesisvideo.streams, "require_active_version", check)


@pytest.mark.parametrize(
    ("bug", "symptom"),
    [
        (_no_version_bump, "did not change"),
        # Tagging a channel bumps its version too: found on a stream or on a channel.
        (_tagging_bumps_version, "'Version': '0000000000'|channel "),
        (_never_takes_tokens, "ClientLimitExceededException"),
        (_throttles_early, "the simulator answered ClientLimitExceededException"),
        (_lists_one_short, "ListStreams: page"),
        (_checks_version_first, "answered VersionMismatchException, the model expected Resource"),
    ],
    ids=lambda value: getattr(value, "__name__", "symptom").strip("_"),
)
def test_the_machine_finds_a_planted_bug(
    monkeypatch: pytest.MonkeyPatch, bug: Callable[[pytest.MonkeyPatch], None], symptom: str
) -> None:
    class Planted(KinesisVideoStateMachine):
        pass

    bug(monkeypatch)
    with pytest.raises(AssertionError) as info:
        _run(Planted, **_FIND_FIRST)
    assert any(one in str(info.value) for one in symptom.split("|")), str(info.value)


# -- the checked client ------------------------------------------------------------------------


def _machine() -> ShippedMachine:
    return ShippedMachine()


def test_checked_client_raises_and_remembers_a_disagreement() -> None:
    machine = _machine()
    machine.kv.create_stream(StreamName="cam")
    machine.model.streams["cam"].retention = 5  # the model now disagrees with kvsim
    with pytest.raises(ModelMismatch, match="'DataRetentionInHours': 0"):
        machine.kv.describe_stream(StreamName="cam")
    # Code that swallows the exception cannot hide it: an invariant reports it.
    with pytest.raises(AssertionError, match="DescribeStream: response"):
        machine.no_mismatch_was_swallowed()


def test_checked_client_paginates_through_its_checks() -> None:
    machine = _machine()
    for name in ("a", "b", "c"):
        machine.kv.create_stream(StreamName=name)
    pages = machine.kv.get_paginator("list_streams").paginate(PaginationConfig={"PageSize": 2})
    listed = [info["StreamName"] for page in pages for info in page["StreamInfoList"]]
    assert listed == ["a", "b", "c"]
    assert ShippedMachine.coverage["ok:ListStreams"] >= 2
    assert machine.mismatches == []


def test_checked_client_passes_client_side_errors_through_unchanged() -> None:
    machine = _machine()
    with pytest.raises(
        kvsim.ParamValidationError, match='Missing required parameter in input: "StreamName"'
    ):
        machine.kv.create_stream()
    assert machine.model.streams == {}


def test_checked_client_accepts_injected_faults_that_change_nothing() -> None:
    machine = _machine()
    machine.kv.create_stream(StreamName="cam")
    machine.sim.faults.add("DescribeStream", "AccessDeniedException", times=1)
    with pytest.raises(kvsim.errors.AccessDeniedException):
        machine.kv.describe_stream(StreamName="cam")
    assert machine.kv.describe_stream(StreamName="cam")["StreamInfo"]["Status"] == "CREATING"
    machine.reference_matches_simulator()
    assert machine.mismatches == []


def test_checked_client_is_a_drop_in_for_the_real_one() -> None:
    machine = _machine()
    assert isinstance(machine.kv, CheckedClient)
    assert machine.kv.meta.region_name == "us-east-1"
    assert machine.kv.exceptions.ResourceInUseException is kvsim.errors.ResourceInUseException
    assert machine.kv.can_paginate("list_streams")
    with pytest.raises(ValueError, match="Operation cannot be paginated: describe_stream"):
        machine.kv.get_paginator("describe_stream")


# -- a bug the machine found -------------------------------------------------------------------


def test_a_call_sees_every_change_due_at_its_instant_after_a_step() -> None:
    # Two streams created at the same instant are due together; step() runs one.
    sim = kvsim.Simulator(timings=kvsim.Timings(call_latency=0))
    kv = sim.client("kinesisvideo", region_name="us-east-1")
    kv.create_stream(StreamName="a")
    kv.create_stream(StreamName="b")
    change = sim.step()
    assert change is not None and change.resource.endswith("/a/1767225600000")
    sim._check()  # the other change, due exactly now, may still be queued
    statuses = [(s["StreamName"], s["Status"]) for s in kv.list_streams()["StreamInfoList"]]
    assert statuses == [("a", "ACTIVE"), ("b", "ACTIVE")]
    assert sim.pending() == []


class ZeroLatencyMachine(KinesisVideoStateMachine):
    """Calls take no time, so changes fall due at the same instant (what found the bug)."""

    def make_timings(self) -> kvsim.Timings:
        return kvsim.Timings(create_delay=0.2, update_delay=0, delete_delay=0.1, call_latency=0)


def test_zero_latency_machine_passes() -> None:
    _run(ZeroLatencyMachine, max_examples=30)


class AllZeroTimingsMachine(KinesisVideoStateMachine):
    """Every delay and the call latency zero: deletions, re-creations and their ARNs
    all meet in the same millisecond unless the simulator keeps them apart."""

    def make_timings(self) -> kvsim.Timings:
        return kvsim.Timings(create_delay=0, update_delay=0, delete_delay=0, call_latency=0)


def test_all_zero_timings_machine_passes() -> None:
    _run(AllZeroTimingsMachine, max_examples=30)


# -- longer runs (CI's slow job) -------------------------------------------------------------


class FractionalRatesMachine(KinesisVideoStateMachine):
    """Another partition, tight quotas, fractional rates and odd delays."""

    region_name = "cn-north-1"

    def make_limits(self) -> kvsim.Limits:
        rates = {op: (2.5, 1.5) for op in LOW_RATES}
        rates |= {"CreateStream": (1.0, None), "ListStreams": (3.0, None)}
        return kvsim.Limits(
            max_streams_per_account=3,
            max_tags_per_resource=2,
            max_streams_per_device=1,
            max_data_retention_hours=100,
            rates=rates,
        )

    def make_timings(self) -> kvsim.Timings:
        return kvsim.Timings(
            create_delay=0.333, update_delay=0.777, delete_delay=1.234, call_latency=0.0125
        )


class AwsDefaultsMachine(KinesisVideoStateMachine):
    """AWS's own quotas and kvsim's default delays, in another account."""

    account_id = "000000000001"
    region_name = "us-gov-west-1"

    def make_limits(self) -> kvsim.Limits:
        return kvsim.Limits()

    def make_timings(self) -> kvsim.Timings:
        return kvsim.Timings()


@pytest.mark.slow
@pytest.mark.parametrize(
    "machine",
    [
        ShippedMachine,
        ZeroLatencyMachine,
        AllZeroTimingsMachine,
        FractionalRatesMachine,
        AwsDefaultsMachine,
    ],
    ids=lambda machine: machine.__name__,
)
def test_long_run(machine: type[KinesisVideoStateMachine]) -> None:
    _run(machine, max_examples=250, stateful_step_count=100)
