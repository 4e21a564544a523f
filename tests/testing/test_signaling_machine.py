"""The state machine's signaling rules and kvsim.strategies' signaling strategies."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import Phase, given, settings
from hypothesis.errors import InvalidArgument
from hypothesis.stateful import run_state_machine_as_test

import kvsim
from kvsim import strategies as kvs
from kvsim.services.kinesis_video_signaling import relay
from kvsim.stateful import KinesisVideoStateMachine

_FIND_FIRST: dict[str, Any] = {
    "phases": [Phase.explicit, Phase.generate],
    "report_multiple_bugs": False,
    "database": None,
    "stateful_step_count": 50,
    "deadline": None,
}


def _held_forever(mp: pytest.MonkeyPatch) -> None:
    init = relay._Held.__init__

    def late(self: Any, action: str, due_ms: int, message: Any, sender: str) -> None:
        init(self, action, due_ms + 10**9, message, sender)

    mp.setattr(relay._Held, "__init__", late)


def _answers_every_failure(mp: pytest.MonkeyPatch) -> None:
    failure = relay._failure
    mp.setattr(relay, "_failure", lambda c, corr, *rest: failure(c, corr or "x", *rest))


def _silent_takeover(mp: pytest.MonkeyPatch) -> None:
    mp.setattr(relay.Connection, "go_away", lambda self, now_ms: None)


def _no_viewer_limit(mp: pytest.MonkeyPatch) -> None:
    connect = relay.connect

    def unlimited(world: Any, *args: Any) -> Any:
        saved = world.limits
        world.limits = kvsim.Limits(max_viewers_per_channel=None)
        try:
            return connect(world, *args)
        finally:
            world.limits = saved

    mp.setattr(relay, "connect", unlimited)


@pytest.mark.parametrize(
    ("bug", "symptom"),
    [
        (_held_forever, "receive()"),
        (_answers_every_failure, "receive()"),
        (_silent_takeover, "receive()"),
        (_no_viewer_limit, "accepted; model: ClientLimitExceededException: viewers"),
    ],
    ids=lambda value: getattr(value, "__name__", "symptom").strip("_"),
)
def test_the_machine_finds_a_planted_relay_bug(
    monkeypatch: pytest.MonkeyPatch, bug: Callable[[pytest.MonkeyPatch], None], symptom: str
) -> None:
    class Planted(KinesisVideoStateMachine):
        pass

    bug(monkeypatch)
    with pytest.raises(AssertionError) as info:
        run_state_machine_as_test(Planted, settings=settings(max_examples=400, **_FIND_FIRST))
    assert symptom in str(info.value)


def test_signaling_strategies_are_exported_and_accepted() -> None:
    for name in ("signaling_client_ids", "signaling_frames", "signaling_payloads"):
        assert name in kvs.__all__

    @settings(max_examples=30, database=None, deadline=None)
    @given(
        viewer=kvs.signaling_client_ids(max_size=40),
        to_master=kvs.signaling_frames(role="VIEWER"),
        to_viewer=kvs.signaling_frames(role="MASTER", with_correlation_id=True),
    )
    def check(viewer: str, to_master: dict[str, Any], to_viewer: dict[str, Any]) -> None:
        sim = kvsim.Simulator(timings=kvsim.Timings(call_latency=0))
        arn = sim.client().create_signaling_channel(ChannelName="door")["ChannelARN"]
        sim.advance(2)
        master = sim.signaling.connect(arn, role="MASTER")
        connected = sim.signaling.connect(arn, role="VIEWER", client_id=viewer)
        assert connected.send_frame(to_master)
        assert master.send_frame(to_viewer)
        assert [m["messageType"] for m in master.receive()] == [to_master["action"]]
        assert all(m["messageType"] != "STATUS_RESPONSE" for m in connected.receive())

    check()


@pytest.mark.parametrize(
    "build",
    [
        lambda: kvs.signaling_client_ids(max_size=257),
        lambda: kvs.signaling_client_ids(prefix="AWS_"),
        lambda: kvs.signaling_client_ids(prefix="no space"),
        lambda: kvs.correlation_ids(max_size=0),
        lambda: kvs.signaling_payloads(action="GO_AWAY"),
        lambda: kvs.signaling_frames(role="viewer"),
        lambda: kvs.signaling_frames(recipients=["phone"]),  # type: ignore[arg-type]
        lambda: kvs.signaling_frames(with_correlation_id="yes"),  # type: ignore[arg-type]
    ],
)
def test_bad_options_are_refused_at_once(build: Callable[[], object]) -> None:
    with pytest.raises(InvalidArgument):
        build()
